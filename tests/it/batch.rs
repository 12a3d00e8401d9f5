//! `promptpack render --batch`: order, per-row errors, `--fail-fast`, the text
//! format and streaming, through the real binary.

use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader, Write as _};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use crate::common::TestProject;

const PACK: &str = "threats-next-steps";

fn records(stdout: &str) -> Vec<Value> {
    stdout.lines().map(|line| serde_json::from_str(line).unwrap_or_else(|err| panic!("{err}: {line}"))).collect()
}

/// `count` rows with distinct roles, and a blank line after every 7th row
/// (blank lines are skipped but still count as lines).
fn numbered_rows(count: usize) -> (String, Vec<(u64, String)>) {
    let mut text = String::new();
    let mut expected = Vec::new();
    let mut line = 0;
    for i in 0..count {
        line += 1;
        let role = format!("role-{i}");
        writeln!(text, "{}", serde_json::json!({ "role": role })).unwrap();
        expected.push((line, role));
        if i % 7 == 6 {
            text.push('\n');
            line += 1;
        }
    }
    (text, expected)
}

#[test]
fn many_threads_keep_the_input_order() {
    let project = TestProject::with_repository_packs();
    let (rows, expected) = numbered_rows(2_000);
    project.write("rows.jsonl", rows);
    let out = project.run(&["render", PACK, "--batch", "rows.jsonl", "--jobs", "4"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let records = records(&out.stdout);
    assert_eq!(records.len(), expected.len());
    for (record, (line, role)) in records.iter().zip(&expected) {
        assert_eq!(record["row"], *line, "{record}");
        let text = record["text"].as_str().expect("a rendered text");
        assert!(text.contains(&format!("- Think like a {role}.\n")), "row {line} has another row's text");
    }
    assert!(out.stderr.contains("Rendered 2000 rows of threats-next-steps/threats-next-steps"), "{}", out.stderr);
}

#[test]
fn every_row_renders_exactly_what_a_single_render_prints() {
    let project = TestProject::with_repository_packs();
    project.write("rows.jsonl", "{\"role\": \"SRE\", \"previous_advice\": \"1. Use {{ role }} <as is>.\"}\n");
    let batch = project.run(&["render", PACK, "--batch", "rows.jsonl"]);
    let single =
        project.run(&["render", PACK, "--var", "role=SRE", "--var", "previous_advice=1. Use {{ role }} <as is>."]);
    assert_eq!((batch.code, single.code), (0, 0), "{}{}", batch.stderr, single.stderr);
    assert_eq!(records(&batch.stdout), [serde_json::json!({ "row": 1, "text": single.stdout })]);
}

/// The same through the engine itself: a template the direct renderer does
/// not take (a `default` filter) goes through minijinja, in batches too.
#[test]
fn rows_rendered_by_the_engine_match_a_single_render_too() {
    let project = TestProject::with_repository_packs();
    let template = "packs/threats-next-steps/templates/threats-next-steps.md.j2";
    project.write(
        template,
        project.read(template).replace("Think like a {{ role }}", "Think like a {{ role | default('x') }}"),
    );
    project.write("rows.jsonl", "{\"role\": \"SRE\", \"previous_advice\": \"tabs\\tand \\\"quotes\\\"\"}\n");
    let batch = project.run(&["render", PACK, "--batch", "rows.jsonl", "--jobs", "2"]);
    let single = project.run(&["render", PACK, "--var", "role=SRE", "--var", "previous_advice=tabs\tand \"quotes\""]);
    assert_eq!((batch.code, single.code), (0, 0), "{}{}", batch.stderr, single.stderr);
    assert_eq!(records(&batch.stdout), [serde_json::json!({ "row": 1, "text": single.stdout })]);
}

#[test]
fn rows_lie_over_command_line_variables() {
    let project = TestProject::with_repository_packs();
    project.write("rows.jsonl", "{}\n{\"role\": \"DBA\"}\n");
    let out = project.run(&["render", PACK, "--fixture", "sre", "--batch", "rows.jsonl", "--jobs", "1"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let records = records(&out.stdout);
    assert!(records[0]["text"].as_str().unwrap().contains("Think like a SRE."));
    assert!(records[1]["text"].as_str().unwrap().contains("Think like a DBA."));
}

#[test]
fn failed_rows_are_records_with_their_line_and_the_run_goes_on() {
    let project = TestProject::with_repository_packs();
    project.write(
        "rows.jsonl",
        "{\"role\": \"SRE\"}\n{\"role\": \"SRE\"\n\n{\"previous_advice\": \"x\"}\n{\"role\": 3}\n[\"role\"]\n{\"role\": \"DBA\"}\n",
    );
    for jobs in ["1", "3"] {
        let out = project.run(&["render", PACK, "--batch", "rows.jsonl", "--jobs", jobs]);
        assert_eq!(out.code, 1, "any failed row fails the run");
        let records = records(&out.stdout);
        let rows: Vec<&Value> = records.iter().map(|r| &r["row"]).collect();
        assert_eq!(rows, [1, 2, 4, 5, 6, 7], "blank line 3 is skipped but counted");
        assert!(records[0]["text"].is_string());
        assert!(records[5]["text"].as_str().unwrap().contains("Think like a DBA."));
        for (record, (line, error)) in records[1..5].iter().zip([
            (2, "invalid JSON at column 14: EOF while parsing an object"),
            (4, "missing required variable `role` of pack `threats-next-steps`"),
            (5, "variable `role` must be a string, but got 3"),
            (6, "the row is an array, not an object of variables"),
        ]) {
            assert_eq!(record["line"], line, "{record}");
            assert_eq!(record["row"], line, "{record}");
            assert_eq!(record["error"], error, "{record}");
            assert!(record.get("text").is_none());
            assert!(record["hint"].is_string(), "{record}");
        }
        assert!(!out.stderr.contains("error:"), "failed rows are records, not errors on stderr:\n{}", out.stderr);
        assert!(
            out.stderr.contains("Rendered 6 rows of threats-next-steps/threats-next-steps, 4 failed"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn template_errors_point_at_the_template() {
    let project = TestProject::with_repository_packs();
    let template = "packs/threats-next-steps/templates/threats-next-steps.md.j2";
    project.write(
        template,
        project.read(template).replace("{{ role }}.\n- Talk", "{{ role }}.\n- {{ role.name.first }} Talk"),
    );
    project.write("rows.jsonl", "{\"role\": \"SRE\"}\n{\"role\": {\"name\": {\"first\": \"Ada\"}}}\n");
    let out = project.run(&["render", PACK, "--batch", "rows.jsonl", "--jobs", "1"]);
    assert_eq!(out.code, 1);
    let records = records(&out.stdout);
    let error = records[0]["error"].as_str().expect("row 1 fails");
    assert!(error.contains("threats-next-steps.md.j2:5:"), "{error}");
    assert_eq!(records[1]["error"], "variable `role` must be a string, but got {\"name\":{\"first\":\"Ada\"}}");
}

#[test]
fn fail_fast_stops_at_the_first_failed_row() {
    let project = TestProject::with_repository_packs();
    let mut rows = String::new();
    for i in 1..=2_000 {
        if i == 300 {
            rows.push_str("{\"role\": 5}\n");
        } else {
            writeln!(rows, "{{\"role\": \"r{i}\"}}").unwrap();
        }
    }
    project.write("rows.jsonl", rows);
    for jobs in ["1", "4"] {
        let out = project.run(&["render", PACK, "--batch", "rows.jsonl", "--fail-fast", "--jobs", jobs]);
        assert_eq!(out.code, 1);
        let records = records(&out.stdout);
        assert_eq!(records.len(), 300, "rows 1-299 and the failed row 300, nothing after it");
        assert!(records[..299].iter().all(|r| r["text"].is_string()));
        assert_eq!(records[299]["line"], 300);
        assert!(out.stderr.contains("--fail-fast"), "{}", out.stderr);
    }
}

#[test]
fn text_format_writes_each_text_then_the_separator() {
    let project = TestProject::with_repository_packs();
    project.write("rows.jsonl", "{\"role\": \"SRE\"}\n{}\n{\"role\": \"DBA\"}\n");
    let out =
        project.run(&["render", PACK, "--batch", "rows.jsonl", "--format", "text", "--separator", "\\n<<<END>>>\\n"]);
    assert_eq!(out.code, 1);
    let texts: Vec<&str> = out.stdout.split("\n<<<END>>>\n").collect();
    assert_eq!(texts.len(), 4, "three records, each ended by the separator");
    assert!(texts[0].starts_with("# Rules & Constraints") && texts[0].contains("Think like a SRE."));
    assert_eq!(texts[1], "", "a failed row is an empty record, so records stay aligned with rows");
    assert!(texts[2].contains("Think like a DBA.") && texts[2].ends_with("```"));
    assert_eq!(texts[3], "");
    assert!(out.stderr.contains("row 2: missing required variable `role`"), "{}", out.stderr);

    let out = project.run(&["render", PACK, "--batch", "rows.jsonl", "--format", "text", "--fail-fast"]);
    assert_eq!(out.stdout.matches('\0').count(), 2, "NUL-separated by default; stops after row 2");
}

#[test]
fn output_file_is_written_whole() {
    let project = TestProject::with_repository_packs();
    project.write("rows.jsonl", "{\"role\": \"SRE\"}\n{\"role\": \"DBA\"}\n");
    let out = project.run(&["render", PACK, "--batch", "rows.jsonl", "-o", "out/prompts.jsonl"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert_eq!(records(&project.read("out/prompts.jsonl")).len(), 2);
    let leftovers = std::fs::read_dir(project.path().join("out")).unwrap().count();
    assert_eq!(leftovers, 1, "no temporary file is left behind");
}

/// `render -o` and `render --batch -o` treat a link at the destination alike:
/// the file it points to is replaced and the link stays.
#[cfg(unix)]
#[test]
fn output_through_a_link_replaces_its_target_for_single_and_batch_renders() {
    let project = TestProject::with_repository_packs();
    project.write("rows.jsonl", "{\"role\": \"SRE\"}\n");
    project.write("real/out.txt", "old");
    std::os::unix::fs::symlink(project.path().join("real/out.txt"), project.path().join("link.txt")).unwrap();
    for args in [
        &["render", PACK, "--var", "role=SRE", "-o", "link.txt"][..],
        &["render", PACK, "--batch", "rows.jsonl", "-o", "link.txt"],
    ] {
        let out = project.run(args);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        let link = std::fs::symlink_metadata(project.path().join("link.txt")).unwrap();
        assert!(link.file_type().is_symlink(), "{args:?} kept the link");
        assert!(project.read("real/out.txt").contains("SRE"), "{args:?} wrote the target");
    }
}

#[test]
fn batch_flags_need_batch_and_a_readable_file() {
    let project = TestProject::with_repository_packs();
    let out = project.run(&["render", PACK, "--var", "role=SRE", "--jobs", "2"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let out = project.run(&["render", PACK, "--batch", "missing.jsonl"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("cannot read batch file `missing.jsonl`: file not found"), "{}", out.stderr);
    let out = project.run(&["render", PACK, "--batch", "-", "--format", "text", "--separator", "\\q"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("unknown escape `\\q`"), "{}", out.stderr);
}

/// A row piped in comes out before stdin is closed: the rows are streamed,
/// not read whole first. No timing is asserted; the watchdog only turns a
/// hang into a failure.
#[test]
fn rows_from_stdin_stream_through() {
    for jobs in ["1", "2"] {
        let project = TestProject::with_repository_packs();
        let mut child = project
            .command(&["render", PACK, "--batch", "-", "--jobs", jobs])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start promptpack");
        let mut stdin = child.stdin.take().expect("stdin");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));

        let (done_tx, done_rx) = mpsc::channel::<()>();
        let pid = child.id();
        let watchdog = std::thread::spawn(move || {
            if done_rx.recv_timeout(Duration::from_secs(60)).is_err() {
                // Unblocks the reads below, so the test fails instead of hanging.
                let _ = std::process::Command::new("kill").arg(pid.to_string()).status();
            }
        });

        let mut line = String::new();
        for (i, role) in ["first", "second"].into_iter().enumerate() {
            writeln!(stdin, "{{\"role\": \"{role}\"}}").expect("write a row");
            stdin.flush().expect("flush the row");
            line.clear();
            stdout.read_line(&mut line).expect("read a record");
            let record: Value = serde_json::from_str(&line)
                .unwrap_or_else(|_| panic!("no record for row {} while stdin is open", i + 1));
            assert_eq!(record["row"], i + 1);
            assert!(record["text"].as_str().unwrap().contains(&format!("Think like a {role}.")));
        }
        drop(stdin);
        line.clear();
        assert_eq!(stdout.read_line(&mut line).expect("read the end"), 0, "nothing more: {line}");
        let status = child.wait().expect("wait");
        let _ = done_tx.send(());
        watchdog.join().unwrap();
        assert!(status.success());
    }
}
