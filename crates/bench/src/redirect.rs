//! Redirect throughput: the real Afflux server (durable click logging on a fresh SQLite file,
//! job worker on) against the bare redirect server, same load, same process, one after the
//! other. Every request is a distinct visitor (its own `X-Forwarded-For`, the bench being a
//! trusted proxy), so every Afflux answer commits a new click.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use afflux::{Server, Settings};
use http_body_util::Full;
use hyper::{Request, StatusCode, header};

use crate::load::{self, Figures, Load, MakeRequest};
use crate::seed;

pub const USER_AGENT: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// Measured seconds per server.
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
    /// Unmeasured seconds before that.
    #[arg(long, default_value_t = 1)]
    pub warmup_seconds: u64,
    /// Run Afflux on this database instead of a fresh SQLite file (e.g. an empty PostgreSQL
    /// database: `postgres://postgres@127.0.0.1/afflux_bench`).
    #[arg(long)]
    pub database_url: Option<String>,
    /// The click writer's batch wait.
    #[arg(long, default_value_t = Settings::default().click_batch_wait_ms)]
    pub batch_wait_ms: u64,
}

/// The request for `/go/{slug}` number `n`: a visitor of its own.
pub fn go_request(n: u64) -> Request<Full<hyper::body::Bytes>> {
    go_request_as(n, USER_AGENT)
}

fn go_request_as(n: u64, user_agent: &'static str) -> Request<Full<hyper::body::Bytes>> {
    Request::get(format!("/go/{}", seed::SLUG))
        .header(header::HOST, "127.0.0.1")
        .header(header::USER_AGENT, user_agent)
        .header("x-forwarded-for", load::visitor_ip(n))
        .body(Full::default())
        .expect("a valid request")
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
        trusted_proxies: "127.0.0.1".into(),
        click_batch_wait_ms: o.batch_wait_ms,
        ..Settings::default()
    };
    let backend = settings.database_url.split(':').next().unwrap_or("?").to_owned();
    let server = Server::start(&settings, true).await?;
    let seeded = seed::seed(&server.app).await?;
    let bare = crate::bare::start(seed::DESTINATION.to_owned()).await?;

    let load = Load {
        connections: o.connections,
        warmup: Duration::from_secs(o.warmup_seconds),
        duration: Duration::from_secs(o.seconds),
        stop: None,
    };
    println!(
        "redirect: GET /go/{{slug}}, {} keep-alive connections, {} s measured after {} s warm-up, every request a new visitor",
        load.connections, o.seconds, o.warmup_seconds
    );
    let make: MakeRequest = Arc::new(go_request);
    let ignore = Arc::new(|_: &hyper::http::response::Parts| {});
    let bare_figures = load::run(bare, &load, StatusCode::FOUND, make.clone(), ignore.clone()).await;

    // Afflux: also keep every click id it answered with, to check them against the database.
    let answered = Arc::new(Mutex::new(Vec::new()));
    let keep = {
        let answered = answered.clone();
        Arc::new(move |parts: &hyper::http::response::Parts| {
            if let Some(id) = click_id(parts) {
                answered.lock().expect("ids").push(id);
            }
        })
    };
    // The same path for a crawler: everything but the click (lookup, filter, redirect), to
    // show what durability costs apart from the HTTP stack.
    let crawler: MakeRequest = Arc::new(|n| go_request_as(n, "Mozilla/5.0 (compatible; Googlebot/2.1)"));
    let uncounted = load::run(server.addr, &load, StatusCode::FOUND, crawler, ignore.clone()).await;
    let before = server.app.click_writer_stats();
    let afflux_figures = load::run(server.addr, &load, StatusCode::FOUND, make, keep).await;
    let writer = server.app.click_writer_stats();

    println!(
        "{:<26}{:>12}{:>10}{:>10}{:>10}",
        "server", "requests/s", "p50 ms", "p99 ms", "errors"
    );
    print_row("bare axum redirect", &bare_figures);
    print_row("afflux, bots (no click)", &uncounted);
    print_row(&format!("afflux ({backend})"), &afflux_figures);
    let ratio = afflux_figures.per_second() / bare_figures.per_second();
    println!(
        "ratio afflux / bare: {ratio:.2} (target at least 0.60: {})",
        if ratio >= 0.6 { "met" } else { "NOT met" }
    );

    let answered = std::mem::take(&mut *answered.lock().expect("ids"));
    let stored = seed::clicks(server.app.store().as_ref(), &seeded).await?;
    let (batches, clicks) = (writer.batches - before.batches, writer.clicks - before.clicks);
    let busy_ms = (writer.busy_us - before.busy_us) as f64 / 1_000.0;
    println!(
        "clicks: {} redirects carried a click id, {stored} clicks counted in the database; \
         group commit: {clicks} clicks in {batches} transactions ({:.1} per commit, {:.2} ms each, writer busy {:.0} %)",
        answered.len(),
        clicks as f64 / batches.max(1) as f64,
        busy_ms / batches.max(1) as f64,
        100.0 * busy_ms / (load.warmup + afflux_figures.elapsed).as_secs_f64().max(1e-9) / 1_000.0
    );
    server.stop().await;
    anyhow::ensure!(
        stored as usize >= answered.len(),
        "{} clicks were acknowledged but only {stored} are stored",
        answered.len()
    );
    Ok(())
}

fn print_row(name: &str, f: &Figures) {
    println!(
        "{name:<26}{:>12.0}{:>10.2}{:>10.2}{:>10}",
        f.per_second(),
        f.quantile_ms(0.5),
        f.quantile_ms(0.99),
        f.errors + f.unexpected
    );
}

/// The `afx_click` of a redirect's Location.
pub fn click_id(parts: &hyper::http::response::Parts) -> Option<String> {
    let location = parts.headers.get(header::LOCATION)?.to_str().ok()?;
    let query = location.split_once('?')?.1;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("afx_click="))
        .map(str::to_owned)
}
