//! `cargo xtask tidy`: the invariants of ARCHITECTURE.md that a machine can
//! check, checked. Each rule is an absence ("no print macro in a library
//! crate"), found by reading source lines and `Cargo.toml` dependency tables,
//! and each violation is reported as `path:line: what, and why it matters`.
//!
//! Text search, not a parser: the rules are about names that cannot hide
//! (a macro call, a crate path, a dependency key), and a false alarm is fixed
//! by rewording a comment, which is cheaper than a syntax tree. Items under a
//! top-level `#[cfg(test)]` line (test modules) and files under a crate's
//! `tests/` are not checked: tests may print and touch the file system.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};

/// Where a crate sits in "CLI → project / registry → pack → render": a
/// crate may depend only on promptpack crates of a lower layer.
const LAYERS: &[(&str, u8)] = &[
    ("promptpack-diagnostics", 0),
    ("promptpack-lint", 0),
    ("promptpack-fs", 0),
    ("promptpack-test-git-server", 0),
    ("promptpack-manifest", 1),
    ("promptpack-render", 1),
    ("promptpack-pack", 2),
    ("promptpack-batch", 3),
    ("promptpack-report", 3),
    ("promptpack-registry", 3),
    ("promptpack-project", 4),
    // A front end beside the binary: the Python module calls the CLI and the libraries.
    ("promptpack-py", 5),
];

/// Files allowed to use git2, by crate: the registry crate talks to git;
/// the project crate merges overrides with libgit2's `merge_file` (a text
/// algorithm, no repository or network) in one module.
const GIT2_ALLOWED: &[(&str, Option<&str>)] =
    &[("promptpack-registry", None), ("promptpack-project", Some("src/overrides.rs"))];

/// Crates that may open sockets: the registry crate talks to git servers;
/// the test git server is one (and only ever a dev-dependency).
const NETWORK_ALLOWED: &[&str] = &["promptpack-registry", TEST_GIT_SERVER];

/// Test support, never linked into promptpack: only in `[dev-dependencies]`.
const TEST_GIT_SERVER: &str = "promptpack-test-git-server";

/// Dependencies only the binary and xtask may have.
const CLI_ONLY_DEPENDENCIES: &[&str] = &["clap", "clap_complete", "clap_mangen", "indicatif", "console"];

/// The one file of the binary that prints (prompts and progress bars write
/// to the terminal through it or through indicatif).
const BINARY_PRINTER: &str = "src/printer.rs";

#[derive(Debug, PartialEq, Eq)]
pub struct Violation {
    pub path: PathBuf,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.path.display(), self.line, self.message)
    }
}

/// Runs every check on the workspace at `root`; fails listing every violation.
pub fn run(root: &Path) -> Result<()> {
    let violations = check(root)?;
    if violations.is_empty() {
        println!("tidy: every checked invariant holds");
        return Ok(());
    }
    for violation in &violations {
        eprintln!("{violation}");
    }
    bail!("{} invariant violation(s); ARCHITECTURE.md says why each rule exists", violations.len())
}

/// Every violation in the workspace at `root`, sorted by path and line.
pub fn check(root: &Path) -> Result<Vec<Violation>> {
    let mut violations = Vec::new();
    let crates_dir = root.join("crates");
    let mut crates: Vec<PathBuf> = std::fs::read_dir(&crates_dir)
        .with_context(|| format!("cannot read `{}`", crates_dir.display()))?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<std::io::Result<_>>()?;
    crates.sort();
    for dir in crates.iter().filter(|dir| dir.join("Cargo.toml").is_file()) {
        let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        check_manifest(root, dir, &name, &mut violations)?;
        for file in rust_files(&dir.join("src"))? {
            let relative = file.strip_prefix(dir).unwrap_or(&file).to_string_lossy().replace('\\', "/");
            for (line, text) in checked_lines(&file)? {
                let mut report = |message: String| {
                    violations.push(Violation {
                        path: file.strip_prefix(root).unwrap_or(&file).to_path_buf(),
                        line,
                        message,
                    });
                };
                if let Some(found) = print_macro(&text) {
                    report(format!(
                        "`{found}` in library crate `{name}`: only the binary prints; return data, or report through a trait the binary implements"
                    ));
                }
                if ["std::io::stdout", "std::io::stderr", "io::stdout()", "io::stderr()"]
                    .iter()
                    .any(|pattern| text.contains(pattern))
                {
                    report(format!("stdout/stderr in library crate `{name}`: only the binary prints"));
                }
                if name == "promptpack-manifest"
                    && let Some(found) =
                        ["std::fs", "fs_err", "std::net", "std::process"].iter().find(|p| text.contains(**p))
                {
                    report(format!(
                        "`{found}` in promptpack-manifest: the file formats do no I/O; their callers read and write"
                    ));
                }
                if text.contains("git2::") && !git2_allowed(&name, &relative) {
                    report(format!(
                        "`git2` in `{name}/{relative}`: only promptpack-registry talks git (and promptpack-project merges overrides in src/overrides.rs)"
                    ));
                }
                if text.contains("std::net") && !NETWORK_ALLOWED.contains(&name.as_str()) {
                    report(format!("`std::net` in `{name}`: only promptpack-registry does network I/O"));
                }
                if text.contains("allow(unsafe_code)") && !UNSAFE_ALLOWED.contains(&(name.as_str(), relative.as_str()))
                {
                    report(format!(
                        "unsafe code allowed in `{name}/{relative}`: the workspace forbids it; only promptpack-py/src/pystr.rs (filling a new Python str), promptpack-registry/src/transport/mod.rs (registering git transports) and promptpack-registry/src/libgit2.rs (libgit2's cache settings) may allow it"
                    ));
                }
                if text.contains("clap::") {
                    report(format!("`clap` in library crate `{name}`: argument parsing belongs to the binary"));
                }
            }
        }
    }
    for file in rust_files(&root.join("src"))? {
        let relative = file.strip_prefix(root).unwrap_or(&file).to_string_lossy().replace('\\', "/");
        if relative == BINARY_PRINTER {
            continue;
        }
        for (line, text) in checked_lines(&file)? {
            if let Some(found) = print_macro(&text) {
                violations.push(Violation {
                    path: PathBuf::from(&relative),
                    line,
                    message: format!("`{found}` outside {BINARY_PRINTER}: all output goes through the Printer, so `-q`, colors and the `error:`/`hint:` layout are decided once"),
                });
            }
        }
    }
    violations.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    Ok(violations)
}

/// The files that may allow unsafe code (their crates' lints deny it
/// instead of forbidding it, so that these files can).
const UNSAFE_ALLOWED: [(&str, &str); 3] = [
    ("promptpack-py", "src/pystr.rs"),
    ("promptpack-registry", "src/transport/mod.rs"),
    ("promptpack-registry", "src/libgit2.rs"),
];

fn git2_allowed(name: &str, relative: &str) -> bool {
    GIT2_ALLOWED.iter().any(|(allowed, file)| *allowed == name && file.is_none_or(|file| file == relative))
}

/// The dependency rules of one library crate's `Cargo.toml`.
fn check_manifest(root: &Path, dir: &Path, name: &str, violations: &mut Vec<Violation>) -> Result<()> {
    let path = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read `{}`", path.display()))?;
    let layer = LAYERS.iter().find(|(crate_name, _)| *crate_name == name).map(|(_, layer)| *layer);
    let mut report = |line: usize, message: String| {
        violations.push(Violation { path: path.strip_prefix(root).unwrap_or(&path).to_path_buf(), line, message });
    };
    if layer.is_none() {
        report(
            1,
            format!("`{name}` has no layer in xtask/src/tidy.rs `LAYERS`; place it, and in ARCHITECTURE.md's codemap"),
        );
    }
    let mut in_dependencies = false;
    for (index, line) in text.lines().enumerate() {
        let line_number = index + 1;
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            // Only what the library itself links; tests may use anything.
            in_dependencies = trimmed == "[dependencies]";
            continue;
        }
        if !in_dependencies {
            continue;
        }
        let Some(key) = trimmed.split(['=', '.', ' ']).next().filter(|key| !key.is_empty() && !key.starts_with('#'))
        else {
            continue;
        };
        if key == TEST_GIT_SERVER {
            report(line_number, format!("`{name}` depends on `{key}` outside [dev-dependencies]: it is test support"));
        }
        if CLI_ONLY_DEPENDENCIES.contains(&key) {
            report(
                line_number,
                format!("`{name}` depends on `{key}`: command-line and terminal crates belong to the binary"),
            );
        }
        if key == "git2" && !GIT2_ALLOWED.iter().any(|(allowed, _)| *allowed == name) {
            report(line_number, format!("`{name}` depends on `git2`: only promptpack-registry talks git"));
        }
        if name == "promptpack-manifest" && ["fs-err", "promptpack-fs", "tempfile"].contains(&key) {
            report(line_number, format!("promptpack-manifest depends on `{key}`: the file formats do no I/O"));
        }
        if let (Some(layer), Some((_, dependency_layer))) =
            (layer, LAYERS.iter().find(|(crate_name, _)| *crate_name == key))
            && *dependency_layer >= layer
        {
            report(
                line_number,
                format!(
                    "`{name}` depends on `{key}`, which is not below it: data flows one way down (CLI → project / registry → pack → render)"
                ),
            );
        }
    }
    Ok(())
}

/// The print macro called on `line`, if any.
fn print_macro(line: &str) -> Option<&'static str> {
    ["println!", "print!", "eprintln!", "eprint!", "dbg!"].into_iter().find(|name| {
        line.match_indices(name).any(|(at, _)| {
            // A whole name: `eprint!` is not `print!`, `my_print!` is not either.
            let before = line[..at].chars().next_back();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
    })
}

/// (1-based line number, line) of the code to check in `path`: comments
/// and the test module at the end of the file left out.
fn checked_lines(path: &Path) -> Result<Vec<(usize, String)>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    let mut lines = Vec::new();
    let mut numbered = text.lines().enumerate();
    while let Some((index, line)) = numbered.next() {
        if line == "#[cfg(test)]" {
            // Skip the item: one line ending in `;`, or up to its closing
            // brace in column 0 (rustfmt puts it there for top-level items).
            for (_, item) in numbered.by_ref() {
                if item == "}" || (!item.starts_with(' ') && item.ends_with(';')) {
                    break;
                }
            }
            continue;
        }
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        lines.push((index + 1, line.to_owned()));
    }
    Ok(lines)
}

/// Every `.rs` file under `dir`, sorted; none when `dir` does not exist.
fn rust_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    if !dir.is_dir() {
        return Ok(files);
    }
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).with_context(|| format!("cannot read `{}`", dir.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, path: &str, text: &str) {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// A workspace that keeps every rule: a manifest crate, a pack crate on
    /// top of it, and a binary whose printer prints.
    fn tidy_workspace() -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        write(
            root.path(),
            "crates/promptpack-manifest/Cargo.toml",
            "[package]\nname = \"promptpack-manifest\"\n\n[dependencies]\nserde.workspace = true\n",
        );
        write(
            root.path(),
            "crates/promptpack-manifest/src/lib.rs",
            "//! println!(\"in a comment\") is fine\npub fn parse() {}\n\n#[cfg(test)]\nmod tests {\n    fn t() { println!(\"tests may print\"); }\n}\n",
        );
        write(
            root.path(),
            "crates/promptpack-pack/Cargo.toml",
            "[package]\nname = \"promptpack-pack\"\n\n[dependencies]\npromptpack-manifest.workspace = true\nfs-err.workspace = true\n\n[dev-dependencies]\nclap.workspace = true\n",
        );
        write(root.path(), "crates/promptpack-pack/src/lib.rs", "pub fn load() { let _ = fs_err::read(\"x\"); }\n");
        write(root.path(), "src/printer.rs", "pub fn say() { eprintln!(\"hi\"); }\n");
        root
    }

    #[test]
    fn a_tidy_workspace_passes() {
        assert_eq!(check(tidy_workspace().path()).unwrap(), []);
    }

    #[test]
    fn a_print_macro_in_a_library_crate_is_named_with_file_and_line() {
        let root = tidy_workspace();
        write(
            root.path(),
            "crates/promptpack-pack/src/load.rs",
            "#[cfg(test)]\nmod tests {\n    fn t() {}\n}\n\nfn load() {\n    eprintln!(\"loading\");\n}\n",
        );
        let violations = check(root.path()).unwrap();
        assert_eq!(violations.len(), 1, "{violations:?}");
        assert_eq!(violations[0].path, Path::new("crates/promptpack-pack/src/load.rs"));
        assert_eq!(violations[0].line, 7);
        assert!(violations[0].to_string().starts_with("crates/promptpack-pack/src/load.rs:7: `eprintln!`"));
    }

    #[test]
    fn io_in_the_manifest_crate_git2_clap_and_upward_dependencies_are_refused() {
        let root = tidy_workspace();
        write(root.path(), "crates/promptpack-manifest/src/read.rs", "use std::fs;\n");
        write(root.path(), "crates/promptpack-pack/src/git.rs", "fn f(_: git2::Oid) {}\n");
        write(
            root.path(),
            "crates/promptpack-manifest/Cargo.toml",
            "[package]\nname = \"promptpack-manifest\"\n\n[dependencies]\npromptpack-pack.workspace = true\nclap = \"4\"\n",
        );
        write(root.path(), "src/commands/x.rs", "fn f() { println!(\"x\"); }\n");
        write(root.path(), "crates/promptpack-pack/src/raw.rs", "#![allow(unsafe_code)]\n");
        let found: Vec<String> = check(root.path()).unwrap().iter().map(ToString::to_string).collect();
        let expected = [
            "crates/promptpack-manifest/Cargo.toml:5: `promptpack-manifest` depends on `promptpack-pack`",
            "crates/promptpack-manifest/Cargo.toml:6: `promptpack-manifest` depends on `clap`",
            "crates/promptpack-manifest/src/read.rs:1: `std::fs` in promptpack-manifest",
            "crates/promptpack-pack/src/git.rs:1: `git2` in `promptpack-pack/src/git.rs`",
            "crates/promptpack-pack/src/raw.rs:1: unsafe code allowed in `promptpack-pack/src/raw.rs`",
            "src/commands/x.rs:1: `println!` outside src/printer.rs",
        ];
        assert_eq!(found.len(), expected.len(), "{found:#?}");
        for (found, expected) in found.iter().zip(expected) {
            assert!(found.starts_with(expected), "{found}\n  should start with\n{expected}");
        }
    }
}
