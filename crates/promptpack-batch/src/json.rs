//! JSON output: strings escaped fast and exactly as `serde_json` writes them,
//! and the sinks that render straight into JSON records.

use promptpack_render::RenderSink;

/// The JSON-escaped form of each piece of template text, by its id: a
/// template's text is the same in every row, so it is escaped once per
/// thread and copied after that. Only values are escaped per row.
#[derive(Default)]
pub(crate) struct EscapedTexts(Vec<Option<Box<[u8]>>>);

/// Writes a rendering as the inside of a JSON string.
pub(crate) struct JsonStringSink<'a> {
    pub(crate) out: &'a mut Vec<u8>,
    pub(crate) escaped: &'a mut EscapedTexts,
}

impl RenderSink for JsonStringSink<'_> {
    fn template_text(&mut self, id: usize, text: &str) {
        let cache = &mut self.escaped.0;
        if id >= cache.len() {
            cache.resize(id + 1, None);
        }
        let escaped = cache[id].get_or_insert_with(|| {
            let mut escaped = Vec::with_capacity(text.len() + text.len() / 16);
            write_json_string_contents(&mut escaped, text);
            escaped.into_boxed_slice()
        });
        self.out.extend_from_slice(escaped);
    }

    fn text(&mut self, text: &str) {
        write_json_string_contents(self.out, text);
    }
}

/// Writes a rendering as it is (`--format text`).
pub(crate) struct TextSink<'a>(pub(crate) &'a mut Vec<u8>);

impl RenderSink for TextSink<'_> {
    fn template_text(&mut self, _: usize, text: &str) {
        self.0.extend_from_slice(text.as_bytes());
    }

    fn text(&mut self, text: &str) {
        self.0.extend_from_slice(text.as_bytes());
    }
}

/// Writes `text` as a JSON string, quotes included, byte for byte as
/// `serde_json`, Python's `json.dumps(ensure_ascii=False)` and JavaScript's
/// `JSON.stringify` write it: `"` and `\` escaped, `\n \r \t \b \f` by
/// name, other control characters as `\u00xx`, everything else as is.
///
/// Prompts are long runs of plain text, so it tests eight bytes at a time
/// for anything to escape and copies clean runs whole (`serde_json` looks
/// at each byte in turn, which made escaping most of a batch's time).
pub fn write_json_string(out: &mut Vec<u8>, text: &str) {
    out.reserve(text.len() + 2);
    out.push(b'"');
    write_json_string_contents(out, text);
    out.push(b'"');
}

/// [`write_json_string`] without the quotes.
fn write_json_string_contents(out: &mut Vec<u8>, text: &str) {
    const LANES: u64 = 0x0101_0101_0101_0101;
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte of `word` that is below 0x20, `"` or `\\`.
    // Borrows can also mark bytes above a marked one, never below it, so the
    // lowest mark is always exact.
    let escapes = |word: u64| {
        let below_space = word.wrapping_sub(LANES * 0x20) & !word;
        let quote = word ^ (LANES * u64::from(b'"'));
        let backslash = word ^ (LANES * u64::from(b'\\'));
        (below_space | (quote.wrapping_sub(LANES) & !quote) | (backslash.wrapping_sub(LANES) & !backslash)) & HIGH_BITS
    };
    let bytes = text.as_bytes();
    out.reserve(bytes.len());
    let (mut clean_from, mut at) = (0, 0);
    loop {
        let escape_at = match bytes.get(at..at + 8) {
            Some(chunk) => {
                let marks = escapes(u64::from_le_bytes(chunk.try_into().expect("eight bytes")));
                if marks == 0 {
                    at += 8;
                    continue;
                }
                at + (marks.trailing_zeros() / 8) as usize
            }
            // The last few bytes, one by one.
            None => match bytes[at..].iter().position(|&b| b < 0x20 || b == b'"' || b == b'\\') {
                Some(offset) => at + offset,
                None => break,
            },
        };
        out.extend_from_slice(&bytes[clean_from..escape_at]);
        let byte = bytes[escape_at];
        let named: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            _ => b"",
        };
        if named.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xf)],
            ]);
        } else {
            out.extend_from_slice(named);
        }
        clean_from = escape_at + 1;
        at = clean_from;
    }
    out.extend_from_slice(&bytes[clean_from..]);
}

/// `write!` into a byte vector.
pub(crate) struct DisplayToVec<'a>(pub(crate) &'a mut Vec<u8>);

impl std::fmt::Write for DisplayToVec<'_> {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        self.0.extend_from_slice(text.as_bytes());
        Ok(())
    }
}

pub(crate) fn write_record(out: &mut Vec<u8>, record: &impl serde::Serialize) {
    serde_json::to_writer(&mut *out, record).expect("records of strings and numbers always serialize");
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_escaped_exactly_as_serde_json_does() {
        let mut samples: Vec<String> = vec![
            String::new(),
            "plain".to_owned(),
            "exactly8".to_owned(),
            "a \"quoted\" \\ path\n\ttab\r\u{8}\u{c}\u{0}\u{1f}\u{7f} naïve ✓ 🦀".to_owned(),
        ];
        // Every special byte at every position of a 17-byte window.
        for special in ['"', '\\', '\n', '\u{1}', '\u{1f}', 'é'] {
            for position in 0..17 {
                let mut text: String = "abcdefghijklmnopq".chars().collect();
                text.insert(position, special);
                samples.push(text);
            }
        }
        for text in samples {
            let mut ours = Vec::new();
            write_json_string(&mut ours, &text);
            assert_eq!(String::from_utf8(ours).unwrap(), serde_json::to_string(&text).unwrap(), "{text:?}");
        }
    }
}
