//! The Stripe webhook end to end. Events are JSON fixtures in the shapes Stripe sends (invoices
//! in the older and the 2025+ API shapes) signed by Stripe's own Python library
//! (`tests/support/stripe_sign.py`, stripe==16.1.0), and headers Afflux accepts are checked
//! with `stripe.Webhook.construct_event`: our verification matches theirs both ways.

mod support;

use std::io::Write;
use std::process::{Command, Stdio};

use afflux_domain::{AttributionModel, Campaign};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{Harness, Reply};
use time::{Duration, OffsetDateTime};

const SECRET: &str = "whsec_test_7f3a9c2e51b04d8a";

/// Runs Stripe's Python library on a batch of sign/verify requests.
fn python(requests: &[Value]) -> Vec<Value> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/stripe_sign.py");
    let mut child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 is needed");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&serde_json::to_vec(requests).unwrap())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "stripe_sign.py failed (pip install stripe==16.1.0: scripts/test-deps.sh): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// A `Stripe-Signature` header made by Stripe's library.
fn stripe_header(payload: &str, secret: &str, timestamp: i64) -> String {
    let answer = python(&[json!({ "op": "sign", "payload": payload, "secret": secret, "timestamp": timestamp })]);
    answer[0]["header"].as_str().unwrap().to_owned()
}

/// Whether Stripe's library accepts `header` for `payload` (with the default 300 s tolerance).
fn stripe_accepts(payload: &str, header: &str) -> bool {
    let answer =
        python(&[json!({ "op": "verify", "payload": payload, "header": header, "secret": SECRET, "tolerance": 300 })]);
    answer[0]["ok"].as_bool().unwrap()
}

/// An event envelope as Stripe sends it.
fn event(id: &str, kind: &str, object: Value) -> Value {
    json!({
        "id": id, "object": "event", "api_version": "2025-03-31.basil", "created": now(),
        "data": { "object": object }, "livemode": false, "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null }, "type": kind
    })
}

async fn deliver(h: &Harness, payload: &str, header: Option<&str>) -> Reply {
    let mut request = h
        .client
        .post(h.url(&format!("/hooks/stripe/{}", h.org)))
        .header("content-type", "application/json")
        .body(payload.to_owned());
    if let Some(header) = header {
        request = request.header("stripe-signature", header);
    }
    h.send(request).await
}

/// Signs `event` with Stripe's library and delivers it.
async fn send(h: &Harness, event: &Value) -> Reply {
    let payload = serde_json::to_string(event).unwrap();
    let header = stripe_header(&payload, SECRET, now());
    deliver(h, &payload, Some(&header)).await
}

struct Setup {
    h: Harness,
    program: Campaign,
    jane: afflux_domain::Affiliate,
    joe: afflux_domain::Affiliate,
}

async fn setup() -> Setup {
    let h = Harness::start().await;
    let reply = h
        .api(
            reqwest::Method::PUT,
            "/api/v1/integrations/stripe",
            &h.key,
            Some(json!({ "webhookSecret": SECRET })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let program = h.program("pro", "20", false, AttributionModel::LastTouch).await;
    let jane = h.affiliate(program.id, "jane@partners.test").await;
    let joe = h.affiliate(program.id, "joe@partners.test").await;
    Setup { h, program, jane, joe }
}

fn legacy_invoice(id: &str, customer: &str, subscription: &str, amount: i64) -> Value {
    json!({
        "id": id, "object": "invoice", "customer": customer, "customer_email": null, "currency": "usd",
        "amount_due": amount, "amount_paid": amount, "amount_remaining": 0, "status": "paid", "paid": true,
        "billing_reason": "subscription_cycle", "subscription": subscription, "charge": format!("ch_{id}"),
        "payment_intent": format!("pi_{id}"), "discount": null, "metadata": {},
        "lines": { "object": "list", "data": [{ "id": "il_1", "amount": amount, "price": { "id": "price_1", "product": "prod_pro" } }] }
    })
}

fn basil_invoice(id: &str, customer: &str, subscription: &str, amount: i64) -> Value {
    json!({
        "id": id, "object": "invoice", "customer": customer, "customer_email": "buyer@customer.test",
        "currency": "usd", "amount_due": amount, "amount_paid": amount, "amount_remaining": 0, "status": "paid",
        "billing_reason": "subscription_create", "discounts": [], "total_discount_amounts": [], "metadata": {},
        "parent": { "type": "subscription_details", "quote_details": null,
            "subscription_details": { "subscription": subscription, "metadata": {} } },
        "lines": { "object": "list", "data": [{ "id": "il_2", "amount": amount, "pricing": {
            "type": "price_details", "price_details": { "price": "price_2", "product": "prod_pro" } } }] }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_agrees_with_stripes_library() {
    let h = Harness::start().await;
    let payload = serde_json::to_string(&event("evt_hello", "customer.created", json!({ "id": "cus_1" }))).unwrap();
    let t = now();
    let header = stripe_header(&payload, SECRET, t);
    let before = deliver(&h, &payload, Some(&header)).await;
    assert_eq!(before.status, StatusCode::UNAUTHORIZED, "no secret configured yet");
    assert_eq!(before.body["error"], "invalid_signature");

    let put = |secret: &str| {
        h.api(
            reqwest::Method::PUT,
            "/api/v1/integrations/stripe",
            &h.key,
            Some(json!({ "webhookSecret": secret })),
        )
    };
    assert_eq!(put("sk_live_nope").await.status, StatusCode::BAD_REQUEST);
    let saved = put(SECRET).await;
    assert_eq!(saved.status, StatusCode::OK);
    let shown = h.get("/api/v1/integrations/stripe").await;
    assert_eq!(shown.body["webhookSecretConfigured"], true);
    let url = format!("/hooks/stripe/{}", h.org);
    assert!(
        shown.body["webhookUrl"].as_str().unwrap().ends_with(&url),
        "{:?}",
        shown.body
    );
    for body in [&saved.body, &shown.body] {
        assert!(!body.to_string().contains("whsec_"), "the secret was shown: {body}");
    }
    let mut tx = h.server.app.store().read().await.unwrap();
    let stored = tx
        .get_org_secret(h.org, "stripe_webhook_secret")
        .await
        .unwrap()
        .unwrap();
    assert!(
        !stored.ciphertext.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
        "stored in the clear"
    );
    drop(tx);

    // Signed by Stripe's library: accepted.
    let reply = deliver(&h, &payload, Some(&header)).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["outcome"], "ignored");

    // Headers Afflux accepts, Stripe's library accepts too: ours, and a rotation with two v1.
    let ours = afflux_app::conversions::stripe_signature_header(SECRET, t, payload.as_bytes());
    let v1 = header.split("v1=").nth(1).unwrap();
    let rotated = format!("t={t},v1={},v0=deadbeef,v1={v1}", "ab".repeat(32));
    let ahead = stripe_header(&payload, SECRET, t + 400);
    for accepted in [&ours, &rotated, &ahead] {
        assert_eq!(
            deliver(&h, &payload, Some(accepted)).await.status,
            StatusCode::OK,
            "{accepted}"
        );
        assert!(
            stripe_accepts(&payload, accepted),
            "Stripe refuses what we accept: {accepted}"
        );
    }

    // Headers Stripe's library refuses, Afflux refuses, with the matching reason.
    let wrong_secret = stripe_header(&payload, "whsec_someone_else", t);
    let stale = stripe_header(&payload, SECRET, t - 400);
    let tampered = payload.replace("cus_1", "cus_2");
    for (case, body, header, code) in [
        ("wrong secret", &payload, wrong_secret.as_str(), "invalid_signature"),
        ("stale", &payload, stale.as_str(), "signature_expired"),
        ("tampered", &tampered, header.as_str(), "invalid_signature"),
        ("only v0", &payload, &format!("t={t},v0={v1}"), "invalid_signature"),
        ("garbage", &payload, "v1", "invalid_signature"),
    ] {
        let reply = deliver(&h, body, Some(header)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{case}");
        assert_eq!(reply.body["error"], code, "{case}: {:?}", reply.body);
        assert!(!stripe_accepts(body, header), "Stripe accepts what we refuse: {case}");
    }
    let missing = deliver(&h, &payload, None).await;
    assert_eq!(missing.body["error"], "invalid_signature");

    // Signed, but not an event: 400. Unknown organization: 404.
    let not_event = r#"{"hello":"world"}"#;
    let reply = deliver(&h, not_event, Some(&stripe_header(not_event, SECRET, t))).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let elsewhere = h
        .send(h.client.post(h.url("/hooks/stripe/not-an-org")).body(payload.clone()))
        .await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_checkout_credits_the_client_reference_id() {
    let Setup { h, program, jane, .. } = setup().await;
    let click = h.click(&jane, program.id, Duration::days(2)).await;
    let session = |id: &str, status: &str| {
        json!({
            "id": id, "object": "checkout.session", "mode": "payment", "status": "complete",
            "payment_status": status, "client_reference_id": click.to_string(), "metadata": {},
            "customer": "cus_A", "customer_email": null,
            "customer_details": { "email": "buyer@customer.test", "name": "Ann Buyer" },
            "amount_subtotal": 4900, "amount_total": 4900, "currency": "eur", "discounts": [],
            "payment_intent": format!("pi_{id}"), "invoice": null, "subscription": null
        })
    };
    let unpaid = send(
        &h,
        &event("evt_u", "checkout.session.completed", session("cs_u", "unpaid")),
    )
    .await;
    assert_eq!(unpaid.body, json!({ "outcome": "ignored", "reason": "unpaid" }));

    let reply = send(
        &h,
        &event("evt_c", "checkout.session.completed", session("cs_1", "paid")),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(reply.body["affiliateId"], json!(jane.id));
    assert_eq!(reply.body["source"], "Link");
    assert_eq!(
        (reply.body["amountCents"].as_i64(), reply.body["currency"].as_str()),
        (Some(4900), Some("EUR"))
    );
    assert_eq!(reply.body["commissionCents"], 980);
    let listed = h.conversions().await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["provider"], "Stripe");
    assert_eq!(listed[0]["customerId"], "cus_A");
    assert_eq!(listed[0]["paymentIntentId"], "pi_cs_1");
    assert_eq!(listed[0]["externalId"], "pi_cs_1");
    assert_eq!(listed[0]["eventId"], "evt_c");
    assert_eq!(listed[0]["clickId"], json!(click));
    assert_eq!(h.binding("stripe:cus_A").await.unwrap().affiliate_id, jane.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trial_is_a_lead_and_its_invoices_in_both_shapes_follow_the_customer() {
    let Setup { h, joe, .. } = setup().await;
    let subscription = json!({
        "id": "sub_T", "object": "subscription", "customer": "cus_T", "status": "trialing", "currency": "usd",
        "metadata": { "via": joe.slug.as_str() }, "discounts": [],
        "items": { "object": "list", "data": [{ "id": "si_1", "price": { "id": "price_1", "product": "prod_pro" } }] }
    });
    let lead = send(
        &h,
        &event("evt_sub", "customer.subscription.created", subscription.clone()),
    )
    .await;
    assert_eq!(lead.status, StatusCode::CREATED, "{:?}", lead.body);
    assert_eq!(
        (lead.body["type"].as_str(), lead.body["source"].as_str()),
        (Some("Lead"), Some("Lead"))
    );
    assert_eq!(lead.body["affiliateId"], json!(joe.id));
    assert_eq!(lead.body["commissionCents"], 0);
    let mut active = subscription;
    active["id"] = json!("sub_other");
    active["status"] = json!("active");
    let ignored = send(&h, &event("evt_sub2", "customer.subscription.created", active)).await;
    assert_eq!(ignored.body["reason"], "not_a_trial");

    // The trial converts: the first paid invoice (2025+ shape) is the sale, by customer match.
    let first = send(
        &h,
        &event("evt_i1", "invoice.paid", basil_invoice("in_1", "cus_T", "sub_T", 2900)),
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    assert_eq!(first.body["type"], "Sale");
    assert_eq!(first.body["source"], "CustomerMatch");
    assert_eq!(first.body["affiliateId"], json!(joe.id));
    assert_eq!(first.body["commissionCents"], 580);
    // The next one (older shape) renews.
    let second = send(
        &h,
        &event("evt_i2", "invoice.paid", legacy_invoice("in_2", "cus_T", "sub_T", 2900)),
    )
    .await;
    assert_eq!(second.body["type"], "Recurring", "{:?}", second.body);
    assert_eq!(second.body["affiliateId"], json!(joe.id));

    let listed = h.conversions().await;
    assert_eq!(listed.len(), 3);
    for c in &listed {
        assert_eq!(c["subscriptionId"], "sub_T", "{c}");
    }
    let legacy = listed.iter().find(|c| c["invoiceId"] == "in_2").unwrap();
    assert_eq!(legacy["chargeId"], "ch_in_2");
    assert_eq!(legacy["productId"], "prod_pro");
    let basil = listed.iter().find(|c| c["invoiceId"] == "in_1").unwrap();
    assert_eq!(basil["productId"], "prod_pro");

    // A zero invoice is no sale.
    let zero = send(
        &h,
        &event("evt_i0", "invoice.paid", basil_invoice("in_0", "cus_T", "sub_T", 0)),
    )
    .await;
    assert_eq!(zero.body["reason"], "zero_amount");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promotion_codes_beat_the_click() {
    let Setup { h, program, jane, joe } = setup().await;
    let path = format!("/api/v1/affiliates/{}/coupons", joe.id);
    let code = h
        .post(&path, json!({ "code": "JOE10", "stripePromotionCodeId": "promo_JOE" }))
        .await;
    assert_eq!(code.status, StatusCode::CREATED, "{:?}", code.body);
    let own_coupon = h
        .post(&path, json!({ "code": "JOEVIP", "stripeCouponId": "co_joe_vip" }))
        .await;
    assert_eq!(own_coupon.status, StatusCode::CREATED, "{:?}", own_coupon.body);
    let click = h.click(&jane, program.id, Duration::hours(1)).await;

    // Checkout: the click names Jane, the promotion code Joe. The code wins.
    let session = json!({
        "id": "cs_P", "object": "checkout.session", "mode": "payment", "payment_status": "paid",
        "client_reference_id": click.to_string(), "customer": "cus_P", "amount_total": 9000, "currency": "usd",
        "discounts": [{ "coupon": "co_10", "promotion_code": "promo_JOE" }], "payment_intent": "pi_P"
    });
    let reply = send(&h, &event("evt_p1", "checkout.session.completed", session)).await;
    assert_eq!(reply.body["source"], "Coupon", "{:?}", reply.body);
    assert_eq!(reply.body["affiliateId"], json!(joe.id));
    assert_eq!(reply.body["couponCode"], "JOE10");

    // Older invoice shape: `discount.promotion_code`.
    let mut legacy = legacy_invoice("in_L", "cus_L", "sub_L", 5000);
    legacy["discount"] = json!({ "object": "discount", "coupon": { "id": "co_10" }, "promotion_code": "promo_JOE" });
    legacy["metadata"] = json!({ "afflux_referral": jane.slug.as_str() });
    let reply = send(&h, &event("evt_p2", "invoice.paid", legacy)).await;
    assert_eq!(
        (reply.body["source"].as_str(), reply.body["affiliateId"].clone()),
        (Some("Coupon"), json!(joe.id))
    );

    // 2025+ shape, discounts expanded: the promotion code's `code`, and `source.coupon`.
    let mut basil = basil_invoice("in_B", "cus_B", "sub_B", 5000);
    basil["discounts"] = json!([{ "id": "di_1", "object": "discount",
        "promotion_code": { "id": "promo_unknown", "code": "joe10" }, "source": { "type": "coupon", "coupon": "co_10" } }]);
    let reply = send(&h, &event("evt_p3", "invoice.paid", basil)).await;
    assert_eq!(reply.body["affiliateId"], json!(joe.id), "{:?}", reply.body);
    let mut by_coupon = basil_invoice("in_V", "cus_V", "sub_V", 5000);
    by_coupon["discounts"] = json!([{ "id": "di_2", "object": "discount", "promotion_code": null,
        "source": { "type": "coupon", "coupon": "co_joe_vip" } }]);
    let reply = send(&h, &event("evt_p4", "invoice.paid", by_coupon)).await;
    assert_eq!(reply.body["couponCode"], "JOEVIP", "{:?}", reply.body);

    // Unexpanded discount ids name nothing: without another referral, nobody is credited.
    let mut bare = basil_invoice("in_N", "cus_N", "sub_N", 5000);
    bare["discounts"] = json!(["di_3"]);
    // (The fixtures share one customer email, which earlier sales bound to Joe.)
    bare["customer_email"] = json!("someone.new@customer.test");
    let reply = send(&h, &event("evt_p5", "invoice.paid", bare)).await;
    assert_eq!(reply.body["reason"], "no_referral");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunds_reduce_or_reverse_the_sale() {
    let Setup { h, jane, .. } = setup().await;
    let mut invoice = legacy_invoice("in_R", "cus_R", "sub_R", 10_000);
    invoice["metadata"] = json!({ "afflux_referral": jane.slug.as_str() });
    let sale = send(&h, &event("evt_r0", "invoice.paid", invoice)).await;
    assert_eq!(sale.body["commissionCents"], 2_000, "{:?}", sale.body);
    let charge = |refunded: i64, full: bool, id: &str| {
        json!({ "id": id, "object": "charge", "amount": 10_000, "amount_captured": 10_000,
            "amount_refunded": refunded, "refunded": full, "currency": "usd", "customer": "cus_R",
            "payment_intent": "pi_in_R", "status": "succeeded" })
    };

    let partial = send(&h, &event("evt_r1", "charge.refunded", charge(2_500, false, "ch_in_R"))).await;
    assert_eq!(partial.status, StatusCode::OK, "{:?}", partial.body);
    assert_eq!(partial.body["refundedCents"], 2_500);
    assert_eq!(partial.body["commissionCents"], 1_500);
    assert_eq!(partial.body["status"], "Pending");
    // Found by payment intent when the charge is not the one recorded.
    let full = send(
        &h,
        &event("evt_r2", "charge.refunded", charge(10_000, true, "ch_other")),
    )
    .await;
    assert_eq!(full.body["status"], "Refunded", "{:?}", full.body);
    assert_eq!(full.body["commissionCents"], 0);
    let unknown =
        json!({ "id": "ch_x", "amount": 500, "amount_refunded": 500, "refunded": true, "payment_intent": "pi_x" });
    let reply = send(&h, &event("evt_r3", "charge.refunded", unknown)).await;
    assert_eq!(reply.body["reason"], "no_conversion");
    assert_eq!(h.audit("conversion.refunded").await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancellations_unknown_events_and_duplicates() {
    let Setup { h, jane, .. } = setup().await;
    let mut invoice = basil_invoice("in_D", "cus_D", "sub_D", 3_000);
    invoice["parent"]["subscription_details"]["metadata"] = json!({ "afflux_referral": jane.slug.as_str() });
    let paid = event("evt_d1", "invoice.paid", invoice);
    let first = send(&h, &paid).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    let again = send(&h, &paid).await;
    assert_eq!((again.status, &again.body), (first.status, &first.body));
    assert_eq!(again.headers["idempotent-replayed"], "true");

    // Another event about the same sale (its checkout, keyed by the invoice) records nothing.
    let session = json!({ "id": "cs_D", "mode": "subscription", "payment_status": "paid", "customer": "cus_D",
        "amount_total": 3000, "currency": "usd", "invoice": "in_D", "subscription": "sub_D",
        "client_reference_id": jane.slug.as_str() });
    let dup = send(&h, &event("evt_d2", "checkout.session.completed", session)).await;
    assert_eq!(dup.status, StatusCode::OK);
    assert_eq!(dup.body["outcome"], "duplicate");
    assert_eq!(dup.body["conversionId"], first.body["conversionId"]);
    assert_eq!(h.conversions().await.len(), 1);

    let unknown = send(&h, &event("evt_d3", "customer.updated", json!({ "id": "cus_D" }))).await;
    assert_eq!(unknown.status, StatusCode::OK);
    assert_eq!(unknown.body["outcome"], "ignored");
    assert!(
        h.processed("stripe", "evt_d3").await.is_none(),
        "an ignored event was recorded"
    );

    let deleted = json!({ "id": "sub_D", "object": "subscription", "customer": "cus_D", "status": "canceled" });
    let reply = send(&h, &event("evt_d4", "customer.subscription.deleted", deleted)).await;
    assert_eq!(reply.body["outcome"], "canceled", "{:?}", reply.body);
    assert_eq!(reply.body["conversionIds"], json!([first.body["conversionId"]]));
    assert_eq!(h.audit("subscription.canceled").await.len(), 1);
    let other = json!({ "id": "sub_none", "object": "subscription", "status": "canceled" });
    let reply = send(&h, &event("evt_d5", "customer.subscription.deleted", other)).await;
    assert_eq!(reply.body["reason"], "no_conversion");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_concurrent_deliveries_record_one_conversion() {
    let Setup { h, jane, .. } = setup().await;
    let mut invoice = legacy_invoice("in_C", "cus_C", "sub_C", 7_700);
    invoice["metadata"] = json!({ "via": jane.slug.as_str() });
    let payload = serde_json::to_string(&event("evt_burst", "invoice.paid", invoice)).unwrap();
    let header = stripe_header(&payload, SECRET, now());

    let mut tasks = vec![];
    for _ in 0..32 {
        let (client, url, payload, header) = (
            h.client.clone(),
            h.url(&format!("/hooks/stripe/{}", h.org)),
            payload.clone(),
            header.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(url)
                .header("stripe-signature", header)
                .body(payload)
                .send()
                .await
                .unwrap();
            let replayed = r.headers().contains_key("idempotent-replayed");
            (r.status(), replayed, r.json::<Value>().await.unwrap())
        }));
    }
    let mut answers = vec![];
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    assert_eq!(answers.iter().filter(|(_, replayed, _)| !replayed).count(), 1);
    for (status, _, body) in &answers {
        assert_eq!(*status, StatusCode::CREATED, "{body}");
        assert_eq!(body["conversionId"], answers[0].2["conversionId"]);
    }
    assert_eq!(h.conversions().await.len(), 1);
    assert_eq!(h.audit("conversion.recorded").await.len(), 1);
}
