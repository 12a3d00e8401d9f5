use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use promptpack_pack::{Pack, write_snapshot};

use crate::cli::{EngineChoice, NewArgs};
use crate::workspace::PACKS_DIR;
use crate::{ExitStatus, Printer, UsageError};

/// `promptpack new`: a pack that passes `check` and `test` as created,
/// including its first accepted snapshots.
pub fn new(args: &NewArgs, printer: &Printer) -> Result<ExitStatus> {
    let name = &args.name;
    if !promptpack_manifest::is_valid_pack_name(name) {
        return Err(UsageError {
            message: format!("invalid pack name `{name}`"),
            hint: "use 1 to 64 lowercase letters, digits and `-`, e.g. `code-review`".to_owned(),
        }
        .into());
    }
    let dir = args.path.clone().unwrap_or_else(|| {
        if Path::new(PACKS_DIR).is_dir() { Path::new(PACKS_DIR).join(name) } else { PathBuf::from(name) }
    });
    if dir.exists() {
        return Err(UsageError {
            message: format!("`{}` already exists", dir.display()),
            hint: "choose another name, or `--path` to create the pack elsewhere".to_owned(),
        }
        .into());
    }

    let (file, template) = match args.engine {
        EngineChoice::Jinja => (format!("templates/{name}.md.j2"), JINJA_TEMPLATE),
        EngineChoice::Handlebars => (format!("templates/{name}.md.hbs"), HANDLEBARS_TEMPLATE),
    };
    let manifest = format!(
        r#"[pack]
name = "{name}"
version = "0.1.0"
format = 1
description = "TODO: what this prompt is for"

[templates.{name}]
file = "{file}"

[variables.role]
description = "who the model should think like and talk to"
required = true

[variables.context]
description = "optional background for the task"
required = false
default = ""

[fixtures.software-engineer.vars]
role = "software engineer"

[fixtures.security-engineer-with-context.vars]
role = "security engineer"
context = "The service stores customer data in PostgreSQL."
"#
    );

    // Build the pack in a temporary folder next to its destination and move
    // it into place in one rename, so a failure leaves nothing half-made.
    let staging = promptpack_fs::StagedDir::beside(&dir)?;
    staging.write_file(Path::new("pack.toml"), manifest.as_bytes())?;
    staging.write_file(Path::new(&file), template.as_bytes())?;
    staging.commit().with_context(|| format!("cannot move the new pack into `{}`", dir.display()))?;

    let pack = Pack::load(&dir)?;
    let renderer = pack.renderer()?;
    for case in pack.snapshot_cases() {
        let rendered = pack.render(&renderer, &case.template, case.vars.clone())?;
        write_snapshot(&args.snapshots.join(case.file_name()), &pack.snapshot_header(&case), &rendered)?;
    }
    printer.status(
        "Created",
        &format!("pack `{name}` in {} with its snapshots in {}", dir.display(), args.snapshots.display()),
    );
    Ok(ExitStatus::Success)
}

const JINJA_TEMPLATE: &str = "\
# Task

You are a senior **{{ role | capitalize }}**.
Answer as a {{ role }} would, for a {{ role }}.
{% if context %}
## Context

{{ context }}
{% endif %}
## Rules

- Use valid CommonMark + GFM Markdown.
- Be concrete: name files, functions and commands.
";

const HANDLEBARS_TEMPLATE: &str = "\
# Task

You are a senior **{{capitalize role}}**.
Answer as a {{role}} would, for a {{role}}.
{{#if context}}

## Context

{{context}}
{{/if}}

## Rules

- Use valid CommonMark + GFM Markdown.
- Be concrete: name files, functions and commands.
";
