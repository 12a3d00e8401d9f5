//! The command line, as clap sees it. Kept apart from the commands so that
//! `cargo xtask` can generate the man page and completions from it.

use promptpack_manifest::{PackRequirementSpec, PackSpec, SpecError};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  failure: check or test found problems, rendering failed, bad pack
  2  usage error: unknown flag, malformed argument, unreadable @FILE
  3  upgrade --review: changes shown but not applied (no terminal to ask on; rerun with --yes)";

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

    /// When to use colors (`NO_COLOR` is honoured with `auto`).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Each subcommand's arguments are built only when it runs (or its help is
/// shown): building all ~30 argument lists up front was most of what a short
/// command (`--version`) did before it could print.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
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
    /// Create a `promptpack.toml` in the current folder.
    #[command(after_help = EXIT_CODES)]
    Init(InitArgs),
    /// Add a pack to the project, then resolve, install and lock it.
    #[command(after_help = EXIT_CODES)]
    Add(AddArgs),
    /// Remove a pack from the project and uninstall it.
    #[command(after_help = EXIT_CODES)]
    Remove(RemoveArgs),
    /// Install exactly what `promptpack.lock` pins (resolving only what it lacks).
    #[command(after_help = EXIT_CODES)]
    Install(InstallArgs),
    /// Move packs to the newest versions their requirements allow.
    #[command(after_help = EXIT_CODES)]
    Upgrade(UpgradeArgs),
    /// List the project's installed packs.
    #[command(after_help = EXIT_CODES)]
    List(ListArgs),
    /// Show locked, newest compatible and newest versions of the project's packs.
    #[command(after_help = EXIT_CODES)]
    Outdated(OutdatedArgs),
    /// Publish a pack to a registry (after `check` and its snapshot tests pass).
    #[command(after_help = EXIT_CODES)]
    Publish(PublishArgs),
    /// Mark a published version as yanked (or undo it with `--undo`).
    #[command(after_help = EXIT_CODES)]
    Yank(YankArgs),
    /// List a registry's packs and their newest versions.
    #[command(after_help = EXIT_CODES)]
    Search(SearchArgs),
    /// Show what changes between two versions of a pack: contract and rendered text per role.
    #[command(after_help = EXIT_CODES)]
    Diff(DiffArgs),
    /// Bump the version in pack.toml (`auto`: the smallest bump its changes allow).
    #[command(after_help = EXIT_CODES)]
    Bump(BumpArgs),
    /// Manage registries.
    #[command(subcommand)]
    Registry(RegistryCommand),
    /// Print shell completions.
    Completions(CompletionsArgs),
}

#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// Create an empty registry: a bare git repository with registry.toml.
    #[command(after_help = EXIT_CODES)]
    Init(RegistryInitArgs),
    /// Write a static copy of a git registry that any web server or CDN can
    /// serve to `sparse+https://` clients: config.json, the index files, one
    /// archive per version. Rewrites only what changed.
    #[command(after_help = EXIT_CODES)]
    Export(RegistryExportArgs),
}

#[derive(Debug, Args)]
pub struct RegistryExportArgs {
    /// The git registry: a URL or folder, or a registry name from promptpack.toml.
    #[arg(value_name = "REGISTRY")]
    pub registry: String,
    /// The folder to write the static registry into (created if missing).
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct RegistryInitArgs {
    /// The folder to create the registry in (must be empty or missing).
    pub dir: PathBuf,
    /// The registry's name; the folder name by default.
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The URL or path of the default registry.
    #[arg(long, value_name = "URL")]
    pub registry: Option<String>,
}

#[derive(Debug, Args)]
pub struct NetworkArgs {
    /// Never touch the network: use the cache or fail naming what is missing.
    #[arg(long)]
    pub offline: bool,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// `NAME` or `NAME@REQUIREMENT` (e.g. `threats-next-steps@^1`); several
    /// are added together, all or none (one only with `--git` or `--path`).
    #[arg(required = true, value_parser = parse_spec::<PackRequirementSpec>)]
    pub packs: Vec<PackRequirementSpec>,
    /// A registry name from promptpack.toml, or a registry URL/path.
    #[arg(long, value_name = "NAME|URL", conflicts_with_all = ["git", "path"])]
    pub registry: Option<String>,
    /// A git repository whose tags are the pack's versions.
    #[arg(long, value_name = "URL", conflicts_with = "path")]
    pub git: Option<String>,
    /// With `--git`: a tag to pin.
    #[arg(long, requires = "git", conflicts_with_all = ["branch", "rev"])]
    pub tag: Option<String>,
    /// With `--git`: a branch to follow (the lock pins its commit).
    #[arg(long, requires = "git", conflicts_with = "rev")]
    pub branch: Option<String>,
    /// With `--git`: a commit.
    #[arg(long, requires = "git")]
    pub rev: Option<String>,
    /// With `--git`: the subfolder holding the pack. Without: a local pack folder.
    #[arg(long, value_name = "DIR")]
    pub path: Option<String>,
    #[command(flatten)]
    pub network: NetworkArgs,
}

#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// The packs to remove, all or none.
    #[arg(required = true)]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Fail if promptpack.lock would change.
    #[arg(long)]
    pub locked: bool,
    /// `--locked` and `--offline` together.
    #[arg(long)]
    pub frozen: bool,
    /// Overwrite installed files that were edited by hand.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub network: NetworkArgs,
}

#[derive(Debug, Args)]
pub struct UpgradeArgs {
    /// Only these packs move (all when none are named).
    pub names: Vec<String>,
    /// Show what would change without changing anything.
    #[arg(long, conflicts_with = "review")]
    pub dry_run: bool,
    /// Show the rendered diff per role of every pack that would move, then ask
    /// (on a terminal) or apply with `--yes`; otherwise change nothing.
    #[arg(long)]
    pub review: bool,
    /// Apply without asking (with or without `--review`).
    #[arg(long, conflicts_with = "dry_run")]
    pub yes: bool,
    #[command(flatten)]
    pub network: NetworkArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct OutdatedArgs {
    /// Print as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// List every pack, not only those that can move.
    #[arg(long)]
    pub all: bool,
    /// Exit with 1 when any pack is outdated or its locked version yanked (0 otherwise).
    #[arg(long)]
    pub exit_code: bool,
    #[command(flatten)]
    pub network: NetworkArgs,
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The pack folder (or name in ./packs); the current folder by default.
    pub pack: Option<String>,
    /// The registry: a URL or folder, or a registry name from promptpack.toml;
    /// by default `PROMPTPACK_REGISTRY`, else the project's default registry.
    #[arg(long, value_name = "URL|PATH|NAME")]
    pub registry: Option<String>,
    /// Show what would be published without publishing.
    #[arg(long)]
    pub dry_run: bool,
    /// Publish even if the version bump is smaller than the changes require.
    #[arg(long)]
    pub allow_semver_violation: bool,
    /// The folder of snapshot files the pack's tests compare with.
    #[arg(long, value_name = "DIR", default_value = "snapshots")]
    pub snapshots: PathBuf,
}

#[derive(Debug, Args)]
pub struct YankArgs {
    /// `NAME@VERSION`
    #[arg(value_parser = parse_spec::<PackSpec>)]
    pub pack: PackSpec,
    /// The registry: a URL or folder, or a registry name from promptpack.toml;
    /// by default `PROMPTPACK_REGISTRY`, else the project's default registry.
    #[arg(long, value_name = "URL|PATH|NAME")]
    pub registry: Option<String>,
    /// Un-yank the version.
    #[arg(long)]
    pub undo: bool,
    /// Why the version is yanked; shown to everyone who still installs it.
    #[arg(long)]
    pub reason: Option<String>,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Part of a pack name; all packs when left out.
    pub query: Option<String>,
    /// The registry: a URL or folder, or a registry name from promptpack.toml;
    /// by default `PROMPTPACK_REGISTRY`, else the project's default registry.
    #[arg(long, value_name = "URL|PATH|NAME")]
    pub registry: Option<String>,
    /// Print as JSON on stdout.
    #[arg(long)]
    pub json: bool,
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

    /// Render once per line of a JSONL file (`-` for stdin): each line is an
    /// object of variables laid over `--fixture`, `--vars` and `--var`. Rows
    /// stream through; output keeps their order.
    #[arg(long, value_name = "FILE", help_heading = "Batch rendering")]
    pub batch: Option<PathBuf>,

    /// A variable the pack does not declare is an error (exit 1, or the row's
    /// error with `--batch`) instead of a warning.
    #[arg(long)]
    pub strict: bool,

    /// With `--batch`: threads rendering rows (default: all cores).
    #[arg(short, long, value_name = "N", requires = "batch", help_heading = "Batch rendering")]
    pub jobs: Option<std::num::NonZeroUsize>,

    /// With `--batch`: stop at the first row that fails.
    #[arg(long, requires = "batch", help_heading = "Batch rendering")]
    pub fail_fast: bool,

    /// With `--batch`: `jsonl` writes `{"row": N, "text": ...}` (or
    /// `{"row": N, "error": ..., "line": N}`) per row; `text` writes each
    /// row's text followed by `--separator`.
    #[arg(long, value_enum, default_value_t = BatchFormat::Jsonl, requires = "batch", help_heading = "Batch rendering")]
    pub format: BatchFormat,

    /// With `--format text`: written after each row's text (a failed row's
    /// text is empty). `\n`, `\t`, `\0` and `\\` are understood.
    #[arg(long, value_name = "SEP", default_value = "\\0", requires = "batch", help_heading = "Batch rendering")]
    pub separator: String,
}

/// How `render --batch` writes its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BatchFormat {
    /// One JSON object per line, per row.
    Jsonl,
    /// Each row's rendered text, then the separator.
    Text,
}

/// A pack name or spec, checked once here; clap prints the message it gets
/// as is, so the hint goes in the text.
fn parse_spec<T: std::str::FromStr<Err = SpecError>>(argument: &str) -> Result<T, String> {
    argument.parse().map_err(|err: SpecError| format!("{err}\nhint: {}", err.hint()))
}

/// clap prints the message it gets as is, so the hint goes in the text.
fn parse_var(argument: &str) -> Result<promptpack_pack::VarInput, String> {
    promptpack_pack::parse_var_argument(argument).map_err(|err| match err.hint() {
        Some(hint) => format!("{err}\nhint: {hint}"),
        None => err.to_string(),
    })
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

    /// `markdown`: print a Markdown report of the changed snapshots on stdout
    /// (for a pull request comment or a CI job summary).
    #[arg(long, value_enum, conflicts_with = "json")]
    pub format: Option<ReportFormat>,

    /// Also write a self-contained HTML report of the changed snapshots to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,

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

    /// Write a self-contained HTML report of the pending snapshots to FILE
    /// and decide nothing.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["accept", "reject"])]
    pub html: Option<PathBuf>,

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

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old version: `NAME@VERSION` (from a registry) or a pack folder.
    pub old: String,
    /// The new version: `NAME@VERSION` (from a registry) or a pack folder.
    pub new: String,
    /// Only this fixture (role).
    #[arg(long)]
    pub fixture: Option<String>,
    /// Only this template.
    #[arg(long)]
    pub template: Option<String>,
    /// Print the comparison as JSON on stdout.
    #[arg(long, conflicts_with = "stat")]
    pub json: bool,
    /// Print a summary: lines added and removed per changed (template, fixture).
    #[arg(long)]
    pub stat: bool,
    /// `markdown`: print a GitHub-flavoured Markdown report instead (for a pull
    /// request comment or a CI job summary).
    #[arg(long, value_enum, conflicts_with_all = ["json", "stat"])]
    pub format: Option<ReportFormat>,
    /// Also write a self-contained HTML review report to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Exit with 1 when the contract or any rendered text changed, 0 when nothing did (as `git diff --exit-code`).
    #[arg(long)]
    pub exit_code: bool,
    /// The registry for `NAME@VERSION` (a URL/path or a registry name from promptpack.toml).
    #[arg(long, value_name = "URL|PATH")]
    pub registry: Option<String>,
    #[command(flatten)]
    pub network: NetworkArgs,
}

/// A report format for reviewers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// GitHub-flavoured Markdown.
    Markdown,
}

#[derive(Debug, Args)]
pub struct BumpArgs {
    /// `major`, `minor`, `patch`, or `auto` (compare with the newest published version).
    #[arg(value_enum)]
    pub level: BumpLevel,
    /// The pack folder (or name in ./packs); the current folder by default.
    pub pack: Option<String>,
    /// The registry `auto` compares with (a URL/path or a registry name from promptpack.toml).
    #[arg(long, value_name = "URL|PATH")]
    pub registry: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BumpLevel {
    Major,
    Minor,
    Patch,
    Auto,
}
