//! `pollhook`: the local all-in-one CLI. Wiring only; the logic lives in `pollhook-core`.

mod demo;
mod key_file;
mod preview_url;
mod serve;
mod simulate;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "pollhook",
    version,
    about = "Open, self-hostable polling events: poll SaaS APIs for changes, deliver them as signed webhooks"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// See pollhook work end to end: simulators, pollhook and a verifying receiver in one process.
    Demo(demo::DemoArgs),
    /// Run the API on one SQLite file (local all-in-one mode).
    Serve(serve::ServeArgs),
    /// Print a poll URL template expanded for a given instant, to check it before registering.
    PreviewUrl(preview_url::PreviewArgs),
    /// Run a vendor API simulator (Sage CRM or Sage Accounting) with an admin API, for demos and tests.
    Simulate(simulate::SimulateArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Serve(args) => serve::run(args),
        Command::PreviewUrl(args) => preview_url::run(args),
        Command::Simulate(args) => simulate::run(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pollhook: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
