//! String literals as Jinja2 reads them: Python's `unicode-escape` codec
//! (`\a`, `\v`, `\U0001F600`, a backslash before a line break). minijinja
//! knows the JSON-like escapes only and keeps the others as written, so a
//! literal using them is rewritten into one minijinja reads to the same
//! text, before the template is compiled (positions map back through
//! [`SourceEdits`]).

use minijinja::machinery::{Token, tokenize};

use super::percent::SourceEdits;
use crate::options::JinjaOptions;

/// Whether minijinja would read this literal body differently from Jinja2.
fn needs_python_unescape(body: &str) -> bool {
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c == '\\'
            && let Some('a' | 'v' | 'U' | 'N' | '\n') = chars.next()
        {
            return true;
        }
    }
    false
}

/// Python's `unicode-escape` decoding of a literal's body, or `None` when
/// it holds an escape this cannot decode exactly (`\N{name}`, a bad `\U`).
fn python_unescape(body: &str) -> Option<String> {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(escape) = chars.next() else {
            out.push('\\');
            break;
        };
        match escape {
            '\n' => {}
            '\\' => out.push('\\'),
            '\'' => out.push('\''),
            '"' => out.push('"'),
            'a' => out.push('\u{07}'),
            'b' => out.push('\u{08}'),
            'f' => out.push('\u{0c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\u{0b}'),
            '0'..='7' => {
                let mut code = escape.to_digit(8)?;
                for _ in 0..2 {
                    match chars.peek().and_then(|c| c.to_digit(8)) {
                        Some(digit) => {
                            code = code * 8 + digit;
                            chars.next();
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(code)?);
            }
            'x' | 'u' | 'U' => {
                let digits = match escape {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = (0..digits).filter_map(|_| chars.next()).collect();
                if hex.len() != digits {
                    return None;
                }
                out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
            }
            'N' => return None,
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    Some(out)
}

/// A double-quoted literal that minijinja reads as `text`.
fn minijinja_literal(text: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The template with its Python-only string escapes rewritten (`Ok(None)`
/// when it has none), or the offset of an escape that cannot be read as
/// Python does (`\N{name}`: promptpack has no table of Unicode names).
pub(crate) fn rewrite_string_escapes(
    source: &str,
    options: JinjaOptions,
) -> Result<Option<(String, SourceEdits)>, usize> {
    if !source.contains('\\') {
        return Ok(None);
    }
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    for (token, span) in tokenize(source, false, super::syntax_config(options)).map_while(Result::ok) {
        if !matches!(token, Token::Str(_) | Token::String(_)) {
            continue;
        }
        let (start, end) = (span.start_offset as usize, span.end_offset as usize);
        let Some(raw) = source.get(start..end) else { continue };
        let body = raw.get(1..raw.len().saturating_sub(1)).unwrap_or_default();
        if !needs_python_unescape(body) {
            continue;
        }
        match python_unescape(body) {
            Some(text) => edits.push((start, end - start, minijinja_literal(&text))),
            None => return Err(start + 1 + body.find("\\N").or_else(|| body.find('\\')).unwrap_or(0)),
        }
    }
    if edits.is_empty() {
        return Ok(None);
    }
    let mut rewritten = String::with_capacity(source.len());
    let mut last = 0;
    for (at, removed, text) in &edits {
        rewritten.push_str(&source[last..*at]);
        rewritten.push_str(text);
        last = at + removed;
    }
    rewritten.push_str(&source[last..]);
    let edits = edits.into_iter().map(|(at, removed, text)| (at, removed, text.len())).collect();
    Ok(Some((rewritten, SourceEdits::from_edits(edits))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_escapes_decode_as_python_does() {
        assert_eq!(python_unescape(r"a\ab\vc\U0001F600\x41\101\q\\").unwrap(), "a\u{7}b\u{b}c😀AA\\q\\");
        assert_eq!(python_unescape("line\\\nnext").unwrap(), "linenext");
        assert_eq!(python_unescape(r"\N{BULLET}"), None);
        assert_eq!(minijinja_literal("a\"\u{7}😀"), "\"a\\\"\\u0007😀\"");
    }
}
