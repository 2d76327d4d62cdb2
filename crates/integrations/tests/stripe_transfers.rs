//! Stripe Connect transfers against the fake Stripe: the exact calls, `Idempotency-Key`
//! replays that never move money twice, and Stripe's failure modes.

use std::time::Duration;

use afflux_domain::{Currency, Money};
use afflux_fakes::stripe_api::{Failure, SECRET_KEY, StripeFake};
use afflux_fakes::{Journal, Recorded, Running, serve};
use afflux_integrations::payouts::{PayoutClient, PayoutError, StripeConnect, TransferRequest};
use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::IntoResponse;
use serde_json::json;

const JANE: &str = "acct_1AffluxJane0000001";
const ONBOARDING: &str = "acct_1AffluxOnboarding01";

async fn started() -> (StripeFake, Running) {
    let (fake, running) = StripeFake::start().await;
    fake.set_balance("usd", 100_000);
    fake.add_account(JANE, true);
    fake.add_account(ONBOARDING, false);
    (fake, running)
}

fn stripe(running: &Running) -> StripeConnect {
    StripeConnect::new(&PayoutClient::new(), Some(running.base_url()), SECRET_KEY)
}

fn payment(key: &str, amount: Money) -> TransferRequest {
    TransferRequest {
        idempotency_key: key.into(),
        destination: JANE.into(),
        amount,
        description: "October commissions".into(),
        reference: "payout_item_42".into(),
    }
}

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::USD)
}

fn refused_code(error: &PayoutError) -> &str {
    match error {
        PayoutError::Refused { code, .. } => code,
        other => panic!("not a refusal: {other:?}"),
    }
}

#[tokio::test]
async fn a_transfer_is_one_form_post_with_its_key() {
    let (fake, running) = started().await;
    let id = stripe(&running)
        .transfer(&payment("payout-42-try", usd(1_500)))
        .await
        .unwrap();
    assert_eq!(id, fake.transfers()[0].id);
    assert!(id.starts_with("tr_"), "{id}");
    assert_eq!(fake.journal().lines(), ["POST /v1/transfers"]);
    let call = &fake.journal().all()[0];
    assert_eq!(
        call.header("authorization"),
        Some(format!("Bearer {SECRET_KEY}").as_str())
    );
    assert_eq!(call.header("idempotency-key"), Some("payout-42-try"));
    assert_eq!(call.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(
        call.body_json(),
        json!({
            "amount": "1500",
            "currency": "usd",
            "destination": JANE,
            "description": "October commissions",
            "metadata[afflux_payout_item]": "payout_item_42",
        })
    );
    assert_eq!(fake.balance("usd"), 98_500);
    assert_eq!(fake.account_balance(JANE, "usd"), 1_500);
    assert_eq!(fake.transfers()[0].metadata["afflux_payout_item"], "payout_item_42");
}

#[tokio::test]
async fn yen_go_in_whole_units() {
    let (fake, running) = started().await;
    fake.set_balance("jpy", 10_000);
    stripe(&running)
        .transfer(&payment("payout-43", Money::new(1_500, Currency::JPY)))
        .await
        .unwrap();
    let body = fake.journal().all()[0].body_json();
    assert_eq!(
        (body["amount"].as_str(), body["currency"].as_str()),
        (Some("1500"), Some("jpy"))
    );
    assert_eq!(fake.balance("jpy"), 8_500);
}

#[tokio::test]
async fn a_retry_with_the_same_key_moves_the_money_once() {
    let (fake, running) = started().await;
    let stripe = stripe(&running);
    let first = stripe.transfer(&payment("payout-44", usd(2_000))).await.unwrap();
    let again = stripe.transfer(&payment("payout-44", usd(2_000))).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(fake.journal().len(), 2);
    assert_eq!(fake.transfers().len(), 1);
    assert_eq!(fake.balance("usd"), 98_000);

    let changed = stripe.transfer(&payment("payout-44", usd(2_500))).await.unwrap_err();
    assert_eq!(refused_code(&changed), "idempotency_error");
    assert!(!changed.is_retryable());
    assert_eq!(fake.transfers().len(), 1);
}

#[tokio::test]
async fn a_transfer_that_timed_out_is_retried_with_its_key_and_pays_once() {
    let (fake, running) = started().await;
    fake.fail_next_on("POST /v1/transfers", Failure::Hang(Duration::from_millis(600)));
    let impatient = StripeConnect::new(
        &PayoutClient::with_timeout(Duration::from_millis(200)),
        Some(running.base_url()),
        SECRET_KEY,
    );
    let error = impatient.transfer(&payment("payout-45", usd(3_000))).await.unwrap_err();
    assert!(
        matches!(&error, PayoutError::Unavailable(m) if m.contains("did not answer in time")),
        "{error:?}"
    );
    assert!(error.is_retryable());
    stripe(&running)
        .transfer(&payment("payout-45", usd(3_000)))
        .await
        .unwrap();
    // Whether the hung request ran after all or not, the key lets the money move once.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(fake.transfers().len(), 1);
    assert_eq!(fake.balance("usd"), 97_000);
}

#[tokio::test]
async fn an_insufficient_balance_is_refused_and_stays_refused_under_its_key() {
    let (fake, running) = started().await;
    let stripe = stripe(&running);
    let error = stripe.transfer(&payment("payout-46", usd(150_000))).await.unwrap_err();
    assert_eq!(refused_code(&error), "balance_insufficient");
    assert!(error.to_string().contains("insufficient available funds"), "{error}");
    assert!(!error.is_retryable());
    assert!(fake.transfers().is_empty());

    // Stripe saved the refusal under the key: after a top-up only a new key pays.
    fake.set_balance("usd", 200_000);
    let replayed = stripe.transfer(&payment("payout-46", usd(150_000))).await.unwrap_err();
    assert_eq!(refused_code(&replayed), "balance_insufficient");
    stripe
        .transfer(&payment("payout-46-topped-up", usd(150_000)))
        .await
        .unwrap();
    assert_eq!(fake.balance("usd"), 50_000);
}

#[tokio::test]
async fn a_wrong_key_is_rejected_without_echoing_it() {
    let (fake, running) = started().await;
    let wrong = "sk_test_51WrongWrongWrong9999";
    let stripe = StripeConnect::new(&PayoutClient::new(), Some(running.base_url()), wrong);
    let error = stripe.transfer(&payment("payout-47", usd(100))).await.unwrap_err();
    assert!(matches!(error, PayoutError::Rejected(_)), "{error:?}");
    assert_eq!(error.code(), "payout_credentials_rejected");
    assert!(!error.to_string().contains("9999"), "{error}");
    assert!(!error.is_retryable());
    assert!(fake.transfers().is_empty());
}

#[tokio::test]
async fn rate_limits_wait_one_second_unless_told() {
    let (fake, running) = started().await;
    let stripe = stripe(&running);
    fake.fail_next(Failure::RateLimited { retry_after: None });
    let error = stripe.transfer(&payment("payout-48", usd(100))).await.unwrap_err();
    assert_eq!(
        error,
        PayoutError::RateLimited {
            wait: Duration::from_secs(1)
        }
    );
    fake.fail_next(Failure::RateLimited { retry_after: Some(7) });
    let error = stripe.account_ready(JANE).await.unwrap_err();
    assert_eq!(
        error,
        PayoutError::RateLimited {
            wait: Duration::from_secs(7)
        }
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn server_errors_are_unavailable_and_a_saved_500_is_replayed() {
    let (fake, running) = started().await;
    let stripe = stripe(&running);
    fake.fail_next(Failure::ServerError(503));
    let error = stripe.transfer(&payment("payout-49", usd(100))).await.unwrap_err();
    assert!(
        matches!(&error, PayoutError::Unavailable(m) if m.contains("HTTP 503")),
        "{error:?}"
    );
    // Nothing was saved under the key at the edge: the retry pays.
    stripe.transfer(&payment("payout-49", usd(100))).await.unwrap();

    // A 500 from inside Stripe is saved under its key: retrying it replays the 500, which
    // says the key will never do better.
    fake.crash_next_transfer();
    let error = stripe.transfer(&payment("payout-50", usd(100))).await.unwrap_err();
    assert!(
        matches!(&error, PayoutError::Unavailable(m) if m.contains("HTTP 500")),
        "{error:?}"
    );
    for _ in 0..2 {
        let error = stripe.transfer(&payment("payout-50", usd(100))).await.unwrap_err();
        assert!(
            matches!(&error, PayoutError::Indeterminate(m) if m.contains("HTTP 500")),
            "{error:?}"
        );
        assert_eq!(error.code(), "payout_indeterminate");
        assert!(!error.is_retryable());
    }
    assert_eq!(fake.transfers().len(), 1);
}

#[tokio::test]
async fn a_transfer_is_found_by_its_group_and_item_across_pages() {
    let (fake, running) = started().await;
    let stripe = stripe(&running);
    let mut ids = vec![];
    for n in 0..105 {
        let request = TransferRequest {
            reference: format!("item-{n}"),
            ..payment(&format!("payout-group-{n}"), usd(10))
        };
        ids.push(stripe.transfer_in_group(&request, Some("run-1")).await.unwrap());
    }
    stripe
        .transfer_in_group(&payment("payout-other-run", usd(10)), Some("run-2"))
        .await
        .unwrap();
    assert_eq!(fake.transfers()[0].transfer_group.as_deref(), Some("run-1"));
    assert_eq!(fake.journal().all()[0].body_json()["transfer_group"], "run-1");

    // The oldest is on the second page of 100, newest first.
    fake.journal().clear();
    assert_eq!(
        stripe.find_transfer("run-1", "item-0").await.unwrap(),
        Some(ids[0].clone())
    );
    let lookups = fake.journal().all();
    assert_eq!(lookups.len(), 2);
    assert_eq!(lookups[0].line(), "GET /v1/transfers");
    assert_eq!(lookups[0].query_param("transfer_group").as_deref(), Some("run-1"));
    assert_eq!(lookups[0].query_param("limit").as_deref(), Some("100"));
    assert_eq!(lookups[1].query_param("starting_after"), Some(ids[5].clone()));
    assert_eq!(
        stripe.find_transfer("run-1", "item-104").await.unwrap(),
        Some(ids[104].clone())
    );
    // Another run's transfer for the same item reference is not this one.
    assert_eq!(stripe.find_transfer("run-2", "item-0").await.unwrap(), None);
    assert_eq!(stripe.find_transfer("run-3", "payout_item_42").await.unwrap(), None);
}

#[tokio::test]
async fn a_key_is_verified_by_reading_the_balance() {
    let (fake, running) = started().await;
    stripe(&running).verify().await.unwrap();
    let call = &fake.journal().all()[0];
    assert_eq!(call.line(), "GET /v1/balance");
    assert_eq!(
        call.header("authorization"),
        Some(format!("Bearer {SECRET_KEY}").as_str())
    );
    let wrong = StripeConnect::new(&PayoutClient::new(), Some(running.base_url()), "sk_test_51Wrong0000");
    assert!(matches!(wrong.verify().await.unwrap_err(), PayoutError::Rejected(_)));
    fake.fail_next(Failure::ServerError(503));
    assert!(stripe(&running).verify().await.unwrap_err().is_retryable());
}

#[tokio::test]
async fn a_page_that_is_not_json_is_malformed() {
    let (fake, running) = started().await;
    fake.fail_next(Failure::NotJson);
    let error = stripe(&running)
        .transfer(&payment("payout-51", usd(100)))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, PayoutError::Malformed(m) if m.contains("502 Bad Gateway")),
        "{error:?}"
    );
    assert_eq!(error.code(), "payout_bad_response");
}

#[tokio::test]
async fn a_key_still_in_use_is_retryable_and_the_money_moves_once() {
    let (fake, running) = started().await;
    fake.slow_transfers(Duration::from_millis(300));
    let stripe = stripe(&running);
    let request = payment("payout-52", usd(700));
    let (a, b) = tokio::join!(stripe.transfer(&request), stripe.transfer(&request));
    let (done, in_use) = match (a, b) {
        (Ok(id), Err(e)) | (Err(e), Ok(id)) => (id, e),
        other => panic!("expected one transfer and one conflict: {other:?}"),
    };
    assert!(
        matches!(&in_use, PayoutError::Unavailable(m) if m.contains("Idempotency-Key")),
        "{in_use:?}"
    );
    assert_eq!(stripe.transfer(&request).await.unwrap(), done);
    assert_eq!(fake.transfers().len(), 1);
    assert_eq!(fake.balance("usd"), 99_300);
}

#[tokio::test]
async fn an_account_not_ready_refuses_transfers() {
    let (fake, running) = started().await;
    let request = TransferRequest {
        destination: ONBOARDING.into(),
        ..payment("payout-53", usd(100))
    };
    let error = stripe(&running).transfer(&request).await.unwrap_err();
    assert_eq!(refused_code(&error), "insufficient_capabilities_for_transfer");
    let unknown = TransferRequest {
        destination: "acct_1NobodyAtAll000000".into(),
        ..payment("payout-54", usd(100))
    };
    let error = stripe(&running).transfer(&unknown).await.unwrap_err();
    assert_eq!(refused_code(&error), "resource_missing");
    assert!(fake.transfers().is_empty());
}

#[tokio::test]
async fn account_readiness_reads_payouts_enabled() {
    let (fake, running) = started().await;
    let stripe = stripe(&running);
    assert!(stripe.account_ready(JANE).await.unwrap());
    assert!(!stripe.account_ready(ONBOARDING).await.unwrap());
    let calls = fake.journal().all();
    assert_eq!(calls[0].line(), format!("GET /v1/accounts/{JANE}"));
    assert_eq!(
        calls[0].header("authorization"),
        Some(format!("Bearer {SECRET_KEY}").as_str())
    );

    let error = stripe.account_ready("acct_1NotConnected000000").await.unwrap_err();
    assert_eq!(refused_code(&error), "account_invalid");
    assert!(!error.to_string().contains("sk_test"), "{error}");
}

#[tokio::test]
async fn requests_that_cannot_be_made_safely_never_leave() {
    let (fake, running) = started().await;
    let stripe = stripe(&running);
    let cases = [
        (payment(" ", usd(100)), "invalid_idempotency_key"),
        (payment(&"k".repeat(256), usd(100)), "invalid_idempotency_key"),
        (
            TransferRequest {
                destination: "jane@brand.test".into(),
                ..payment("payout-55", usd(100))
            },
            "invalid_destination",
        ),
        (payment("payout-56", usd(0)), "invalid_amount"),
    ];
    for (request, code) in cases {
        let error = stripe.transfer(&request).await.unwrap_err();
        assert_eq!(refused_code(&error), code);
    }
    let error = stripe.account_ready("acct_1/../../v1/balance").await.unwrap_err();
    assert_eq!(refused_code(&error), "invalid_account");
    assert!(fake.journal().is_empty(), "{:?}", fake.journal().lines());
}

#[tokio::test]
async fn a_redirect_is_not_followed_and_the_key_stays_home() {
    let elsewhere = Journal::default();
    let recorder = elsewhere.clone();
    let other = serve(
        Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            recorder.push(Recorded::new(&method, &uri, &headers, &body));
            async { StatusCode::OK }
        }),
    )
    .await;
    let target = format!("{}/v1/transfers", other.base_url());
    let vendor = serve(Router::new().fallback(move || {
        let target = target.clone();
        async move { (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, target)]).into_response() }
    }))
    .await;
    let stripe = StripeConnect::new(&PayoutClient::new(), Some(vendor.base_url()), SECRET_KEY);
    let error = stripe.transfer(&payment("payout-57", usd(100))).await.unwrap_err();
    assert!(
        matches!(&error, PayoutError::Malformed(m) if m.contains("307")),
        "{error:?}"
    );
    assert!(
        elsewhere.is_empty(),
        "the other host was contacted: {:?}",
        elsewhere.lines()
    );
}

#[tokio::test]
async fn the_fake_replays_a_saved_answer_as_stripe_marks_it() {
    let (_fake, running) = started().await;
    let http = reqwest::Client::new();
    let send = || {
        http.post(format!("{}/v1/transfers", running.base_url()))
            .bearer_auth(SECRET_KEY)
            .header("Idempotency-Key", "raw-1")
            .form(&[("amount", "100"), ("currency", "usd"), ("destination", JANE)])
            .send()
    };
    let first = send().await.unwrap();
    assert!(first.headers().get("idempotent-replayed").is_none());
    let body = first.text().await.unwrap();
    let again = send().await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.text().await.unwrap(), body);
}
