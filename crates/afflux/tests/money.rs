//! Money end to end through the API, on SQLite or PostgreSQL (`AFFLUX_TEST_DATABASE_URL`):
//! commissions earned with their sales, held then approved, paid once through a payout run,
//! reversed or clawed back on refunds, denied by a person; campaign rules (tiers, products,
//! two-tier overrides); balances from the ledger; the PayPal mass-payment file.

mod support;

use afflux_domain::{AttributionModel, CampaignId};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::s2s::{S2s, futures_join, sale};
use support::{Harness, Reply};

async fn set_rules(h: &Harness, program: CampaignId, rules: Value) {
    let reply = h
        .api(
            Method::PATCH,
            &format!("/api/v1/programs/{program}"),
            &h.key,
            Some(json!({ "rules": rules })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
}

async fn commissions(h: &Harness, query: &str) -> Vec<Value> {
    let reply = h.get(&format!("/api/v1/commissions?perPage=100{query}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["data"].as_array().unwrap().clone()
}

async fn approve(h: &Harness) -> usize {
    h.server.app.approve_due_commissions().await.unwrap()
}

async fn run(h: &Harness) -> Reply {
    h.post("/api/v1/payouts/runs", json!({ "rail": "Manual" })).await
}

async fn balance(h: &Harness, affiliate: &str) -> Value {
    let reply = h.get(&format!("/api/v1/balances?affiliateId={affiliate}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body[0].clone()
}

async fn refund(s2s: &S2s<'_>, id: &str, of: &str) -> Reply {
    s2s.send(&json!({ "externalEventId": id, "type": "refund", "refundOf": of }))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commission_is_held_approved_paid_once_and_clawed_back_into_the_next_payout() {
    let h = Harness::start().await;
    let program = h.program("pro", "20", false, AttributionModel::LastTouch).await;
    set_rules(&h, program.id, json!({ "holdDays": 0, "minimumPayout": "10" })).await;
    let jane = h.affiliate(program.id, "jane@partners.test").await;
    let s2s = S2s::new(&h).await;

    assert_eq!(run(&h).await.body["error"], "nothing_payable");
    let first = s2s.send(&sale("order-1", jane.slug.as_str(), 9900)).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    let listed = commissions(&h, "").await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["status"], "Pending");
    assert_eq!(listed[0]["kind"], "Direct");
    assert_eq!(
        listed[0]["amount"],
        json!({ "minor": 1980, "value": "19.80", "currency": "EUR" })
    );
    // Held until approved: nothing to pay yet.
    assert_eq!(run(&h).await.body["error"], "nothing_payable");

    assert_eq!(approve(&h).await, 1);
    assert_eq!(approve(&h).await, 0, "approval happens once");
    assert_eq!(commissions(&h, "&status=Approved").await.len(), 1);
    // The conversion shows its commission's state.
    assert_eq!(h.conversions().await[0]["status"], "Approved");

    let started = run(&h).await;
    assert_eq!(started.status, StatusCode::CREATED, "{:?}", started.body);
    let items = started.body["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["amount"]["minor"], 1980);
    assert_eq!(items[0]["status"], "Pending");
    let item = items[0]["id"].as_str().unwrap().to_owned();
    let run_id = started.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        run(&h).await.body["error"],
        "nothing_payable",
        "a commission enters one run only"
    );

    let csv = h
        .client
        .get(h.url(&format!("/api/v1/payouts/runs/{run_id}/paypal.csv?currency=eur")))
        .bearer_auth(&h.key)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = csv.text().await.unwrap();
    let line = csv.lines().next().unwrap();
    let fields: Vec<&str> = line.split(',').collect();
    assert_eq!(fields.len(), 7, "{line}");
    assert_eq!(&fields[..3], ["jane@partners.test", "19.80", "EUR"]);
    assert_eq!(fields[5], "PAYPAL");

    let paid = h
        .post(
            &format!("/api/v1/payouts/items/{item}/mark-paid"),
            json!({ "reference": "PP-123" }),
        )
        .await;
    assert_eq!(paid.status, StatusCode::OK, "{:?}", paid.body);
    assert_eq!(paid.body["status"], "Paid");
    let again = h
        .post(
            &format!("/api/v1/payouts/items/{item}/mark-paid"),
            json!({ "reference": "PP-124" }),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.body["error"], "payout_item_not_pending");
    assert_eq!(commissions(&h, "").await[0]["status"], "Paid");
    let b = balance(&h, &jane.id.to_string()).await;
    assert_eq!(
        (b["earned"].as_i64(), b["payout"].as_i64(), b["net"].as_i64()),
        (Some(1980), Some(-1980), Some(0))
    );

    // Refunded after it was paid: clawed back, and carried into the next payout.
    let refunded = refund(&s2s, "refund-1", "order-1").await;
    assert_eq!(refunded.status, StatusCode::OK, "{:?}", refunded.body);
    assert_eq!(commissions(&h, "").await[0]["status"], "Refunded");
    let b = balance(&h, &jane.id.to_string()).await;
    assert_eq!((b["clawback"].as_i64(), b["net"].as_i64()), (Some(-1980), Some(-1980)));

    // A smaller sale does not cover the clawback: nothing to pay.
    s2s.send(&sale("order-2", jane.slug.as_str(), 5000)).await;
    approve(&h).await;
    assert_eq!(run(&h).await.body["error"], "nothing_payable");
    // A larger one does: the item is both sales less the clawback.
    s2s.send(&sale("order-3", jane.slug.as_str(), 20000)).await;
    approve(&h).await;
    let netted = run(&h).await;
    assert_eq!(netted.status, StatusCode::CREATED, "{:?}", netted.body);
    assert_eq!(netted.body["items"][0]["amount"]["minor"], 1000 + 4000 - 1980);

    let ledger = h
        .get(&format!("/api/v1/affiliates/{}/ledger?perPage=100", jane.id))
        .await;
    let kinds: Vec<&str> = ledger.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["Earned", "Earned", "Clawback", "Payout", "Earned"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunds_before_payout_reverse_and_denials_take_back() {
    let h = Harness::start().await;
    let program = h.program("pro", "20", false, AttributionModel::LastTouch).await;
    let jane = h.affiliate(program.id, "jane@partners.test").await;
    let s2s = S2s::new(&h).await;
    s2s.send(&sale("order-1", jane.slug.as_str(), 10000)).await;
    s2s.send(&sale("order-2", jane.slug.as_str(), 5000)).await;

    // A partial refund lowers the commission in proportion, still Pending.
    let partial = s2s
        .send(&json!({ "externalEventId": "r-1", "type": "refund", "refundOf": "order-1", "amountCents": 2500 }))
        .await;
    assert_eq!(partial.status, StatusCode::OK, "{:?}", partial.body);
    let by_conversion = commissions(&h, "").await;
    let first = by_conversion.iter().find(|c| c["initialMinor"] == 2000).unwrap();
    assert_eq!(
        (first["status"].as_str(), first["amount"]["minor"].as_i64()),
        (Some("Pending"), Some(1500))
    );

    let id = by_conversion.iter().find(|c| c["initialMinor"] == 1000).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let empty = h
        .post(&format!("/api/v1/commissions/{id}/deny"), json!({ "reason": " " }))
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    let denied = h
        .post(
            &format!("/api/v1/commissions/{id}/deny"),
            json!({ "reason": "test order" }),
        )
        .await;
    assert_eq!(denied.status, StatusCode::OK, "{:?}", denied.body);
    assert_eq!(denied.body["status"], "Denied");
    assert_eq!(denied.body["deniedReason"], "test order");
    let twice = h
        .post(&format!("/api/v1/commissions/{id}/deny"), json!({ "reason": "again" }))
        .await;
    assert_eq!(twice.body["error"], "commission_not_deniable");

    let b = balance(&h, &jane.id.to_string()).await;
    assert_eq!(b["earned"], 3000);
    assert_eq!(b["reversed"], -500 - 1000);
    assert_eq!(b["net"], 1500);

    // Another organization sees none of it.
    let other = h
        .server
        .app
        .create_org(afflux_app::NewOrg {
            name: "Elsewhere".into(),
            owner_email: "owner@elsewhere.test".into(),
            plan: None,
            status: None,
        })
        .await
        .unwrap();
    let theirs = h
        .api(Method::GET, &format!("/api/v1/commissions/{id}"), &other.api_key, None)
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let deny = h
        .api(
            Method::POST,
            &format!("/api/v1/commissions/{id}/deny"),
            &other.api_key,
            Some(json!({ "reason": "x" })),
        )
        .await;
    assert_eq!(deny.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runs_started_at_once_pay_every_commission_once() {
    let h = Harness::start().await;
    let program = h.program("pro", "20", false, AttributionModel::LastTouch).await;
    set_rules(&h, program.id, json!({ "holdDays": 0 })).await;
    let s2s = S2s::new(&h).await;
    for n in 0..8 {
        let affiliate = h.affiliate(program.id, &format!("p{n}@partners.test")).await;
        s2s.send(&sale(&format!("order-{n}"), affiliate.slug.as_str(), 1000 + n))
            .await;
    }
    assert_eq!(approve(&h).await, 8);

    let replies = futures_join(2, |_| run(&h)).await;
    let created: Vec<&Reply> = replies.iter().filter(|r| r.status == StatusCode::CREATED).collect();
    assert_eq!(created.len(), 1, "{replies:?}");
    let other = replies.iter().find(|r| r.status != StatusCode::CREATED).unwrap();
    assert_eq!(other.status, StatusCode::CONFLICT, "{other:?}");
    assert!(
        ["nothing_payable", "payout_run_conflict"].contains(&other.body["error"].as_str().unwrap()),
        "{other:?}"
    );
    assert_eq!(created[0].body["items"].as_array().unwrap().len(), 8);
    let in_items = commissions(&h, "").await;
    assert!(in_items.iter().all(|c| c["payoutItemId"].is_string()), "{in_items:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiers_products_and_two_tier_overrides_follow_their_precedence() {
    let h = Harness::start().await;
    let program = h.program("pro", "20", false, AttributionModel::LastTouch).await;
    set_rules(
        &h,
        program.id,
        json!({
            "holdDays": 0,
            "tiers": [{ "name": "Gold", "minSales": 1, "commission": { "type": "Percentage", "value": "30" } }],
            "products": [{ "productId": "prod_vip", "commission": { "type": "Fixed", "value": "25" } }],
            "twoTierPercent": 10
        }),
    )
    .await;
    let shown = h.get(&format!("/api/v1/programs/{}", program.id)).await;
    assert_eq!(shown.body["rules"]["tiers"][0]["name"], "Gold");
    assert_eq!(shown.body["rules"]["twoTierPercent"], 10);
    let bad = h
        .api(
            Method::PATCH,
            &format!("/api/v1/programs/{}", program.id),
            &h.key,
            Some(json!({ "rules": { "twoTierPercent": 101 } })),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{:?}", bad.body);

    let rex = h.affiliate(program.id, "rex@partners.test").await;
    let applied = h
        .post(
            "/api/v1/affiliates",
            json!({ "programId": program.id, "email": "ria@partners.test", "recruiter": rex.slug.as_str() }),
        )
        .await;
    assert_eq!(applied.status, StatusCode::CREATED, "{:?}", applied.body);
    let ria = applied.body["id"].as_str().unwrap().to_owned();
    let ria_slug = applied.body["slug"].as_str().unwrap().to_owned();
    h.post(&format!("/api/v1/affiliates/{ria}/approve"), json!({})).await;
    let s2s = S2s::new(&h).await;

    // First sale: no tier reached yet, the default 20 %; Rex earns 10 % of it.
    s2s.send(&sale("order-1", &ria_slug, 10000)).await;
    let ria_commissions = commissions(&h, &format!("&affiliateId={ria}")).await;
    assert_eq!(ria_commissions[0]["amount"]["minor"], 2000);
    let rex_commissions = commissions(&h, &format!("&affiliateId={}", rex.id)).await;
    assert_eq!(rex_commissions.len(), 1);
    assert_eq!(rex_commissions[0]["kind"], "Override");
    assert_eq!(rex_commissions[0]["amount"]["minor"], 200);
    let sources: Vec<String> = h
        .conversions()
        .await
        .iter()
        .map(|c| c["source"].as_str().unwrap().to_owned())
        .collect();
    assert!(sources.contains(&"Override".to_owned()), "{sources:?}");

    // Approved, the first sale puts Ria in Gold: 30 %.
    approve(&h).await;
    s2s.send(&sale("order-2", &ria_slug, 10000)).await;
    let latest = commissions(&h, &format!("&affiliateId={ria}&status=Pending")).await;
    assert_eq!(latest[0]["amount"]["minor"], 3000);

    // A product with its own rate beats the tier.
    let mut vip = sale("order-3", &ria_slug, 10000);
    vip["productId"] = json!("prod_vip");
    s2s.send(&vip).await;
    let latest = commissions(&h, &format!("&affiliateId={ria}&status=Pending")).await;
    assert!(latest.iter().any(|c| c["amount"]["minor"] == 2500), "{latest:?}");

    // Refunding a sale refunds its override too.
    refund(&s2s, "refund-1", "order-1").await;
    let rex_commissions = commissions(&h, &format!("&affiliateId={}", rex.id)).await;
    let first_override = rex_commissions.iter().find(|c| c["initialMinor"] == 200).unwrap();
    assert_eq!(first_override["status"], "Refunded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paypal_run_is_sent_as_one_batch_and_settles_from_its_item_statuses() {
    use afflux_fakes::paypal::{self, PaypalFake};
    let (fake, running) = PaypalFake::start().await;
    let url = running.base_url();
    let h = Harness::start_with(|s| s.paypal_api_base = Some(url)).await;
    let program = h.program("pro", "20", false, AttributionModel::LastTouch).await;
    set_rules(&h, program.id, json!({ "holdDays": 0 })).await;
    let jane = h.affiliate(program.id, "jane@partners.test").await;
    let omar = h.affiliate(program.id, "omar@partners.test").await;
    fake.fail_receiver("omar@partners.test", "RECEIVER_ACCOUNT_LOCKED");
    let s2s = S2s::new(&h).await;
    s2s.send(&sale("order-1", jane.slug.as_str(), 10000)).await;
    s2s.send(&sale("order-2", omar.slug.as_str(), 5000)).await;
    approve(&h).await;

    let wrong = h
        .api(
            Method::PUT,
            "/api/v1/integrations/paypal",
            &h.key,
            Some(json!({ "clientId": paypal::CLIENT_ID, "clientSecret": "wrong" })),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::CONFLICT, "{:?}", wrong.body);
    assert_eq!(wrong.body["error"], "paypal_credentials_rejected");
    assert_eq!(h.get("/api/v1/integrations/paypal").await.body["configured"], false);
    let connected = h
        .api(
            Method::PUT,
            "/api/v1/integrations/paypal",
            &h.key,
            Some(json!({ "clientId": paypal::CLIENT_ID, "clientSecret": paypal::SECRET })),
        )
        .await;
    assert_eq!(connected.status, StatusCode::OK, "{:?}", connected.body);
    assert!(!connected.body.to_string().contains(paypal::SECRET));

    let started = h.post("/api/v1/payouts/runs", json!({ "rail": "PayPal" })).await;
    assert_eq!(started.status, StatusCode::CREATED, "{:?}", started.body);
    let run_id = started.body["id"].as_str().unwrap().to_owned();
    // Sent through the API, so no file that could pay the same items again.
    let file = h
        .get(&format!("/api/v1/payouts/runs/{run_id}/paypal.csv?currency=EUR"))
        .await;
    assert_eq!(file.status, StatusCode::CONFLICT);
    assert_eq!(file.body["error"], "paid_through_paypal_api");
    while h.server.app.run_due_jobs(16).await.unwrap() > 0 {}
    let batches = fake.batches();
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0].sender_batch_id.as_deref(), Some(run_id.as_str()));
    let mut sent: Vec<(String, String, String)> = batches[0]
        .items
        .iter()
        .map(|i| (i.receiver.clone(), i.value.clone(), i.currency.clone()))
        .collect();
    sent.sort();
    assert_eq!(
        sent,
        [
            ("jane@partners.test".into(), "20.00".into(), "EUR".into()),
            ("omar@partners.test".into(), "10.00".into(), "EUR".into())
        ]
    );

    // The poll job is due shortly after the send; run it now.
    let mut tx = h.server.app.store().write().await.unwrap();
    let poll = tx
        .get_job_by_dedupe_key(&format!("paypal-poll:{}", batches[0].payout_batch_id))
        .await
        .unwrap()
        .expect("a poll job waits");
    tx.reschedule_job(poll.dedupe_key.as_deref().unwrap(), time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    while h.server.app.run_due_jobs(16).await.unwrap() > 0 {}

    let run = h.get(&format!("/api/v1/payouts/runs/{run_id}")).await.body;
    let items = run["items"].as_array().unwrap();
    let by_affiliate = |id: &str| items.iter().find(|i| i["affiliateId"] == id).unwrap().clone();
    let paid = by_affiliate(&jane.id.to_string());
    assert_eq!(paid["status"], "Paid", "{run}");
    assert!(paid["reference"].is_string());
    let failed = by_affiliate(&omar.id.to_string());
    assert_eq!(failed["status"], "Failed");
    assert!(
        failed["failureReason"]
            .as_str()
            .unwrap()
            .contains("RECEIVER_ACCOUNT_LOCKED"),
        "{failed}"
    );
    assert_eq!(balance(&h, &jane.id.to_string()).await["net"], 0);
    assert_eq!(balance(&h, &omar.id.to_string()).await["net"], 1000);
    // Nothing is sent twice: no second batch for the same run.
    assert_eq!(fake.batches().len(), 1);
}
