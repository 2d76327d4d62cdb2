//! A roster import end to end (issue 5, item 14): a Rewardful CSV written to a file, imported by
//! the same verb the CLI and dashboard call, on a fresh database. Reports rows per second
//! (target: 50,000 on SQLite for 100,000 rows), the ratio to parsing the same file alone in this
//! process (the baseline: what the import adds on top of reading the CSV), and the peak memory
//! of each run, so a million-row file shows the import streams in flat memory.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use afflux::{Server, Settings};
use afflux_app::Actor;
use afflux_app::imports::RosterInput;
use afflux_importers::{Parsed, Source};

#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Rows of the timed import.
    #[arg(long, default_value_t = 100_000)]
    pub rows: usize,
    /// Rows of the flat-memory run (0 skips it).
    #[arg(long, default_value_t = 1_000_000)]
    pub large_rows: usize,
    /// Run Afflux on this database instead of a fresh SQLite file.
    #[arg(long)]
    pub database_url: Option<String>,
    /// The target, in rows per second, reported as met or not.
    #[arg(long, default_value_t = 50_000.0)]
    pub target_rows_per_second: f64,
}

fn write_roster(path: &Path, rows: usize, offset: usize) -> anyhow::Result<()> {
    let mut w = BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        w,
        "id,first_name,last_name,email,paypal_email,state,token,visitors,leads,conversions"
    )?;
    for i in offset..offset + rows {
        writeln!(
            w,
            "aff_{i},First{i},\"Last, {i}\",Partner.{i}@Example.com,pay{i}@example.com,{},aff-{i},10,1,0",
            if i % 10 == 0 { "pending" } else { "active" }
        )?;
    }
    w.flush()?;
    Ok(())
}

/// The process's peak resident memory since the last reset, in MiB (Linux).
fn peak_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Starts a new peak-memory window (Linux: writing 5 to clear_refs resets VmHWM).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn parse_only(path: &Path) -> anyhow::Result<(usize, f64)> {
    let started = Instant::now();
    let file = std::io::BufReader::with_capacity(256 * 1024, std::fs::File::open(path)?);
    let rows = afflux_importers::roster(Source::Rewardful, None, file)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .filter(|r| matches!(r, Parsed::Row(_)))
        .count();
    Ok((rows, started.elapsed().as_secs_f64()))
}

async fn import(server: &Server, actor: &Actor, path: &Path) -> anyhow::Result<(i64, f64)> {
    let file = Box::new(std::io::BufReader::with_capacity(
        256 * 1024,
        std::fs::File::open(path)?,
    ));
    let input = RosterInput {
        source: "rewardful".into(),
        campaign: "bench".into(),
        ..RosterInput::default()
    };
    let started = Instant::now();
    let done = server.app.import_roster_file(actor, input, file, &|_| {}).await?;
    Ok((done.import.rows_imported, started.elapsed().as_secs_f64()))
}

pub async fn run(o: &Options) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let settings = Settings {
        database_url: o
            .database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("afflux.db").display())),
        bind: "127.0.0.1:0".into(),
        mail_dir: dir.path().join("mail").display().to_string(),
        ..Settings::default()
    };
    let backend = settings.database_url.split(':').next().unwrap_or("?").to_owned();
    let server = Server::start(&settings, false).await?;
    let seeded = crate::seed::seed(&server.app).await?;
    let actor = Actor::operator(seeded.org);

    println!("roster import ({backend}): {} rows, Rewardful CSV", o.rows);
    let small = dir.path().join("roster.csv");
    write_roster(&small, o.rows, 0)?;
    let (parsed, parse_secs) = parse_only(&small)?;
    reset_peak();
    let (imported, secs) = import(&server, &actor, &small).await?;
    anyhow::ensure!(imported as usize == parsed, "imported {imported} of {parsed} rows");
    let rate = imported as f64 / secs;
    let baseline = parsed as f64 / parse_secs;
    println!("  parse only (baseline): {baseline:>10.0} rows/s");
    println!(
        "  import end to end:     {rate:>10.0} rows/s in {secs:.2} s  ({:.2} of the parse rate), peak {:.0} MiB",
        rate / baseline,
        peak_mib().unwrap_or(f64::NAN)
    );
    println!(
        "  target {:.0} rows/s: {}",
        o.target_rows_per_second,
        if rate >= o.target_rows_per_second {
            "met"
        } else {
            "NOT met"
        }
    );

    if o.large_rows > 0 {
        let large = dir.path().join("large.csv");
        write_roster(&large, o.large_rows, o.rows)?;
        let size_mib = std::fs::metadata(&large)?.len() as f64 / (1024.0 * 1024.0);
        reset_peak();
        let (imported, secs) = import(&server, &actor, &large).await?;
        println!(
            "  {} rows ({size_mib:.0} MiB file): {:.0} rows/s in {secs:.1} s, peak {:.0} MiB (streamed: the file is not held)",
            imported,
            imported as f64 / secs,
            peak_mib().unwrap_or(f64::NAN)
        );
    }
    server.stop().await;
    Ok(())
}
