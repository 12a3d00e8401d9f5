//! Differential tests: promptpack must render every case under
//! `tests/differential/cases` to exactly the bytes that Jinja2 3.1 and
//! handlebars.js 4.7 produce. `expected.out` files are produced by
//! `tests/differential/generate.sh`; they are checked in so this test needs
//! neither Python nor Node, and the live test re-asks the engines when they
//! are installed to catch stale expectations.
//!
//! A case may hold `options.json`, the pack's `[render]` settings in JSON
//! (`{"undefined": "lenient", "jinja": {"trim_blocks": true, "environment":
//! "transformers"}}`), which the reference scripts apply too, and
//! `"expect_error": true` for a case promptpack must refuse (an undefined
//! value printed under `semi-strict`, say) where the lenient reference prints.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use promptpack_render::{
    Engine, JinjaEnvironment, JinjaOptions, RenderError, RenderOptions, Renderer, UndefinedPolicy, Vars,
};
use similar::TextDiff;
use walkdir::WalkDir;

const JINJA_TEMPLATE: &str = "template.j2";
const HANDLEBARS_TEMPLATE: &str = "template.hbs";
const REQUIRE_REFERENCE_VAR: &str = "PROMPTPACK_REQUIRE_REFERENCE";

struct Case {
    name: String,
    dir: PathBuf,
    engine: Engine,
    template: &'static str,
    options: RenderOptions,
    expect_error: bool,
}

impl Case {
    fn reference_name(&self) -> &'static str {
        match self.engine {
            Engine::Jinja => "Jinja2",
            Engine::Handlebars => "handlebars.js",
        }
    }
}

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn differential_dir() -> PathBuf {
    repo_root().join("tests").join("differential")
}

fn load_cases() -> Vec<Case> {
    let root = differential_dir().join("cases");
    let entries = fs::read_dir(&root).unwrap_or_else(|err| panic!("cannot list {}: {err}", root.display()));
    let mut cases = Vec::new();
    for entry in entries {
        let dir = entry.unwrap_or_else(|err| panic!("cannot list {}: {err}", root.display())).path();
        if !dir.is_dir() {
            continue;
        }
        let name = dir.file_name().expect("a listed entry has a name").to_string_lossy().into_owned();
        let (engine, template) = match (dir.join(JINJA_TEMPLATE).is_file(), dir.join(HANDLEBARS_TEMPLATE).is_file()) {
            (true, false) => (Engine::Jinja, JINJA_TEMPLATE),
            (false, true) => (Engine::Handlebars, HANDLEBARS_TEMPLATE),
            _ => panic!("case `{name}` must contain exactly one of {JINJA_TEMPLATE} or {HANDLEBARS_TEMPLATE}"),
        };
        let (options, expect_error) = read_options(&dir).unwrap_or_else(|err| panic!("case `{name}`: {err}"));
        cases.push(Case { name, dir, engine, template, options, expect_error });
    }
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(!cases.is_empty(), "no differential cases under {}", root.display());
    cases
}

/// A case's `options.json`: render options and whether promptpack must fail.
fn read_options(dir: &Path) -> Result<(RenderOptions, bool), String> {
    let path = dir.join("options.json");
    if !path.is_file() {
        return Ok((RenderOptions::default(), false));
    }
    let json: serde_json::Value =
        serde_json::from_str(&read_text(&path)?).map_err(|err| format!("{} is not JSON: {err}", path.display()))?;
    let text = |value: Option<&serde_json::Value>| value.and_then(serde_json::Value::as_str).map(str::to_owned);
    let undefined = match text(json.get("undefined")).as_deref() {
        None | Some("semi-strict") => UndefinedPolicy::SemiStrict,
        Some("strict") => UndefinedPolicy::Strict,
        Some("lenient") => UndefinedPolicy::Lenient,
        Some(other) => return Err(format!("unknown undefined policy `{other}`")),
    };
    let jinja_json = json.get("jinja");
    let environment = match text(jinja_json.and_then(|j| j.get("environment"))).as_deref() {
        None | Some("plain") => JinjaEnvironment::Plain,
        Some("transformers") => JinjaEnvironment::Transformers,
        Some(other) => return Err(format!("unknown Jinja environment `{other}`")),
    };
    let mut jinja = JinjaOptions::preset(environment);
    let flag = |key: &str, default: bool| {
        jinja_json.and_then(|j| j.get(key)).and_then(serde_json::Value::as_bool).unwrap_or(default)
    };
    jinja.trim_blocks = flag("trim_blocks", jinja.trim_blocks);
    jinja.lstrip_blocks = flag("lstrip_blocks", jinja.lstrip_blocks);
    jinja.keep_trailing_newline = flag("keep_trailing_newline", jinja.keep_trailing_newline);
    let expect_error = json.get("expect_error").and_then(serde_json::Value::as_bool).unwrap_or(false);
    Ok((RenderOptions { undefined, jinja, ..RenderOptions::default() }, expect_error))
}

/// Raw bytes to `String` with no newline translation: CRLF cases exist to
/// check the renderer's handling, which a conversion here would hide.
fn read_text(path: &Path) -> Result<String, String> {
    let bytes = fs::read(path).map_err(|err| format!("cannot read {}: {err}", path.display()))?;
    String::from_utf8(bytes).map_err(|err| format!("{} is not UTF-8: {err}", path.display()))
}

/// The name a partial is referenced by, mirroring the reference scripts:
/// Jinja includes by path relative to the case folder, Handlebars by the path
/// under `partials/` without `.hbs` (`partials/base/rules.hbs` is `base/rules`).
fn partial_name(case: &Case, path: &Path) -> Option<String> {
    match case.engine {
        Engine::Jinja => {
            if path.extension()? != "j2" {
                return None;
            }
            let relative = path.strip_prefix(&case.dir).ok()?;
            let parts: Vec<_> = relative.components().map(|c| c.as_os_str().to_string_lossy()).collect();
            Some(parts.join("/"))
        }
        Engine::Handlebars => {
            if path.extension()? != "hbs" {
                return None;
            }
            let relative = path.with_extension("");
            let relative = relative.strip_prefix(case.dir.join("partials")).ok()?;
            let parts: Vec<_> = relative.components().map(|c| c.as_os_str().to_string_lossy()).collect();
            Some(parts.join("/"))
        }
    }
}

fn render_with_promptpack(case: &Case) -> Result<String, String> {
    render_case(case).map_err(|err| format!("render failed: {err}"))
}

/// Renders a case as a pack would: partials, options, the case's variables.
fn render_case(case: &Case) -> Result<String, CaseError> {
    let mut builder = Renderer::builder_with_options(case.options);
    let partials_dir = case.dir.join("partials");
    if partials_dir.is_dir() {
        for entry in WalkDir::new(&partials_dir).sort_by_file_name() {
            let entry = entry.map_err(|err| format!("cannot list {}: {err}", partials_dir.display()))?;
            if !entry.file_type().is_file() {
                continue;
            }
            let path = entry.path();
            let Some(name) = partial_name(case, path) else {
                continue;
            };
            builder
                .add_partial(name, case.engine, read_text(path)?, path)
                .map_err(|err| format!("add_partial({}) failed: {err}", path.display()))?;
        }
    }
    let template_path = case.dir.join(case.template);
    // A template refused when it is compiled is refused like a failed
    // render: `expect_error` cases cover both (`promptpack check` sees the former).
    builder.add_template(case.template, case.engine, read_text(&template_path)?, &template_path)?;
    let renderer = builder.build()?;

    let vars_path = case.dir.join("vars.json");
    let vars: Vars = serde_json::from_str(&read_text(&vars_path)?)
        .map_err(|err| format!("{} is not a JSON object: {err}", vars_path.display()))?;
    Ok(renderer.render(case.template, &vars)?)
}

/// Why a case did not render: the harness could not set it up, or the
/// renderer refused it (which `expect_error` cases require).
#[derive(Debug)]
enum CaseError {
    Setup(String),
    Render(RenderError),
}

impl From<String> for CaseError {
    fn from(message: String) -> Self {
        CaseError::Setup(message)
    }
}

impl From<RenderError> for CaseError {
    fn from(error: RenderError) -> Self {
        CaseError::Render(error)
    }
}

impl std::fmt::Display for CaseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CaseError::Setup(message) => f.write_str(message),
            CaseError::Render(error) => write!(f, "{error}"),
        }
    }
}

/// An `expect_error` case: promptpack must refuse it with a render error.
fn check_expected_error(case: &Case) -> Option<String> {
    match render_case(case) {
        Err(CaseError::Render(_)) => None,
        Err(CaseError::Setup(message)) => Some(format!("case `{}`: {message}\n", case.name)),
        Ok(text) => Some(format!(
            "case `{}` ({}): expected promptpack to refuse it (expect_error), but it rendered {text:?}\n",
            case.name, case.template
        )),
    }
}

/// A readable report of how `actual` differs from `expected`, or `None` when
/// the bytes are equal.
fn describe_difference(
    case: &Case,
    expected_label: &str,
    expected: &str,
    actual_label: &str,
    actual: &str,
) -> Option<String> {
    if expected == actual {
        return None;
    }
    let mut report =
        format!("case `{}` ({}): {actual_label} differs from {expected_label}\n", case.name, case.template);
    let diff = TextDiff::from_lines(expected, actual);
    let _ = write!(report, "{}", diff.unified_diff().context_radius(3).header(expected_label, actual_label));
    // Line diffs render a missing "\n", a stray "\r" or a tab invisibly.
    if expected.split_whitespace().eq(actual.split_whitespace()) {
        let _ = write!(
            report,
            "whitespace-only difference:\n  {expected_label}: {expected:?}\n  {actual_label}: {actual:?}\n"
        );
    }
    Some(report)
}

fn finish(failures: &[String], total: usize, what: &str) {
    assert!(failures.is_empty(), "{} of {total} differential cases {what}:\n\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn matches_checked_in_reference_outputs() {
    let cases = load_cases();
    let mut failures = Vec::new();
    for case in &cases {
        if case.expect_error {
            failures.extend(check_expected_error(case));
            continue;
        }
        let expected_path = case.dir.join("expected.out");
        let expected = match read_text(&expected_path) {
            Ok(text) => text,
            Err(err) => {
                failures.push(format!("case `{}`: {err} (run `bash tests/differential/generate.sh`)\n", case.name));
                continue;
            }
        };
        let expected_label = format!("expected.out ({})", case.reference_name());
        match render_with_promptpack(case) {
            Ok(actual) => failures.extend(describe_difference(case, &expected_label, &expected, "promptpack", &actual)),
            Err(err) => failures.push(format!(
                "case `{}` ({}): promptpack failed where {} rendered {expected:?}:\n  {err}\n",
                case.name,
                case.template,
                case.reference_name()
            )),
        }
    }
    finish(&failures, cases.len(), "differ from their checked-in expected.out");
}

/// What a reference script said about one case.
type ReferenceResults = BTreeMap<String, Result<String, String>>;

fn run_reference(program: &Path, script: &Path, cases: &[Case]) -> Result<ReferenceResults, String> {
    let output = Command::new(program)
        .arg(script)
        .args(cases.iter().map(|case| &case.dir))
        .output()
        .map_err(|err| format!("cannot run {}: {err}", program.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} {} exited with {}:\n{}",
            program.display(),
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let stdout =
        String::from_utf8(output.stdout).map_err(|err| format!("{} printed non-UTF-8: {err}", script.display()))?;
    let mut results = ReferenceResults::new();
    for line in stdout.lines().filter(|line| !line.is_empty()) {
        let entry: serde_json::Value = serde_json::from_str(line)
            .map_err(|err| format!("{} printed a bad line {line:?}: {err}", script.display()))?;
        let field = |key: &str| entry.get(key).and_then(serde_json::Value::as_str).map(str::to_owned);
        let name =
            field("case").ok_or_else(|| format!("{} printed a line without `case`: {line}", script.display()))?;
        let result = match (field("output"), field("error")) {
            (Some(output), _) => Ok(output),
            (None, Some(error)) => Err(error),
            (None, None) => {
                return Err(format!("{} printed a line without output or error: {line}", script.display()));
            }
        };
        results.insert(name, result);
    }
    Ok(results)
}

/// What is missing to run the reference engines, or an empty list.
fn missing_reference_tools(python: &Path, reference_dir: &Path) -> Vec<String> {
    let mut missing = Vec::new();
    if !python.is_file() {
        missing.push(format!("{} (Jinja2)", python.display()));
    }
    if !reference_dir.join("node_modules").join("handlebars").is_dir() {
        missing.push(format!("{} (handlebars.js)", reference_dir.join("node_modules").join("handlebars").display()));
    }
    if Command::new("node").arg("--version").output().is_err() {
        missing.push("`node` on PATH".to_owned());
    }
    missing
}

#[test]
fn reference_engines_agree_live() {
    let reference_dir = differential_dir().join("reference");
    let python = repo_root().join(".venv").join("bin").join("python");
    let missing = missing_reference_tools(&python, &reference_dir);
    if !missing.is_empty() {
        let message = format!(
            "reference engines not installed (missing: {}); install them with `bash tests/differential/generate.sh`",
            missing.join(", ")
        );
        assert!(std::env::var_os(REQUIRE_REFERENCE_VAR).is_none(), "{message} ({REQUIRE_REFERENCE_VAR} is set)");
        eprintln!("note: skipping reference_engines_agree_live: {message}");
        return;
    }

    let cases = load_cases();
    let mut reference = run_reference(&python, &reference_dir.join("render_jinja2.py"), &cases)
        .unwrap_or_else(|err| panic!("Jinja2 reference failed: {err}"));
    let handlebars = run_reference(Path::new("node"), &reference_dir.join("render_handlebars.js"), &cases)
        .unwrap_or_else(|err| panic!("handlebars.js reference failed: {err}"));
    reference.extend(handlebars);

    let mut failures = Vec::new();
    for case in cases.iter().filter(|case| !case.expect_error) {
        let live_label = format!("live {}", case.reference_name());
        let expected = match reference.get(&case.name) {
            Some(Ok(text)) => text,
            Some(Err(err)) => {
                failures.push(format!("case `{}`: {live_label} failed: {err}\n", case.name));
                continue;
            }
            None => {
                failures.push(format!("case `{}`: {live_label} printed nothing for it\n", case.name));
                continue;
            }
        };
        match render_with_promptpack(case) {
            Ok(actual) => failures.extend(describe_difference(case, &live_label, expected, "promptpack", &actual)),
            Err(err) => failures.push(format!(
                "case `{}` ({}): promptpack failed where {live_label} rendered {expected:?}:\n  {err}\n",
                case.name, case.template
            )),
        }
        let stale = read_text(&case.dir.join("expected.out"))
            .ok()
            .and_then(|checked_in| describe_difference(case, &live_label, expected, "expected.out", &checked_in));
        if let Some(report) = stale {
            failures.push(format!("{report}(expected.out is stale: rerun `bash tests/differential/generate.sh`)\n"));
        }
    }
    finish(&failures, cases.len(), "disagree with the live reference engines");
}
