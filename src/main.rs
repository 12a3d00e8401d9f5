use std::process::ExitCode;

fn main() -> ExitCode {
    promptpack::run()
}
