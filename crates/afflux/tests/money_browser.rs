//! The Commissions and Payouts pages in a real browser: `e2e/money.mjs` signs in, sees a
//! Pending commission, denies another with a reason, starts a payout run, downloads its PayPal
//! file, marks the item paid and sees the balance at zero; this test seeds the instance (a
//! program without hold, one with the default 30 days, S2S sales) and then checks the database.
//! Missing node, Chromium or `e2e/node_modules` fail the test rather than skip it. The same
//! pages without a browser: `tests/dashboard_money.rs`.

#[path = "support/browser.rs"]
mod browser;

use std::time::Duration;

use afflux::{Server, Settings};
use afflux_app::conversions::S2sEvent;
use afflux_app::{Actor, AffiliateInvite, Decimal, NewCampaign, RulesInput, Setup};
use afflux_domain::{CampaignId, CommissionStatus, CommissionType, OrgId, PayoutStatus};
use afflux_store::{CommissionFilter, Page};
use serde_json::json;

const OWNER_EMAIL: &str = "owner@example.com";
const OWNER_PASSWORD: &str = "correct horse battery staple";
/// Paid in the walk: one approved commission of 20.00 USD.
const PAYEE: &str = "jane@partners.example";
/// Two Pending commissions: 10.00 USD stays, 5.00 USD is denied.
const PENDING: &str = "omar@partners.example";
const REASON: &str = "Test order";
const REFERENCE: &str = "PP-2026-0001";

async fn program(server: &Server, actor: &Actor, slug: &str, hold_days: Option<i32>) -> CampaignId {
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
            hold_days,
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn money_walk_in_chromium() {
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

    // Jane's sale is payable at once; Omar's wait out the default hold.
    let spring = program(&server, &actor, "spring", Some(0)).await;
    let autumn = program(&server, &actor, "autumn", None).await;
    let invite = |program_id, email: &str| AffiliateInvite {
        program_id,
        email: email.into(),
        name: None,
    };
    let (jane, _) = app.invite_affiliate(&actor, invite(spring, PAYEE)).await.unwrap();
    let (omar, _) = app.invite_affiliate(&actor, invite(autumn, PENDING)).await.unwrap();
    sale(&server, org, "order-1", jane.slug.as_str(), 10_000).await;
    sale(&server, org, "order-2", omar.slug.as_str(), 5_000).await;
    sale(&server, org, "order-3", omar.slug.as_str(), 2_500).await;
    assert_eq!(app.approve_due_commissions().await.unwrap(), 1);

    let output = tokio::process::Command::new("node")
        .arg("e2e/money.mjs")
        .arg(server.url())
        .env("CHROMIUM", &chromium)
        .env("OWNER_EMAIL", OWNER_EMAIL)
        .env("OWNER_PASSWORD", OWNER_PASSWORD)
        .env("PAYEE", PAYEE)
        .env("PENDING", PENDING)
        .env("REASON", REASON)
        .env("REFERENCE", REFERENCE)
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
        "e2e/money.mjs failed ({}):\n{stdout}\n{stderr}",
        output.status
    );

    // What the clicks left: Omar's small commission denied with the reason, the other still
    // Pending; Jane's paid through one item with the reference, her balance at zero.
    let omars = app
        .commissions(
            &actor,
            CommissionFilter {
                affiliate_id: Some(omar.id),
                ..CommissionFilter::default()
            },
            Page::ALL,
        )
        .await
        .unwrap();
    let mut states: Vec<(i64, CommissionStatus, Option<&str>)> = omars
        .iter()
        .map(|c| (c.amount.minor, c.status, c.denied_reason.as_deref()))
        .collect();
    states.sort_by_key(|s| s.0);
    assert_eq!(
        states,
        [
            (500, CommissionStatus::Denied, Some(REASON)),
            (1000, CommissionStatus::Pending, None)
        ]
    );
    let runs = app.payout_runs(&actor, Page::ALL).await.unwrap();
    let [run] = runs.as_slice() else {
        panic!("one payout run: {runs:?}")
    };
    let detail = app.payout_run(&actor, run.id).await.unwrap();
    let [item] = detail.items.as_slice() else {
        panic!("one item: {:?}", detail.items)
    };
    assert_eq!(
        (
            item.affiliate_id,
            item.amount.minor,
            item.status,
            item.reference.as_deref()
        ),
        (jane.id, 2000, PayoutStatus::Paid, Some(REFERENCE))
    );
    let balances = app.balances(&actor, Some(jane.id)).await.unwrap();
    assert_eq!(balances.len(), 1);
    assert_eq!(balances[0].0.net(), 0);
    server.stop().await;
}
