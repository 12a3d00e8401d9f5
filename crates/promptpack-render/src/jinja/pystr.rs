//! Python `str` methods that only Jinja needs (the shared ones are in
//! `text`): splitting, titles, padding, with Python's exact edge cases.

use crate::text::is_python_space;

/// Title-case letters (Unicode `Lt`), which are cased but neither upper nor lower.
pub(crate) fn is_titlecase(c: char) -> bool {
    matches!(c, '\u{01C5}' | '\u{01C8}' | '\u{01CB}' | '\u{01F2}' | '\u{1F88}'..='\u{1F8F}' | '\u{1F98}'..='\u{1F9F}'
        | '\u{1FA8}'..='\u{1FAF}' | '\u{1FBC}' | '\u{1FCC}' | '\u{1FFC}')
}

/// Python's "cased" characters: upper, lower or title case.
pub(crate) fn is_cased(c: char) -> bool {
    c.is_uppercase() || c.is_lowercase() || is_titlecase(c)
}

/// Python's `str.title()`: a character following a cased one is lowered,
/// any other is title-cased (so `they're` becomes `They'Re`).
pub(crate) fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut previous_cased = false;
    for c in s.chars() {
        if previous_cased {
            out.extend(c.to_lowercase());
        } else {
            out.push_str(&crate::text::capitalize(c.encode_utf8(&mut [0; 4])));
        }
        previous_cased = is_cased(c);
    }
    out
}

/// Python's `str.isdigit()`: decimal digits of any script plus the
/// superscript, subscript and circled digits (not fractions or numerals).
pub(crate) fn is_digit(c: char) -> bool {
    let fraction_or_numeral =
        matches!(c, '\u{BC}'..='\u{BE}' | '\u{2150}'..='\u{218B}' | '\u{3007}' | '\u{3021}'..='\u{3029}');
    c.is_numeric() && !fraction_or_numeral && !c.is_alphabetic()
}

/// `s.split(sep, maxsplit)` with a non-empty separator.
pub(crate) fn split_on<'a>(s: &'a str, sep: &str, limit: Option<usize>) -> Vec<&'a str> {
    match limit {
        Some(limit) => s.splitn(limit + 1, sep).collect(),
        None => s.split(sep).collect(),
    }
}

/// `s.rsplit(sep, maxsplit)` with a non-empty separator, in Python's order.
pub(crate) fn rsplit_on<'a>(s: &'a str, sep: &str, limit: Option<usize>) -> Vec<&'a str> {
    let mut parts: Vec<&str> = match limit {
        Some(limit) => s.rsplitn(limit + 1, sep).collect(),
        None => s.rsplit(sep).collect(),
    };
    parts.reverse();
    parts
}

/// `s.split()` / `s.split(None, maxsplit)`: runs of whitespace separate, the
/// ends are ignored, and after `maxsplit` splits the rest is kept as it is
/// (less its leading whitespace).
pub(crate) fn split_whitespace(s: &str, limit: Option<usize>) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = s.trim_start_matches(is_python_space);
    while !rest.is_empty() {
        if limit.is_some_and(|limit| parts.len() == limit) {
            parts.push(rest);
            break;
        }
        let Some(end) = rest.find(is_python_space) else {
            parts.push(rest);
            break;
        };
        parts.push(&rest[..end]);
        rest = rest[end..].trim_start_matches(is_python_space);
    }
    parts
}

/// `s.rsplit()` / `s.rsplit(None, maxsplit)`: [`split_whitespace`] from the right.
pub(crate) fn rsplit_whitespace(s: &str, limit: Option<usize>) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = s.trim_end_matches(is_python_space);
    while !rest.is_empty() {
        if limit.is_some_and(|limit| parts.len() == limit) {
            parts.push(rest);
            break;
        }
        let Some(start) = rest.rfind(is_python_space) else {
            parts.push(rest);
            break;
        };
        let space_len = rest[start..].chars().next().map_or(1, char::len_utf8);
        parts.push(&rest[start + space_len..]);
        rest = rest[..start].trim_end_matches(is_python_space);
    }
    parts.reverse();
    parts
}

/// Python's line boundaries for `str.splitlines()`.
fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{0b}' | '\u{0c}' | '\u{1c}' | '\u{1d}' | '\u{1e}' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// `s.splitlines(keepends)`: `\r\n` is one break, a trailing break does not
/// start an empty last line.
pub(crate) fn splitlines(s: &str, keepends: bool) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut iter = s.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if is_line_break(c) {
            let mut end = i + c.len_utf8();
            if c == '\r' && matches!(iter.peek(), Some((_, '\n'))) {
                iter.next();
                end += 1;
            }
            lines.push(if keepends { &s[start..end] } else { &s[start..i] });
            start = end;
        }
    }
    if start < s.len() {
        lines.push(&s[start..]);
    }
    lines
}

/// `s.center(width, fill)`: `CPython` puts the odd extra fill character on the
/// left when both the padding and the width are odd, on the right otherwise.
pub(crate) fn center(s: &str, width: usize, fill: char) -> String {
    let len = s.chars().count();
    if width <= len {
        return s.to_owned();
    }
    let padding = width - len;
    let left = padding / 2 + (padding & width & 1);
    let mut out = String::with_capacity(s.len() + padding);
    out.extend(std::iter::repeat_n(fill, left));
    out.push_str(s);
    out.extend(std::iter::repeat_n(fill, padding - left));
    out
}

/// `s.ljust(width, fill)` or, with `right`, `s.rjust(width, fill)`.
pub(crate) fn pad(s: &str, width: usize, fill: char, right: bool) -> String {
    let len = s.chars().count();
    let padding: String = std::iter::repeat_n(fill, width.saturating_sub(len)).collect();
    if right { format!("{padding}{s}") } else { format!("{s}{padding}") }
}

/// `s.zfill(width)`: zeros after a leading sign.
pub(crate) fn zfill(s: &str, width: usize) -> String {
    let len = s.chars().count();
    if width <= len {
        return s.to_owned();
    }
    let zeros = "0".repeat(width - len);
    match s.strip_prefix(['+', '-']) {
        Some(rest) => format!("{}{zeros}{rest}", &s[..1]),
        None => format!("{zeros}{s}"),
    }
}

/// Python's ASCII whitespace, which `textwrap` splits on.
fn is_ascii_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{0b}' | '\u{0c}')
}

/// A letter in the sense of `textwrap`'s `[^\d\W]`.
fn is_word_letter(c: char) -> bool {
    (c.is_alphanumeric() || c == '_') && !c.is_numeric()
}

/// `textwrap`'s chunks: runs of whitespace and words, words also split
/// after a hyphen between letters (`break_on_hyphens`).
fn wrap_chunks(text: &str, break_on_hyphens: bool) -> Vec<&str> {
    let mut chunks = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let space = is_ascii_space(chars[i].1);
        let mut j = i + 1;
        while j < chars.len() && is_ascii_space(chars[j].1) == space {
            if !space && break_on_hyphens && chars[j - 1].1 == '-' && j >= 3 {
                // `-(?: (?<=lt{2}-) | (?<=lt-lt-)) (?= lt -? lt)`
                let before = is_word_letter(chars[j - 2].1)
                    && (is_word_letter(chars[j - 3].1)
                        || (j >= 4 && chars[j - 3].1 == '-' && is_word_letter(chars[j - 4].1)));
                let after = chars.get(j).is_some_and(|c| is_word_letter(c.1))
                    && (chars.get(j + 1).is_some_and(|c| is_word_letter(c.1))
                        || (chars.get(j + 1).is_some_and(|c| c.1 == '-')
                            && chars.get(j + 2).is_some_and(|c| is_word_letter(c.1))));
                if before && after && chars[i..j].iter().any(|c| c.1 != '-') {
                    break;
                }
            }
            j += 1;
        }
        let end = chars.get(j).map_or(text.len(), |c| c.0);
        chunks.push(&text[start..end]);
        start = end;
        i = j;
    }
    chunks
}

/// Python's `textwrap.wrap(text, width, expand_tabs=False,
/// replace_whitespace=False, break_long_words, break_on_hyphens)`.
///
/// Chunks are character ranges, so breaking a long word is linear in its
/// length (copying the rest of the word at every break would be quadratic,
/// and the words come from the user's data).
pub(crate) fn text_wrap(text: &str, width: usize, break_long_words: bool, break_on_hyphens: bool) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    // Character ranges of the chunks, last chunk first (a stack, as in textwrap).
    let mut chunks: Vec<(usize, usize)> = Vec::new();
    let mut position = 0;
    for chunk in wrap_chunks(text, break_on_hyphens) {
        let len = chunk.chars().count();
        chunks.push((position, position + len));
        position += len;
    }
    chunks.reverse();
    let len = |(start, end): (usize, usize)| end - start;
    let is_blank_range = |(start, end): (usize, usize)| chars[start..end].iter().all(|c| is_python_space(*c));
    let mut lines: Vec<String> = Vec::new();
    while !chunks.is_empty() {
        let mut line: Vec<(usize, usize)> = Vec::new();
        let mut line_len = 0;
        if chunks.last().is_some_and(|&c| is_blank_range(c)) && !lines.is_empty() {
            chunks.pop();
        }
        while let Some(&chunk) = chunks.last() {
            if line_len + len(chunk) > width {
                break;
            }
            line_len += len(chunk);
            line.push(chunk);
            chunks.pop();
        }
        if let Some(&(start, end)) = chunks.last()
            && end - start > width
        {
            let space_left = if width < 1 { 1 } else { width - line_len };
            if break_long_words {
                let mut cut = space_left;
                if break_on_hyphens && end - start > space_left {
                    let window = &chars[start..start + space_left.min(end - start)];
                    if let Some(hyphen) = window.iter().rposition(|c| *c == '-')
                        && hyphen > 0
                        && chars[start..start + hyphen].iter().any(|c| *c != '-')
                    {
                        cut = hyphen + 1;
                    }
                }
                let cut = cut.min(end - start);
                line.push((start, start + cut));
                if let Some(last) = chunks.last_mut() {
                    *last = (start + cut, end);
                }
            } else if line.is_empty() {
                line.push((start, end));
                chunks.pop();
            }
        }
        if line.last().is_some_and(|&c| is_blank_range(c)) {
            line.pop();
        }
        if !line.is_empty() {
            lines.push(line.iter().flat_map(|&(start, end)| chars[start..end].iter()).collect());
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_splits_follow_python() {
        assert_eq!(split_whitespace("  a b  c ", None), ["a", "b", "c"]);
        assert_eq!(split_whitespace("  a b  c ", Some(1)), ["a", "b  c "]);
        assert_eq!(rsplit_whitespace("  a b  c ", Some(1)), ["  a b", "c"]);
        assert_eq!(rsplit_on("a,b,c", ",", Some(1)), ["a,b", "c"]);
        assert!(split_whitespace(" \t ", None).is_empty());
    }

    #[test]
    fn splitlines_follow_python() {
        assert_eq!(splitlines("a\nb\r\nc\rd\n", false), ["a", "b", "c", "d"]);
        assert_eq!(splitlines("a\r\nb", true), ["a\r\n", "b"]);
        assert_eq!(splitlines("x\u{2028}y", false), ["x", "y"]);
    }

    #[test]
    fn padding_follows_cpython() {
        assert_eq!(center("ab", 7, ' '), "   ab  ");
        assert_eq!(center("abc", 6, '*'), "*abc**");
        assert_eq!(zfill("-42", 5), "-0042");
        assert_eq!(title("they're bill's 3rd"), "They'Re Bill'S 3Rd");
    }

    #[test]
    fn text_wrap_follows_textwrap() {
        assert_eq!(text_wrap("The quick brown fox", 10, true, true), ["The quick", "brown fox"]);
        assert_eq!(text_wrap("a verylongwordhere b", 5, true, true), ["a ver", "ylong", "wordh", "ere b"]);
        assert_eq!(text_wrap("well-known words", 6, true, true), ["well-", "known", "words"]);
    }
}
