//! The tools teams use today, installed by the bench itself: Python Jinja2 in
//! a venv and handlebars.js from npm, at the versions the differential tests
//! pin (`tests/differential/reference/`), under `target/bench/peers/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};

pub struct Peers {
    pub python: PathBuf,
    pub node: PathBuf,
    /// `NODE_PATH` for the handlebars.js scripts.
    pub node_path: PathBuf,
    pub python_version: String,
    pub jinja2_version: String,
    pub node_version: String,
    pub handlebars_version: String,
}

const REFERENCE_DIR: &str = "tests/differential/reference";

impl Peers {
    pub fn install(root: &Path, dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let venv = dir.join("venv");
        let python = venv.join("bin/python");
        let reference = root.join(REFERENCE_DIR);
        if !has_module(&python, "jinja2") {
            eprintln!("bench: installing Jinja2 into {}", venv.display());
            run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
            run(Command::new(&python)
                .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r"])
                .arg(reference.join("requirements.txt")))?;
        }
        let node_dir = dir.join("node");
        let node_modules = node_dir.join("node_modules");
        if !node_modules.join("handlebars/package.json").is_file() {
            eprintln!("bench: installing handlebars.js into {}", node_dir.display());
            std::fs::create_dir_all(&node_dir)?;
            for file in ["package.json", "package-lock.json"] {
                std::fs::copy(reference.join(file), node_dir.join(file)).with_context(|| format!("copying {file}"))?;
            }
            run(Command::new("npm").args(["ci", "--no-audit", "--no-fund", "--silent"]).current_dir(&node_dir))?;
        }
        let jinja2_version = output(Command::new(&python).args(["-c", "import jinja2; print(jinja2.__version__)"]))?;
        let python_version = output(Command::new(&python).arg("--version"))?;
        let node_version = output(Command::new("node").arg("--version"))?;
        let package: serde_json::Value =
            serde_json::from_slice(&std::fs::read(node_modules.join("handlebars/package.json"))?)
                .context("reading handlebars' package.json")?;
        let handlebars_version = package["version"].as_str().unwrap_or("?").to_owned();
        Ok(Self {
            python,
            node: PathBuf::from("node"),
            node_path: node_modules,
            python_version,
            jinja2_version,
            node_version,
            handlebars_version,
        })
    }
}

fn has_module(python: &Path, module: &str) -> bool {
    python.is_file()
        && Command::new(python).args(["-c", &format!("import {module}")]).status().is_ok_and(|status| status.success())
}

fn run(command: &mut Command) -> Result<()> {
    let status = command.status().with_context(|| format!("running {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed: {status}");
    }
    Ok(())
}

/// A command's trimmed stdout (or stderr: `python --version` prints there on old Pythons).
pub fn output(command: &mut Command) -> Result<String> {
    let output = command.output().with_context(|| format!("running {command:?}"))?;
    if !output.status.success() {
        bail!("{command:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    let text = if output.stdout.is_empty() { output.stderr } else { output.stdout };
    Ok(String::from_utf8_lossy(&text).trim().to_owned())
}
