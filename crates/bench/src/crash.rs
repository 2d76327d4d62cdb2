//! The crash test: the built `afflux` binary serves a SQLite file while `/go/{slug}` is
//! hammered; mid-load it is killed with SIGKILL (no shutdown, no flush), restarted on the same
//! file, and every click id a 302 was answered with must be in the database.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use afflux::Settings;
use afflux_domain::ClickId;
use anyhow::Context;
use hyper::StatusCode;
use tokio::process::{Child, Command};

use crate::load::{self, Load, MakeRequest};
use crate::{redirect, seed};

#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// How long the load runs before each kill.
    #[arg(long, default_value_t = 2_000)]
    pub kill_after_ms: u64,
    /// Kill and restart this many times.
    #[arg(long, default_value_t = 3)]
    pub rounds: u32,
    /// The `afflux` binary to run; by default it is built with cargo (same profile as this).
    #[arg(long)]
    pub afflux_bin: Option<PathBuf>,
}

pub async fn run(o: &Options) -> anyhow::Result<()> {
    let bin = match &o.afflux_bin {
        Some(path) => path.clone(),
        None => build_afflux()?,
    };
    let dir = tempfile::tempdir()?;
    let database_url = format!("sqlite://{}", dir.path().join("afflux.db").display());
    let seeded = {
        let settings = Settings {
            database_url: database_url.clone(),
            mail_dir: dir.path().join("mail").display().to_string(),
            ..Settings::default()
        };
        let app = afflux::build_app(&settings, "http://127.0.0.1".into()).await?;
        let seeded = seed::seed(&app).await?;
        app.store().close().await;
        seeded
    };
    println!(
        "crash: {} connections on {}, kill -9 after {} ms of load, {} rounds",
        o.connections,
        bin.display(),
        o.kill_after_ms,
        o.rounds
    );

    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    // Visitor numbers keep counting across rounds: every request stays a new visitor.
    let visitors = Arc::new(AtomicU64::new(0));
    for round in 1..=o.rounds {
        let (mut child, addr) = spawn(&bin, dir.path(), &database_url).await?;
        let stop = Arc::new(AtomicBool::new(false));
        let load = Load {
            connections: o.connections,
            warmup: Duration::ZERO,
            duration: Duration::from_secs(3_600),
            stop: Some(stop.clone()),
        };
        let make: MakeRequest = {
            let visitors = visitors.clone();
            Arc::new(move |_| redirect::go_request(visitors.fetch_add(1, Ordering::Relaxed)))
        };
        let keep = {
            let acknowledged = acknowledged.clone();
            Arc::new(move |parts: &hyper::http::response::Parts| {
                if let Some(id) = redirect::click_id(parts) {
                    acknowledged.lock().expect("ids").push(id);
                }
            })
        };
        let before = acknowledged.lock().expect("ids").len();
        let hammer = tokio::spawn(async move { load::run(addr, &load, StatusCode::FOUND, make, keep).await });
        tokio::time::sleep(Duration::from_millis(o.kill_after_ms)).await;
        child.kill().await.context("kill -9")?; // SIGKILL: no graceful anything
        stop.store(true, Ordering::Relaxed);
        let figures = hammer.await?;
        let after = acknowledged.lock().expect("ids").len();
        println!(
            "  round {round}: {} redirects acknowledged before the kill ({} requests cut off)",
            after - before,
            figures.errors
        );
    }

    // Restart on the same file (recovering its WAL), then look every acknowledged click up.
    let (mut child, _) = spawn(&bin, dir.path(), &database_url).await?;
    let store = afflux_store::connect(&database_url).await?;
    let ids = std::mem::take(&mut *acknowledged.lock().expect("ids"));
    let mut missing = 0usize;
    {
        let mut tx = store.read().await?;
        for id in &ids {
            let id: ClickId = id.parse().context("a click id in a Location")?;
            if tx.get_click(id).await?.is_none() {
                missing += 1;
            }
        }
    }
    let stored = seed::clicks(store.as_ref(), &seeded).await?;
    store.close().await;
    child.kill().await?;
    println!(
        "crash result: {} clicks acknowledged with a 302, {} found after restart, {missing} missing; \
         {stored} clicks in the database (the rest were committed as the process died, before their answer went out)",
        ids.len(),
        ids.len() - missing
    );
    anyhow::ensure!(missing == 0, "{missing} acknowledged clicks were lost");
    anyhow::ensure!(
        !ids.is_empty(),
        "no redirect was acknowledged: the load did not reach the server"
    );
    Ok(())
}

/// Starts `afflux serve` on a free port and waits until it answers.
async fn spawn(bin: &Path, dir: &Path, database_url: &str) -> anyhow::Result<(Child, SocketAddr)> {
    let addr = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0")?;
        probe.local_addr()?
    };
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("afflux.log"))?;
    let mut command = Command::new(bin);
    // Only the settings given here: none leaking in from the caller's environment.
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("AFFLUX_")) {
        command.env_remove(key);
    }
    let mut child = command
        .arg("serve")
        .env("AFFLUX_DATABASE_URL", database_url)
        .env("AFFLUX_BIND", addr.to_string())
        .env("AFFLUX_TRUSTED_PROXIES", "127.0.0.1")
        .env("AFFLUX_MAIL_DIR", dir.join("mail"))
        .env("AFFLUX_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    for _ in 0..300 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Ok((child, addr));
        }
        if let Some(status) = child.try_wait()? {
            anyhow::bail!("afflux exited with {status}; see {}", dir.join("afflux.log").display());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("afflux did not start listening on {addr} within 15 s")
}

/// Builds the `afflux` binary with cargo, in this bench's profile, and answers its path.
fn build_afflux() -> anyhow::Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut command = std::process::Command::new(cargo);
    command.current_dir(&root).args([
        "build",
        "-p",
        "afflux",
        "--bin",
        "afflux",
        "--message-format=json-render-diagnostics",
    ]);
    if !cfg!(debug_assertions) {
        command.arg("--release");
    }
    println!("building the afflux binary (cargo build -p afflux)…");
    let output = command.stderr(Stdio::inherit()).output().context("running cargo")?;
    anyhow::ensure!(output.status.success(), "cargo build -p afflux failed");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "afflux")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .context("cargo reported no afflux executable")
}
