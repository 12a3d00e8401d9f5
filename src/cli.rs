//! The command line, as clap sees it. Kept apart from the commands so that
//! `cargo xtask` can generate the man page and completions from it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  failure: check or test found problems, rendering failed, bad pack
  2  usage error: unknown flag, malformed argument, unreadable @FILE";

/// Version, check, pin and review LLM prompt packs.
#[derive(Debug, Parser)]
#[command(name = "promptpack", version, about, after_help = EXIT_CODES, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    #[command(flatten)]
    pub global: GlobalArgs,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Print only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print more detail (e.g. every matching snapshot).
    #[arg(short, long, global = true)]
    pub verbose: bool,

    /// When to use colors (NO_COLOR is honoured with `auto`).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render a template of a pack and write exactly the rendered bytes.
    #[command(after_help = EXIT_CODES)]
    Render(RenderArgs),
    /// Check packs: manifest, templates, variables, fixtures and the rendered Markdown.
    #[command(after_help = EXIT_CODES)]
    Check(CheckArgs),
    /// Compare every (template, fixture) rendering with its snapshot in `snapshots/`.
    #[command(after_help = EXIT_CODES)]
    Test(TestArgs),
    /// Review pending snapshots (`.snap.new`): show each diff, then accept or reject it.
    #[command(after_help = EXIT_CODES)]
    Review(ReviewArgs),
    /// Create a new pack that passes `check` and `test`.
    #[command(after_help = EXIT_CODES)]
    New(NewArgs),
    /// Print shell completions.
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// A pack folder, or the name of a pack in `./packs`.
    pub pack: String,

    /// The template to render; may be left out when the pack has one.
    #[arg(short, long)]
    pub template: Option<String>,

    /// A variable: `KEY=VALUE`, or `KEY=@FILE` to read the value from a file.
    #[arg(long = "var", value_name = "KEY=VALUE", value_parser = parse_var)]
    pub vars: Vec<promptpack_pack::VarInput>,

    /// Variables from a JSON or TOML file (an object/table).
    #[arg(long = "vars", value_name = "FILE")]
    pub vars_file: Option<PathBuf>,

    /// Start from a fixture's variables (a role declared in pack.toml).
    #[arg(short, long)]
    pub fixture: Option<String>,

    /// Write the rendered text to FILE (atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

fn parse_var(argument: &str) -> Result<promptpack_pack::VarInput, String> {
    promptpack_pack::parse_var_argument(argument)
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Pack folders or names; all packs in `./packs` by default.
    pub packs: Vec<String>,

    /// Print findings as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Pack folders or names; all packs in `./packs` by default.
    pub packs: Vec<String>,

    /// Print results as JSON on stdout.
    #[arg(long)]
    pub json: bool,

    /// The folder of snapshot files.
    #[arg(long, value_name = "DIR", default_value = "snapshots")]
    pub snapshots: PathBuf,
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// Only review snapshots of these packs.
    pub packs: Vec<String>,

    /// Accept every pending snapshot without asking.
    #[arg(long, conflicts_with = "reject")]
    pub accept: bool,

    /// Reject every pending snapshot without asking.
    #[arg(long)]
    pub reject: bool,

    /// The folder of snapshot files.
    #[arg(long, value_name = "DIR", default_value = "snapshots")]
    pub snapshots: PathBuf,
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// The pack's name: lowercase letters, digits and `-`.
    pub name: String,

    /// The template language.
    #[arg(long, value_enum, default_value_t = EngineChoice::Jinja)]
    pub engine: EngineChoice,

    /// Where to create the pack; `packs/<NAME>` when `./packs` exists, else `<NAME>`.
    #[arg(long, value_name = "DIR")]
    pub path: Option<PathBuf>,

    /// The folder of snapshot files, where the new pack's first snapshots go.
    #[arg(long, value_name = "DIR", default_value = "snapshots")]
    pub snapshots: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EngineChoice {
    Jinja,
    Handlebars,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to print completions for.
    pub shell: clap_complete::Shell,
}
