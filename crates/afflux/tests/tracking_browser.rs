//! The tracking script in headless Chromium: `e2e/tracking.mjs` visits brand pages served here
//! on another port (another origin, so CORS is real) that load `/t.js` from Afflux, then this
//! test checks the clicks it reported against the database. Missing node, Chromium or
//! `e2e/node_modules` fail the test rather than skip it.

#[path = "support/browser.rs"]
mod browser;
#[path = "support/tracking.rs"]
mod support;

use std::collections::HashMap;
use std::time::Duration;

use afflux_domain::{AttributionModel, ClickId, ClickSource};
use support::Fixture;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The brand's site: every path is a page loading the tracking script. `/custom` names a
/// custom link parameter on the script tag, `/first` the FirstTouch campaign.
async fn brand_site(afflux: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind brand site");
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let afflux = afflux.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 65_536 {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&request);
                let path = head.split_whitespace().nth(1).unwrap_or("/");
                let extra = if path.starts_with("/custom") {
                    r#" data-params="partner""#
                } else if path.starts_with("/first") {
                    r#" data-campaign="first""#
                } else {
                    ""
                };
                let body = format!(
                    "<!doctype html><html><head><meta charset=utf-8><title>Shop</title>\
                     <script src=\"{afflux}/t.js\" async{extra}></script></head><body><h1>Shop</h1></body></html>"
                );
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tracking_script_in_chromium() {
    let root = browser::workspace_root();
    let chromium = browser::require_prerequisites(&root);
    let f = Fixture::start("").await;
    let brand = brand_site(f.server.url()).await;

    let launch = f
        .campaign("launch", &format!("{brand}/landing"), AttributionModel::LastTouch, 30)
        .await;
    let first = f
        .campaign("first", &format!("{brand}/first"), AttributionModel::FirstTouch, 60)
        .await;
    let jane = f.affiliate(&launch, "jane@example.com", "Jane Roe", "jane").await;
    let bob = f.affiliate(&launch, "bob@example.com", "Bob", "bob-ref").await;
    let carol = f.affiliate(&launch, "carol@example.com", "Carol", "carol-fpr").await;
    let dan = f.affiliate(&first, "dan@example.com", "Dan", "dan-first").await;
    let erin = f.affiliate(&first, "erin@example.com", "Erin", "erin-first").await;

    let output = tokio::process::Command::new("node")
        .arg("e2e/tracking.mjs")
        .args([f.server.url().as_str(), brand.as_str()])
        .env("CHROMIUM", &chromium)
        .current_dir(&root)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(180), output)
        .await
        .expect("the browser run finishes within 3 minutes")
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert!(
        output.status.success(),
        "e2e/tracking.mjs failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    if !stderr.trim().is_empty() {
        eprintln!("{stderr}");
    }

    let report: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("a JSON report on the last line ({e}):\n{stdout}"));
    let clicks: HashMap<String, ClickId> = report["clicks"]
        .as_object()
        .expect("clicks")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().expect("a click id").parse().expect("a click id")))
        .collect();

    // Every click the browser saw is committed, to the right affiliate, from the right surface.
    for (visit, affiliate, source) in [
        ("a", jane.id, ClickSource::Script),
        ("b", bob.id, ClickSource::Script),
        ("c", carol.id, ClickSource::Script),
        ("d", carol.id, ClickSource::Script),
        ("e", jane.id, ClickSource::Link),
        ("f1", jane.id, ClickSource::Script),
        ("f2", bob.id, ClickSource::Script),
        ("g1", dan.id, ClickSource::Script),
    ] {
        let id = clicks
            .get(visit)
            .unwrap_or_else(|| panic!("visit {visit} reported no click"));
        let click = f
            .click(*id)
            .await
            .unwrap_or_else(|| panic!("click of visit {visit} is not stored"));
        assert_eq!((click.affiliate_id, click.source), (affiliate, source), "visit {visit}");
    }
    assert_eq!(f.click(clicks["g1"]).await.unwrap().campaign_id, first.id);
    // Visitors a, e and f for Jane: the /go visitor was not counted a second time by the script.
    for (who, id, expected) in [
        ("jane", jane.id, 3),
        ("bob", bob.id, 2),
        ("carol", carol.id, 2),
        ("dan", dan.id, 1),
        ("erin", erin.id, 1),
    ] {
        assert_eq!(f.clicks(id).await, expected, "clicks of {who}");
    }
}
