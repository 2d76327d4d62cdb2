//! The public application page in a real browser: runs `e2e/apply.mjs` (headless Chromium
//! through playwright-core, on a phone-sized screen, without JavaScript) against a fresh
//! instance, then checks what the submission left in the database. Screenshots go to
//! `target/screenshots/apply/`. The same page over plain HTTP: `tests/applications.rs`.

#[path = "support/browser.rs"]
mod browser;

use std::time::Duration;

use afflux::{Server, Settings};
use afflux_app::applications::FormEdit;
use afflux_app::{Actor, Decimal, NewCampaign, NewOrg};
use afflux_domain::{AffiliateStatus, AnswerValue, CommissionType, FieldInput, FieldType};
use afflux_store::{AffiliateFilter, Page};

const APPLICANT: &str = "avery@example.net";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_on_the_public_page_in_chromium() {
    let root = browser::workspace_root();
    let chromium = browser::require_prerequisites(&root);
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        database_url: format!("sqlite://{}", dir.path().join("afflux.db").display()),
        bind: "127.0.0.1:0".into(),
        mail_dir: dir.path().join("mail").display().to_string(),
        ..Settings::default()
    };
    let server = Server::start(&settings, true).await.expect("server starts");
    let created = server
        .app
        .create_org(NewOrg {
            name: "Brightwave Courses".into(),
            owner_email: "owner@brand.test".into(),
            plan: None,
            status: None,
        })
        .await
        .unwrap();
    let actor = Actor::operator(created.org.id);
    let campaign = NewCampaign {
        name: "Spring Launch".into(),
        slug: Some("spring".into()),
        destination_url: "https://brand.test/pricing".into(),
        default_commission_type: CommissionType::Percentage,
        default_commission_value: Decimal("30".into()),
        currency: None,
        default_commission_model: None,
        cookie_window_days: Some(45),
        attribution_model: None,
        auto_approve: None,
        description: Some("Courses for designers who teach.".into()),
        terms_url: None,
        rules: None,
    };
    let campaign = server.app.create_campaign(&actor, campaign).await.unwrap();
    let field = |label: &str, field_type, options: &str| {
        FormEdit::Add(FieldInput {
            label: label.into(),
            field_type: Some(field_type),
            required: true,
            options: options.into(),
            help: String::new(),
        })
    };
    for edit in [
        field("Platform", FieldType::Checkboxes, "Blog\nYouTube\nNewsletter"),
        field("Country", FieldType::Country, ""),
    ] {
        server
            .app
            .edit_application_form(&actor, campaign.id, edit)
            .await
            .unwrap();
    }
    let handle = server.app.public_profile(&actor).await.unwrap().handle;

    let output = tokio::process::Command::new("node")
        .arg("e2e/apply.mjs")
        .args([server.url().as_str(), &format!("/p/{handle}/spring"), APPLICANT])
        .env("CHROMIUM", &chromium)
        .env("SCREENSHOTS", root.join("target/screenshots/apply"))
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
        "e2e/apply.mjs failed ({}):\n{stdout}\n{stderr}",
        output.status
    );

    let rows = server
        .app
        .list_affiliates(&actor, AffiliateFilter::default(), Page::ALL)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "one application, after one refused");
    let row = &rows[0];
    assert_eq!(row.affiliate.email.as_str(), APPLICANT);
    assert_eq!(row.affiliate.slug.as_str(), "avery-designs");
    assert_eq!(row.membership.status, AffiliateStatus::Pending);
    let answers = server
        .app
        .affiliate_applications(&actor, row.affiliate.id)
        .await
        .unwrap();
    let answers = answers.applications[0].answers.clone().expect("answers kept");
    assert_eq!(answers["platform"], AnswerValue::Many(vec!["YouTube".into()]));
    assert_eq!(answers["country"], AnswerValue::Text("CA".into()));
    assert_eq!(
        answers["promotion"],
        AnswerValue::Text("A weekly newsletter for designers.".into())
    );
    for shot in ["01-application-page", "02-application-errors", "04-application-done"] {
        assert!(
            root.join(format!("target/screenshots/apply/{shot}.png")).is_file(),
            "screenshot {shot}"
        );
    }
    server.stop().await;
}
