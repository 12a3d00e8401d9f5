use super::{Finding, Severity, lint_markdown};

/// (rule, line, column) of every finding, which is what most tests care about.
fn found(text: &str) -> Vec<(&'static str, usize, usize)> {
    lint_markdown(text).into_iter().map(|f| (f.rule, f.line, f.column)).collect()
}

fn only(text: &str) -> Finding {
    let findings = lint_markdown(text);
    assert_eq!(findings.len(), 1, "expected exactly one finding, got {findings:#?}");
    findings.into_iter().next().expect("length checked above")
}

// ---------------------------------------------------------------- general

#[test]
fn empty_document_has_no_findings() {
    assert_eq!(found(""), []);
}

#[test]
fn whitespace_only_documents_below_the_blank_run_have_no_findings() {
    assert_eq!(found("\n"), []);
    assert_eq!(found("   "), []);
    assert_eq!(found("\r\n\r\n"), []);
}

#[test]
fn clean_document_has_no_findings() {
    let text = "# Title\n\nSome *text* with `code` and a [link](https://example.com).\n\n\
                - [ ] task\n- [x] done ~~struck~~\n\n> quote\n";
    assert_eq!(found(text), []);
}

#[test]
fn findings_are_sorted_by_line_then_column() {
    let text = "a {{ x }} and {% y %}\n\n\n\n\n| a | b |\n|---|---|\n| 1 |\n\n```\nopen";
    assert_eq!(
        found(text),
        [
            ("leftover-template-delimiter", 1, 3),
            ("leftover-template-delimiter", 1, 15),
            ("consecutive-blank-lines", 2, 1),
            ("table-cell-count", 8, 1),
            ("unclosed-code-fence", 10, 1),
        ]
    );
}

#[test]
fn realistic_prompt_has_no_findings() {
    let text = "\
# Title

| Field | Type | Required | Notes |
|-------|------|:--------:|-------|
| `name` | string | yes | Shown to the user.<br>Keep it short. |
| `tags` | list | no | One per line:<br>- a<br>- b |
| `body` | text | yes | Markdown allowed.<br>No HTML. |

Answer in this format:

```markdown
## Summary

    | Col A | Col B | Col C |
    |-------|-------|-------|
    | 1 | 2 |
    | 1 | 2 | 3 | 4 |
```
";
    assert_eq!(lint_markdown(text), []);
}

// ---------------------------------------------------- unclosed-code-fence

#[test]
fn unclosed_backtick_fence_is_an_error_at_the_opening_fence() {
    let f = only("Intro\n\n```rust\nfn main() {}\n");
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(f.rule, "unclosed-code-fence");
    assert_eq!((f.line, f.column), (3, 1));
    assert!(f.message.contains("```"), "{}", f.message);
    assert!(f.hint.contains("closing"), "{}", f.hint);
}

#[test]
fn unclosed_tilde_fence_is_an_error() {
    let f = only("~~~~\ncode\n");
    assert_eq!((f.rule, f.line, f.column), ("unclosed-code-fence", 1, 1));
    assert!(f.message.contains("~~~~"), "{}", f.message);
}

#[test]
fn closed_fences_are_fine() {
    assert_eq!(found("```\ncode\n```\n"), []);
    assert_eq!(found("```\ncode\n```"), []);
    assert_eq!(found("~~~python\ncode\n~~~\n"), []);
    assert_eq!(found("```\n```\n"), []);
    assert_eq!(found("```\ncode\n```   \n"), []);
    assert_eq!(found("```\ncode\n   ```\n"), []);
}

#[test]
fn a_longer_closing_fence_closes() {
    assert_eq!(found("```\ncode\n`````\n"), []);
    assert_eq!(found("~~~\ncode\n~~~~~~\n"), []);
}

#[test]
fn a_shorter_or_different_closing_fence_does_not_close() {
    assert_eq!(found("````\ncode\n```\n"), [("unclosed-code-fence", 1, 1)]);
    assert_eq!(found("~~~\ncode\n```\n"), [("unclosed-code-fence", 1, 1)]);
    assert_eq!(found("```\ncode\n~~~\n"), [("unclosed-code-fence", 1, 1)]);
}

#[test]
fn nested_fence_inside_a_longer_fence_is_fine() {
    let text = "````markdown\nExample:\n\n```python\nprint('{{ x }}')\n```\n````\n";
    assert_eq!(found(text), []);
}

#[test]
fn nested_fence_with_outer_fence_left_open_is_reported_once() {
    let text = "````markdown\n```python\nprint(1)\n```\n";
    assert_eq!(found(text), [("unclosed-code-fence", 1, 1)]);
}

#[test]
fn tilde_fence_containing_backticks_is_fine() {
    assert_eq!(found("~~~\n```\nnot a fence here\n```\n~~~\n"), []);
}

#[test]
fn empty_unclosed_fence_at_end_of_document() {
    assert_eq!(found("text\n\n```"), [("unclosed-code-fence", 3, 1)]);
    assert_eq!(found("```\n"), [("unclosed-code-fence", 1, 1)]);
}

#[test]
fn fence_like_line_indented_four_spaces_is_content_not_a_closing_fence() {
    // Relative to an opening fence indented by 3, a closing fence indented by 6
    // is code, so the block is still open.
    assert_eq!(found("   ```\ncode\n      ```\n"), [("unclosed-code-fence", 1, 4)]);
}

#[test]
fn fence_content_that_ends_in_backticks_is_not_a_closing_fence() {
    assert_eq!(found("```\nlet s = ```\n"), [("unclosed-code-fence", 1, 1)]);
}

#[test]
fn fences_in_containers() {
    assert_eq!(found("> ```\n> code\n> ```\n"), []);
    assert_eq!(found("- item\n\n  ```\n  code\n  ```\n"), []);
    assert_eq!(found("- ```\n  code\n  ```\n"), []);
    // The quote ends the block, but the author never closed the fence.
    assert_eq!(found("> ```\n> code\n\nafter\n"), [("unclosed-code-fence", 1, 3)]);
}

#[test]
fn unclosed_fence_position_with_crlf_and_indentation() {
    assert_eq!(found("a\r\nb\r\n\r\n  ```\r\ncode\r\n"), [("unclosed-code-fence", 4, 3)]);
}

#[test]
fn closed_fence_with_crlf_is_fine() {
    assert_eq!(found("```\r\ncode\r\n```\r\n"), []);
}

#[test]
fn indented_code_block_is_not_a_fence() {
    assert_eq!(found("para\n\n    ```\n    code\n"), []);
}

// ------------------------------------------------------- table-cell-count

#[test]
fn row_with_too_many_cells_is_an_error_at_the_row() {
    let text = "# T\n\n| a | b | c | d |\n|---|---|---|---|\n| 1 | 2 | 3 | 4 |\n| 1 | 2 | 3 | 4 | 5 |\n";
    let f = only(text);
    assert_eq!(f.severity, Severity::Error);
    assert_eq!((f.rule, f.line, f.column), ("table-cell-count", 6, 1));
    assert_eq!(f.message, "table row has 5 cells but the header has 4");
    assert!(f.hint.contains("drops"), "{}", f.hint);
}

#[test]
fn row_with_too_few_cells_is_an_error() {
    let f = only("| a | b | c | d |\n|---|---|---|---|\n| 1 | 2 | 3 |\n");
    assert_eq!((f.rule, f.line, f.column), ("table-cell-count", 3, 1));
    assert_eq!(f.message, "table row has 3 cells but the header has 4");
    assert!(f.hint.contains("pads"), "{}", f.hint);
}

#[test]
fn rows_matching_the_header_are_fine() {
    assert_eq!(found("| a | b |\n|---|---|\n| 1 | 2 |\n| | |\n"), []);
    assert_eq!(found("a | b\n--|--\n1 | 2\n"), []);
    assert_eq!(found("| a | b |\n|:--|--:|\n1 | 2\n| 3 | 4\n"), []);
}

#[test]
fn every_bad_row_is_reported() {
    let text = "| a | b |\n|---|---|\n| 1 |\n| 1 | 2 |\n| 1 | 2 | 3 |\n";
    assert_eq!(found(text), [("table-cell-count", 3, 1), ("table-cell-count", 5, 1)]);
}

#[test]
fn escaped_pipes_are_not_cell_separators() {
    let text = "| expr | meaning |\n|---|---|\n| a \\| b | a or b |\n| `x` | c \\\\| d |\n";
    assert_eq!(found(text), []);
}

#[test]
fn pipes_in_code_spans_are_not_cell_separators() {
    let text = "| cmd | what |\n|---|---|\n| `ls | wc -l` | count |\n| ``a`|`b`` | x |\n";
    assert_eq!(found(text), []);
}

#[test]
fn table_looking_rows_in_code_blocks_are_ignored() {
    let fenced = "```\n| a | b |\n|---|---|\n| 1 | 2 | 3 |\n```\n";
    assert_eq!(found(fenced), []);
    let tilde = "~~~md\n| a | b |\n|---|---|\n| 1 |\n~~~\n";
    assert_eq!(found(tilde), []);
    let indented = "para\n\n    | a | b |\n    |---|---|\n    | 1 | 2 | 3 |\n";
    assert_eq!(found(indented), []);
}

#[test]
fn pipes_without_a_delimiter_row_are_not_a_table() {
    assert_eq!(found("| a | b |\n| 1 | 2 | 3 |\n"), []);
}

#[test]
fn paragraph_line_glued_to_a_table_is_a_row() {
    let f = only("| a | b |\n|---|---|\n| 1 | 2 |\nNext paragraph.\n");
    assert_eq!((f.rule, f.line, f.column), ("table-cell-count", 4, 1));
    assert_eq!(f.message, "table row has 1 cell but the header has 2");
    assert!(f.hint.contains("blank line"), "{}", f.hint);
}

#[test]
fn each_table_is_checked_against_its_own_header() {
    let text = "| a | b |\n|---|---|\n| 1 | 2 |\n\n| a | b | c |\n|---|---|---|\n| 1 | 2 | 3 |\n| 1 | 2 |\n";
    assert_eq!(found(text), [("table-cell-count", 8, 1)]);
}

#[test]
fn table_positions_inside_containers_and_with_crlf() {
    let quoted = "> | a | b |\n> |---|---|\n>   | 1 | 2 | 3 |\n";
    assert_eq!(found(quoted), [("table-cell-count", 3, 5)]);
    let listed = "- item\n\n  | a | b |\n  |---|---|\n  | 1 |\n";
    assert_eq!(found(listed), [("table-cell-count", 5, 3)]);
    let crlf = "| a | b |\r\n|---|---|\r\n| 1 | 2 |\r\n| 1 |\r\n";
    assert_eq!(found(crlf), [("table-cell-count", 4, 1)]);
}

// --------------------------------------------- leftover-template-delimiter

#[test]
fn each_delimiter_kind_is_an_error_at_the_delimiter() {
    let f = only("Hello {{ name }}!\n");
    assert_eq!(f.severity, Severity::Error);
    assert_eq!((f.rule, f.line, f.column), ("leftover-template-delimiter", 1, 7));
    assert!(f.message.contains("`{{`"), "{}", f.message);

    assert_eq!(
        found("x\n{% if a %}y{% endif %}\n"),
        [("leftover-template-delimiter", 2, 1), ("leftover-template-delimiter", 2, 12),]
    );
    assert_eq!(found("{# note #}\n"), [("leftover-template-delimiter", 1, 1)]);
}

#[test]
fn delimiters_in_inline_code_are_fine() {
    assert_eq!(found("Write `{{ name }}` and ``{% raw %}`` literally.\n"), []);
}

#[test]
fn delimiters_in_code_blocks_are_fine() {
    assert_eq!(found("```jinja\n{{ name }}\n{% if x %}{# c #}{% endif %}\n```\n"), []);
    assert_eq!(found("~~~\n{{ name }}\n~~~\n"), []);
    assert_eq!(found("para\n\n    {{ name }}\n"), []);
    // Inside an unclosed fence only the fence itself is reported.
    assert_eq!(found("```\n{{ name }}\n"), [("unclosed-code-fence", 1, 1)]);
}

#[test]
fn delimiters_in_inline_markup_and_tables_are_found() {
    assert_eq!(
        found("*{{ a }}* [{% b %}](u) **x{#c#}**\n"),
        [
            ("leftover-template-delimiter", 1, 2),
            ("leftover-template-delimiter", 1, 12),
            ("leftover-template-delimiter", 1, 27),
        ]
    );
    let table = "| a | b |\n|---|---|\n| {{ x }} | `{{ ok }}` |\n";
    assert_eq!(found(table), [("leftover-template-delimiter", 3, 3)]);
    assert_eq!(found("# {{ title }}\n"), [("leftover-template-delimiter", 1, 3)]);
    assert_eq!(found("![{{ alt }}](img.png)\n"), [("leftover-template-delimiter", 1, 3)]);
}

#[test]
fn delimiter_right_after_an_entity_is_found() {
    // pulldown-cmark emits the entity as its own Text event, so the delimiter
    // starts a second event whose position must still be right.
    assert_eq!(found("a &amp;{{ b }}\n"), [("leftover-template-delimiter", 1, 8)]);
}

#[test]
fn lone_braces_and_closing_delimiters_are_fine() {
    assert_eq!(found("A set {1, 2} and a map {\"a\": 1}; closing }} %} #} alone.\n"), []);
    assert_eq!(found("{ {\n"), []);
}

#[test]
fn deliberately_escaped_braces_are_fine() {
    assert_eq!(found("\\{\\{ name }}\n"), []);
    assert_eq!(found("&#123;&#123; name }}\n"), []);
}

#[test]
fn triple_brace_is_one_finding() {
    assert_eq!(found("{{{ raw }}}\n"), [("leftover-template-delimiter", 1, 1)]);
}

#[test]
fn delimiter_columns_count_characters_not_bytes() {
    assert_eq!(found("héllo 日本 {{ x }}\n"), [("leftover-template-delimiter", 1, 10)]);
}

#[test]
fn delimiter_positions_with_crlf() {
    assert_eq!(
        found("a\r\nb {{ x }}\r\n\r\n{% y %}\r\n"),
        [("leftover-template-delimiter", 2, 3), ("leftover-template-delimiter", 4, 1),]
    );
}

// ------------------------------------------------- consecutive-blank-lines

#[test]
fn three_blank_lines_are_a_warning_at_the_first_one() {
    let f = only("a\n\n\n\nb\n");
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!((f.rule, f.line, f.column), ("consecutive-blank-lines", 2, 1));
    assert_eq!(f.message, "3 consecutive blank lines");
}

#[test]
fn two_blank_lines_are_fine() {
    assert_eq!(found("a\n\n\nb\n"), []);
}

#[test]
fn a_long_run_is_one_finding() {
    let f = only("a\n\n\n\n\n\n\nb\n");
    assert_eq!(f.line, 2);
    assert_eq!(f.message, "6 consecutive blank lines");
}

#[test]
fn whitespace_only_lines_are_blank() {
    assert_eq!(found("a\n  \n\t\n \t \nb\n"), [("consecutive-blank-lines", 2, 1)]);
}

#[test]
fn blank_runs_at_start_and_end_of_document() {
    assert_eq!(found("\n\n\na\n"), [("consecutive-blank-lines", 1, 1)]);
    assert_eq!(found("a\n\n\n\n"), [("consecutive-blank-lines", 2, 1)]);
    assert_eq!(found("a\n\n\n"), []);
    assert_eq!(found("\n\n\n"), [("consecutive-blank-lines", 1, 1)]);
}

#[test]
fn blank_lines_with_crlf() {
    assert_eq!(found("a\r\n\r\n\r\n\r\nb\r\n"), [("consecutive-blank-lines", 2, 1)]);
    assert_eq!(found("a\r\n\r\n\r\nb\r\n"), []);
}

#[test]
fn blank_lines_with_lone_cr_line_endings() {
    assert_eq!(found("a\r\r\r\rb"), [("consecutive-blank-lines", 2, 1)]);
}

#[test]
fn blank_lines_inside_code_blocks_are_content() {
    assert_eq!(found("```\na\n\n\n\nb\n```\n"), []);
    assert_eq!(found("~~~\na\n\n\n\nb\n~~~\n"), []);
    assert_eq!(found("para\n\n    a\n\n\n\n    b\n"), []);
    assert_eq!(found("<pre>\na\n\n\n\nb\n</pre>\n"), []);
}

#[test]
fn blank_lines_right_after_a_code_block_are_counted() {
    assert_eq!(found("```\na\n```\n\n\n\nb\n"), [("consecutive-blank-lines", 4, 1)]);
    assert_eq!(found("para\n\n    a\n\n\n\nb\n"), [("consecutive-blank-lines", 4, 1)]);
}

#[test]
fn odd_inputs_do_not_panic() {
    let inputs = [
        "\r",
        "\r\n",
        "`",
        "```",
        "~~~~~",
        "|",
        "|\n|-|\n|",
        "| a |\n|-|\n| \\",
        "{",
        "{{",
        "{%",
        "é{{",
        "日本\r\n\r\n\r\n",
        "> ```",
        "- ~~~\n-",
        "| `a |\n|---|\n| `` |",
        "\\",
        "\u{feff}{{ x }}",
        "<!-- {{ x }}\n\n\n\n",
        "```\r",
        "a\r\n```\r\n\r\n\r\n\r\n",
    ];
    for input in inputs {
        for finding in lint_markdown(input) {
            assert!(finding.line >= 1 && finding.column >= 1, "{input:?}: {finding:?}");
        }
    }
}
