//! The affiliate portal in a real browser: runs `e2e/portal.mjs` (headless Chromium through
//! playwright-core) against a fresh instance: apply on the public page, approve in the
//! dashboard, sign in through the link emailed over SMTP, copy the referral link, a click and a
//! sale appear on the portal home.
//! Screenshots of each page go to target/screenshots/portal/. The same pages without a
//! browser: `tests/portal.rs`.

#[path = "support/browser.rs"]
mod browser;
#[path = "support/smtp.rs"]
mod smtp;

use std::time::Duration;

use afflux::{Server, Settings};
use afflux_app::{Actor, Decimal, NewCampaign, Setup};
use afflux_domain::CommissionType;
use smtp::SmtpSink;

const OWNER_EMAIL: &str = "owner@example.com";
const OWNER_PASSWORD: &str = "correct horse battery staple";
const APPLICANT: &str = "avery@example.net";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portal_walk_in_chromium() {
    let root = browser::workspace_root();
    let chromium = browser::require_prerequisites(&root);
    let dir = tempfile::tempdir().unwrap();
    // Mail goes through a real SMTP server; the walk reads it from that server's Maildir.
    let smtp = SmtpSink::start(dir.path());
    let mail = smtp.maildir.join("new");
    let settings = Settings {
        database_url: format!("sqlite://{}", dir.path().join("afflux.db").display()),
        bind: "127.0.0.1:0".into(),
        smtp_url: Some(format!("smtp://127.0.0.1:{}", smtp.port)),
        mail_dir: dir.path().join("files").display().to_string(),
        ..Settings::default()
    };
    let server = Server::start(&settings, true).await.expect("server starts");
    let app = &server.app;
    let token = app.setup_token().await.unwrap().expect("a fresh instance");
    app.setup(Setup {
        token,
        org_name: "Brightwave".into(),
        name: Some("Olivia Owner".into()),
        email: OWNER_EMAIL.into(),
        password: OWNER_PASSWORD.into(),
    })
    .await
    .unwrap();
    let mut tx = app.store().read().await.unwrap();
    let owner = tx.get_user_by_email(OWNER_EMAIL).await.unwrap().unwrap();
    let org = tx.list_user_orgs(owner.id).await.unwrap()[0].0.id;
    drop(tx);
    let actor = Actor::operator(org);
    // The destination is a page of this instance, so the tracking redirect lands somewhere.
    let campaign = app
        .create_campaign(
            &actor,
            NewCampaign {
                name: "Courses".into(),
                slug: Some("courses".into()),
                destination_url: format!("{}/healthz", server.url()),
                default_commission_type: CommissionType::Percentage,
                default_commission_value: Decimal("20".into()),
                currency: Some("USD".into()),
                default_commission_model: None,
                cookie_window_days: None,
                attribution_model: None,
                auto_approve: None,
                description: None,
                terms_url: None,
                rules: None,
            },
        )
        .await
        .unwrap();
    let secret = app.s2s_signing_secret(&actor).await.unwrap();

    let output = tokio::process::Command::new("node")
        .arg("e2e/portal.mjs")
        .env("AFFLUX_URL", server.url())
        .env("ORG_ID", org.to_string())
        .env("CAMPAIGN_SLUG", campaign.slug.as_str())
        .env("OWNER_EMAIL", OWNER_EMAIL)
        .env("OWNER_PASSWORD", OWNER_PASSWORD)
        .env("APPLICANT_EMAIL", APPLICANT)
        .env("S2S_SECRET", &secret)
        .env("MAIL_DIR", &mail)
        .env("CHROMIUM", &chromium)
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
        "e2e/portal.mjs failed ({}):\n{stdout}\n{stderr}",
        output.status
    );

    // What the browser did, as the database has it.
    let mut tx = app.store().read().await.unwrap();
    let affiliate = tx
        .get_affiliate_by_email(org, APPLICANT)
        .await
        .unwrap()
        .expect("the application");
    assert_eq!(tx.click_count(org, affiliate.id, None).await.unwrap(), 1);
    assert_eq!(tx.affiliate_conversion_count(org, affiliate.id).await.unwrap(), 1);
    drop(tx);
    for shot in [
        "portal-home",
        "portal-links",
        "portal-earnings",
        "portal-promo",
        "portal-settings",
    ] {
        let found = std::fs::read_dir(root.join("target/screenshots/portal"))
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().ends_with(&format!("{shot}.png")));
        assert!(found, "no screenshot of {shot}");
    }
    server.stop().await;
}
