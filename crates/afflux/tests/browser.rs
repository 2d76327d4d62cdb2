//! The dashboard in a real browser: runs `e2e/foundation.mjs` (headless Chromium through
//! playwright-core) against a fresh instance, then checks what the clicks left in the database
//! and the mail folder. Missing prerequisites fail the test: a skipped browser test is a
//! browser test nobody runs. The same pages without a browser: `tests/dashboard.rs`.

#[path = "support/browser.rs"]
mod browser;

use std::path::Path;
use std::time::Duration;

use afflux::{Server, Settings};
use afflux_app::Actor;
use afflux_domain::AffiliateStatus;
use afflux_store::{AffiliateFilter, Page};

const OWNER_EMAIL: &str = "owner@example.com";
const OWNER_PASSWORD: &str = "correct horse battery staple";
const APPLICANT: &str = "avery@example.net";

async fn start(dir: &Path) -> Server {
    let settings = Settings {
        database_url: format!("sqlite://{}", dir.join("afflux.db").display()),
        bind: "127.0.0.1:0".into(),
        mail_dir: dir.join("mail").display().to_string(),
        ..Settings::default()
    };
    Server::start(&settings, true).await.expect("server starts")
}

/// Emails are written by the worker shortly after the commit: wait for one to `to`, and answer
/// it with quoted-printable soft line breaks undone so phrases can be searched.
async fn wait_for_mail(dir: &Path, to: &str) -> String {
    let header = format!("To: {to}");
    for _ in 0..100 {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            if text.lines().any(|l| l.trim_end() == header) {
                return text.replace("=\r\n", "").replace("=\n", "");
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no email to {to} in {}", dir.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foundation_walk_in_chromium() {
    let root = browser::workspace_root();
    let chromium = browser::require_prerequisites(&root);
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let token = server
        .app
        .setup_token()
        .await
        .unwrap()
        .expect("a fresh instance has a setup token");

    let output = tokio::process::Command::new("node")
        .arg("e2e/foundation.mjs")
        .args([server.url().as_str(), token.as_str(), APPLICANT])
        .env("CHROMIUM", &chromium)
        .env("OWNER_EMAIL", OWNER_EMAIL)
        .env("OWNER_PASSWORD", OWNER_PASSWORD)
        .current_dir(&root)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(180), output)
        .await
        .expect("the browser walk finishes within 3 minutes")
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert!(
        output.status.success(),
        "e2e/foundation.mjs failed ({}):\n{stdout}\n{stderr}",
        output.status
    );

    // What the clicks did, as the database has it.
    let app = &server.app;
    let mut tx = app.store().read().await.unwrap();
    let owner = tx
        .get_user_by_email(OWNER_EMAIL)
        .await
        .unwrap()
        .expect("setup created the owner");
    let orgs = tx.list_user_orgs(owner.id).await.unwrap();
    drop(tx);
    let [(org, _)] = orgs.as_slice() else {
        panic!("the owner should be in one organization: {orgs:?}")
    };
    let actor = Actor::operator(org.id);
    let campaigns = app.list_campaigns(&actor, true, Page::ALL).await.unwrap();
    let [campaign] = campaigns.as_slice() else {
        panic!("the form should have created one campaign: {campaigns:?}")
    };
    assert_eq!(
        (
            campaign.name.as_str(),
            campaign.slug.as_str(),
            campaign.cookie_window_days
        ),
        ("Spring Launch", "spring-launch", 60)
    );
    assert_eq!(campaign.commission.value, 2000, "20 % is 2000 basis points");

    let rows = app
        .list_affiliates(&actor, AffiliateFilter::default(), Page::ALL)
        .await
        .unwrap();
    let status_of = |email: &str| {
        rows.iter()
            .find(|r| r.affiliate.email.as_str() == email)
            .map(|r| r.membership.status)
    };
    assert_eq!(status_of(APPLICANT), Some(AffiliateStatus::Approved));
    let declined = format!("declined.{APPLICANT}");
    assert_eq!(status_of(&declined), Some(AffiliateStatus::Rejected));

    // The worker sent both decisions by email (the rejection was left on "notify").
    let approval = wait_for_mail(&dir.path().join("mail"), APPLICANT).await;
    assert!(
        approval.contains("approved for Spring Launch"),
        "approval email:\n{approval}"
    );
    let rejection = wait_for_mail(&dir.path().join("mail"), &declined).await;
    assert!(
        rejection.contains("Not a fit for this launch"),
        "rejection email:\n{rejection}"
    );

    server.stop().await;
}
