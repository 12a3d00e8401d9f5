//! String semantics shared by both engines.
//!
//! Prompts are judged byte for byte against what users' runtimes produce, so
//! these follow Python's `str` methods (Jinja2 filters are thin wrappers over
//! them) and JavaScript's `ToString` (what handlebars.js prints), not Rust's
//! own notions of whitespace or number formatting.

use std::fmt::Write as _;

/// Python's `str.isspace`: Rust's `White_Space` plus the ASCII information
/// separators (U+001C..U+001F), which Python counts as whitespace.
#[must_use]
pub fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.strip()`.
pub fn trim(s: &str) -> &str {
    s.trim_matches(is_python_space)
}

/// Python's `str.upper()` (full case mapping, so `ß` becomes `SS`).
#[must_use]
pub fn upper(s: &str) -> String {
    s.to_uppercase()
}

/// Python's `str.lower()`, including the final-sigma rule.
#[must_use]
pub fn lower(s: &str) -> String {
    s.to_lowercase()
}

/// Python's `str.capitalize()`: the first character in *title* case, the rest
/// lower-cased ("SRE" becomes "Sre", "ǆemal" becomes "ǅemal").
#[must_use]
pub fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let mut out = String::with_capacity(s.len());
    push_titlecase(&mut out, first);
    // Lower-casing the tail as one string keeps the final-sigma context right.
    let tail = &s[first.len_utf8()..];
    out.push_str(&tail.to_lowercase());
    out
}

/// Title case differs from upper case only for digraphs, ligatures and a few
/// Greek letters with iota subscript; everything else upper-cases.
fn push_titlecase(out: &mut String, c: char) {
    let mapped: Option<&str> = match c {
        '\u{01C4}'..='\u{01C6}' => Some("\u{01C5}"),
        '\u{01C7}'..='\u{01C9}' => Some("\u{01C8}"),
        '\u{01CA}'..='\u{01CC}' => Some("\u{01CB}"),
        '\u{01F1}'..='\u{01F3}' => Some("\u{01F2}"),
        'ß' => Some("Ss"),
        'ﬀ' => Some("Ff"),
        'ﬁ' => Some("Fi"),
        'ﬂ' => Some("Fl"),
        'ﬃ' => Some("Ffi"),
        'ﬄ' => Some("Ffl"),
        'ﬅ' | 'ﬆ' => Some("St"),
        'և' => Some("Եւ"),
        'ﬓ' => Some("Մն"),
        'ﬔ' => Some("Մե"),
        'ﬕ' => Some("Մի"),
        'ﬖ' => Some("Վն"),
        'ﬗ' => Some("Մխ"),
        _ => None,
    };
    match mapped {
        Some(title) => out.push_str(title),
        None => out.extend(c.to_uppercase()),
    }
}

/// Python's `str.splitlines()` boundaries.
fn is_python_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{0b}' | '\u{0c}' | '\u{1c}' | '\u{1d}' | '\u{1e}' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// Python's `str.splitlines()` without keepends: `\r\n` is one break, and a
/// trailing break does not start an empty last line.
fn python_splitlines(s: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut iter = s.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if is_python_line_break(c) {
            lines.push(&s[start..i]);
            let mut end = i + c.len_utf8();
            if c == '\r' && matches!(iter.peek(), Some((_, '\n'))) {
                iter.next();
                end += 1;
            }
            start = end;
        }
    }
    if start < s.len() {
        lines.push(&s[start..]);
    }
    lines
}

/// The widest indentation a template may ask for: prompts never need more,
/// and an unchecked width from untrusted data could exhaust memory.
pub const MAX_INDENT_WIDTH: usize = 256;

/// `width` spaces, or an error message when it is over [`MAX_INDENT_WIDTH`].
pub fn spaces(width: u64) -> Result<String, String> {
    usize::try_from(width)
        .ok()
        .filter(|w| *w <= MAX_INDENT_WIDTH)
        .map(|w| " ".repeat(w))
        .ok_or_else(|| format!("indent width {width} is over the limit of {MAX_INDENT_WIDTH}"))
}

/// Jinja2 3.1's `indent(s, width, first, blank)`, including its quirk of
/// re-joining lines with `\n` (so `\r\n` input comes out as `\n`).
#[must_use]
pub fn indent(s: &str, indentation: &str, first: bool, blank: bool) -> String {
    // Jinja2 appends a newline before splitting so that a trailing newline in
    // the input survives `splitlines`.
    let with_newline = format!("{s}\n");
    let lines = python_splitlines(&with_newline);
    let mut out = String::with_capacity(s.len() + lines.len() * indentation.len());
    if blank {
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                out.push('\n');
                out.push_str(indentation);
            }
            out.push_str(line);
        }
    } else if let Some((head, rest)) = lines.split_first() {
        out.push_str(head);
        if !rest.is_empty() {
            out.push('\n');
            for (i, line) in rest.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                if !line.is_empty() {
                    out.push_str(indentation);
                }
                out.push_str(line);
            }
        }
    }
    if first {
        out.insert_str(0, indentation);
    }
    out
}

/// The shortest round-trip digits of a finite, non-zero `f64` and its decimal
/// exponent, in the form `d.ddd × 10^exp`. Both Python's `repr` and
/// JavaScript's `Number#toString` start from these digits and differ only in
/// layout.
fn shortest_digits(value: f64) -> (String, i32) {
    // `{:e}` prints the shortest round-trip representation, e.g. `1.2345e17`.
    let formatted = format!("{:e}", value.abs());
    let (mantissa, exponent) = formatted.split_once('e').unwrap_or((&formatted, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    (digits, exponent.parse().unwrap_or(0))
}

/// Lays `digits` (with the decimal point after the first digit, scaled by
/// `10^exponent`) out in positional notation.
fn positional(digits: &str, exponent: i32, out: &mut String) {
    // Shortest round-trip digits of an f64 number at most 17, so the
    // conversions below cannot overflow.
    let len = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    let integer_digits = usize::try_from(exponent + 1).unwrap_or(0);
    if exponent < 0 {
        out.push_str("0.");
        out.push_str(&"0".repeat(exponent.unsigned_abs() as usize - 1));
        out.push_str(digits);
    } else if exponent + 1 >= len {
        out.push_str(digits);
        out.push_str(&"0".repeat(integer_digits - digits.len()));
    } else {
        out.push_str(&digits[..integer_digits]);
        out.push('.');
        out.push_str(&digits[integer_digits..]);
    }
}

/// Python's `repr(float)`: positional for exponents in `-4..16` (always with a
/// fractional part), scientific otherwise (`1e+16`, `1.5e-05`).
#[must_use]
pub fn python_float_repr(value: f64) -> String {
    if value.is_nan() {
        return "nan".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    let mut out = String::new();
    if value.is_sign_negative() {
        out.push('-');
    }
    if value == 0.0 {
        out.push_str("0.0");
        return out;
    }
    let (digits, exponent) = shortest_digits(value);
    if (-4..16).contains(&exponent) {
        positional(&digits, exponent, &mut out);
        if !out.contains('.') {
            out.push_str(".0");
        }
    } else {
        push_mantissa(&digits, &mut out);
        let _ = write!(out, "{}{:02}", if exponent < 0 { '-' } else { '+' }, exponent.abs());
    }
    out
}

/// JavaScript's `Number#toString()`: positional for `1e-6 <= |x| < 1e21`,
/// scientific otherwise (`1e+21`, `1.5e-7`); integral values print without a
/// fractional part and `-0` prints as `0`.
#[must_use]
pub fn js_number_to_string(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if value == 0.0 {
        return "0".to_owned();
    }
    let mut out = String::new();
    if value < 0.0 {
        out.push('-');
    }
    let (digits, exponent) = shortest_digits(value);
    if (-6..21).contains(&exponent) {
        positional(&digits, exponent, &mut out);
    } else {
        push_mantissa(&digits, &mut out);
        let _ = write!(out, "{}{}", if exponent < 0 { '-' } else { '+' }, exponent.abs());
    }
    out
}

/// The mantissa of scientific notation (`d.ddd` and the `e`); callers add
/// the exponent in their language's style.
fn push_mantissa(digits: &str, out: &mut String) {
    out.push_str(&digits[..1]);
    if digits.len() > 1 {
        out.push('.');
        out.push_str(&digits[1..]);
    }
    out.push('e');
}

/// Python's `repr(str)`: single quotes unless the text contains a single
/// quote and no double quote; backslashes and control characters escaped.
pub fn python_str_repr(s: &str, out: &mut String) {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_python_unprintable(c) => {
                let code = c as u32;
                if code <= 0xff {
                    let _ = write!(out, "\\x{code:02x}");
                } else if code <= 0xffff {
                    let _ = write!(out, "\\u{code:04x}");
                } else {
                    let _ = write!(out, "\\U{code:08x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

/// The characters Python's `repr` escapes beyond ASCII controls: C1 controls,
/// separators other than the space, and format characters that render as
/// nothing. A close approximation of `str.isprintable` for prompt text.
fn is_python_unprintable(c: char) -> bool {
    matches!(c,
        '\u{80}'..='\u{a0}' | '\u{ad}' | '\u{2000}'..='\u{200f}' | '\u{2028}'..='\u{202f}'
        | '\u{205f}'..='\u{206f}' | '\u{3000}' | '\u{feff}' | '\u{1680}' | '\u{180e}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capitalize_follows_python() {
        assert_eq!(capitalize("SRE"), "Sre");
        assert_eq!(capitalize("security engineer"), "Security engineer");
        assert_eq!(capitalize("ǆemal"), "ǅemal");
        assert_eq!(capitalize("ßtraße"), "Sstraße");
        assert_eq!(capitalize(""), "");
        assert_eq!(capitalize("ÉLAN"), "Élan");
    }

    #[test]
    fn python_float_repr_layout() {
        for (value, expected) in [
            (1.0, "1.0"),
            (1.5, "1.5"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (-0.0, "-0.0"),
            (1.234_567_890_123_456_8e17, "1.2345678901234568e+17"),
            (f64::INFINITY, "inf"),
        ] {
            assert_eq!(python_float_repr(value), expected, "{value}");
        }
    }

    #[test]
    fn js_number_layout() {
        for (value, expected) in [
            (1.0, "1"),
            (1.5, "1.5"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (1e-7, "1e-7"),
            (1.5e-7, "1.5e-7"),
            (0.000_001, "0.000001"),
            (-0.0, "0"),
            (-2.5, "-2.5"),
        ] {
            assert_eq!(js_number_to_string(value), expected, "{value}");
        }
    }

    #[test]
    fn indent_matches_jinja2() {
        assert_eq!(indent("a\nb", "  ", false, false), "a\n  b");
        assert_eq!(indent("a\n\nb\n", "  ", false, false), "a\n\n  b\n");
        assert_eq!(indent("a\n\nb", "  ", true, true), "  a\n  \n  b");
        assert_eq!(indent("a\r\nb", "-", false, false), "a\n-b");
        assert_eq!(indent("", "  ", true, false), "  ");
    }

    #[test]
    fn python_repr_quotes() {
        let mut out = String::new();
        python_str_repr("it's", &mut out);
        assert_eq!(out, "\"it's\"");
        out.clear();
        python_str_repr("a\nb", &mut out);
        assert_eq!(out, "'a\\nb'");
    }

    #[test]
    fn trim_uses_python_whitespace() {
        assert_eq!(trim("\u{1f} x \u{3000}"), "x");
    }
}
