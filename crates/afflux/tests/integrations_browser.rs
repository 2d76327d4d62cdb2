//! The Integrations page in a real browser: `e2e/integrations.mjs` connects Ontraport (the fake,
//! a wrong key first), picks a tag from the live picker, approves an applicant on the
//! Affiliates page and waits for the sync to show Succeeded; this test seeds the instance and
//! then checks the fake and the database. Missing node, Chromium or `e2e/node_modules` fail
//! the test rather than skip it. The same pages without a browser: `tests/dashboard_integrations.rs`.

#[path = "support/browser.rs"]
mod browser;

use std::time::Duration;

use afflux::{Server, Settings};
use afflux_app::{Actor, Application, Decimal, NewCampaign, Setup};
use afflux_domain::{CommissionType, CrmVendor};
use afflux_fakes::ontraport::{self, Config, OntraportFake};

const OWNER_EMAIL: &str = "owner@example.com";
const OWNER_PASSWORD: &str = "correct horse battery staple";
const APPLICANT: &str = "avery@example.net";
const TAG: &str = "VIP Partners";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integrations_walk_in_chromium() {
    let root = browser::workspace_root();
    let chromium = browser::require_prerequisites(&root);
    let (fake, running) = OntraportFake::start(Config::default()).await;
    let tag_id = fake.add_tag(TAG);
    let newsletter_id = fake.add_tag("Newsletter");

    let dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        database_url: format!("sqlite://{}", dir.path().join("afflux.db").display()),
        bind: "127.0.0.1:0".into(),
        mail_dir: dir.path().join("mail").display().to_string(),
        ontraport_base_url: Some(running.base_url()),
        ..Settings::default()
    };
    let server = Server::start(&settings, true).await.expect("server starts");
    let app = &server.app;
    let setup = Setup {
        token: app.setup_token().await.unwrap().expect("a setup token"),
        org_name: "Acme Widgets".into(),
        name: None,
        email: OWNER_EMAIL.into(),
        password: OWNER_PASSWORD.into(),
    };
    let session = app.setup(setup).await.unwrap();
    let org = app.session(&session).await.unwrap().expect("a session").org.id;
    app.logout(&session).await.unwrap();
    let actor = Actor::operator(org);
    let campaign = NewCampaign {
        name: "Spring Launch".into(),
        slug: Some("spring-launch".into()),
        destination_url: "https://acme.example/pricing".into(),
        default_commission_type: CommissionType::Percentage,
        default_commission_value: Decimal("20".into()),
        currency: None,
        default_commission_model: None,
        cookie_window_days: None,
        attribution_model: None,
        auto_approve: Some(false),
        description: None,
        terms_url: None,
        rules: None,
    };
    app.create_campaign(&actor, campaign).await.unwrap();
    let application = Application {
        email: APPLICANT.into(),
        name: Some("Avery Applicant".into()),
        paypal_email: None,
        slug: None,
        recruiter: None,
    };
    app.apply(org, "spring-launch", application).await.unwrap();

    let output = tokio::process::Command::new("node")
        .arg("e2e/integrations.mjs")
        .arg(server.url())
        .env("CHROMIUM", &chromium)
        .env("OWNER_EMAIL", OWNER_EMAIL)
        .env("OWNER_PASSWORD", OWNER_PASSWORD)
        .env("ONTRAPORT_APP_ID", ontraport::APP_ID)
        .env("ONTRAPORT_API_KEY", ontraport::API_KEY)
        .env("TAG", TAG)
        .env("APPLICANT", APPLICANT)
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
        "e2e/integrations.mjs failed ({}):\n{stdout}\n{stderr}",
        output.status
    );

    // What the clicks left: one Ontraport integration with the picked tag, the contact tagged.
    let all = app.integrations(&actor).await.unwrap();
    let [summary] = all.as_slice() else {
        panic!("one integration: {all:?}")
    };
    let integration = &summary.integration;
    assert_eq!(integration.vendor, CrmVendor::Ontraport);
    let destination = integration.settings.destination.as_ref().expect("a tag was picked");
    assert_eq!(
        (destination.id.as_str(), destination.name.as_str()),
        (tag_id.as_str(), TAG)
    );
    assert_eq!(integration.settings.default_tags, ["Partners"]);
    let overrides: Vec<_> = integration.settings.campaign_overrides.values().collect();
    let [entry] = overrides.as_slice() else {
        panic!("one program override: {overrides:?}")
    };
    let picked = entry.destination.as_ref().map(|d| (d.id.as_str(), d.name.as_str()));
    assert_eq!(picked, Some((newsletter_id.as_str(), "Newsletter")));
    assert_eq!(entry.tags, ["Spring"]);
    let contact = fake.contact(APPLICANT).expect("the applicant is an Ontraport contact");
    for tag in ["Afflux affiliate", TAG, "Partners"] {
        assert!(contact.tags.iter().any(|t| t == tag), "tag {tag:?} on {contact:?}");
    }
    assert_eq!(
        (contact.firstname.as_str(), contact.lastname.as_str()),
        ("Avery", "Applicant")
    );
    // The refused attempt reached the vendor and was turned away: the first call had the
    // wrong key, and nothing of it was kept.
    let first = fake.journal().all().into_iter().next().expect("the fake was called");
    assert_ne!(first.header("api-key"), Some(ontraport::API_KEY));

    server.stop().await;
}
