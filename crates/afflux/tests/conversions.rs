//! Signed S2S conversions end to end, through HTTP: signatures (right, wrong, missing, stale,
//! future), replays, currencies, attribution by slug, click, coupon, customer id and email,
//! refunds, self-referral, paused affiliates, the tracking script's leads, and exactly-once
//! under concurrency. Runs on SQLite, or PostgreSQL with `AFFLUX_TEST_DATABASE_URL`.

mod support;

use afflux_domain::{AttributionModel, StatusAction};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::s2s::{S2s, futures_join, now, sale};
use support::{Harness, Reply};
use time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signatures_are_checked_before_anything_is_recorded() {
    let h = Harness::start().await;
    let program = h.program("pro", "20", false, AttributionModel::LastTouch).await;
    let jane = h.affiliate(program.id, "jane@partners.test").await;
    let s2s = S2s::new(&h).await;
    let body = serde_json::to_vec(&sale("order-1", jane.slug.as_str(), 9900)).unwrap();
    let org = Some(h.org.to_string());
    let t = now();
    let good = s2s.sign(&s2s.secret, t, &body);

    let refused = [
        (
            "wrong secret",
            s2s.raw(&body, Some(t), Some(s2s.sign("afs_wrong", t, &body)), org.clone())
                .await,
        ),
        ("no signature", s2s.raw(&body, Some(t), None, org.clone()).await),
        (
            "no timestamp",
            s2s.raw(&body, None, Some(good.clone()), org.clone()).await,
        ),
        (
            "not hex",
            s2s.raw(&body, Some(t), Some("zz".repeat(32)), org.clone()).await,
        ),
        (
            "other timestamp",
            s2s.raw(&body, Some(t + 1), Some(good.clone()), org.clone()).await,
        ),
        (
            "tampered body",
            s2s.raw(
                &sale_bytes("order-1", jane.slug.as_str(), 1),
                Some(t),
                Some(good.clone()),
                org.clone(),
            )
            .await,
        ),
        (
            "no organization",
            s2s.raw(&body, Some(t), Some(good.clone()), None).await,
        ),
        (
            "other organization",
            s2s.raw(&body, Some(t), Some(good.clone()), Some(uuid_string())).await,
        ),
    ];
    for (case, reply) in refused {
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{case}: {:?}", reply.body);
        assert_eq!(reply.body["error"], "invalid_signature", "{case}: {:?}", reply.body);
        assert!(reply.body["message"].is_string(), "{case}");
    }
    // Timestamps taken when sent and well outside the window, so the test's own run time cannot
    // carry one back inside it (the exact 300 s edges are unit-tested in the app's signature.rs).
    for (case, offset) in [("stale", -330), ("future", 330)] {
        let ts = now() + offset;
        let reply = s2s
            .raw(&body, Some(ts), Some(s2s.sign(&s2s.secret, ts, &body)), org.clone())
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{case}");
        assert_eq!(reply.body["error"], "signature_expired", "{case}: {:?}", reply.body);
    }
    assert!(
        h.conversions().await.is_empty(),
        "a rejected request recorded something"
    );
    assert!(h.processed("s2s", "order-1").await.is_none());

    // Inside the window, either way, it is accepted.
    let reply = s2s
        .raw(&body, Some(t - 290), Some(s2s.sign(&s2s.secret, t - 290, &body)), org)
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(reply.body["outcome"], "recorded");
    assert_eq!(h.conversions().await.len(), 1);
}

fn sale_bytes(id: &str, slug: &str, cents: i64) -> Vec<u8> {
    serde_json::to_vec(&sale(id, slug, cents)).unwrap()
}

fn uuid_string() -> String {
    afflux_domain::OrgId::new().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_event_answers_the_first_answer_and_records_nothing() {
    let h = Harness::start().await;
    let program = h.program("pro", "20", false, AttributionModel::LastTouch).await;
    let jane = h.affiliate(program.id, "jane@partners.test").await;
    let s2s = S2s::new(&h).await;
    let event = sale("order-7", jane.slug.as_str(), 8900);

    let first = s2s.send(&event).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    assert_eq!(first.body["type"], "Sale");
    assert_eq!(first.body["source"], "Server");
    assert_eq!(first.body["status"], "Pending");
    assert_eq!(first.body["amountCents"], 8900);
    assert_eq!(first.body["currency"], "EUR");
    assert_eq!(first.body["commissionCents"], 1780);
    assert_eq!(first.body["affiliateId"], json!(jane.id));
    assert!(first.headers.get("idempotent-replayed").is_none());

    // Signed again a few seconds later, as a retry would be.
    let again = s2s.at(&event, now() + 5).await;
    assert_eq!(again.status, first.status);
    assert_eq!(again.body, first.body);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(h.conversions().await.len(), 1);
    assert_eq!(h.audit("conversion.recorded").await.len(), 1);

    // The same id with another payload is refused, and changes nothing.
    let changed = s2s.send(&sale("order-7", jane.slug.as_str(), 100)).await;
    assert_eq!(changed.status, StatusCode::CONFLICT, "{:?}", changed.body);
    assert_eq!(changed.body["error"], "idempotency_conflict");
    let listed = h.conversions().await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["amountCents"], 8900);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn currencies_and_malformed_bodies_are_refused() {
    let h = Harness::start().await;
    let program = h.program("pro", "10", false, AttributionModel::LastTouch).await;
    let jane = h.affiliate(program.id, "jane@partners.test").await;
    let s2s = S2s::new(&h).await;
    let slug = jane.slug.as_str();

    for (currency, code) in [
        ("XBT", "unsupported_currency"),
        ("XYZ", "unsupported_currency"),
        ("US", "currency_must_be_3_letters"),
        ("U5D", "currency_must_be_3_letters"),
        ("  ", "currency_must_be_3_letters"),
        ("EURO", "currency_must_be_3_letters"),
    ] {
        let mut event = sale(&format!("bad-{currency}"), slug, 100);
        event["currency"] = json!(currency);
        let reply = s2s.send(&event).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{currency}: {:?}", reply.body);
        assert_eq!(reply.body["error"], code, "{currency}: {:?}", reply.body);
        assert_eq!(reply.body["field"], "currency");
    }
    let malformed = [
        json!({ "externalEventId": "m1", "affiliateSlug": slug }),
        json!({ "externalEventId": "m2", "affiliateSlug": slug, "amountCents": -5 }),
        json!({ "externalEventId": "m3", "affiliateSlug": slug, "amountCents": "12" }),
        json!({ "externalEventId": "m4", "affiliateSlug": slug, "amountCents": 5, "type": "gift" }),
        json!({ "externalEventId": "m5", "affiliateSlug": slug, "amountCents": 5, "surprise": 1 }),
        json!({ "externalEventId": "", "affiliateSlug": slug, "amountCents": 5 }),
        json!({ "externalEventId": "m7", "amountCents": 5 }),
        json!({ "externalEventId": "m8", "clickId": "not-a-click", "amountCents": 5 }),
        json!({ "externalEventId": "m9", "type": "refund", "amountCents": 5 }),
        json!([1, 2]),
    ];
    for body in malformed {
        let reply = s2s.send(&body).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}: {:?}", reply.body);
        assert!(reply.body["error"].is_string(), "{body}");
    }
    let t = now();
    let garbage = b"{not json";
    let reply = s2s
        .raw(
            garbage,
            Some(t),
            Some(s2s.sign(&s2s.secret, t, garbage)),
            Some(h.org.to_string()),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        h.conversions().await.is_empty(),
        "a malformed request recorded something"
    );

    // Codes are case-insensitive; the default is USD.
    let mut lower = sale("ok-1", slug, 1000);
    lower["currency"] = json!("jpy");
    assert_eq!(s2s.send(&lower).await.body["currency"], "JPY");
    let mut none = sale("ok-2", slug, 1000);
    none.as_object_mut().unwrap().remove("currency");
    assert_eq!(s2s.send(&none).await.body["currency"], "USD");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attribution_by_slug_click_coupon_customer_id_and_email() {
    let h = Harness::start().await;
    let program = h.program("pro", "20", false, AttributionModel::LastTouch).await;
    let jane = h.affiliate(program.id, "jane@partners.test").await;
    let joe = h.affiliate(program.id, "joe@partners.test").await;
    let s2s = S2s::new(&h).await;

    // By slug, naming the customer: the customer is bound to Jane.
    let mut first = sale("a-1", jane.slug.as_str(), 10_000);
    first["customerId"] = json!("cust-42");
    first["email"] = json!("Buyer@Example.com");
    first["productId"] = json!("pro-yearly");
    let reply = s2s.send(&first).await;
    assert_eq!(reply.body["source"], "Server", "{:?}", reply.body);
    assert_eq!(h.binding("ext:cust-42").await.unwrap().affiliate_id, jane.id);
    assert_eq!(
        h.binding("email:buyer@example.com").await.unwrap().affiliate_id,
        jane.id
    );

    // By click id: the click's affiliate, and the click is recorded on the conversion.
    let click = h.click(&joe, program.id, Duration::days(3)).await;
    let reply = s2s
        .send(&json!({ "externalEventId": "a-2", "clickId": click.to_string(), "amountCents": 5000 }))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(reply.body["affiliateId"], json!(joe.id));
    assert_eq!(reply.body["commissionCents"], 1000);

    // A click older than the program's 30-day window credits nobody.
    let old = h.click(&joe, program.id, Duration::days(31)).await;
    let reply = s2s
        .send(&json!({ "externalEventId": "a-3", "clickId": old.to_string(), "amountCents": 5000 }))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.body,
        json!({ "outcome": "unattributed", "reason": "referral_expired" })
    );

    // By customer id alone, and by email alone: the earlier binding (customer match).
    for (id, key, value) in [("a-4", "customerId", "cust-42"), ("a-5", "email", "buyer@EXAMPLE.com")] {
        let reply = s2s
            .send(&json!({ "externalEventId": id, key: value, "amountCents": 2000 }))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{id}: {:?}", reply.body);
        assert_eq!(reply.body["source"], "CustomerMatch", "{id}");
        assert_eq!(reply.body["affiliateId"], json!(jane.id), "{id}");
    }
    // A click beats the customer match; an unknown customer matches nobody.
    let fresh = h.click(&joe, program.id, Duration::hours(1)).await;
    let reply = s2s
        .send(&json!({ "externalEventId": "a-6", "customerId": "cust-42", "clickId": fresh.to_string(), "amountCents": 2000 }))
        .await;
    assert_eq!(reply.body["affiliateId"], json!(joe.id), "{:?}", reply.body);
    let reply = s2s
        .send(&json!({ "externalEventId": "a-7", "customerId": "stranger", "amountCents": 2000 }))
        .await;
    assert_eq!(reply.body["reason"], "no_referral");

    // A promotion code beats the slug (it overrides clicks by default).
    let code = h
        .post(
            &format!("/api/v1/affiliates/{}/coupons", joe.id),
            json!({ "code": "JOE10" }),
        )
        .await;
    assert_eq!(code.status, StatusCode::CREATED, "{:?}", code.body);
    let mut coupon_sale = sale("a-8", jane.slug.as_str(), 3000);
    coupon_sale["couponCode"] = json!("joe10");
    let reply = s2s.send(&coupon_sale).await;
    assert_eq!(reply.body["source"], "Coupon", "{:?}", reply.body);
    assert_eq!(reply.body["affiliateId"], json!(joe.id));
    assert_eq!(reply.body["couponCode"], "JOE10");

    let listed = h.conversions().await;
    assert_eq!(listed.len(), 6, "two of eight credited nobody");
    let by_click = listed.iter().find(|c| c["externalId"] == "a-2").unwrap();
    assert_eq!(by_click["clickId"], json!(click));
    let by_slug = listed.iter().find(|c| c["externalId"] == "a-1").unwrap();
    assert_eq!(by_slug["customerId"], "cust-42");
    assert_eq!(by_slug["productId"], "pro-yearly");
    assert_eq!(by_slug["provider"], "Server");
    let one = h
        .get(&format!("/api/v1/conversions/{}", by_slug["id"].as_str().unwrap()))
        .await;
    assert_eq!(one.body, *by_slug);
    let jane_only = h
        .get(&format!(
            "/api/v1/conversions?affiliateId={}&source=CustomerMatch",
            jane.id
        ))
        .await;
    assert_eq!(jane_only.body["data"].as_array().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunds_full_and_partial() {
    let h = Harness::start().await;
    let program = h.program("pro", "20", false, AttributionModel::LastTouch).await;
    let jane = h.affiliate(program.id, "jane@partners.test").await;
    let s2s = S2s::new(&h).await;
    s2s.send(&sale("order-1", jane.slug.as_str(), 10_000)).await;
    let refund = |id: &str, cents: Option<i64>| {
        let mut body = json!({ "externalEventId": id, "type": "refund", "refundOf": "order-1" });
        if let Some(cents) = cents {
            body["amountCents"] = json!(cents);
        }
        body
    };

    let partial = s2s.send(&refund("r-1", Some(2_500))).await;
    assert_eq!(partial.status, StatusCode::OK, "{:?}", partial.body);
    assert_eq!(partial.body["outcome"], "refunded");
    assert_eq!(partial.body["refundedCents"], 2_500);
    assert_eq!(partial.body["commissionCents"], 1_500);
    assert_eq!(partial.body["status"], "Pending");

    let too_much = s2s.send(&refund("r-2", Some(7_501))).await;
    assert_eq!(too_much.status, StatusCode::BAD_REQUEST, "{:?}", too_much.body);
    assert_eq!(too_much.body["error"], "refund_exceeds_sale");
    assert!(
        h.processed("s2s", "r-2").await.is_none(),
        "a refused refund was recorded"
    );
    let unknown = s2s
        .send(&json!({ "externalEventId": "r-3", "type": "refund", "refundOf": "order-404" }))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    // The rest (no amount: everything left) reverses the commission.
    let rest = s2s.send(&refund("r-4", None)).await;
    assert_eq!(rest.body["refundedCents"], 10_000);
    assert_eq!(rest.body["commissionCents"], 0);
    assert_eq!(rest.body["status"], "Refunded");
    let listed = h.conversions().await;
    assert_eq!(listed.len(), 1, "refunds are not conversions of their own");
    assert_eq!(listed[0]["status"], "Refunded");
    assert_eq!(h.audit("conversion.refunded").await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_referrals_are_flagged_and_paused_affiliates_earn_nothing() {
    let h = Harness::start().await;
    let program = h.program("pro", "20", false, AttributionModel::LastTouch).await;
    let jane = h.affiliate(program.id, "jane@partners.test").await;
    let joe = h.affiliate(program.id, "joe@partners.test").await;
    let s2s = S2s::new(&h).await;

    let mut own = sale("s-1", jane.slug.as_str(), 5_000);
    own["email"] = json!("JANE@partners.test");
    let reply = s2s.send(&own).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(reply.body["selfReferral"], true);
    assert_eq!(reply.body["commissionCents"], 0);
    assert_eq!(reply.body["status"], "Denied");
    assert!(
        h.binding("email:jane@partners.test").await.is_none(),
        "a self-referral bound the customer"
    );

    h.set_status(&joe, program.id, StatusAction::Pause).await;
    let reply = s2s.send(&sale("s-2", joe.slug.as_str(), 5_000)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.body,
        json!({ "outcome": "unattributed", "reason": "affiliate_not_earning" })
    );
    // A paused affiliate's coupon yields to another referral.
    h.post(
        &format!("/api/v1/affiliates/{}/coupons", joe.id),
        json!({ "code": "JOE10" }),
    )
    .await;
    let mut both = sale("s-3", jane.slug.as_str(), 5_000);
    both["couponCode"] = json!("JOE10");
    let reply = s2s.send(&both).await;
    assert_eq!(reply.body["affiliateId"], json!(jane.id), "{:?}", reply.body);
    assert_eq!(reply.body["source"], "Server");
    let earning: Vec<Value> = h
        .conversions()
        .await
        .into_iter()
        .filter(|c| c["affiliateId"] == json!(joe.id))
        .collect();
    assert!(earning.is_empty(), "a paused affiliate earned: {earning:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_concurrent_deliveries_record_one_conversion() {
    let h = Harness::start().await;
    let program = h.program("pro", "20", false, AttributionModel::LastTouch).await;
    let jane = h.affiliate(program.id, "jane@partners.test").await;
    let s2s = S2s::new(&h).await;
    let mut event = sale("burst-1", jane.slug.as_str(), 12_345);
    event["customerId"] = json!("cust-burst");

    let replies = futures_join(32, |_| s2s.send(&event)).await;
    let first: Vec<&Reply> = replies
        .iter()
        .filter(|r| r.headers.get("idempotent-replayed").is_none())
        .collect();
    assert_eq!(first.len(), 1, "one delivery processed, the others replayed");
    for r in &replies {
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        assert_eq!(r.body, first[0].body);
    }
    assert_eq!(h.conversions().await.len(), 1);
    assert_eq!(h.audit("conversion.recorded").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_first_sales_of_one_customer_bind_it_once() {
    let h = Harness::start().await;
    let program = h.program("pro", "20", false, AttributionModel::LastTouch).await;
    let jane = h.affiliate(program.id, "jane@partners.test").await;
    let joe = h.affiliate(program.id, "joe@partners.test").await;
    let s2s = S2s::new(&h).await;

    let s2s = &s2s;
    let replies = futures_join(16, |i| {
        let slug = if i % 2 == 0 {
            jane.slug.as_str()
        } else {
            joe.slug.as_str()
        };
        let mut event = sale(&format!("first-{i}"), slug, 1_000);
        event["customerId"] = json!("cust-shared");
        async move { s2s.send(&event).await }
    })
    .await;
    assert!(replies.iter().all(|r| r.status == StatusCode::CREATED), "{replies:?}");
    let binding = h.binding("ext:cust-shared").await.expect("bound");
    let conversions = h.conversions().await;
    assert_eq!(conversions.len(), 16);
    // The binding names the conversion that made it (whichever committed first) and that
    // conversion's affiliate; the other fifteen left it alone.
    let maker = conversions
        .iter()
        .find(|c| c["id"] == json!(binding.conversion_id))
        .expect("the binding names one of the conversions");
    assert_eq!(json!(binding.affiliate_id), maker["affiliateId"]);
    let reply = s2s
        .send(&json!({ "externalEventId": "follow-up", "customerId": "cust-shared", "amountCents": 500 }))
        .await;
    assert_eq!(reply.body["source"], "CustomerMatch");
    assert_eq!(json!(binding.affiliate_id), reply.body["affiliateId"]);
}
