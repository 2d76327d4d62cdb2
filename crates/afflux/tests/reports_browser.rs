//! The Reports and Tax pages in a real browser: `e2e/reports.mjs` signs in, reads the summary
//! cards and the server-drawn SVG chart, switches to 90 days and to one campaign, downloads a
//! CSV export and loads the ECB rates through the upload form, then on the Tax page sees the
//! paid affiliate flagged for a missing form, records their W-9 and downloads the 1099-NEC file. This test seeds the instance (clicks, sales, a
//! paid payout, an exchange rate) and checks the database afterwards. Missing node, Chromium
//! or `e2e/node_modules` fail the test rather than skip it. The same pages without a browser:
//! `tests/dashboard_reports.rs`.

#[path = "support/browser.rs"]
mod browser;

use std::time::Duration;

use afflux::{Server, Settings};
use afflux_app::conversions::S2sEvent;
use afflux_app::money::NewPayoutRun;
use afflux_app::{Actor, AffiliateInvite, Decimal, NewCampaign, RulesInput, Setup};
use afflux_domain::{CampaignId, ClickId, ClickSource, CommissionType, OrgId, PayoutRail, TaxFormStatus};
use afflux_store::NewClick;
use serde_json::json;
use time::OffsetDateTime;

const OWNER_EMAIL: &str = "owner@example.com";
const OWNER_PASSWORD: &str = "correct horse battery staple";
/// Paid USD 700.00 this year with no tax form: flagged, then given a W-9 in the walk.
const PAYEE: &str = "jane@partners.example";
/// Clicks and a small sale in the second campaign.
const OTHER: &str = "omar@partners.example";

async fn program(server: &Server, actor: &Actor, slug: &str) -> CampaignId {
    let input = NewCampaign {
        name: format!("{} program", slug.to_uppercase()),
        slug: Some(slug.into()),
        destination_url: "https://acme.example/pricing".into(),
        default_commission_type: CommissionType::Percentage,
        default_commission_value: Decimal("20".into()),
        currency: Some("USD".into()),
        default_commission_model: None,
        cookie_window_days: None,
        attribution_model: None,
        auto_approve: None,
        description: None,
        terms_url: None,
        rules: Some(RulesInput {
            hold_days: Some(0),
            ..RulesInput::default()
        }),
    };
    server.app.create_campaign(actor, input).await.unwrap().id
}

async fn sale(server: &Server, org: OrgId, id: &str, slug: &str, cents: i64) {
    let event: S2sEvent = serde_json::from_value(json!({
        "externalEventId": id, "type": "sale", "affiliateSlug": slug, "amountCents": cents, "currency": "USD"
    }))
    .unwrap();
    server.app.ingest_s2s(org, event).await.expect("the sale is recorded");
}

async fn clicks(
    server: &Server,
    org: OrgId,
    campaign: CampaignId,
    affiliate: afflux_domain::AffiliateId,
    n: usize,
    referrer: &str,
    days_ago: i64,
) {
    let at = OffsetDateTime::now_utc() - time::Duration::days(days_ago);
    let batch: Vec<NewClick> = (0..n)
        .map(|_| {
            let id = ClickId::new();
            NewClick {
                id,
                org_id: org,
                campaign_id: campaign,
                affiliate_id: affiliate,
                visitor_hash: id.0.as_bytes().to_vec(),
                referrer_domain: Some(referrer.to_owned()),
                source: ClickSource::Link,
                at,
            }
        })
        .collect();
    let outcomes = server.app.store().record_clicks(&batch).await.unwrap();
    assert!(outcomes.iter().all(|o| o.recorded));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_and_tax_walk_in_chromium() {
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

    // Activity over the last weeks, so the chart has shape; Jane's sales paid out.
    let spring = program(&server, &actor, "spring").await;
    let autumn = program(&server, &actor, "autumn").await;
    let invite = |program_id, email: &str| AffiliateInvite {
        program_id,
        email: email.into(),
        name: None,
    };
    let (jane, _) = app.invite_affiliate(&actor, invite(spring, PAYEE)).await.unwrap();
    let (omar, _) = app.invite_affiliate(&actor, invite(autumn, OTHER)).await.unwrap();
    for (days_ago, n) in [(20, 3), (12, 6), (5, 4), (1, 8), (0, 5)] {
        clicks(&server, org, spring, jane.id, n, "news.example", days_ago).await;
    }
    clicks(&server, org, autumn, omar.id, 4, "blog.example", 3).await;
    sale(&server, org, "order-1", jane.slug.as_str(), 200_000).await;
    sale(&server, org, "order-2", jane.slug.as_str(), 150_000).await;
    sale(&server, org, "order-3", omar.slug.as_str(), 10_000).await;
    app.import_fx_rates("Date,USD,\n2026-01-02,1.10,\n").await.unwrap();
    assert_eq!(app.approve_due_commissions().await.unwrap(), 3);
    let run = app
        .start_payout_run(
            &actor,
            NewPayoutRun {
                rail: PayoutRail::Manual,
                currency: None,
            },
        )
        .await
        .unwrap();
    for item in run.items.iter().filter(|i| i.affiliate_id == jane.id) {
        app.mark_payout_paid(&actor, item.id, "BANK-1").await.unwrap();
    }

    let output = tokio::process::Command::new("node")
        .arg("e2e/reports.mjs")
        .arg(server.url())
        .env("CHROMIUM", &chromium)
        .env("OWNER_EMAIL", OWNER_EMAIL)
        .env("OWNER_PASSWORD", OWNER_PASSWORD)
        .env("PAYEE", PAYEE)
        .env("OTHER", OTHER)
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
        "e2e/reports.mjs failed ({}):\n{stdout}\n{stderr}",
        output.status
    );

    // What the clicks left: the uploaded rates, and Jane's W-9 on file, recorded as the Owner.
    let latest = app.latest_fx_date().await.unwrap();
    assert_eq!(latest, Some((time::macros::date!(2026 - 11 - 20), 3)));
    let form = app.tax_form(&actor, jane.id).await.unwrap().expect("a tax form");
    assert_eq!(form.status, TaxFormStatus::W9);
    let omars = app.tax_form(&actor, omar.id).await.unwrap();
    assert!(omars.is_none_or(|f| f.status == TaxFormStatus::None));
    server.stop().await;
}
