//! Migrations: the CSV importers through the app's verbs (as the dashboard and CLI call them),
//! the import API (canonical rows, idempotency, limits, plan gates), history with settled and
//! payable money, auto-notify through the worker, revert, and the failed-import sweep.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use afflux_app::imports::{HistoryInput, RosterInput};
use afflux_app::{Actor, ActorKind};
use afflux_domain::{
    CampaignId, Import, ImportId, ImportKind, ImportStatus, OrgId, PlanTier, Role, SubscriptionStatus,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::common::{TestApp, assert_error, id, is_to, program};

fn fixture(name: &str) -> Box<dyn std::io::Read + Send> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../importers/fixtures")
        .join(name);
    Box::new(std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn roster(source: &str, campaign: &str) -> RosterInput {
    RosterInput {
        source: source.into(),
        campaign: campaign.into(),
        ..RosterInput::default()
    }
}

async fn affiliate_by_email(t: &TestApp, key: &str, email: &str) -> Option<Value> {
    let (status, page) = t.get("/api/v1/affiliates?perPage=100", key).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["email"] == email)
        .cloned()
}

fn counts(map: &BTreeMap<String, i64>) -> Vec<(&str, i64)> {
    map.iter().map(|(k, v)| (k.as_str(), *v)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rewardful_roster_imports_with_its_slugs_and_explains_every_skipped_row() {
    let t = TestApp::spawn().await;
    t.create_program(&t.org.key, program("Pro", "pro")).await;
    let actor = Actor::operator(t.org.id);
    let app = &t.server.app;

    let preview = app
        .preview_roster_file(&actor, roster("rewardful", "pro"), fixture("rewardful_affiliates.csv"))
        .await
        .unwrap();
    assert_eq!(preview.would_import, 3, "{preview:?}");
    assert_eq!(preview.slugs_preserved, 1, "only jane-doe is a valid slug");

    let progress = std::sync::atomic::AtomicI64::new(0);
    let done = app
        .import_roster_file(
            &actor,
            roster("rewardful", "pro"),
            fixture("rewardful_affiliates.csv"),
            &|n| progress.store(n, std::sync::atomic::Ordering::Relaxed),
        )
        .await
        .unwrap();
    let import = &done.import;
    assert_eq!(import.status, ImportStatus::Completed);
    assert_eq!(import.rows_imported, 3);
    assert_eq!(
        import.rows_total, preview.rows_total,
        "the preview counted the same rows"
    );
    assert_eq!(progress.load(std::sync::atomic::Ordering::Relaxed), import.rows_total);
    assert_eq!(
        counts(&import.skips),
        vec![("already_exists", 1), ("missing_email", 1), ("row_parse_failed", 2)]
    );
    // Lines, never content: the duplicate Jane (line 5) and the blank email (line 4).
    let lines: Vec<(i64, &str)> = done.skipped_rows.iter().map(|r| (r.line, r.reason.as_str())).collect();
    assert!(lines.contains(&(4, "missing_email")), "{lines:?}");
    assert!(lines.contains(&(5, "already_exists")), "{lines:?}");
    let body = serde_json::to_string(&done).unwrap();
    assert!(
        !body.contains("carla") && !body.contains("frozen"),
        "no row content is echoed: {body}"
    );
    assert!(done.link_continuity.unwrap().contains("via="));

    let jane = affiliate_by_email(&t, &t.org.key, "jane.doe@example.com")
        .await
        .expect("jane imported");
    assert_eq!(jane["slug"], "jane-doe", "the Rewardful token is kept");
    assert_eq!(jane["name"], "Jane Doe");
    assert_eq!(jane["paypalEmail"], "jane.paypal@example.com");
    assert_eq!(jane["memberships"][0]["status"], "Approved");
    let bob = affiliate_by_email(&t, &t.org.key, "bob@example.com")
        .await
        .expect("bob imported");
    assert_eq!(bob["memberships"][0]["status"], "Pending");
    let bob_slug = bob["slug"].as_str().unwrap();
    assert_eq!(bob_slug.len(), 12, "bob_smith is not a valid slug: a fresh one");
    assert!(
        bob["paypalEmail"].is_null(),
        "an invalid PayPal address is dropped, not the row"
    );
    let finn = affiliate_by_email(&t, &t.org.key, "finn@example.com")
        .await
        .expect("finn imported");
    assert_eq!(finn["memberships"][0]["status"], "Rejected");

    // The old ?via= link keeps attributing: the tracking link of the kept slug answers.
    let resp = no_redirects().get(t.url("/go/jane-doe")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    assert!(resp.headers()["location"].to_str().unwrap().contains("via=jane-doe"));

    // Re-running is safe: every row is now already there.
    let again = app
        .import_roster_file(
            &actor,
            roster("rewardful", "pro"),
            fixture("rewardful_affiliates.csv"),
            &|_| {},
        )
        .await
        .unwrap();
    assert_eq!(again.import.rows_imported, 0);
    assert_eq!(again.import.skips["already_exists"], 4);

    // An affiliate of another campaign joins this one (a membership), not a duplicate.
    t.create_program(&t.org.key, program("Lite", "lite")).await;
    let into_lite = app
        .import_roster_file(
            &actor,
            roster("rewardful", "lite"),
            fixture("rewardful_affiliates.csv"),
            &|_| {},
        )
        .await
        .unwrap();
    assert_eq!(into_lite.import.rows_imported, 3);
    let jane_id = id(&affiliate_by_email(&t, &t.org.key, "jane.doe@example.com")
        .await
        .unwrap());
    let (_, jane) = t.get(&format!("/api/v1/affiliates/{jane_id}"), &t.org.key).await;
    assert_eq!(jane["memberships"].as_array().unwrap().len(), 2, "{jane}");

    // The audit log says what happened.
    let actions: Vec<String> = t.audit(t.org.id).await.into_iter().map(|e| e.action).collect();
    assert_eq!(actions.iter().filter(|a| *a == "migration.completed").count(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_without_an_email_column_writes_nothing_and_a_custom_csv_needs_its_mapping() {
    let t = TestApp::spawn().await;
    t.create_program(&t.org.key, program("Pro", "pro")).await;
    let actor = Actor::operator(t.org.id);
    let app = &t.server.app;
    let file: Box<dyn std::io::Read + Send> = Box::new(std::io::Cursor::new(b"name,token\nAnn,ann-1\n".to_vec()));
    let err = app
        .import_roster_file(&actor, roster("rewardful", "pro"), file, &|_| {})
        .await
        .unwrap_err();
    assert!(err.to_string().contains("email"), "{err}");
    let err = app
        .import_roster_file(
            &actor,
            roster("custom", "pro"),
            fixture("custom_affiliates.csv"),
            &|_| {},
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("mapping"), "{err}");
    let err = app
        .import_roster_file(
            &actor,
            roster("lemonsqueezy", "pro"),
            fixture("custom_affiliates.csv"),
            &|_| {},
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("rewardful"), "{err}");
    assert!(
        app.list_imports(&actor, afflux_store::Page::ALL)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn insert_running(t: &TestApp, org: OrgId, campaign: CampaignId, updated: OffsetDateTime) -> ImportId {
    let import = Import {
        id: ImportId::new(),
        org_id: org,
        kind: ImportKind::Roster,
        source: "tolt".into(),
        campaign_id: campaign,
        status: ImportStatus::Running,
        actor: "operator".into(),
        rows_total: 0,
        rows_imported: 0,
        rows_skipped: 0,
        skips: BTreeMap::new(),
        payable: BTreeMap::new(),
        settled: BTreeMap::new(),
        confirm_unpaid_payout: false,
        notify: false,
        note_html: None,
        notify_sent: 0,
        notify_failed: 0,
        notify_skipped: 0,
        idempotency_key: None,
        request_hash: None,
        error: None,
        created_at: updated,
        updated_at: updated,
        finished_at: None,
    };
    let mut tx = t.server.app.store().write().await.unwrap();
    tx.insert_import(&import).await.unwrap();
    tx.commit().await.unwrap();
    import.id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_import_runs_at_a_time_and_a_dead_one_fails_and_tells_the_owners() {
    let t = TestApp::spawn().await;
    let pro = t.create_program(&t.org.key, program("Pro", "pro")).await;
    let campaign: CampaignId = id(&pro).parse().unwrap();
    // Running and fresh: the worker's sweep leaves it alone.
    let running = insert_running(&t, t.org.id, campaign, OffsetDateTime::now_utc()).await;

    let body = json!({ "campaignId": "pro", "rows": [{ "email": "ann@example.com" }] });
    let reply = t.post("/api/v1/affiliates/import", &t.org.key, body.clone()).await;
    assert_error(&reply, StatusCode::CONFLICT, "import_in_progress", None);

    // Another organization is not held up.
    let other = t.new_org("Other", "owner@other.example", None).await;
    t.create_program(&other.key, program("Pro", "pro")).await;
    let reply = t.post("/api/v1/affiliates/import", &other.key, body.clone()).await;
    assert_eq!(reply.0, StatusCode::CREATED, "{}", reply.1);
    // …and its import is not visible from here.
    let reply = t.get(&format!("/api/v1/imports/{}", id(&reply.1)), &t.org.key).await;
    assert_error(&reply, StatusCode::NOT_FOUND, "not_found", None);

    // Its process died an hour ago: the sweep fails it (the worker's own sweep may get there first).
    {
        let mut tx = t.server.app.store().write().await.unwrap();
        let mut import = tx.get_import(t.org.id, running).await.unwrap().unwrap();
        import.updated_at = OffsetDateTime::now_utc() - time::Duration::hours(1);
        tx.update_import(&import).await.unwrap();
        tx.commit().await.unwrap();
    }
    assert!(t.server.app.fail_stale_imports().await.unwrap() <= 1);
    let (status, detail) = t.get(&format!("/api/v1/imports/{running}"), &t.org.key).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["status"], "Failed");
    t.wait_for_email("owner@acme.example", "Migration import failed").await;

    let reply = t.post("/api/v1/affiliates/import", &t.org.key, body).await;
    assert_eq!(reply.0, StatusCode::CREATED, "the lock is released: {}", reply.1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_import_api_is_idempotent_bounded_and_plan_gated() {
    let t = TestApp::spawn().await;
    t.create_program(&t.org.key, program("Pro", "pro")).await;
    let rows: Vec<Value> = (0..1001)
        .map(|i| json!({ "email": format!("a{i}@example.com") }))
        .collect();
    let reply = t
        .post(
            "/api/v1/affiliates/import",
            &t.org.key,
            json!({ "campaignId": "pro", "rows": rows }),
        )
        .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "invalid_row_count", Some("rows"));

    let body = json!({ "campaignId": "pro", "rows": [
        { "email": " Ann@Example.com ", "firstName": "Ann", "lastName": "Lee", "slug": "ann-lee", "status": "approved" },
        { "email": "", "name": "Nobody" },
        { "email": "ben@example.com", "status": "banned" },
    ]});
    let send = |key: &'static str, body: Value| {
        let request = t
            .request(reqwest::Method::POST, "/api/v1/affiliates/import", &t.org.key)
            .header("Idempotency-Key", key)
            .json(&body);
        t.send(request)
    };
    let first = send("import-1", body.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert_eq!(first.body["rowsImported"], 2);
    assert_eq!(first.body["skips"]["missing_email"], 1);
    assert_eq!(first.body["source"], "api");
    let replay = send("import-1", body.clone()).await;
    assert_eq!(replay.status, StatusCode::CREATED);
    assert_eq!(
        replay.body["id"], first.body["id"],
        "the same key answers the same import"
    );
    let mut other = body.clone();
    other["rows"][0]["email"] = json!("zed@example.com");
    let reused = send("import-1", other).await;
    assert_eq!(reused.status, StatusCode::CONFLICT);
    assert_eq!(reused.body["error"], "idempotency_key_reused");
    let (_, list) = t.get("/api/v1/imports", &t.org.key).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let ann = affiliate_by_email(&t, &t.org.key, "ann@example.com").await.unwrap();
    assert_eq!(
        (ann["slug"].as_str(), ann["name"].as_str()),
        (Some("ann-lee"), Some("Ann Lee"))
    );

    // Auto-notify needs Growth or higher with an Active subscription.
    t.server
        .app
        .set_plan(t.org.id, PlanTier::Growth, SubscriptionStatus::Trialing)
        .await
        .unwrap();
    let notify =
        json!({ "campaignId": "pro", "notify": true, "note": "<p>Hi</p>", "rows": [{ "email": "cy@example.com" }] });
    let reply = t.post("/api/v1/affiliates/import", &t.org.key, notify.clone()).await;
    assert_error(&reply, StatusCode::PAYMENT_REQUIRED, "paid_plan_required", None);
    assert_eq!(reply.1["required"], "Growth");
    assert_eq!(reply.1["subscriptionStatus"], "Trialing");
    assert_eq!(reply.1["trialing"], true);
    // The importer itself works on a trial.
    let reply = t
        .post(
            "/api/v1/affiliates/import",
            &t.org.key,
            json!({ "campaignId": "pro", "rows": [{ "email": "cy@example.com" }] }),
        )
        .await;
    assert_eq!(reply.0, StatusCode::CREATED, "{}", reply.1);
    t.server
        .app
        .set_plan(t.org.id, PlanTier::Starter, SubscriptionStatus::Canceled)
        .await
        .unwrap();
    let reply = t
        .post(
            "/api/v1/affiliates/import",
            &t.org.key,
            json!({ "campaignId": "pro", "rows": [{ "email": "di@example.com" }] }),
        )
        .await;
    assert_error(&reply, StatusCode::PAYMENT_REQUIRED, "plan_tier_required", None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_imports_verbatim_settled_or_payable_once_and_seeds_the_customer() {
    let t = TestApp::spawn().await;
    t.create_program(&t.org.key, program("Pro", "pro")).await;
    let actor = Actor::operator(t.org.id);
    let app = &t.server.app;
    app.import_roster_file(
        &actor,
        roster("rewardful", "pro"),
        fixture("rewardful_affiliates.csv"),
        &|_| {},
    )
    .await
    .unwrap();
    let input = |confirm| HistoryInput {
        source: "rewardful".into(),
        campaign: "pro".into(),
        confirm_unpaid_payout: confirm,
    };
    let preview = app
        .preview_history_file(&actor, input(true), fixture("rewardful_commissions.csv"))
        .await
        .unwrap();
    assert_eq!(preview.would_import, 2, "{preview:?}");
    assert_eq!(
        counts(&preview.payable),
        vec![("USD", 990)],
        "only the unpaid row becomes payable"
    );
    assert_eq!(counts(&preview.settled), vec![("USD", 1500)]);
    assert_eq!(counts(&preview.unpaid), vec![("USD", 990)]);
    assert_eq!(preview.skips["voided"], 1);
    assert_eq!(preview.skips["lead_only"], 1);
    let without = app
        .preview_history_file(&actor, input(false), fixture("rewardful_commissions.csv"))
        .await
        .unwrap();
    assert!(
        without.payable.is_empty(),
        "nothing payable unless confirmed: {without:?}"
    );
    assert_eq!(counts(&without.settled), vec![("USD", 2490)]);

    let done = app
        .import_history_file(&actor, input(true), fixture("rewardful_commissions.csv"), &|_| {})
        .await
        .unwrap();
    assert_eq!(done.import.rows_imported, 2);
    assert_eq!(counts(&done.import.payable), vec![("USD", 990)]);
    let (_, conversions) = t.get("/api/v1/conversions?perPage=100", &t.org.key).await;
    let conversions = conversions["data"].as_array().unwrap().clone();
    assert_eq!(conversions.len(), 2);
    assert!(conversions.iter().all(|c| c["source"] == "Imported"), "{conversions:?}");
    let paid = conversions
        .iter()
        .find(|c| c["status"] == "Paid")
        .expect("a settled row");
    assert_eq!(paid["commissionCents"], 1500, "taken verbatim");
    assert_eq!(paid["amountCents"], 5000);

    // The settled row is in lifetime totals but owes nothing; the unpaid one is payable.
    let jane = affiliate_by_email(&t, &t.org.key, "jane.doe@example.com")
        .await
        .unwrap();
    let (_, balances) = t
        .get(&format!("/api/v1/balances?affiliateId={}", id(&jane)), &t.org.key)
        .await;
    assert_eq!(balances[0]["earned"], 1500, "{balances}");
    assert_eq!(balances[0]["payout"], -1500, "settled before the import: {balances}");
    assert_eq!(balances[0]["net"], 0, "{balances}");
    let run = t
        .post("/api/v1/payouts/runs", &t.org.key, json!({ "rail": "Manual" }))
        .await;
    assert_eq!(run.0, StatusCode::CREATED, "{}", run.1);
    assert_eq!(run.1["items"].as_array().map(Vec::len), Some(1), "{}", run.1);

    // The Stripe customer now belongs to Jane for renewals.
    let binding = app
        .store()
        .read()
        .await
        .unwrap()
        .get_customer_binding(t.org.id, "stripe:cus_A1")
        .await
        .unwrap()
        .expect("cus_A1 bound");
    assert_eq!(binding.affiliate_id.to_string(), id(&jane));

    // Re-running is safe; then the API preview of the same money sees duplicates.
    let again = app
        .import_history_file(&actor, input(true), fixture("rewardful_commissions.csv"), &|_| {})
        .await
        .unwrap();
    assert_eq!(again.import.rows_imported, 0);
    assert_eq!(again.import.skips["already_exists"], 2);

    // JSON rows: preview, import, and a refunded row skipped.
    let body = json!({ "campaignId": "pro", "confirmUnpaidPayout": false, "rows": [
        { "externalId": "x1", "affiliateSlug": "jane-doe", "commissionMinor": 700, "saleAmountMinor": 7000,
          "currency": "EUR", "status": "unpaid", "occurredAt": "2025-03-01T00:00:00Z" },
        { "externalId": "x2", "affiliateEmail": "jane.doe@example.com", "commissionMinor": 100, "currency": "EUR",
          "status": "refunded", "occurredAt": "2025-03-02" },
        { "externalId": "x3", "affiliateEmail": "nobody@example.com", "commissionMinor": 100, "currency": "EUR",
          "status": "paid", "occurredAt": "2025-03-02" },
    ]});
    let (status, preview) = t
        .post("/api/v1/conversions/import/preview", &t.org.key, body.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["wouldImport"], 1);
    assert_eq!(preview["settled"]["EUR"], 700);
    assert_eq!(preview["skips"], json!({ "refunded": 1, "unknown_affiliate": 1 }));
    let (status, done) = t.post("/api/v1/conversions/import", &t.org.key, body).await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    assert_eq!(done["rowsImported"], 1);

    // Reverting the JSON history import reverses its settled commission on the ledger.
    let (status, reverted) = t
        .post_empty(&format!("/api/v1/imports/{}/revert", id(&done)), &t.org.key)
        .await;
    assert_eq!(status, StatusCode::OK, "{reverted}");
    assert_eq!(reverted["status"], "Reverted");
    let again = t
        .post_empty(&format!("/api/v1/imports/{}/revert", id(&done)), &t.org.key)
        .await;
    assert_error(&again, StatusCode::CONFLICT, "already_reverted", None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reverting_a_roster_import_removes_what_it_created_and_keeps_what_has_activity() {
    let t = TestApp::spawn().await;
    t.create_program(&t.org.key, program("Pro", "pro")).await;
    let body = json!({ "campaignId": "pro", "rows": [
        { "email": "ann@example.com", "slug": "ann-1" },
        { "email": "ben@example.com", "slug": "ben-1" },
    ]});
    let (status, done) = t.post("/api/v1/affiliates/import", &t.org.key, body).await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    // Ben gets a click: his membership stays.
    let resp = no_redirects()
        .get(t.url("/go/ben-1"))
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    let (status, reverted) = t
        .post_empty(&format!("/api/v1/imports/{}/revert", id(&done)), &t.org.key)
        .await;
    assert_eq!(status, StatusCode::OK, "{reverted}");
    assert!(affiliate_by_email(&t, &t.org.key, "ann@example.com").await.is_none());
    assert!(affiliate_by_email(&t, &t.org.key, "ben@example.com").await.is_some());
    // Ann's slug is free again.
    let (status, _) = t
        .post(
            "/api/v1/affiliates/import",
            &t.org.key,
            json!({ "campaignId": "pro", "rows": [{ "email": "ann@example.com", "slug": "ann-1" }] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        affiliate_by_email(&t, &t.org.key, "ann@example.com").await.unwrap()["slug"],
        "ann-1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_notify_invites_each_affiliate_a_second_apart_and_honours_unsubscribes() {
    let t = TestApp::spawn().await;
    t.server
        .app
        .set_plan(t.org.id, PlanTier::Growth, SubscriptionStatus::Active)
        .await
        .unwrap();
    t.create_program(&t.org.key, program("Pro", "pro")).await;
    {
        let mut tx = t.server.app.store().write().await.unwrap();
        tx.suppress_email("gone@example.com", "unsubscribed", OffsetDateTime::now_utc())
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let note = "<p>We <b>moved</b>! <script>alert(1)</script><a href=\"http://evil.example\">x</a> \
                <a href=\"https://acme.example/faq\">FAQ</a></p>";
    let started = Instant::now();
    let (status, done) = t
        .post(
            "/api/v1/affiliates/import",
            &t.org.key,
            json!({ "campaignId": "pro", "notify": true, "note": note, "rows": [
                { "email": "ann@example.com", "name": "Ann" },
                { "email": "gone@example.com" },
                { "email": "cat@example.com" },
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    assert!(!done["noteHtml"].as_str().unwrap().contains("script"));
    let unfold = |m: String| m.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=");
    let mail = unfold(t.wait_for_email("cat@example.com", "Claim your account").await);
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(2),
        "the third email is due two seconds after the first"
    );
    let ann = unfold(t.wait_for_email("ann@example.com", "Claim your account").await);
    assert!(ann.contains("Hi Ann,"));
    assert!(mail.contains("<b>moved</b>") && mail.contains("https://acme.example/faq"));
    assert!(!mail.contains("alert(1)") && !mail.contains("evil.example"));
    assert!(
        mail.contains("/a/sign-in?email=cat%40example.com"),
        "the claim link prefills the email"
    );
    assert!(mail.contains("List-Unsubscribe"));
    t.wait_for_jobs().await;
    assert!(
        !t.emails().iter().any(|m| is_to(m, "gone@example.com")),
        "unsubscribed: not sent"
    );
    let (_, detail) = t.get(&format!("/api/v1/imports/{}", id(&done)), &t.org.key).await;
    assert_eq!(
        (detail["notifySent"].as_i64(), detail["notifySkipped"].as_i64()),
        (Some(2), Some(1)),
        "{detail}"
    );
    let actions: Vec<String> = t.audit(t.org.id).await.into_iter().map(|e| e.action).collect();
    for action in [
        "migration.notify.queued",
        "migration.notify.sent",
        "migration.notify.skipped",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action} in {actions:?}");
    }

    // The sample goes to the signed-in member, with its banner.
    let owner = Actor {
        org_id: t.org.id,
        role: Role::Owner,
        kind: ActorKind::User(t.org.owner_id),
    };
    t.server
        .app
        .send_import_sample(&owner, "<p>Sample <i>note</i></p>")
        .await
        .unwrap();
    let sample = unfold(t.wait_for_email("owner@acme.example", "THIS IS A PREVIEW").await);
    assert!(sample.contains("<i>note</i>"));
    let actions: Vec<String> = t.audit(t.org.id).await.into_iter().map(|e| e.action).collect();
    assert!(actions.iter().any(|a| a == "migration.notify.sample_sent"));
}
