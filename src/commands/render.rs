use std::path::Path;

use anyhow::{Context as _, Result};
use promptpack_pack::Pack;
use promptpack_render::Vars;

use crate::cli::RenderArgs;
use crate::workspace::locate_pack;
use crate::{ExitStatus, Printer, UsageError};

/// `promptpack render`: exactly the rendered bytes, nothing added.
pub fn render(args: &RenderArgs, printer: &Printer) -> Result<ExitStatus> {
    let pack = locate_pack(&args.pack)?.load()?;
    // Naming a template or fixture that is not there is a mistake in the
    // arguments (exit code 2), not in the pack.
    let template = pack.resolve_template_name(args.template.as_deref()).map_err(|err| usage_error(&err))?;
    let vars = vars_from_arguments(args, &pack)?;
    check_declared(args, &pack, &vars, printer)?;
    if let Some(rows) = &args.batch {
        // Required variables may come from each row, so they are checked per row.
        return super::batch::render_batch(args, rows, &pack, &template, &vars, printer);
    }

    let vars = pack.complete_vars(vars).map_err(|err| usage_error(&err))?;
    let renderer = pack.renderer()?;
    let rendered = pack.render(&renderer, &template, vars)?;
    match &args.output {
        Some(path) => {
            promptpack_fs::write_atomic(path, rendered.as_bytes())?;
            printer.status("Rendered", &format!("{}/{template} to {}", pack.name(), path.display()));
        }
        None => printer.stdout(&rendered).context("cannot write to stdout")?,
    }
    Ok(ExitStatus::Success)
}

/// Variables the pack does not declare (from `--var`, `--vars` or a
/// fixture): a warning naming the nearest declared one, or with `--strict` an
/// error, since the value would silently go nowhere.
fn check_declared(args: &RenderArgs, pack: &Pack, vars: &Vars, printer: &Printer) -> Result<()> {
    for unknown in promptpack_pack::unknown_variables(pack.manifest(), vars) {
        let hint = unknown.hint(pack.manifest());
        if args.strict {
            return Err(promptpack_pack::PackError::UnknownVariable {
                pack: pack.name().to_owned(),
                name: unknown.name,
                hint,
            }
            .into());
        }
        printer.warning(&format!(
            "variable `{}` is not declared by pack `{}`, so no template reads it\nhint: {hint}",
            unknown.name,
            pack.name()
        ));
    }
    Ok(())
}

/// The variables given on the command line. Later sources override earlier
/// ones: fixture, then `--vars`, then `--var`.
fn vars_from_arguments(args: &RenderArgs, pack: &Pack) -> Result<Vars> {
    let mut vars = match &args.fixture {
        Some(fixture) => pack.fixture_vars(fixture).map_err(|err| usage_error(&err))?,
        None => Vars::new(),
    };
    if let Some(path) = &args.vars_file {
        vars.extend(read_vars_file(path)?);
    }
    for input in &args.vars {
        let (name, value) = input.resolve(pack.manifest()).map_err(|err| UsageError {
            message: err.message,
            hint: err.hint.unwrap_or_else(|| "see `promptpack render --help`".to_owned()),
        })?;
        vars.insert(name, value);
    }
    Ok(vars)
}

/// Reads variables from a JSON or TOML file (by extension; JSON otherwise).
fn read_vars_file(path: &Path) -> Result<Vars> {
    let text = fs_err::read_to_string(path).map_err(|err| UsageError {
        message: format!("cannot read variables file `{}`: {}", path.display(), err.kind()),
        hint: "`--vars` takes a JSON or TOML file of variables".to_owned(),
    })?;
    let is_toml = path.extension().is_some_and(|ext| ext == "toml");
    let value: serde_json::Value = if is_toml {
        let table: toml::Table = toml::from_str(&text).map_err(|err| {
            let location = err.span().map(|span| {
                let (line, column) = promptpack_diagnostics::line_column(&text, span.start);
                format!("{}:{line}:{column}", path.display())
            });
            UsageError {
                message: format!(
                    "invalid TOML in `{}`: {}",
                    location.unwrap_or_else(|| path.display().to_string()),
                    err.message().trim()
                ),
                hint: "write variables as `key = \"value\"` lines".to_owned(),
            }
        })?;
        promptpack_manifest::toml_to_json(&toml::Value::Table(table))
    } else {
        serde_json::from_str(&text).map_err(|err| UsageError {
            message: format!(
                "invalid JSON in `{}:{}:{}`: {}",
                path.display(),
                err.line(),
                err.column(),
                err.to_string()
                    .rsplit_once(" at line ")
                    .map_or_else(|| err.to_string(), |(message, _)| message.to_owned())
            ),
            hint: "write variables as one JSON object, e.g. {\"role\": \"SRE\"}".to_owned(),
        })?
    };
    match value {
        serde_json::Value::Object(map) => Ok(map),
        _ => Err(UsageError {
            message: format!("`{}` does not hold an object of variables", path.display()),
            hint: "write one JSON object (or TOML table) mapping names to values".to_owned(),
        }
        .into()),
    }
}

/// A pack error caused by the arguments, reported as a usage error.
pub(super) fn usage_error(err: &promptpack_pack::PackError) -> anyhow::Error {
    UsageError {
        message: err.to_string(),
        hint: err.hint().unwrap_or_else(|| "see `promptpack render --help`".to_owned()),
    }
    .into()
}
