//! PayPal Payouts against the fake PayPal: the token and batch calls as sent, the token's
//! reuse and renewal, a resent batch that pays nobody twice, item statuses read back, and
//! PayPal's failure modes.

use std::time::Duration;

use afflux_domain::{Currency, Money};
use afflux_fakes::Running;
use afflux_fakes::paypal::{CLIENT_ID, Failure, PaypalFake, SECRET};
use afflux_integrations::payouts::{
    MAX_BATCH_ITEMS, PayoutClient, PayoutError, PaypalBatch, PaypalItemStatus, PaypalPayouts, TransferRequest,
};
use serde_json::json;

fn paypal(running: &Running) -> PaypalPayouts {
    PaypalPayouts::new(&PayoutClient::new(), Some(running.base_url()), CLIENT_ID, SECRET)
}

fn item(receiver: &str, amount: Money, reference: &str) -> TransferRequest {
    TransferRequest {
        idempotency_key: format!("unused-{reference}"),
        destination: receiver.into(),
        amount,
        description: "October commissions".into(),
        reference: reference.into(),
    }
}

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::USD)
}

fn jane() -> Vec<TransferRequest> {
    vec![item("jane@brand.test", usd(1_250), "payout_item_1")]
}

fn refused_code(error: &PayoutError) -> &str {
    match error {
        PayoutError::Refused { code, .. } => code,
        other => panic!("not a refusal: {other:?}"),
    }
}

#[tokio::test]
async fn a_batch_is_a_token_then_one_json_post_keyed_by_its_sender_batch_id() {
    let (fake, running) = PaypalFake::start().await;
    let items = vec![
        item("jane@brand.test", usd(1_250), "payout_item_1"),
        item("kenji@brand.test", Money::new(1_500, Currency::JPY), "payout_item_2"),
        item("anna@brand.test", Money::new(250_000, Currency::HUF), "payout_item_3"),
    ];
    let batch = paypal(&running)
        .send_batch("afflux-2026-11-01-001", &items, "You have a payout")
        .await
        .unwrap();
    assert_eq!(
        batch,
        PaypalBatch {
            payout_batch_id: fake.batches()[0].payout_batch_id.clone(),
            batch_status: "PENDING".into(),
        }
    );
    assert_eq!(
        fake.journal().lines(),
        ["POST /v1/oauth2/token", "POST /v1/payments/payouts"]
    );
    let calls = fake.journal().all();
    // `printf %s "$CLIENT_ID:$SECRET" | base64`
    let basic = "Basic QWZmbHV4RmFrZUNsaWVudElkLTAxMjM0NTY3ODk6RUZha2VTZWNyZXQtOTg3NjU0MzIxMA==";
    assert_eq!(calls[0].header("authorization"), Some(basic));
    assert_eq!(calls[0].body_json(), json!({ "grant_type": "client_credentials" }));

    let post = &calls[1];
    assert_eq!(
        post.header("authorization"),
        Some("Bearer A21AAFakeAccessToken00000001")
    );
    assert_eq!(post.header("paypal-request-id"), Some("afflux-2026-11-01-001"));
    assert_eq!(post.header("content-type"), Some("application/json"));
    let sent = |receiver: &str, value: &str, currency: &str, reference: &str| {
        json!({
            "recipient_type": "EMAIL",
            "amount": { "value": value, "currency": currency },
            "receiver": receiver,
            "note": "October commissions",
            "sender_item_id": reference,
            "recipient_wallet": "PAYPAL",
        })
    };
    assert_eq!(
        post.body_json(),
        json!({
            "sender_batch_header": {
                "sender_batch_id": "afflux-2026-11-01-001",
                "recipient_type": "EMAIL",
                "email_subject": "You have a payout",
            },
            "items": [
                sent("jane@brand.test", "12.50", "USD", "payout_item_1"),
                sent("kenji@brand.test", "1500", "JPY", "payout_item_2"),
                sent("anna@brand.test", "2500", "HUF", "payout_item_3"),
            ],
        })
    );
}

#[tokio::test]
async fn the_token_is_reused_until_it_nears_expiry() {
    let (fake, running) = PaypalFake::start().await;
    let paypal = paypal(&running);
    paypal.send_batch("batch-a", &jane(), "Payout").await.unwrap();
    paypal.send_batch("batch-b", &jane(), "Payout").await.unwrap();
    assert_eq!(fake.tokens_issued(), 1);

    // A token with less than a minute to live is renewed rather than sent.
    let (fake, running) = PaypalFake::start().await;
    fake.set_token_lifetime(30);
    let paypal = self::paypal(&running);
    paypal.send_batch("batch-c", &jane(), "Payout").await.unwrap();
    paypal.send_batch("batch-d", &jane(), "Payout").await.unwrap();
    assert_eq!(fake.tokens_issued(), 2);
}

#[tokio::test]
async fn a_token_that_died_early_is_renewed_once() {
    let (fake, running) = PaypalFake::start().await;
    let paypal = paypal(&running);
    paypal.send_batch("batch-a", &jane(), "Payout").await.unwrap();
    fake.expire_tokens();
    fake.journal().clear();
    paypal.send_batch("batch-b", &jane(), "Payout").await.unwrap();
    assert_eq!(
        fake.journal().lines(),
        [
            "POST /v1/payments/payouts",
            "POST /v1/oauth2/token",
            "POST /v1/payments/payouts"
        ]
    );
    assert_eq!(fake.batches().len(), 2);
}

#[tokio::test]
async fn wrong_credentials_are_rejected_before_any_payout() {
    let (fake, running) = PaypalFake::start().await;
    let wrong = "EWrongSecret-0000000000";
    let paypal = PaypalPayouts::new(&PayoutClient::new(), Some(running.base_url()), CLIENT_ID, wrong);
    let error = paypal.send_batch("batch-a", &jane(), "Payout").await.unwrap_err();
    assert!(matches!(error, PayoutError::Rejected(_)), "{error:?}");
    assert!(error.to_string().contains("invalid_client"), "{error}");
    assert!(!error.to_string().contains(wrong), "{error}");
    assert_eq!(fake.journal().lines(), ["POST /v1/oauth2/token"]);
    assert!(fake.batches().is_empty());
}

#[tokio::test]
async fn a_resent_batch_is_found_not_paid_twice() {
    let (fake, running) = PaypalFake::start().await;
    let paypal = paypal(&running);
    let first = paypal.send_batch("batch-a", &jane(), "Payout").await.unwrap();
    fake.journal().clear();
    let again = paypal.send_batch("batch-a", &jane(), "Payout").await.unwrap();
    assert_eq!(again.payout_batch_id, first.payout_batch_id);
    assert_eq!(again.batch_status, "SUCCESS");
    assert_eq!(fake.batches().len(), 1);
    // Only the id was taken from PayPal's link (to api.sandbox.paypal.com): asked of our base.
    assert_eq!(
        fake.journal().lines(),
        [
            "POST /v1/payments/payouts".to_owned(),
            format!("GET /v1/payments/payouts/{}", first.payout_batch_id)
        ]
    );
}

#[tokio::test]
async fn item_statuses_are_read_back_with_their_errors() {
    let (fake, running) = PaypalFake::start().await;
    fake.unregistered("nobody@brand.test");
    fake.fail_receiver("locked@brand.test", "RECEIVER_ACCOUNT_LOCKED");
    let items = vec![
        item("jane@brand.test", usd(1_000), "payout_item_1"),
        item("Nobody@Brand.test", usd(2_000), "payout_item_2"),
        item("locked@brand.test", usd(3_000), "payout_item_3"),
    ];
    let paypal = paypal(&running);
    let batch = paypal.send_batch("batch-a", &items, "Payout").await.unwrap();
    let statuses = paypal.batch_items(&batch.payout_batch_id).await.unwrap();
    let ids: Vec<String> = fake.batches()[0]
        .items
        .iter()
        .map(|i| i.payout_item_id.clone())
        .collect();
    let status = |at: usize, transaction_status: &str, errors: Option<&str>| PaypalItemStatus {
        sender_item_id: format!("payout_item_{}", at + 1),
        transaction_status: transaction_status.into(),
        payout_item_id: ids[at].clone(),
        errors: errors.map(str::to_owned),
    };
    assert_eq!(
        statuses,
        [
            status(0, "SUCCESS", None),
            status(1, "UNCLAIMED", Some("RECEIVER_UNREGISTERED")),
            status(2, "FAILED", Some("RECEIVER_ACCOUNT_LOCKED")),
        ]
    );
    let get = &fake.journal().all()[2];
    assert_eq!(
        get.line(),
        format!("GET /v1/payments/payouts/{}", batch.payout_batch_id)
    );
    assert_eq!(get.query_param("page").as_deref(), Some("1"));
    assert_eq!(get.query_param("page_size").as_deref(), Some("1000"));
    assert_eq!(get.query_param("total_required").as_deref(), Some("true"));
}

#[tokio::test]
async fn a_large_batch_is_read_page_by_page() {
    let (fake, running) = PaypalFake::start().await;
    let items: Vec<TransferRequest> = (0..2_500)
        .map(|n| item(&format!("aff{n}@brand.test"), usd(100), &format!("payout_item_{n}")))
        .collect();
    let paypal = paypal(&running);
    let batch = paypal.send_batch("batch-a", &items, "Payout").await.unwrap();
    fake.journal().clear();
    let statuses = paypal.batch_items(&batch.payout_batch_id).await.unwrap();
    assert_eq!(statuses.len(), 2_500);
    assert_eq!(statuses[2_499].sender_item_id, "payout_item_2499");
    let pages: Vec<String> = fake
        .journal()
        .all()
        .iter()
        .map(|c| c.query_param("page").unwrap_or_default())
        .collect();
    assert_eq!(pages, ["1", "2", "3"]);
}

#[tokio::test]
async fn batches_paypal_would_refuse_never_leave() {
    let (fake, running) = PaypalFake::start().await;
    let paypal = paypal(&running);
    let too_many: Vec<TransferRequest> = (0..=MAX_BATCH_ITEMS)
        .map(|n| item("jane@brand.test", usd(100), &format!("payout_item_{n}")))
        .collect();
    let error = paypal.send_batch("batch-a", &too_many, "Payout").await.unwrap_err();
    assert_eq!(refused_code(&error), "batch_too_large");
    let error = paypal.send_batch("batch-a", &[], "Payout").await.unwrap_err();
    assert_eq!(refused_code(&error), "empty_batch");
    let error = paypal.send_batch(" ", &jane(), "Payout").await.unwrap_err();
    assert_eq!(refused_code(&error), "invalid_sender_batch_id");
    let forints = [item("anna@brand.test", Money::new(250_050, Currency::HUF), "p")];
    let error = paypal.send_batch("batch-a", &forints, "Payout").await.unwrap_err();
    assert_eq!(refused_code(&error), "amount_not_whole");
    let error = paypal.batch_items("FAKEB/../../x").await.unwrap_err();
    assert_eq!(refused_code(&error), "invalid_batch_id");
    assert!(fake.journal().is_empty(), "{:?}", fake.journal().lines());
}

#[tokio::test]
async fn paypals_refusals_keep_its_error_name() {
    let (fake, running) = PaypalFake::start().await;
    fake.set_balance("USD", 1_000);
    let paypal = paypal(&running);
    let error = paypal.send_batch("batch-a", &jane(), "Payout").await.unwrap_err();
    assert_eq!(refused_code(&error), "INSUFFICIENT_FUNDS");
    assert!(!error.is_retryable());
    assert!(fake.batches().is_empty());

    let error = paypal.batch_items("FAKEB99999999").await.unwrap_err();
    assert_eq!(refused_code(&error), "INVALID_RESOURCE_ID");
}

#[tokio::test]
async fn rate_limits_outages_and_strange_answers_are_retryable() {
    let (fake, running) = PaypalFake::start().await;
    let paypal = paypal(&running);
    let on = "POST /v1/payments/payouts";

    fake.fail_next_on(on, Failure::RateLimited { retry_after: Some(5) });
    let error = paypal.send_batch("batch-a", &jane(), "Payout").await.unwrap_err();
    assert_eq!(
        error,
        PayoutError::RateLimited {
            wait: Duration::from_secs(5)
        }
    );
    fake.fail_next_on(on, Failure::RateLimited { retry_after: None });
    let error = paypal.send_batch("batch-a", &jane(), "Payout").await.unwrap_err();
    assert_eq!(
        error,
        PayoutError::RateLimited {
            wait: Duration::from_secs(60)
        }
    );

    fake.fail_next_on(on, Failure::ServerError(500));
    let error = paypal.send_batch("batch-a", &jane(), "Payout").await.unwrap_err();
    assert!(
        matches!(&error, PayoutError::Unavailable(m) if m.contains("HTTP 500")),
        "{error:?}"
    );

    fake.fail_next_on(on, Failure::NotJson);
    let error = paypal.send_batch("batch-a", &jane(), "Payout").await.unwrap_err();
    assert!(
        matches!(&error, PayoutError::Malformed(m) if m.contains("503")),
        "{error:?}"
    );

    fake.fail_next_on(on, Failure::Hang(Duration::from_millis(600)));
    let impatient = PaypalPayouts::new(
        &PayoutClient::with_timeout(Duration::from_millis(200)),
        Some(running.base_url()),
        CLIENT_ID,
        SECRET,
    );
    let error = impatient.send_batch("batch-a", &jane(), "Payout").await.unwrap_err();
    assert!(
        matches!(&error, PayoutError::Unavailable(m) if m.contains("did not answer in time")),
        "{error:?}"
    );

    // Resending the same batch after all that pays it once, whatever the hung request did.
    let batch = paypal.send_batch("batch-a", &jane(), "Payout").await.unwrap();
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(fake.batches().len(), 1);
    assert_eq!(fake.batches()[0].payout_batch_id, batch.payout_batch_id);
}
