//! One module per subcommand; each returns the exit status it earned.

mod check;
mod new;
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
        Command::Completions(args) => {
            use clap::CommandFactory as _;
            let mut command = crate::cli::Cli::command();
            clap_complete::generate(args.shell, &mut command, "promptpack", &mut std::io::stdout());
            Ok(ExitStatus::Success)
        }
    }
}
