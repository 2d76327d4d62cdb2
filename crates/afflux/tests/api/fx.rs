//! `POST /api/v1/fx/rates`: JSON rows and the ECB CSV, all or nothing, refused with stable codes,
//! and only for the Owner of an instance's only organization (rates are instance-wide).

use afflux_domain::{ApiScope, Currency, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Date;
use time::macros::date;

use crate::common::TestApp;

/// The stored rate of `currency` on `day` exactly (per euro, in millionths).
async fn rate_on(app: &TestApp, currency: Currency, day: Date) -> Option<i64> {
    let mut tx = app.server.app.store().read().await.unwrap();
    tx.fx_rate(currency, day)
        .await
        .unwrap()
        .filter(|r| r.date == day)
        .map(|r| r.per_eur_micros)
}

fn row(date: &str, base: &str, quote: &str, rate: &str) -> Value {
    json!({ "date": date, "base": base, "quote": quote, "rate": rate })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_rates_are_stored_with_the_euro_and_replace_earlier_ones() {
    let app = TestApp::spawn().await;
    let key = app.org.key.clone();
    let body = json!({ "rates": [
        row("2026-11-20", "EUR", "USD", "1.0712"),
        row("2026-11-20", "eur", "gbp", "0.8325"),
        row("2026-11-19", "EUR", "JPY", "161.5"),
    ] });
    let (status, reply) = app.post("/api/v1/fx/rates", &key, body).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(
        reply,
        json!({ "rates": 5, "firstDate": "2026-11-19", "lastDate": "2026-11-20" }),
        "EUR is added at 1 for each date"
    );
    assert_eq!(
        rate_on(&app, Currency::USD, date!(2026 - 11 - 20)).await,
        Some(1_071_200)
    );
    assert_eq!(rate_on(&app, Currency::GBP, date!(2026 - 11 - 20)).await, Some(832_500));
    assert_eq!(
        rate_on(&app, Currency::JPY, date!(2026 - 11 - 19)).await,
        Some(161_500_000)
    );
    assert_eq!(
        rate_on(&app, Currency::EUR, date!(2026 - 11 - 19)).await,
        Some(1_000_000)
    );
    let (status, latest) = app.get("/api/v1/fx/rates", &key).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(latest, json!({ "latestDate": "2026-11-20", "currencies": 3 }));

    // The same date again: replaced, as the CLI does.
    let again = json!({ "rates": [row("2026-11-20", "EUR", "USD", "1.08")] });
    assert_eq!(app.post("/api/v1/fx/rates", &key, again).await.0, StatusCode::OK);
    assert_eq!(
        rate_on(&app, Currency::USD, date!(2026 - 11 - 20)).await,
        Some(1_080_000)
    );

    // Each load is audited in the organization of whoever loaded it.
    let audit = app.audit(app.org.id).await;
    let loads: Vec<_> = audit.iter().filter(|e| e.action == "fx_rates.loaded").collect();
    assert_eq!(loads.len(), 2, "{audit:?}");
    assert!(loads.iter().any(|e| e.after.as_ref().unwrap()["rates"] == 5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ecb_csv_is_read_by_the_clis_parser() {
    let app = TestApp::spawn().await;
    let daily = "Date, USD, JPY, BGN, \r\n21 November 2026, 1.0412, 161.52, 1.9558, \r\n";
    let reply = app
        .post_raw("/api/v1/fx/rates", &app.org.key, Some("text/csv; charset=utf-8"), daily)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(
        reply.body,
        json!({ "rates": 3, "firstDate": "2026-11-21", "lastDate": "2026-11-21" }),
        "BGN is not a currency Afflux knows: skipped; EUR added"
    );
    assert_eq!(
        rate_on(&app, Currency::USD, date!(2026 - 11 - 21)).await,
        Some(1_041_200)
    );
    let history = "\u{feff}Date,USD,GBP,\n2026-11-18,1.05,N/A,\n2026-11-17,1.04,0.83,\n";
    let reply = app
        .post_raw("/api/v1/fx/rates", &app.org.key, Some("text/csv"), history)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["rates"], 5);
    assert_eq!(rate_on(&app, Currency::GBP, date!(2026 - 11 - 17)).await, Some(830_000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_rows_are_refused_with_stable_codes_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let key = app.org.key.clone();
    let good = row("2030-01-02", "EUR", "USD", "1.10");
    let cases: Vec<(Value, &str, &str)> = vec![
        (row("2030-01-02", "EUR", "USD", "0"), "invalid_fx_rate", "rates[1].rate"),
        (
            row("2030-01-02", "EUR", "USD", "-1.2"),
            "invalid_fx_rate",
            "rates[1].rate",
        ),
        (
            row("2030-01-02", "EUR", "USD", "1,2"),
            "invalid_fx_rate",
            "rates[1].rate",
        ),
        (
            row("2030-01-02", "EUR", "USD", "abc"),
            "invalid_fx_rate",
            "rates[1].rate",
        ),
        (
            row("2030-01-02", "EUR", "XYZ", "1.2"),
            "unsupported_currency",
            "rates[1].quote",
        ),
        (
            row("2030-01-02", "EUR", "US", "1.2"),
            "currency_must_be_3_letters",
            "rates[1].quote",
        ),
        (
            row("2030-01-02", "USD", "GBP", "0.8"),
            "fx_base_must_be_eur",
            "rates[1].base",
        ),
        (
            row("2030-01-02", "EUR", "EUR", "1"),
            "validation_failed",
            "rates[1].quote",
        ),
        (
            row("2030-02-30", "EUR", "GBP", "0.8"),
            "validation_failed",
            "rates[1].date",
        ),
        (
            row("02/01/2030", "EUR", "GBP", "0.8"),
            "validation_failed",
            "rates[1].date",
        ),
    ];
    for (bad, code, field) in cases {
        let (status, reply) = app
            .post(
                "/api/v1/fx/rates",
                &key,
                json!({ "rates": [good.clone(), bad.clone()] }),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {reply}");
        assert_eq!(
            (reply["error"].as_str(), reply["field"].as_str()),
            (Some(code), Some(field)),
            "{bad}: {reply}"
        );
    }
    for (body, field) in [
        (json!({ "rates": [] }), "rates"),
        (json!({ "rates": [good.clone()], "extra": 1 }), "extra"),
        (
            json!({ "rates": [{ "date": "2030-01-02", "quote": "USD", "rate": "1.1" }]}),
            "rates[0]",
        ),
        (
            json!({ "rates": [{ "date": "2030-01-02", "base": "EUR", "quote": "USD", "rate": 1.1 }]}),
            "rates[0].rate",
        ),
    ] {
        let (status, reply) = app.post("/api/v1/fx/rates", &key, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {reply}");
        assert_eq!(reply["error"], "validation_failed", "{body}: {reply}");
        assert!(
            reply["field"].as_str().unwrap_or_default().starts_with(field),
            "{body}: {reply}"
        );
    }
    // A malformed CSV line: the good lines before it are not kept either.
    let csv = "Date,USD\n2030-01-02,1.10\n2030-01-03,1.1x\n";
    let reply = app.post_raw("/api/v1/fx/rates", &key, Some("text/csv"), csv).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{:?}", reply.body);
    assert_eq!(reply.body["error"], "validation_failed");
    assert_eq!(reply.body["field"], "csv");
    assert!(
        reply.body["message"].as_str().unwrap().contains("line 3"),
        "{:?}",
        reply.body
    );
    let reply = app
        .post_raw("/api/v1/fx/rates", &key, Some("text/plain"), "Date,USD\n")
        .await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(reply.body["error"], "unsupported_media_type");

    assert_eq!(rate_on(&app, Currency::USD, date!(2030 - 01 - 02)).await, None);
    assert_eq!(rate_on(&app, Currency::EUR, date!(2030 - 01 - 02)).await, None);
    let (_, latest) = app.get("/api/v1/fx/rates", &key).await;
    assert_eq!(latest["latestDate"], Value::Null, "nothing was written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_owner_of_the_only_organization_loads_rates() {
    let app = TestApp::spawn().await;
    let body = json!({ "rates": [row("2026-11-20", "EUR", "USD", "1.07")] });
    for (role, scope) in [
        (Role::Admin, ApiScope::ReadWrite),
        (Role::Manager, ApiScope::ReadWrite),
        (Role::Viewer, ApiScope::ReadWrite),
        (Role::Owner, ApiScope::Read),
    ] {
        let key = app.raw_key(app.org.id, role, scope).await;
        let (status, reply) = app.post("/api/v1/fx/rates", &key, body.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role} {scope:?}: {reply}");
        assert_eq!(reply["error"], "forbidden");
        let csv = app
            .post_raw(
                "/api/v1/fx/rates",
                &key,
                Some("text/csv"),
                "Date,USD\n2026-11-20,1.07\n",
            )
            .await;
        assert_eq!(csv.status, StatusCode::FORBIDDEN, "{role} {scope:?}");
    }
    let (_, latest) = app.get("/api/v1/fx/rates", &app.org.key).await;
    assert_eq!(latest["latestDate"], Value::Null);

    // A second organization on the instance: rates would change its reports too, so its Owner,
    // and ours, leave them to the operator.
    let other = app.new_org("Elsewhere", "owner@elsewhere.test", None).await;
    for key in [&app.org.key, &other.key] {
        let (status, reply) = app.post("/api/v1/fx/rates", key, body.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{reply}");
        assert!(
            reply["message"].as_str().unwrap().contains("afflux fx import"),
            "{reply}"
        );
    }
    assert_eq!(rate_on(&app, Currency::USD, date!(2026 - 11 - 20)).await, None);
    // The operator still can.
    app.server
        .app
        .import_fx_rates("Date,USD\n2026-11-20,1.07\n")
        .await
        .unwrap();
    assert_eq!(
        rate_on(&app, Currency::USD, date!(2026 - 11 - 20)).await,
        Some(1_070_000)
    );
}
