//! Stripe Connect payouts end to end through the API and the job queue, against the fake
//! Stripe (`AFFLUX_STRIPE_API_BASE`), on SQLite or PostgreSQL: connecting the platform key,
//! affiliates' connected accounts, one transfer per item with its `Idempotency-Key`, 429s and
//! 5xx retried with the same key, refusals failing the item, retries as new attempts, and a
//! crashed transfer never paid twice.

mod support;

use afflux_domain::{AttributionModel, CampaignId};
use afflux_fakes::Running;
use afflux_fakes::stripe_api::{Failure, SECRET_KEY, StripeFake};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::s2s::{S2s, sale};
use support::{Harness, Reply};

const JANE_ACCT: &str = "acct_1AffluxJane0000001";
const OMAR_ACCT: &str = "acct_1AffluxOmar0000002";

struct Setup {
    fake: StripeFake,
    stripe: Running,
    h: Harness,
    program: CampaignId,
}

/// A harness pointed at a fake Stripe whose platform holds `balance` EUR cents, with both
/// connected accounts ready, and a program paying 20 % with no hold.
async fn setup(balance: i64) -> Setup {
    let (fake, running) = StripeFake::start().await;
    fake.set_balance("eur", balance);
    fake.add_account(JANE_ACCT, true);
    fake.add_account(OMAR_ACCT, true);
    let url = running.base_url();
    let h = Harness::start_with(|s| s.stripe_api_base = Some(url)).await;
    let program = h.program("pro", "20", false, AttributionModel::LastTouch).await;
    let rules = h
        .api(
            Method::PATCH,
            &format!("/api/v1/programs/{}", program.id),
            &h.key,
            Some(json!({ "rules": { "holdDays": 0 } })),
        )
        .await;
    assert_eq!(rules.status, StatusCode::OK, "{:?}", rules.body);
    Setup {
        fake,
        stripe: running,
        h,
        program: program.id,
    }
}

async fn connect(h: &Harness, key: &str) -> Reply {
    h.api(
        Method::PUT,
        "/api/v1/integrations/stripe-connect",
        &h.key,
        Some(json!({ "secretKey": key })),
    )
    .await
}

async fn set_account(h: &Harness, affiliate: &str, account: Value) -> Reply {
    h.api(
        Method::PATCH,
        &format!("/api/v1/affiliates/{affiliate}"),
        &h.key,
        Some(json!({ "stripeAccountId": account })),
    )
    .await
}

/// An approved affiliate with one approved commission of `cents / 5`, paid to `account`.
async fn earner(s: &Setup, email: &str, order: &str, cents: i64, account: Option<&str>) -> String {
    let affiliate = s.h.affiliate(s.program, email).await;
    let s2s = S2s::new(&s.h).await;
    let reply = s2s.send(&sale(order, affiliate.slug.as_str(), cents)).await;
    assert!(reply.status.is_success(), "{:?}", reply.body);
    s.h.server.app.approve_due_commissions().await.unwrap();
    let id = affiliate.id.to_string();
    if let Some(account) = account {
        let set = set_account(&s.h, &id, json!(account)).await;
        assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
    }
    id
}

async fn start_run(h: &Harness) -> Reply {
    h.post("/api/v1/payouts/runs", json!({ "rail": "StripeConnect" })).await
}

async fn run_jobs(h: &Harness) {
    while h.server.app.run_due_jobs(16).await.unwrap() > 0 {}
}

/// Makes the transfer job of `item`'s `attempt` due now (it waits out a backoff or a 429).
async fn due_now(h: &Harness, item: &str, attempt: i32) {
    let mut tx = h.server.app.store().write().await.unwrap();
    let moved = tx
        .reschedule_job(
            &format!("stripe-transfer:afflux-payout-{item}-{attempt}"),
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    assert!(moved, "no transfer job of {item} attempt {attempt}");
    tx.commit().await.unwrap();
}

async fn items(h: &Harness, run: &str) -> Vec<Value> {
    let reply = h.get(&format!("/api/v1/payouts/runs/{run}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["items"].as_array().unwrap().clone()
}

async fn item(h: &Harness, run: &str, affiliate: &str) -> Value {
    items(h, run)
        .await
        .into_iter()
        .find(|i| i["affiliateId"] == affiliate)
        .unwrap()
}

async fn net(h: &Harness, affiliate: &str) -> Value {
    let reply = h.get(&format!("/api/v1/balances?affiliateId={affiliate}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body[0]["net"].clone()
}

fn transfer_posts(fake: &StripeFake) -> Vec<afflux_fakes::Recorded> {
    fake.journal()
        .all()
        .into_iter()
        .filter(|r| r.line() == "POST /v1/transfers")
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stripe_run_pays_each_item_with_one_transfer_under_its_key() {
    let s = setup(100_000).await;
    let h = &s.h;
    let jane = earner(&s, "jane@partners.test", "order-1", 10_000, None).await;
    let omar = earner(&s, "omar@partners.test", "order-2", 5_000, None).await;

    // Not connected: the rail refuses, and says how to connect it.
    let refused = start_run(h).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{:?}", refused.body);
    assert_eq!(refused.body["error"], "rail_not_configured");
    assert!(refused.body["message"].as_str().unwrap().contains("Stripe Connect"));

    let malformed = connect(h, "pk_test_publishable").await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.body["field"], "secretKey");
    let wrong = connect(h, "sk_test_51WrongWrongWrong9999").await;
    assert_eq!(wrong.status, StatusCode::CONFLICT, "{:?}", wrong.body);
    assert_eq!(wrong.body["error"], "stripe_key_rejected");
    assert!(!wrong.body.to_string().contains("9999"), "{:?}", wrong.body);
    let shown = h.get("/api/v1/integrations/stripe-connect").await;
    assert_eq!(shown.body["configured"], false);
    let connected = connect(h, SECRET_KEY).await;
    assert_eq!(connected.status, StatusCode::OK, "{:?}", connected.body);
    assert_eq!(
        connected.body,
        json!({ "configured": true, "secretKeyHint": "…0000", "livemode": false })
    );
    assert_eq!(h.get("/api/v1/integrations/stripe-connect").await.body, connected.body);
    // The key was checked with one read of the balance, with the key as Bearer.
    let checks = s.fake.journal().all();
    assert_eq!(checks.len(), 2);
    assert_eq!(checks[1].line(), "GET /v1/balance");
    assert_eq!(
        checks[1].header("authorization"),
        Some(format!("Bearer {SECRET_KEY}").as_str())
    );

    // Connected accounts are acct_ ids, shown with the affiliate.
    let bad = set_account(h, &jane, json!("jane@partners.test")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{:?}", bad.body);
    assert_eq!(bad.body["error"], "validation_failed");
    assert_eq!(bad.body["field"], "stripeAccountId");
    let set = set_account(h, &jane, json!(JANE_ACCT)).await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
    assert_eq!(set.body["stripeAccountId"], JANE_ACCT);
    assert_eq!(set_account(h, &omar, json!(OMAR_ACCT)).await.status, StatusCode::OK);
    let shown = h.get(&format!("/api/v1/affiliates/{omar}")).await;
    assert_eq!(shown.body["stripeAccountId"], OMAR_ACCT);
    let ghost = set_account(h, &afflux_domain::AffiliateId::new().to_string(), json!(JANE_ACCT)).await;
    assert_eq!(ghost.status, StatusCode::NOT_FOUND);
    // Another organization's key does not reach Jane.
    let other = h
        .server
        .app
        .create_org(afflux_app::NewOrg {
            name: "Otherco".into(),
            owner_email: "owner@otherco.test".into(),
            plan: None,
            status: None,
        })
        .await
        .unwrap();
    let foreign = h
        .api(
            Method::PATCH,
            &format!("/api/v1/affiliates/{jane}"),
            &other.api_key,
            Some(json!({ "stripeAccountId": "acct_1Intruder000000003" })),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND, "{:?}", foreign.body);
    assert_eq!(
        h.get(&format!("/api/v1/affiliates/{jane}")).await.body["stripeAccountId"],
        JANE_ACCT
    );

    let started = start_run(h).await;
    assert_eq!(started.status, StatusCode::CREATED, "{:?}", started.body);
    assert_eq!(started.body["rail"], "StripeConnect");
    let run = started.body["id"].as_str().unwrap().to_owned();
    assert!(
        started.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["status"] == "Pending")
    );
    run_jobs(h).await;

    let posts = transfer_posts(&s.fake);
    assert_eq!(posts.len(), 2);
    for (affiliate, account, amount) in [(&jane, JANE_ACCT, "2000"), (&omar, OMAR_ACCT, "1000")] {
        let paid = item(h, &run, affiliate).await;
        let id = paid["id"].as_str().unwrap();
        let post = posts.iter().find(|p| p.body_json()["destination"] == account).unwrap();
        assert_eq!(
            post.header("authorization"),
            Some(format!("Bearer {SECRET_KEY}").as_str())
        );
        assert_eq!(
            post.header("idempotency-key"),
            Some(format!("afflux-payout-{id}-0").as_str())
        );
        assert_eq!(post.header("content-type"), Some("application/x-www-form-urlencoded"));
        assert_eq!(
            post.body_json(),
            json!({
                "amount": amount,
                "currency": "eur",
                "destination": account,
                "description": "Affiliate commissions",
                "transfer_group": run,
                "metadata[afflux_payout_item]": id,
            })
        );
        let transfer = s
            .fake
            .transfers()
            .into_iter()
            .find(|t| t.destination == account)
            .unwrap();
        assert_eq!(paid["status"], "Paid", "{paid}");
        assert_eq!(paid["reference"], transfer.id.as_str());
        assert!(transfer.id.starts_with("tr_"));
        assert_eq!(net(h, affiliate).await, 0);
    }
    assert_eq!(s.fake.balance("eur"), 97_000);
    assert_eq!(s.fake.account_balance(JANE_ACCT, "eur"), 2_000);
    assert_eq!(s.fake.account_balance(OMAR_ACCT, "eur"), 1_000);
    let commissions = h.get("/api/v1/commissions?perPage=100").await.body["data"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(commissions.len(), 2);
    assert!(commissions.iter().all(|c| c["status"] == "Paid"), "{commissions:?}");

    // Nothing left to send, nothing sent twice.
    run_jobs(h).await;
    assert_eq!(s.fake.transfers().len(), 2);
    assert_eq!(start_run(h).await.body["error"], "nothing_payable");

    // Disconnected, the rail refuses again.
    let removed = h
        .api(Method::DELETE, "/api/v1/integrations/stripe-connect", &h.key, None)
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{:?}", removed.body);
    assert_eq!(removed.body["configured"], false);
    assert_eq!(start_run(h).await.body["error"], "rail_not_configured");
    assert_eq!(h.audit("integration.stripe_connect.removed").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_and_server_errors_are_retried_with_the_same_key() {
    let s = setup(100_000).await;
    let h = &s.h;
    let jane = earner(&s, "jane@partners.test", "order-1", 10_000, Some(JANE_ACCT)).await;
    assert_eq!(connect(h, SECRET_KEY).await.status, StatusCode::OK);
    let run = start_run(h).await.body["id"].as_str().unwrap().to_owned();
    let id = item(h, &run, &jane).await["id"].as_str().unwrap().to_owned();

    s.fake
        .fail_next_on("POST /v1/transfers", Failure::RateLimited { retry_after: None });
    run_jobs(h).await;
    assert_eq!(item(h, &run, &jane).await["status"], "Pending");
    assert!(s.fake.transfers().is_empty());

    s.fake.fail_next_on("POST /v1/transfers", Failure::ServerError(500));
    due_now(h, &id, 0).await;
    run_jobs(h).await;
    assert_eq!(item(h, &run, &jane).await["status"], "Pending");
    assert!(s.fake.transfers().is_empty());

    due_now(h, &id, 0).await;
    run_jobs(h).await;
    let paid = item(h, &run, &jane).await;
    assert_eq!(paid["status"], "Paid", "{paid}");
    let posts = transfer_posts(&s.fake);
    assert_eq!(posts.len(), 3);
    let key = format!("afflux-payout-{id}-0");
    assert!(posts.iter().all(|p| p.header("idempotency-key") == Some(key.as_str())));
    assert_eq!(s.fake.transfers().len(), 1);
    assert_eq!(paid["reference"], s.fake.transfers()[0].id.as_str());
    assert_eq!(paid["attempts"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insufficient_funds_fail_the_item_and_a_retry_after_a_top_up_pays() {
    let s = setup(500).await;
    let h = &s.h;
    let jane = earner(&s, "jane@partners.test", "order-1", 10_000, Some(JANE_ACCT)).await;
    assert_eq!(connect(h, SECRET_KEY).await.status, StatusCode::OK);
    let run = start_run(h).await.body["id"].as_str().unwrap().to_owned();
    run_jobs(h).await;

    let failed = item(h, &run, &jane).await;
    assert_eq!(failed["status"], "Failed", "{failed}");
    assert_eq!(failed["attempts"], 1);
    let reason = failed["failureReason"].as_str().unwrap();
    assert!(reason.contains("balance_insufficient"), "{reason}");
    assert!(s.fake.transfers().is_empty());
    // Still owed: the commission waits with its item.
    assert_eq!(net(h, &jane).await, 2000);

    s.fake.set_balance("eur", 100_000);
    let id = failed["id"].as_str().unwrap();
    let retried = h.post(&format!("/api/v1/payouts/items/{id}/retry"), json!({})).await;
    assert_eq!(retried.status, StatusCode::OK, "{:?}", retried.body);
    assert_eq!(retried.body["status"], "Pending");
    run_jobs(h).await;

    let paid = item(h, &run, &jane).await;
    assert_eq!(paid["status"], "Paid", "{paid}");
    let keys: Vec<String> = transfer_posts(&s.fake)
        .iter()
        .map(|p| p.header("idempotency-key").unwrap().to_owned())
        .collect();
    // Stripe keeps the refusal under the first key: the retry is a new attempt, a new key.
    assert_eq!(keys, [format!("afflux-payout-{id}-0"), format!("afflux-payout-{id}-1")]);
    assert_eq!(s.fake.transfers().len(), 1);
    assert_eq!(net(h, &jane).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_affiliate_without_a_connected_account_fails_at_once() {
    let s = setup(100_000).await;
    let h = &s.h;
    let jane = earner(&s, "jane@partners.test", "order-1", 10_000, None).await;
    assert_eq!(connect(h, SECRET_KEY).await.status, StatusCode::OK);
    let started = start_run(h).await;
    assert_eq!(started.status, StatusCode::CREATED, "{:?}", started.body);
    let failed = &started.body["items"][0];
    assert_eq!(failed["status"], "Failed", "{failed}");
    assert!(
        failed["failureReason"]
            .as_str()
            .unwrap()
            .starts_with("no_stripe_account"),
        "{failed}"
    );
    run_jobs(h).await;
    assert!(transfer_posts(&s.fake).is_empty());

    // Once the account is set, a retry pays.
    assert_eq!(set_account(h, &jane, json!(JANE_ACCT)).await.status, StatusCode::OK);
    let id = failed["id"].as_str().unwrap();
    let retried = h.post(&format!("/api/v1/payouts/items/{id}/retry"), json!({})).await;
    assert_eq!(retried.body["status"], "Pending", "{:?}", retried.body);
    run_jobs(h).await;
    let run = started.body["id"].as_str().unwrap();
    assert_eq!(item(h, run, &jane).await["status"], "Paid");
    assert_eq!(s.fake.transfers().len(), 1);

    // Clearing the account: a retry without one fails at once again.
    let cleared = set_account(h, &jane, Value::Null).await;
    assert_eq!(cleared.body["stripeAccountId"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_made_before_the_worker_died_is_settled_not_paid_again() {
    let s = setup(100_000).await;
    let h = &s.h;
    let jane = earner(&s, "jane@partners.test", "order-1", 10_000, Some(JANE_ACCT)).await;
    assert_eq!(connect(h, SECRET_KEY).await.status, StatusCode::OK);
    let run = start_run(h).await.body["id"].as_str().unwrap().to_owned();
    let id = item(h, &run, &jane).await["id"].as_str().unwrap().to_owned();

    // A worker sent the transfer, Stripe made it, and the worker died before recording it.
    let made = reqwest::Client::new()
        .post(format!("{}/v1/transfers", s.stripe.base_url()))
        .bearer_auth(SECRET_KEY)
        .header("Idempotency-Key", format!("afflux-payout-{id}-0"))
        .form(&[
            ("amount", "2000"),
            ("currency", "eur"),
            ("destination", JANE_ACCT),
            ("description", "Affiliate commissions"),
            ("transfer_group", run.as_str()),
            ("metadata[afflux_payout_item]", id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), StatusCode::OK);
    // The job runs again: Stripe replays the transfer under its key.
    run_jobs(h).await;
    let paid = item(h, &run, &jane).await;
    assert_eq!(paid["status"], "Paid", "{paid}");
    assert_eq!(s.fake.transfers().len(), 1);
    assert_eq!(paid["reference"], s.fake.transfers()[0].id.as_str());
    assert_eq!(s.fake.balance("eur"), 98_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_stripe_crashed_on_is_looked_up_then_retried_once() {
    let s = setup(100_000).await;
    let h = &s.h;
    let jane = earner(&s, "jane@partners.test", "order-1", 10_000, Some(JANE_ACCT)).await;
    assert_eq!(connect(h, SECRET_KEY).await.status, StatusCode::OK);
    let run = start_run(h).await.body["id"].as_str().unwrap().to_owned();
    let id = item(h, &run, &jane).await["id"].as_str().unwrap().to_owned();

    // Stripe fails inside and saves the 500 under the key: the job retries it...
    s.fake.crash_next_transfer();
    run_jobs(h).await;
    assert_eq!(item(h, &run, &jane).await["status"], "Pending");
    // ...gets the saved 500 replayed, looks the run's transfers up, finds none for the item,
    // and fails it: only a new attempt, under a new key, can pay.
    due_now(h, &id, 0).await;
    run_jobs(h).await;
    let failed = item(h, &run, &jane).await;
    assert_eq!(failed["status"], "Failed", "{failed}");
    assert!(
        failed["failureReason"].as_str().unwrap().contains("made no transfer"),
        "{failed}"
    );
    let lookup = s
        .fake
        .journal()
        .all()
        .into_iter()
        .find(|r| r.line() == "GET /v1/transfers")
        .expect("the transfer was looked up");
    assert_eq!(lookup.query_param("transfer_group"), Some(run.clone()));
    assert!(s.fake.transfers().is_empty());

    let retried = h.post(&format!("/api/v1/payouts/items/{id}/retry"), json!({})).await;
    assert_eq!(retried.status, StatusCode::OK, "{:?}", retried.body);
    run_jobs(h).await;
    assert_eq!(item(h, &run, &jane).await["status"], "Paid");
    assert_eq!(s.fake.transfers().len(), 1);
    assert_eq!(s.fake.balance("eur"), 98_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_payouts_page_connects_stripe_and_offers_its_rail() {
    let s = setup(100_000).await;
    let h = &s.h;
    earner(&s, "jane@partners.test", "order-1", 10_000, Some(JANE_ACCT)).await;
    let owner = {
        let mut tx = h.server.app.store().read().await.unwrap();
        tx.get_user_by_email("owner@brightwave.test").await.unwrap().unwrap().id
    };
    let cookie = format!(
        "afflux_session={}",
        h.server.app.session_for(owner, h.org).await.unwrap()
    );
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = || async {
        let response = client
            .get(h.url("/dashboard/payouts"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.text().await.unwrap()
    };
    let post = |path: &'static str, form: Vec<(&'static str, String)>| {
        client
            .post(h.url(path))
            .header("origin", h.server.url())
            .header("cookie", &cookie)
            .form(&form)
            .send()
    };

    let before = page().await;
    assert!(before.contains("Not connected</span>"), "{before}");
    assert!(!before.contains(r#"<option value="StripeConnect""#), "{before}");

    let wrong = post(
        "/dashboard/payouts/stripe-connect",
        vec![("secret_key", "sk_test_51WrongWrongWrong9999".into())],
    )
    .await
    .unwrap();
    assert_eq!(wrong.status(), StatusCode::CONFLICT);
    let html = wrong.text().await.unwrap();
    assert!(html.contains(r#"id="f-stripe-key-error""#), "{html}");
    assert!(!html.contains("9999"));

    let connected = post(
        "/dashboard/payouts/stripe-connect",
        vec![("secret_key", SECRET_KEY.into())],
    )
    .await
    .unwrap();
    assert_eq!(connected.status(), StatusCode::SEE_OTHER);
    let after = page().await;
    assert!(
        after.contains("Connected</span>") && after.contains("<code>…0000</code>"),
        "{after}"
    );
    assert!(!after.contains(SECRET_KEY));
    assert!(after.contains(r#"<option value="StripeConnect""#), "{after}");

    let started = post("/dashboard/payouts", vec![("rail", "StripeConnect".into())])
        .await
        .unwrap();
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    run_jobs(h).await;
    assert_eq!(s.fake.transfers().len(), 1);

    let removed = post("/dashboard/payouts/stripe-connect/remove", vec![]).await.unwrap();
    assert_eq!(removed.status(), StatusCode::SEE_OTHER);
    assert!(page().await.contains("Not connected</span>"));
}
