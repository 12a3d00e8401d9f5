//! Rewrites of handlebars.js syntax that handlebars-rust's parser rejects,
//! made on the source before parsing so that the parse (and its whitespace
//! handling, which follows the source) is the one of the handlebars.js text.
//!
//! Every rewrite keeps each character in its place, so the parser's
//! `line:column` positions are those of the file the user wrote:
//!
//! - `{{^x}}...{{/x}}` (an inverted section; handlebars-rust only knows
//!   `{{^}}` as `{{else}}`) becomes `{{#x}}` and is remembered by position,
//!   so that [`super::compile`] swaps the block's two parts after parsing.
//! - `.` used as a path (`{{.}}`, `{{#each .}}`) and the characters of a
//!   block name that handlebars-rust does not allow there (`{{#a.b}}`,
//!   `{{#../x}}`, `{{#@root.x}}`) become private-use characters, which the
//!   parser takes as name characters and [`decode_name`] turns back.
//!
//! Text that is not a tag (escaped `\{{`, comments, raw-block bodies, string
//! literals) is never touched.

use std::borrow::Cow;

/// Private-use stand-ins for the path characters handlebars-rust rejects
/// where handlebars.js accepts them; one character each, so columns stay.
const ENCODED: [(char, char); 5] =
    [('.', '\u{E000}'), ('/', '\u{E001}'), ('@', '\u{E002}'), ('[', '\u{E003}'), (']', '\u{E004}')];

/// The source as handlebars-rust can parse it, and where inverted sections
/// open (1-based line and column of their `{{`, in characters).
pub(crate) struct Rewritten<'s> {
    pub(crate) text: Cow<'s, str>,
    pub(crate) inverted_sections: Vec<(usize, usize)>,
    /// A path handlebars.js cannot parse though handlebars-rust can (one
    /// ending in a number, `items.0`): its byte offset and text.
    pub(crate) unparseable_path: Option<(usize, String)>,
}

/// A name or path as the user wrote it, from one [`rewrite_for_parser`] encoded.
pub(crate) fn decode_name(name: &str) -> Cow<'_, str> {
    if !name.contains(|c| ENCODED.iter().any(|&(_, code)| code == c)) {
        return Cow::Borrowed(name);
    }
    Cow::Owned(
        name.chars().map(|c| ENCODED.iter().find(|&&(_, code)| code == c).map_or(c, |&(plain, _)| plain)).collect(),
    )
}

fn encode_char(c: char) -> char {
    ENCODED.iter().find(|&&(plain, _)| plain == c).map_or(c, |&(_, code)| code)
}

/// What an open block tag was, to treat its closing tag alike.
struct OpenBlock {
    name: String,
    encoded: bool,
}

pub(crate) fn rewrite_for_parser(source: &str) -> Rewritten<'_> {
    if !source.contains("{{") {
        return Rewritten { text: Cow::Borrowed(source), inverted_sections: Vec::new(), unparseable_path: None };
    }
    let mut edits: Vec<(usize, char, char)> = Vec::new(); // (byte offset, old, new)
    let mut unparseable_path = None;
    let mut inverted_offsets = Vec::new();
    let mut open_blocks: Vec<Option<OpenBlock>> = Vec::new();
    let bytes = source.as_bytes();
    let mut from = 0;
    while let Some(found) = source[from..].find("{{") {
        let start = from + found;
        if is_escaped(bytes, start) {
            from = start + 2;
            continue;
        }
        if source[start..].starts_with("{{{{") {
            from = skip_raw_block(source, start);
            continue;
        }
        let Some(end) = find_tag_end(source, start + 2) else { break };
        from = end + 2;
        drop_tildes_next_to_tags(source, start, end, &mut edits);
        let moved_indent = move_whitespace_a_tilde_strips(source, start, end, &mut edits);
        // The tag's inside, without `~` marks.
        let mut inner_start = start + 2;
        if bytes.get(inner_start) == Some(&b'~') {
            inner_start += 1;
        }
        let mut inner_end = end;
        if inner_end > inner_start && bytes[inner_end - 1] == b'~' {
            inner_end -= 1;
        }
        let inner = &source[inner_start..inner_end];
        if unparseable_path.is_none() && !inner.starts_with('!') {
            unparseable_path = path_ending_in_number(inner).map(|(at, path)| (inner_start + at, path.to_owned()));
        }
        match inner.as_bytes().first() {
            Some(b'!') => {
                // A comment: `{{!-- --}}` may contain `}}`.
                if source[inner_start..].starts_with("!--") {
                    let body = inner_start + 3;
                    let close =
                        ["--}}", "--~}}"].iter().filter_map(|c| source[body..].find(c).map(|i| body + i + c.len()));
                    from = close.min().unwrap_or(source.len());
                }
            }
            Some(b'#') if inner[1..].starts_with(['>', '*']) => {
                open_blocks.push(None);
                let name_end = token_end(inner, 2);
                encode_dot_paths(inner_start, inner, name_end, &mut edits);
            }
            Some(b'#' | b'^') => {
                let rest = inner[1..].trim_start();
                if inner.starts_with('^') {
                    if rest.is_empty() {
                        continue; // `{{^}}` is `{{else}}`
                    }
                    edits.push((inner_start, '^', '#'));
                    inverted_offsets.push(start - moved_indent);
                }
                let name_start = inner.len() - rest.len();
                let name_end = token_end(inner, name_start);
                let encoded = encode_block_name(inner_start + name_start, &inner[name_start..name_end], &mut edits);
                open_blocks.push(Some(OpenBlock { name: inner[name_start..name_end].to_owned(), encoded }));
                encode_dot_paths(inner_start, inner, name_end, &mut edits);
            }
            Some(b'/') => {
                let rest = inner[1..].trim_start();
                let name_start = inner.len() - rest.len();
                let name = rest.trim_end();
                if let Some(Some(open)) = open_blocks.pop()
                    && open.encoded
                    && open.name == name
                {
                    encode_block_name(inner_start + name_start, name, &mut edits);
                }
            }
            Some(b'>') => {
                let rest = inner[1..].trim_start();
                let name_end = token_end(inner, inner.len() - rest.len());
                encode_dot_paths(inner_start, inner, name_end, &mut edits);
            }
            Some(b'{' | b'&') => encode_dot_paths(inner_start, inner, 1, &mut edits),
            _ => encode_dot_paths(inner_start, inner, 0, &mut edits),
        }
    }
    if edits.is_empty() {
        return Rewritten { text: Cow::Borrowed(source), inverted_sections: Vec::new(), unparseable_path };
    }
    let text = apply_edits(source, &mut edits);
    // Every edit replaces one character with one, so a tag's `{{` keeps its
    // character index; its line and column are the rewritten text's (where
    // whitespace moved inside a tag, a line's later tags shift).
    let inverted_sections = inverted_offsets
        .into_iter()
        .map(|offset| {
            let index = source[..offset].chars().count();
            line_column(&text, text.char_indices().nth(index).map_or(text.len(), |(i, _)| i))
        })
        .collect();
    Rewritten { text: Cow::Owned(text), inverted_sections, unparseable_path }
}

/// The first path in a tag's inside whose last part is a number
/// (`items.0`), which handlebars.js's lexer reads as a number token and
/// rejects; `items.[0]` and `items.0.name` are fine.
fn path_ending_in_number(inner: &str) -> Option<(usize, &str)> {
    let is_number = |token: &str| token.parse::<f64>().is_ok();
    let mut quote = None;
    let mut start = None;
    for (i, c) in inner.char_indices().chain([(inner.len(), ' ')]) {
        let separator = c.is_whitespace() || matches!(c, '(' | ')' | '=' | '}' | '~' | '#' | '^' | '>' | '&' | '{');
        match quote {
            Some(q) if c == q => quote = None,
            None if c == '"' || c == '\'' => quote = Some(c),
            None if separator => {
                if let Some(token_start) = start.take() {
                    let token: &str = &inner[token_start..i];
                    let last = token.rsplit(['.', '/']).next().unwrap_or_default();
                    if token.contains(['.', '/'])
                        && !is_number(token)
                        && !last.is_empty()
                        && last.bytes().all(|b| b.is_ascii_digit())
                    {
                        return Some((token_start, token));
                    }
                }
            }
            None if start.is_none() && c != '/' => start = Some(i),
            _ => {}
        }
    }
    None
}

/// handlebars.js's `~` strips the text right next to its tag, and nothing
/// when another tag is there; handlebars-rust strips the last text before
/// the tag (or the next text after it, past comments). Where a tag is
/// adjacent, the `~` changes nothing in handlebars.js, so it is dropped.
fn drop_tildes_next_to_tags(source: &str, start: usize, end: usize, edits: &mut Vec<(usize, char, char)>) {
    let bytes = source.as_bytes();
    if source[start..].starts_with("{{~") && !source[start + 3..].starts_with('!') && bytes[..start].ends_with(b"}") {
        edits.push((start + 2, '~', ' '));
    }
    if end > start + 2 && bytes[end - 1] == b'~' && source[end + 2..].starts_with("{{") {
        edits.push((end - 1, '~', ' '));
    }
}

/// The source with each `(byte offset, old, new)` character replaced.
fn apply_edits(source: &str, edits: &mut [(usize, char, char)]) -> String {
    edits.sort_by_key(|&(offset, ..)| offset);
    let mut text = String::with_capacity(source.len() + edits.len() * 2);
    let mut copied = 0;
    for &(offset, old, new) in edits.iter() {
        // One character edited twice (`{{~}}`: its `~` is next to both
        // tags) is edited once.
        if offset < copied {
            continue;
        }
        text.push_str(&source[copied..offset]);
        text.push(new);
        copied = offset + old.len_utf8();
    }
    text.push_str(&source[copied..]);
    text
}

/// Whether a tag's inside (after `{{` and `~`) prints a value (`x`,
/// `{x}`, `&x`, `helper x`) rather than opening, closing or splitting a
/// block, including a partial or a comment.
fn is_value_tag(inner: &str) -> bool {
    let is_else = inner
        .trim_start()
        .strip_prefix("else")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(|c: char| c.is_whitespace() || c == '~' || c == '}'));
    !is_else && !inner.starts_with(['#', '/', '^', '>', '!', '*'])
}

/// handlebars-rust marks the line after a standalone tag for trimming and
/// clears the mark when it meets text. When the tag ends with `~}}` and only
/// whitespace (over a line break) comes before a value tag (`{{#if x~}}`
/// then `{{name}}` on the next line), it meets no text there, and trims the
/// text after the value instead (`{{name}}  is here` loses its spaces).
///
/// handlebars.js removes that whitespace (the `~`) and, the tag being
/// standalone, the indentation before it. Both are moved inside the
/// neighbouring tags, where they print nothing: `  {{#if x~}}\n{{name}}`
/// becomes `{{  #if x }}{{\nname}}`. Lines keep their numbers; the tags
/// after the moved `{{` on its line shift two columns left.
/// Returns how far the tag's `{{` moved back.
fn move_whitespace_a_tilde_strips(
    source: &str,
    start: usize,
    end: usize,
    edits: &mut Vec<(usize, char, char)>,
) -> usize {
    let bytes = source.as_bytes();
    let inner = source[start + 2..end].trim_start_matches('~');
    if bytes[end - 1] != b'~' || is_value_tag(inner) || inner.starts_with('>') {
        return 0;
    }
    let after = end + 2;
    let whitespace_len = source[after..].bytes().take_while(u8::is_ascii_whitespace).count();
    let whitespace = &source[after..after + whitespace_len];
    let next = after + whitespace_len;
    // A comment, like a value, is no standalone tag to handlebars-rust when
    // it follows; its opening (`{{!` or `{{!--`) must stay whole.
    let next_open = if source[next..].starts_with("{{!--") {
        "{{!--"
    } else if source[next..].starts_with("{{!") {
        "{{!"
    } else if source[next..].starts_with("{{")
        && !source[next..].starts_with("{{{{")
        && is_value_tag(source[next + 2..].trim_start_matches('~'))
    {
        "{{"
    } else {
        return 0;
    };
    if !whitespace.contains('\n') {
        return 0;
    }
    edits.push((end - 1, '~', ' '));
    move_before_open(source, after, whitespace_len, next_open, edits);
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let indent = &source[line_start..start];
    if indent.is_empty() || !indent.bytes().all(|b| b == b' ' || b == b'\t') || source[start..].starts_with("{{~") {
        return 0;
    }
    move_before_open(source, line_start, indent.len(), "{{", edits);
    indent.len()
}

/// Swaps the `len` bytes of ASCII whitespace at `at` with the tag opening
/// `open` (`{{`, `{{!`) after them.
fn move_before_open(source: &str, at: usize, len: usize, open: &str, edits: &mut Vec<(usize, char, char)>) {
    let moved = format!("{open}{}", &source[at..at + len]);
    for (i, (old, new)) in source[at..at + len + open.len()].chars().zip(moved.chars()).enumerate() {
        if old != new {
            edits.push((at + i, old, new));
        }
    }
}

/// Whether the `{{` at `at` is escaped by an odd number of backslashes.
fn is_escaped(bytes: &[u8], at: usize) -> bool {
    bytes[..at].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1
}

/// Where the `}}` closing a tag whose inside starts at `from` is, skipping
/// string literals.
pub(crate) fn find_tag_end(source: &str, from: usize) -> Option<usize> {
    let bytes = source.as_bytes();
    let mut i = from;
    let mut quote = None;
    while i + 1 < bytes.len() {
        match (quote, bytes[i]) {
            (Some(q), b) if b == q => quote = None,
            (Some(_), b'\\') => i += 1,
            (None, b'"' | b'\'') => quote = Some(bytes[i]),
            (None, b'}') if bytes[i + 1] == b'}' => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Past a raw block `{{{{name}}}}...{{{{/name}}}}`, whose body is text.
fn skip_raw_block(source: &str, start: usize) -> usize {
    let Some(open_end) = source[start..].find("}}}}").map(|i| start + i + 4) else { return source.len() };
    let name = source[start + 4..open_end - 4].trim().trim_matches('~').trim();
    if name.starts_with('/') {
        return open_end;
    }
    let name = name.split_whitespace().next().unwrap_or_default();
    let mut from = open_end;
    while let Some(found) = source[from..].find("{{{{") {
        let at = from + found;
        let Some(end) = source[at..].find("}}}}").map(|i| at + i + 4) else { break };
        let inner = source[at + 4..end - 4].trim().trim_matches('~').trim();
        if inner.strip_prefix('/').is_some_and(|closing| closing.trim() == name) {
            return end;
        }
        from = at + 4;
    }
    source.len()
}

/// The end of the whitespace-delimited token of `inner` starting at `start`.
fn token_end(inner: &str, start: usize) -> usize {
    inner[start..].find(|c: char| c.is_whitespace() || c == '(' || c == ')').map_or(inner.len(), |i| start + i)
}

/// Encodes a block name that handlebars-rust would not parse as a helper
/// name (it takes identifiers only); returns whether it did.
fn encode_block_name(offset: usize, name: &str, edits: &mut Vec<(usize, char, char)>) -> bool {
    let plain = |c: char| !ENCODED.iter().any(|&(p, _)| p == c);
    if name.chars().all(plain) || name.contains(char::is_whitespace) {
        return false;
    }
    for (i, c) in name.char_indices() {
        if !plain(c) {
            edits.push((offset + i, c, encode_char(c)));
        }
    }
    true
}

/// Encodes every `.` that stands alone as a path (`this`) in `inner` after
/// byte `from`, outside string literals.
fn encode_dot_paths(inner_offset: usize, inner: &str, from: usize, edits: &mut Vec<(usize, char, char)>) {
    let bytes = inner.as_bytes();
    let mut quote = None;
    for i in from..bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) if b == q => quote = None,
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'.' => {
                let before = if i == from { None } else { Some(bytes[i - 1]) };
                let after = bytes.get(i + 1).copied();
                let starts = before.is_none_or(|c| c.is_ascii_whitespace() || c == b'(' || c == b'=');
                let ends = after.is_none_or(|c| c.is_ascii_whitespace() || c == b')');
                if starts && ends {
                    edits.push((inner_offset + i, '.', encode_char('.')));
                }
            }
            _ => {}
        }
    }
}

/// 1-based line and column (in characters) of a byte offset, as pest counts.
pub(crate) fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// handlebars-rust cannot parse `~` on comments (`{{~! note ~}}`), which
/// handlebars.js accepts. Such comments are removed here, applying what
/// handlebars.js would: a comment alone on its line takes the line with it
/// (judged on the original text, as handlebars.js does), and each `~` side
/// also removes all whitespace next to it.
pub(crate) fn apply_comment_whitespace_control(source: &str) -> Cow<'_, str> {
    if !source.contains("{{~!") && !source.contains("~}}") {
        return Cow::Borrowed(source);
    }
    let mut out = String::with_capacity(source.len());
    let mut copied_up_to = 0;
    let mut search_from = 0;
    while let Some(found) = source[search_from..].find("{{") {
        let start = search_from + found;
        let strip_left = source[start..].starts_with("{{~");
        let body_start = start + if strip_left { 3 } else { 2 };
        if !source[body_start..].starts_with('!') {
            search_from = start + 2;
            continue;
        }
        let closing = if source[body_start..].starts_with("!--") { "--" } else { "" };
        let Some((tag_len, strip_right)) = find_comment_end(&source[body_start..], closing) else { break };
        let end = body_start + tag_len;
        if !strip_left && !strip_right {
            search_from = end;
            continue;
        }
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1).max(copied_up_to);
        let line_end = source[end..].find('\n').map_or(source.len(), |i| end + i + 1);
        let standalone = source[line_start..start].trim().is_empty() && source[end..line_end].trim().is_empty();
        let (before_end, resume_at) = if standalone { (line_start, line_end) } else { (start, end) };
        let before = &source[copied_up_to..before_end];
        out.push_str(if strip_left { before.trim_end() } else { before });
        copied_up_to = resume_at;
        if strip_right {
            let rest = &source[copied_up_to..];
            copied_up_to += rest.len() - rest.trim_start().len();
        }
        search_from = copied_up_to;
    }
    out.push_str(&source[copied_up_to..]);
    Cow::Owned(out)
}

/// Finds where a comment body (starting at its `!`) ends: the length through
/// its `}}`, and whether it ends with `~}}`. `closing` is `--` for `{{!-- --}}`.
fn find_comment_end(body: &str, closing: &str) -> Option<(usize, bool)> {
    let mut search_from = 0;
    loop {
        let close = search_from + body[search_from..].find("}}")?;
        let strip_right = body[..close].ends_with('~');
        let text_end = if strip_right { close - 1 } else { close };
        // `{{!--}}` must not count its own `--` as the closing one.
        if text_end > closing.len() && body[..text_end].ends_with(closing) {
            return Some((close + 2, strip_right));
        }
        search_from = close + 2;
    }
}

#[cfg(test)]
mod tests {
    use super::{decode_name, rewrite_for_parser};

    fn rewritten(source: &str) -> (String, Vec<(usize, usize)>) {
        let result = rewrite_for_parser(source);
        (decode_name(&result.text).into_owned(), result.inverted_sections)
    }

    #[test]
    fn inverted_sections_open_as_blocks_and_are_remembered() {
        let (text, inverted) = rewritten("a\n {{^list}}none{{/list}} {{#x}}{{^}}y{{/x}} {{~^ a.b ~}}{{/a.b}}");
        // (A `~` right before another tag strips nothing, and is dropped.)
        assert_eq!(text, "a\n {{#list}}none{{/list}} {{#x}}{{^}}y{{/x}} {{~# a.b  }}{{/a.b}}");
        assert_eq!(inverted, vec![(2, 2), (2, 44)]);
    }

    #[test]
    fn dots_and_block_paths_are_encoded_in_place() {
        let source = "{{.}} {{#each .}}{{this}}{{/each}} {{#a.b}}{{./c}}{{/a.b}} {{#../x}}{{/../x}} {{f . \"a . b\"}}";
        let result = rewrite_for_parser(source);
        assert_eq!(result.text.chars().count(), source.chars().count());
        assert!(!result.text.contains("{{.}}") && !result.text.contains("{{#a.b}}"));
        assert!(result.text.contains("{{./c}}") && result.text.contains("\"a . b\""));
        assert_eq!(decode_name(&result.text), source);
    }

    #[test]
    fn paths_ending_in_a_number_are_found() {
        let found = |source: &str| rewrite_for_parser(source).unparseable_path;
        assert_eq!(found("a {{items.0}}"), Some((4, "items.0".to_owned())));
        assert_eq!(found("{{lookup people.1 'name'}}"), Some((9, "people.1".to_owned())));
        assert_eq!(found("{{#each ../list.2}}{{/each}}"), Some((8, "../list.2".to_owned())));
        for fine in ["{{items.[0]}}", "{{items.0.name}}", "{{1.5}}", "{{f 2 \"a.1\"}}", "{{! a.1 }}", "{{#a}}{{/a}}"] {
            assert_eq!(found(fine), None, "{fine}");
        }
    }

    #[test]
    fn inverted_sections_are_found_after_moved_whitespace() {
        let source = "{{#if a~}}\n{{b}}{{^c}}x{{/c}}{{/if}}";
        let result = rewrite_for_parser(source);
        let template = handlebars::Template::compile(&result.text).unwrap();
        let handlebars::template::TemplateElement::HelperBlock(block) = &template.elements[0] else { panic!() };
        let inner = block.template.as_ref().unwrap();
        let position = inner.mapping[1].clone();
        assert_eq!(result.inverted_sections, vec![(position.0, position.1)]);
    }

    #[test]
    fn whitespace_a_tilde_strips_before_a_value_moves_into_the_tags() {
        let (text, inverted) = rewritten("a\n  {{#if x~}}\n\t{{name}}  is\n  {{^y~}}\n{{~z}}{{/y}}{{/if}}");
        assert_eq!(text, "a\n{{  #if x }}{{\n\tname}}  is\n{{  #y }}{{\n~z}}{{/y}}{{/if}}");
        assert_eq!(inverted, vec![(4, 1)]);
        for unchanged in
            ["{{#if x~}} {{name}}", "{{#if x~}}\n{{#each y}}{{/each}}{{/if}}", "  {{> p~}}\n{{x}}", "{{x~}}\n{{y}}"]
        {
            assert_eq!(rewritten(unchanged).0, unchanged);
        }
    }

    #[test]
    fn text_comments_and_raw_blocks_are_left_alone() {
        for source in [
            "plain . text",
            "\\{{.}} {{! {{.}} }} {{!-- {{^x}} }} --}}",
            "{{{{raw}}}} {{.}} {{^x}} {{{{/raw}}}}",
            "{{#> layout}}{{/layout}} {{#*inline \"a.b\"}}{{/inline}}",
        ] {
            let result = rewrite_for_parser(source);
            assert_eq!(result.text, source);
            assert!(result.inverted_sections.is_empty());
        }
    }
}
