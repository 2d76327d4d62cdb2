//! Reports and exports end to end through the API, on SQLite or PostgreSQL
//! (`AFFLUX_TEST_DATABASE_URL`): the summary, daily series, leaderboard and traffic sources from
//! the rollups (refunds lowering them, the home currency through loaded rates, another
//! organization's program unseen), CSV exports defused against formulas, and the hourly
//! pay-per-click rollup with its budget.

mod support;

use afflux_app::{Decimal, NewCampaign, NewOrg};
use afflux_domain::{
    Affiliate, AttributionModel, CampaignId, ClickId, ClickSource, CommissionModel, CommissionStatus, CommissionType,
    Conversion, ConversionId, ConversionProvider, ConversionSource, ConversionType, Currency, Money, StatusAction,
};
use afflux_store::NewClick;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::Harness;
use support::s2s::{S2s, sale};
use time::{Duration, OffsetDateTime};

/// Clicks on `affiliate`'s link to `program` at `at`, each from its own visitor, from `referrer`.
async fn clicks(
    h: &Harness,
    affiliate: &Affiliate,
    program: CampaignId,
    n: usize,
    referrer: Option<&str>,
    at: OffsetDateTime,
) {
    let batch: Vec<NewClick> = (0..n)
        .map(|_| {
            let id = ClickId::new();
            NewClick {
                id,
                org_id: h.org,
                campaign_id: program,
                affiliate_id: affiliate.id,
                visitor_hash: id.0.as_bytes().to_vec(),
                referrer_domain: referrer.map(str::to_owned),
                source: ClickSource::Link,
                at,
            }
        })
        .collect();
    let outcomes = h.server.app.store().record_clicks(&batch).await.unwrap();
    assert!(outcomes.iter().all(|o| o.recorded));
}

async fn ok(h: &Harness, path: &str) -> Value {
    let reply = h.get(path).await;
    assert_eq!(reply.status, StatusCode::OK, "{path}: {:?}", reply.body);
    reply.body
}

async fn csv(h: &Harness, path: &str) -> (StatusCode, String, String) {
    let response = h.client.get(h.url(path)).bearer_auth(&h.key).send().await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_summary_series_leaderboard_and_sources_add_up() {
    let h = Harness::start().await;
    let pro = h.program("pro", "20", false, AttributionModel::LastTouch).await;
    let basic = h.program("basic", "5", true, AttributionModel::LastTouch).await;
    let jane = h.affiliate(pro.id, "jane@partners.test").await;
    let joe = h.affiliate(pro.id, "joe@partners.test").await;
    h.affiliate(pro.id, "ann@partners.test").await;
    let s2s = S2s::new(&h).await;
    let now = OffsetDateTime::now_utc();

    clicks(&h, &jane, pro.id, 2, Some("news.example"), now).await;
    clicks(&h, &jane, pro.id, 1, Some("blog.example"), now).await;
    clicks(&h, &jane, pro.id, 1, None, now).await;
    clicks(&h, &joe, pro.id, 1, None, now).await;
    // Jane: a EUR sale and a lead; Joe: a USD sale; Ann: nothing.
    assert_eq!(
        s2s.send(&sale("order-1", jane.slug.as_str(), 10_000)).await.status,
        StatusCode::CREATED
    );
    let lead = json!({ "externalEventId": "lead-1", "type": "lead", "affiliateSlug": jane.slug.as_str(),
        "email": "lead@customer.test", "currency": "EUR" });
    assert_eq!(s2s.send(&lead).await.status, StatusCode::CREATED);
    let usd = json!({ "externalEventId": "order-2", "type": "sale", "affiliateSlug": joe.slug.as_str(),
        "amountCents": 4_000, "currency": "USD" });
    assert_eq!(s2s.send(&usd).await.status, StatusCode::CREATED);

    let before = ok(&h, "/api/v1/reports/summary").await;
    assert_eq!(before["byCurrency"][0]["revenue"]["minor"], 10_000);
    // A quarter of the EUR sale refunded: its revenue and commission drop.
    let refund =
        json!({ "externalEventId": "refund-1", "type": "refund", "refundOf": "order-1", "amountCents": 2_500 });
    assert_eq!(s2s.send(&refund).await.status, StatusCode::OK);

    let summary = ok(&h, "/api/v1/reports/summary?days=30").await;
    assert_eq!(summary["window"]["days"], 30);
    assert_eq!(summary["window"]["to"], now.date().to_string());
    assert_eq!(summary["window"]["from"], (now.date() - Duration::days(29)).to_string());
    assert_eq!(
        (&summary["clicks"], &summary["sales"], &summary["leads"]),
        (&json!(5), &json!(2), &json!(1))
    );
    assert_eq!(summary["conversionRateBps"], 4_000, "2 sales in 5 clicks: 40 %");
    assert_eq!(summary["activeAffiliates"], 2, "Ann neither clicked nor sold");
    assert_eq!(
        summary["byCurrency"],
        json!([
            { "currency": "EUR", "sales": 1, "leads": 1,
              "revenue": { "minor": 7_500, "value": "75.00", "currency": "EUR" },
              "earnings": { "minor": 1_500, "value": "15.00", "currency": "EUR" } },
            { "currency": "USD", "sales": 1, "leads": 0,
              "revenue": { "minor": 4_000, "value": "40.00", "currency": "USD" },
              "earnings": { "minor": 800, "value": "8.00", "currency": "USD" } },
        ])
    );
    // No rates loaded: EUR is left out of the home-currency (USD) sums, and said so.
    assert_eq!(summary["homeCurrency"]["revenue"]["minor"], 4_000);
    assert_eq!(summary["homeCurrency"]["missingRates"], json!(["EUR"]));
    assert_eq!(summary["homeCurrency"]["complete"], false);
    h.server
        .app
        .import_fx_rates("Date,USD,\n2025-01-02,1.25,\n")
        .await
        .unwrap();
    let converted = ok(&h, "/api/v1/reports/summary?days=90").await;
    assert_eq!(converted["window"]["days"], 90);
    assert_eq!(
        converted["homeCurrency"],
        json!({ "revenue": { "minor": 13_375, "value": "133.75", "currency": "USD" },
                "earnings": { "minor": 2_675, "value": "26.75", "currency": "USD" },
                "missingRates": [], "complete": true })
    );

    // One program's figures; a program without activity answers zeros.
    let of_pro = ok(&h, &format!("/api/v1/reports/summary?programId={}", pro.id)).await;
    assert_eq!((&of_pro["clicks"], &of_pro["sales"]), (&json!(5), &json!(2)));
    let of_basic = ok(&h, &format!("/api/v1/reports/summary?programId={}", basic.id)).await;
    assert_eq!(of_basic["window"]["programId"], json!(basic.id));
    assert_eq!((&of_basic["clicks"], &of_basic["sales"]), (&json!(0), &json!(0)));
    assert_eq!(of_basic["conversionRateBps"], Value::Null);
    assert_eq!(of_basic["byCurrency"], json!([]));

    let daily = ok(&h, "/api/v1/reports/daily").await;
    let series = daily["series"].as_array().unwrap();
    assert_eq!(series.len(), 30, "every day of the window");
    let today = series.last().unwrap();
    assert_eq!(today["date"], now.date().to_string());
    assert_eq!(
        (&today["clicks"], &today["sales"], &today["leads"]),
        (&json!(5), &json!(2), &json!(1))
    );
    assert_eq!(series[0]["clicks"], 0);
    assert_eq!(series[0]["byCurrency"], json!([]));

    let board = ok(&h, "/api/v1/reports/leaderboard").await;
    let entries = board["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "Ann has nothing to rank");
    assert_eq!(entries[0]["rank"], 1);
    assert_eq!(entries[0]["email"], "jane@partners.test");
    assert_eq!(
        (&entries[0]["clicks"], &entries[0]["sales"], &entries[0]["leads"]),
        (&json!(4), &json!(1), &json!(1))
    );
    assert_eq!(entries[0]["conversionRateBps"], 2_500);
    assert_eq!(entries[0]["homeCurrency"]["earnings"]["minor"], 1_875);
    assert_eq!(entries[1]["affiliateId"], json!(joe.id));
    assert_eq!(entries[1]["slug"], joe.slug.as_str());
    assert_eq!((&entries[1]["clicks"], &entries[1]["sales"]), (&json!(1), &json!(1)));

    let sources = ok(&h, "/api/v1/reports/sources").await;
    assert_eq!(
        sources["sources"],
        json!([
            // No referrer (Jane's and Joe's) ties with news.example; ties go by name.
            { "referrerDomain": null, "clicks": 2 },
            { "referrerDomain": "news.example", "clicks": 2 },
            { "referrerDomain": "blog.example", "clicks": 1 },
        ])
    );
    let top = ok(&h, "/api/v1/reports/sources?limit=1").await;
    assert_eq!(top["sources"].as_array().unwrap().len(), 1);

    for (path, field) in [
        ("/api/v1/reports/summary?days=7", "days"),
        ("/api/v1/reports/daily?days=thirty", "days"),
        ("/api/v1/reports/leaderboard?programId=nope", "programId"),
        ("/api/v1/reports/sources?limit=0", "limit"),
        ("/api/v1/reports/sources?limit=101", "limit"),
    ] {
        let reply = h.get(path).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{path}: {:?}", reply.body);
        assert_eq!(reply.body["error"], "validation_failed");
        assert_eq!(reply.body["field"], field, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_organizations_program_is_not_found_and_its_reports_are_its_own() {
    let h = Harness::start().await;
    let pro = h.program("pro", "20", false, AttributionModel::LastTouch).await;
    let jane = h.affiliate(pro.id, "jane@partners.test").await;
    clicks(&h, &jane, pro.id, 3, Some("news.example"), OffsetDateTime::now_utc()).await;
    let s2s = S2s::new(&h).await;
    s2s.send(&sale("order-1", jane.slug.as_str(), 10_000)).await;

    let other = h
        .server
        .app
        .create_org(NewOrg {
            name: "Globex".into(),
            owner_email: "owner@globex.test".into(),
            plan: None,
            status: None,
        })
        .await
        .unwrap();
    let theirs = h
        .server
        .app
        .create_campaign(
            &afflux_app::Actor::operator(other.org.id),
            NewCampaign {
                name: "Theirs".into(),
                slug: Some("theirs".into()),
                destination_url: "https://globex.test/".into(),
                default_commission_type: CommissionType::Percentage,
                default_commission_value: Decimal("10".into()),
                currency: None,
                default_commission_model: None,
                cookie_window_days: None,
                attribution_model: None,
                auto_approve: None,
                description: None,
                terms_url: None,
                rules: None,
            },
        )
        .await
        .unwrap();
    for report in ["summary", "daily", "leaderboard", "sources"] {
        let reply = h
            .get(&format!("/api/v1/reports/{report}?programId={}", theirs.id))
            .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{report}: {:?}", reply.body);
        assert_eq!(reply.body["error"], "not_found");
    }
    // Their key sees their (empty) figures, never ours; and not our program either.
    let theirs_summary = h
        .api(Method::GET, "/api/v1/reports/summary", &other.api_key, None)
        .await;
    assert_eq!(theirs_summary.status, StatusCode::OK);
    assert_eq!(
        (&theirs_summary.body["clicks"], &theirs_summary.body["sales"]),
        (&json!(0), &json!(0))
    );
    assert_eq!(theirs_summary.body["activeAffiliates"], 0);
    let board = h
        .api(Method::GET, "/api/v1/reports/leaderboard", &other.api_key, None)
        .await;
    assert_eq!(board.body["entries"], json!([]));
    let ours = h
        .api(
            Method::GET,
            &format!("/api/v1/reports/summary?programId={}", pro.id),
            &other.api_key,
            None,
        )
        .await;
    assert_eq!(ours.status, StatusCode::NOT_FOUND);
    let response = h
        .client
        .get(h.url("/api/v1/exports/conversions.csv"))
        .bearer_auth(&other.api_key)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.lines().count(), 1, "their export holds the header only: {body}");
    // Ours holds our sale.
    assert_eq!(ok(&h, "/api/v1/reports/summary").await["sales"], 1);
}

/// A conversion written straight to the store (for volume), a sale of `jane` in `program`.
fn stored_sale(h: &Harness, program: CampaignId, jane: &Affiliate, n: usize, at: OffsetDateTime) -> Conversion {
    let id = ConversionId::new();
    Conversion {
        id,
        org_id: h.org,
        campaign_id: program,
        affiliate_id: jane.id,
        kind: ConversionType::Sale,
        source: ConversionSource::Server,
        status: CommissionStatus::Pending,
        amount: Money::new(100 + n as i64, Currency::USD),
        refunded_minor: 0,
        commission: Money::zero(Currency::USD),
        initial_commission_minor: 0,
        provider: ConversionProvider::Import,
        external_id: format!("bulk-{n}"),
        event_id: format!("bulk-{n}"),
        customer_id: None,
        customer_email_key: None,
        customer_name: Some(format!("Customer {n}")),
        subscription_id: None,
        invoice_id: None,
        charge_id: None,
        payment_intent_id: None,
        product_id: None,
        coupon_code: None,
        click_id: None,
        self_referral: false,
        occurred_at: at,
        created_at: at,
        updated_at: at,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_exports_are_complete_and_defused_against_formulas() {
    let h = Harness::start().await;
    let pro = h.program("pro", "20", false, AttributionModel::LastTouch).await;
    let reply = h
        .api(
            Method::PATCH,
            &format!("/api/v1/programs/{}", pro.id),
            &h.key,
            Some(json!({ "rules": { "holdDays": 0 } })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let jane = h.affiliate(pro.id, "jane@partners.test").await;
    let s2s = S2s::new(&h).await;
    let evil = "=HYPERLINK(\"http://evil.test\",\"click me\")";
    let body = json!({ "externalEventId": "order-1", "type": "sale", "affiliateSlug": jane.slug.as_str(),
        "amountCents": 9_900, "currency": "EUR", "name": evil, "email": "buyer@customer.test", "customerId": "cus_1" });
    assert_eq!(s2s.send(&body).await.status, StatusCode::CREATED);
    let plain = json!({ "externalEventId": "order-2", "type": "sale", "affiliateSlug": jane.slug.as_str(),
        "amountCents": 5_000, "currency": "EUR", "name": "Doe, John" });
    assert_eq!(s2s.send(&plain).await.status, StatusCode::CREATED);

    let (status, content_type, text) = csv(&h, "/api/v1/exports/conversions.csv").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    assert!(text.ends_with("\r\n"));
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("id,occurred_at,type,source,status,program_id,program,affiliate_id,affiliate_email"));
    assert!(
        lines[1].contains(",\"'=HYPERLINK(\"\"http://evil.test\"\",\"\"click me\"\")\","),
        "the formula is quoted and starts with a quote mark: {}",
        lines[1]
    );
    assert!(lines[1].contains(",Sale,Server,Pending,"), "{}", lines[1]);
    assert!(lines[1].contains(",jane@partners.test,"), "{}", lines[1]);
    assert!(lines[1].contains(",99.00,EUR,0.00,19.80,EUR,Server,order-1,cus_1,buyer@customer.test,"));
    assert!(lines[2].contains(",\"Doe, John\","), "{}", lines[2]);

    let (_, _, text) = csv(&h, "/api/v1/exports/commissions.csv").await;
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("id,created_at,conversion_id,kind,status,"));
    assert!(lines[1].contains(",Direct,Pending,"), "{}", lines[1]);
    assert!(lines[1].contains(",19.80,EUR,19.80,"), "{}", lines[1]);

    // A payout run, then its items.
    h.server.app.approve_due_commissions().await.unwrap();
    let run = h.post("/api/v1/payouts/runs", json!({ "rail": "Manual" })).await;
    assert_eq!(run.status, StatusCode::CREATED, "{:?}", run.body);
    let (_, _, text) = csv(&h, "/api/v1/exports/payouts.csv").await;
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("id,created_at,run_id,status,affiliate_id,affiliate_email,"));
    assert!(lines[1].contains(",Pending,"), "{}", lines[1]);
    assert!(lines[1].contains(",jane@partners.test,"), "{}", lines[1]);
    assert!(lines[1].contains(",29.80,EUR,"), "{}", lines[1]);

    // A window: days before the sales hold nothing but the header; a bad window is refused.
    let (status, _, text) = csv(&h, "/api/v1/exports/conversions.csv?from=2020-01-01&to=2020-01-31").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text.matches("\r\n").count(), 1, "{text}");
    for (query, field) in [
        ("from=2020-02-01&to=2020-01-01", "from"),
        ("from=yesterday", "from"),
        ("to=2020-13-01", "to"),
    ] {
        let reply = h.get(&format!("/api/v1/exports/commissions.csv?{query}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}: {:?}", reply.body);
        assert_eq!(reply.body["field"], field, "{query}");
    }

    // Larger than a page: every row once, in time order.
    let at = OffsetDateTime::now_utc() - Duration::days(3);
    let bulk: Vec<Conversion> = (0..2_345)
        .map(|n| stored_sale(&h, pro.id, &jane, n, at + Duration::seconds(n as i64)))
        .collect();
    let mut tx = h.server.app.store().write().await.unwrap();
    for chunk in bulk.chunks(500) {
        tx.insert_conversions(chunk).await.unwrap();
    }
    tx.commit().await.unwrap();
    let (_, _, text) = csv(&h, "/api/v1/exports/conversions.csv").await;
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 1 + 2_345 + 2);
    let names: Vec<&str> = lines[1..2_346].iter().map(|l| l.split(',').nth(19).unwrap()).collect();
    let expected: Vec<String> = (0..2_345).map(|n| format!("Customer {n}")).collect();
    assert_eq!(names, expected);
}

/// A pay-per-click program paying `rate` (major units) per click, with an optional budget.
async fn cpc_program(h: &Harness, slug: &str, rate: &str, budget: Option<&str>) -> afflux_domain::Campaign {
    let program = h
        .server
        .app
        .create_campaign(
            &h.actor,
            NewCampaign {
                name: format!("Clicks {slug}"),
                slug: Some(slug.into()),
                destination_url: "https://brightwave.test/".into(),
                default_commission_type: CommissionType::Fixed,
                default_commission_value: Decimal(rate.into()),
                currency: Some("USD".into()),
                default_commission_model: Some(CommissionModel::Cpc),
                cookie_window_days: None,
                attribution_model: None,
                auto_approve: None,
                description: None,
                terms_url: None,
                rules: None,
            },
        )
        .await
        .unwrap();
    if let Some(budget) = budget {
        let reply = h
            .api(
                Method::PATCH,
                &format!("/api/v1/programs/{}", program.id),
                &h.key,
                Some(json!({ "rules": { "cpcBudget": budget } })),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    }
    program
}

/// The click conversions of a program, oldest hour first: (affiliate, commission minor).
async fn click_conversions(h: &Harness, program: CampaignId) -> Vec<(String, i64)> {
    let all = ok(
        h,
        &format!("/api/v1/conversions?perPage=100&programId={program}&type=Click"),
    )
    .await;
    let mut rows: Vec<(String, String, i64)> = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["externalId"].as_str().unwrap_or_default().to_owned(),
                c["affiliateId"].as_str().unwrap().to_owned(),
                c["commissionCents"].as_i64().unwrap(),
            )
        })
        .collect();
    rows.sort();
    rows.into_iter().map(|(_, a, m)| (a, m)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clicks_roll_up_hourly_into_commissions_once_within_the_budget() {
    let h = Harness::start().await;
    let paid = cpc_program(&h, "paid", "0.25", None).await;
    let capped = cpc_program(&h, "capped", "0.25", Some("1.20")).await;
    let sales = h.program("sales", "20", false, AttributionModel::LastTouch).await;
    let jane = h.affiliate(paid.id, "jane@partners.test").await;
    let joe = h.affiliate(paid.id, "joe@partners.test").await;
    let paused = h.affiliate(paid.id, "paused@partners.test").await;
    h.set_status(&paused, paid.id, StatusAction::Pause).await;
    for a in [&jane, &joe] {
        let invited = h
            .server
            .app
            .invite_affiliate(
                &h.actor,
                afflux_app::AffiliateInvite {
                    program_id: capped.id,
                    email: a.email.to_string(),
                    name: None,
                },
            )
            .await;
        invited.unwrap();
    }
    let _ = h
        .server
        .app
        .invite_affiliate(
            &h.actor,
            afflux_app::AffiliateInvite {
                program_id: sales.id,
                email: jane.email.to_string(),
                name: None,
            },
        )
        .await
        .unwrap();

    // Hour H, five hours ago, and the hour after it.
    let hour = OffsetDateTime::now_utc().unix_timestamp().div_euclid(3_600) - 5;
    let at = |h: i64, minute: i64| OffsetDateTime::from_unix_timestamp(h * 3_600 + minute * 60).unwrap();
    clicks(&h, &jane, paid.id, 3, None, at(hour, 5)).await;
    clicks(&h, &joe, paid.id, 2, Some("news.example"), at(hour, 50)).await;
    clicks(&h, &paused, paid.id, 5, None, at(hour, 10)).await;
    clicks(&h, &jane, sales.id, 7, None, at(hour, 10)).await;
    clicks(&h, &jane, capped.id, 4, None, at(hour, 20)).await;
    clicks(&h, &joe, capped.id, 2, None, at(hour, 30)).await;
    clicks(&h, &jane, paid.id, 4, None, at(hour + 1, 1)).await;
    clicks(&h, &jane, capped.id, 4, None, at(hour + 1, 2)).await;

    // The first pass rolls up the hour before its own: H.
    let app = &h.server.app;
    assert_eq!(app.roll_up_cpc_clicks(at(hour + 1, 10)).await.unwrap(), 4);
    let (jane_id, joe_id) = (jane.id.to_string(), joe.id.to_string());
    let got = click_conversions(&h, paid.id).await;
    assert_eq!(
        got.len(),
        2,
        "one per affiliate and hour; the paused affiliate earns nothing: {got:?}"
    );
    assert!(
        got.contains(&(jane_id.clone(), 75)) && got.contains(&(joe_id.clone(), 50)),
        "{got:?}"
    );
    // The budget of 1.20: Jane's 4 clicks take 1.00, Joe's 2 the remaining 0.20.
    let capped_got = click_conversions(&h, capped.id).await;
    assert!(capped_got.contains(&(jane_id.clone(), 100)), "{capped_got:?}");
    assert!(capped_got.contains(&(joe_id.clone(), 20)), "{capped_got:?}");
    assert_eq!(
        click_conversions(&h, sales.id).await,
        vec![],
        "pay-per-sale clicks earn nothing"
    );

    // Each with a Pending commission earned in the ledger.
    let commissions = ok(&h, &format!("/api/v1/commissions?perPage=100&programId={}", paid.id)).await;
    let commissions = commissions["data"].as_array().unwrap();
    assert_eq!(commissions.len(), 2);
    assert!(
        commissions
            .iter()
            .all(|k| k["status"] == "Pending" && k["kind"] == "Direct")
    );
    let balance = ok(&h, &format!("/api/v1/balances?affiliateId={}", jane.id)).await;
    assert_eq!(balance[0]["earned"], 175);

    // Run again in the same hour: nothing new.
    assert_eq!(app.roll_up_cpc_clicks(at(hour + 1, 30)).await.unwrap(), 0);
    // The next hour: Jane's 4 clicks in Paid; Capped's budget is spent.
    assert_eq!(app.roll_up_cpc_clicks(at(hour + 2, 0)).await.unwrap(), 1);
    let got = click_conversions(&h, paid.id).await;
    assert_eq!(got.len(), 3);
    assert!(got.contains(&(jane_id.clone(), 100)), "{got:?}");
    assert_eq!(click_conversions(&h, capped.id).await.len(), 2);

    // Even with its progress forgotten, an hour rolled up records nothing twice.
    let mut tx = app.store().write().await.unwrap();
    tx.delete_setting("cpc.rolled_up_through_hour").await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(app.roll_up_cpc_clicks(at(hour + 1, 10)).await.unwrap(), 0);
    assert_eq!(click_conversions(&h, paid.id).await.len(), 3);

    // Reports count click earnings, not sales.
    let summary = ok(&h, &format!("/api/v1/reports/summary?programId={}", paid.id)).await;
    assert_eq!(summary["clicks"], 3 + 2 + 5 + 4);
    assert_eq!(summary["sales"], 0);
    assert_eq!(summary["byCurrency"][0]["earnings"]["minor"], 75 + 50 + 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reports_and_exports_are_in_the_openapi_document() {
    let h = Harness::start().await;
    let doc = h.send(h.client.get(h.url("/api/v1/openapi.json"))).await.body;
    for path in [
        "/api/v1/reports/summary",
        "/api/v1/reports/daily",
        "/api/v1/reports/leaderboard",
        "/api/v1/reports/sources",
        "/api/v1/exports/conversions.csv",
        "/api/v1/exports/commissions.csv",
        "/api/v1/exports/payouts.csv",
    ] {
        let get = &doc["paths"][path]["get"];
        assert_eq!(get["tags"], json!(["reports"]), "{path}: {get}");
    }
    assert!(doc["components"]["schemas"]["SummaryView"].is_object());
}
