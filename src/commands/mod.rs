//! One module per subcommand; each returns the exit status it earned.

mod batch;
mod check;
mod diff;
mod new;
mod project;
mod registry;
mod render;
mod review;
mod test;

use anyhow::Result;

use crate::cli::Command;
use crate::{ExitStatus, Printer};

pub fn run(command: Command, printer: &Printer) -> Result<ExitStatus> {
    match command {
        Command::Render(args) => render::render(&args, printer),
        Command::Check(args) => check::check(&args, printer),
        Command::Test(args) => test::test(&args, printer),
        Command::Review(args) => review::review(&args, printer),
        Command::New(args) => new::new(&args, printer),
        Command::Init(args) => project::init(&args, printer),
        Command::Add(args) => project::add(&args, printer),
        Command::Remove(args) => project::remove(&args, printer),
        Command::Install(args) => project::install(&args, printer),
        Command::Upgrade(args) => project::upgrade(&args, printer),
        Command::List(args) => project::list(&args, printer),
        Command::Outdated(args) => project::outdated_packs(&args, printer),
        Command::Publish(args) => registry::publish_pack(&args, printer),
        Command::Yank(args) => registry::yank(&args, printer),
        Command::Search(args) => registry::search(&args, printer),
        Command::Diff(args) => diff::diff(&args, printer),
        Command::Bump(args) => diff::bump(&args, printer),
        Command::Registry(crate::cli::RegistryCommand::Init(args)) => registry::registry_init(&args, printer),
        Command::Registry(crate::cli::RegistryCommand::Export(args)) => registry::registry_export(&args, printer),
        Command::Completions(args) => {
            use clap::CommandFactory as _;
            let mut command = crate::cli::Cli::command();
            clap_complete::generate(args.shell, &mut command, "promptpack", &mut std::io::stdout());
            Ok(ExitStatus::Success)
        }
    }
}
