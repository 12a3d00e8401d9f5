//! Cell counting on the source text of one GFM table row.
//!
//! pulldown-cmark pads short rows with empty cells and drops surplus ones, so
//! its events always show the header's cell count; only the source shows what
//! the author (or the template) actually wrote.

/// Number of cells in one table row line, as written.
///
/// A `|` separates cells unless it is preceded by a backslash (GFM and
/// pulldown-cmark treat even `\\|` as an escaped pipe) or sits inside a code
/// span. The leading and trailing pipes are optional decoration, not
/// separators.
pub(crate) fn count_cells(row: &str) -> usize {
    let row = row.trim();
    let bytes = row.as_bytes();
    let mut separators: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => {
                // Skip the escaped character so that an escaped backtick
                // cannot open a code span and an escaped pipe does not split.
                i += 2;
            }
            b'`' => {
                let run = backtick_run(bytes, i);
                i = match closing_backticks(bytes, i + run, run) {
                    Some(close) => close + run,
                    // An unmatched backtick run is literal text.
                    None => i + run,
                };
            }
            b'|' => {
                // A backslash right before the pipe can only be the end of an
                // escaped backslash (`\\|`) here, and GFM still reads that as
                // an escaped pipe.
                if i == 0 || bytes[i - 1] != b'\\' {
                    separators.push(i);
                }
                i += 1;
            }
            _ => i += 1,
        }
    }

    let leading = separators.first() == Some(&0);
    // A lone `|` is both the first and the last separator; it only counts once.
    let trailing =
        !bytes.is_empty() && separators.last() == Some(&(bytes.len() - 1)) && (separators.len() > 1 || !leading);
    separators.len() + 1 - usize::from(leading) - usize::from(trailing)
}

fn backtick_run(bytes: &[u8], start: usize) -> usize {
    bytes[start..].iter().take_while(|&&b| b == b'`').count()
}

/// Where the backtick run of exactly `len` that closes a code span starts;
/// a code span closes only on a run of the same length, so a longer or shorter run is content.
fn closing_backticks(bytes: &[u8], from: usize, len: usize) -> Option<usize> {
    let mut i = from;
    while i < bytes.len() {
        if bytes[i] == b'`' {
            let run = backtick_run(bytes, i);
            if run == len {
                return Some(i);
            }
            i += run;
        } else {
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::count_cells;

    #[test]
    fn leading_and_trailing_pipes_are_optional() {
        assert_eq!(count_cells("| a | b | c |"), 3);
        assert_eq!(count_cells("a | b | c"), 3);
        assert_eq!(count_cells("| a | b | c"), 3);
        assert_eq!(count_cells("a | b | c |"), 3);
        assert_eq!(count_cells("  | a | b |  "), 2);
    }

    #[test]
    fn empty_cells_count() {
        assert_eq!(count_cells("| | |"), 2);
        assert_eq!(count_cells("|||"), 2);
        assert_eq!(count_cells("| a | |"), 2);
    }

    #[test]
    fn degenerate_rows() {
        assert_eq!(count_cells(""), 1);
        assert_eq!(count_cells("|"), 1);
        assert_eq!(count_cells("no pipes at all"), 1);
    }

    #[test]
    fn escaped_pipes_do_not_split() {
        assert_eq!(count_cells(r"| a \| b | c |"), 2);
        assert_eq!(count_cells(r"| a \\| b | c |"), 2);
        assert_eq!(count_cells(r"| a | b \|"), 2);
    }

    #[test]
    fn pipes_in_code_spans_do_not_split() {
        assert_eq!(count_cells("| `a|b` | c |"), 2);
        assert_eq!(count_cells("| ``a`|`` | c |"), 2);
        assert_eq!(count_cells("| `x` | `y|z` | c |"), 3);
    }

    #[test]
    fn unmatched_or_escaped_backticks_are_literal() {
        assert_eq!(count_cells("| `a | b |"), 2);
        assert_eq!(count_cells(r"| \`a | b` |"), 2);
        assert_eq!(count_cells("| ``a` | b |"), 2);
    }

    #[test]
    fn multibyte_text() {
        assert_eq!(count_cells("| é | 日本 | 🦀 |"), 3);
    }
}
