//! `afflux-bench`: figures for the click path and CRM sync, printed. Not part of the test suite; run it with
//! `cargo run --release -p afflux-bench -- all` (or one subcommand). Loopback only, bounded in
//! time, everything in temporary directories.

mod bare;
mod crash;
mod crm;
mod import;
mod load;
mod payout;
mod redirect;
mod report;
mod s2s;
mod seed;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "Benchmarks of Afflux: click path, S2S ingest, CRM sync")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Every benchmark below, one after the other, with their defaults.
    All,
    /// Redirect throughput and latency of /go/{slug} against a bare redirect server.
    Redirect(redirect::Options),
    /// kill -9 under load, restart, and check every acknowledged click is stored.
    Crash(crash::Options),
    /// Signed server-to-server sales per second through POST /api/track/s2s.
    S2s(s2s::Options),
    /// Approvals synced to the Ontraport fake under a short rate-limit window.
    Crm(crm::Options),
    /// One payout run over a million approved commissions.
    Payout(payout::Options),
    /// The summary report over ten million clicks and a million conversions.
    Report(report::Options),
    /// A roster CSV import end to end, and a million-row file in flat memory.
    Import(import::Options),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::All => {
            redirect::run(&default_options::<redirect::Options>()).await?;
            println!();
            crash::run(&default_options::<crash::Options>()).await?;
            println!();
            s2s::run(&default_options::<s2s::Options>()).await?;
            println!();
            crm::run(&default_options::<crm::Options>()).await?;
            println!();
            payout::run(&default_options::<payout::Options>()).await?;
            println!();
            report::run(&default_options::<report::Options>()).await?;
            println!();
            import::run(&default_options::<import::Options>()).await
        }
        Command::Redirect(o) => redirect::run(&o).await,
        Command::Crash(o) => crash::run(&o).await,
        Command::S2s(o) => s2s::run(&o).await,
        Command::Crm(o) => crm::run(&o).await,
        Command::Payout(o) => payout::run(&o).await,
        Command::Report(o) => report::run(&o).await,
        Command::Import(o) => import::run(&o).await,
    }
}

/// A subcommand's options at their defaults, as if given no flags.
fn default_options<T: clap::Args + clap::FromArgMatches>() -> T {
    let command = T::augment_args(clap::Command::new("defaults"));
    T::from_arg_matches(&command.get_matches_from(["defaults"])).expect("defaults parse")
}
