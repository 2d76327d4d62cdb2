//! Signed S2S conversions (issue 3, item 10b): sales per second through `POST /api/track/s2s`,
//! each a new sale with its own event id and customer, so every answer is a committed
//! conversion with signature check, attribution, commission, customer binding and audit entry.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use afflux::{Server, Settings};
use afflux_app::conversions::s2s_signature;
use afflux_store::{ConversionFilter, Page};
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Request, StatusCode, header};

use crate::load::{self, Load, MakeRequest};
use crate::seed;

#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// Measured seconds.
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
    /// Unmeasured seconds before that.
    #[arg(long, default_value_t = 1)]
    pub warmup_seconds: u64,
    /// Run Afflux on this database instead of a fresh SQLite file.
    #[arg(long)]
    pub database_url: Option<String>,
    /// The target, in sales per second, reported as met or not.
    #[arg(long, default_value_t = 5_000.0)]
    pub target: f64,
}

/// A signed S2S sale, number `n`: its own event id and customer.
fn sale(org: &str, secret: &str, n: u64) -> Request<Full<Bytes>> {
    let body = format!(
        r#"{{"externalEventId":"bench-{n}","type":"sale","affiliateSlug":"{}","amountCents":{},"currency":"EUR","customerId":"cust-{n}"}}"#,
        seed::SLUG,
        1_000 + n % 9_000
    );
    let ts = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64;
    Request::post("/api/track/s2s")
        .header(header::HOST, "127.0.0.1")
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-afflux-organization", org)
        .header("x-afflux-timestamp", ts.to_string())
        .header("x-afflux-signature", s2s_signature(secret, ts, body.as_bytes()))
        .body(Full::new(Bytes::from(body)))
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
        ..Settings::default()
    };
    let backend = settings.database_url.split(':').next().unwrap_or("?").to_owned();
    let server = Server::start(&settings, true).await?;
    let seeded = seed::seed(&server.app).await?;
    let org = seeded.org.to_string();
    let secret = server.app.s2s_signing_secret_of(seeded.org);

    let load = Load {
        connections: o.connections,
        warmup: Duration::from_secs(o.warmup_seconds),
        duration: Duration::from_secs(o.seconds),
        stop: None,
    };
    println!(
        "s2s: POST /api/track/s2s, {} keep-alive connections, {} s measured after {} s warm-up, \
         every request a new signed sale ({backend})",
        load.connections, o.seconds, o.warmup_seconds
    );
    let make: MakeRequest = Arc::new(move |n| sale(&org, &secret, n));
    let created = Arc::new(AtomicU64::new(0));
    let count = {
        let created = created.clone();
        Arc::new(move |parts: &hyper::http::response::Parts| {
            if parts.status == StatusCode::CREATED {
                created.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let f = load::run(server.addr, &load, StatusCode::CREATED, make, count).await;
    let rate = f.per_second();
    println!(
        "{:<22}{:>12}{:>10}{:>10}{:>10}",
        "server", "sales/s", "p50 ms", "p99 ms", "errors"
    );
    println!(
        "{:<22}{rate:>12.0}{:>10.2}{:>10.2}{:>10}",
        format!("afflux ({backend})"),
        f.quantile_ms(0.5),
        f.quantile_ms(0.99),
        f.errors + f.unexpected
    );
    println!(
        "target {:.0} sales/s: {}",
        o.target,
        if rate >= o.target { "met" } else { "NOT met" }
    );

    let acknowledged = created.load(Ordering::Relaxed);
    let stored = server
        .app
        .store()
        .read()
        .await?
        .list_conversions(seeded.org, &ConversionFilter::default(), Page::ALL)
        .await?
        .len() as u64;
    println!("conversions: {acknowledged} answered 201, {stored} stored");
    server.stop().await;
    anyhow::ensure!(
        stored == acknowledged,
        "{acknowledged} sales were acknowledged but {stored} are stored"
    );
    Ok(())
}
