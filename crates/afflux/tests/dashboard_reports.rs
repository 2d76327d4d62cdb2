//! The dashboard's Reports and Tax pages over plain HTTP, on SQLite or PostgreSQL
//! (`AFFLUX_TEST_DATABASE_URL`): the summary cards, the server-drawn SVG chart, leaderboard and
//! sources from seeded clicks and S2S sales (the home currency once rates are loaded), the
//! period and campaign filters, the CSV downloads; the yearly tax report with its flags, the
//! 1099-NEC file, setting a form status and downloading a document by role; and another
//! organization's campaign or affiliate answering 404. The walk in Chromium is
//! `tests/reports_browser.rs`.

mod support;

use afflux_domain::{Affiliate, CampaignId, ClickId, ClickSource, Role};
use afflux_store::NewClick;
use reqwest::StatusCode;
use serde_json::json;
use support::dashboard::{Dash, content, location, section};
use support::s2s::{S2s, sale};
use time::OffsetDateTime;

/// What these tests add to the dashboard harness.
impl Dash {
    /// The Owner of a second organization, signed in there.
    async fn intruder(&self) -> String {
        let app = &self.h.server.app;
        let other = app
            .create_org(afflux_app::NewOrg {
                name: "Elsewhere".into(),
                owner_email: "owner@elsewhere.test".into(),
                plan: None,
                status: None,
            })
            .await
            .unwrap();
        let user = {
            let mut tx = app.store().read().await.unwrap();
            tx.get_user_by_email("owner@elsewhere.test").await.unwrap().unwrap()
        };
        format!(
            "afflux_session={}",
            app.session_for(user.id, other.org.id).await.unwrap()
        )
    }

    /// `n` clicks now on `affiliate`'s link, each from its own visitor.
    async fn clicks(&self, affiliate: &Affiliate, program: CampaignId, n: usize, referrer: Option<&str>) {
        let batch: Vec<NewClick> = (0..n)
            .map(|_| {
                let id = ClickId::new();
                NewClick {
                    id,
                    org_id: self.h.org,
                    campaign_id: program,
                    affiliate_id: affiliate.id,
                    visitor_hash: id.0.as_bytes().to_vec(),
                    referrer_domain: referrer.map(str::to_owned),
                    source: ClickSource::Link,
                    at: OffsetDateTime::now_utc(),
                }
            })
            .collect();
        let outcomes = self.h.server.app.store().record_clicks(&batch).await.unwrap();
        assert!(outcomes.iter().all(|o| o.recorded));
    }

    /// Approves what is due, starts a Manual run and marks every item paid.
    async fn pay_everything(&self) {
        assert!(self.h.server.app.approve_due_commissions().await.unwrap() > 0);
        let run = self.h.post("/api/v1/payouts/runs", json!({ "rail": "Manual" })).await;
        assert_eq!(run.status, StatusCode::CREATED, "{:?}", run.body);
        for item in run.body["items"].as_array().unwrap() {
            let id = item["id"].as_str().unwrap();
            let path = format!("/api/v1/payouts/items/{id}/mark-paid");
            let paid = self.h.post(&path, json!({ "reference": "bank" })).await;
            assert_eq!(paid.status, StatusCode::OK, "{:?}", paid.body);
        }
    }
}

/// The value of a summary card.
fn stat<'a>(html: &'a str, name: &str) -> &'a str {
    let card = section(html, &format!(r#"data-stat="{name}""#), "</dd>");
    let value = &card[card.find("<dd>").expect("a value") + 4..];
    value.trim_end_matches("</dd>")
}

fn bars(html: &str) -> usize {
    html.matches(r#"<rect class="chart-bar""#).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_show_the_summary_chart_leaderboard_sources_and_exports() {
    let d = Dash::start().await;
    let pro = d.program("pro").await;
    let basic = d.program("basic").await;
    let today = OffsetDateTime::now_utc().date();

    // Nothing yet: the cards at zero, one empty message, the export links still there.
    let empty = d.page("/dashboard/reports", &d.owner).await;
    assert!(
        empty.contains(r#"<a href="/dashboard/reports" aria-current="page">Reports</a>"#),
        "the nav marks the page"
    );
    assert!(empty.contains("No clicks or sales in these 30 days"), "{empty}");
    assert_eq!((stat(&empty, "clicks"), stat(&empty, "conversion")), ("0", "—"));
    assert_eq!(bars(&empty), 0, "no chart without data");
    for kind in ["conversions", "commissions", "payouts"] {
        assert!(
            empty.contains(&format!(r#"href="/dashboard/reports/{kind}.csv?days=30" download>"#)),
            "{kind}"
        );
    }

    // Jane: 4 clicks (2 from news.example) and a EUR 100.00 sale; Joe: a click and USD 40.00.
    let jane = d.h.affiliate(pro, "jane@partners.test").await;
    let joe = d.h.affiliate(pro, "joe@partners.test").await;
    d.clicks(&jane, pro, 2, Some("news.example")).await;
    d.clicks(&jane, pro, 1, Some("blog.example")).await;
    d.clicks(&jane, pro, 1, None).await;
    d.clicks(&joe, pro, 1, None).await;
    let s2s = S2s::new(&d.h).await;
    let sent = s2s.send(&sale("order-1", jane.slug.as_str(), 10_000)).await;
    assert_eq!(sent.status, StatusCode::CREATED, "{:?}", sent.body);
    let usd = json!({ "externalEventId": "order-2", "type": "sale", "affiliateSlug": joe.slug.as_str(),
        "amountCents": 4_000, "currency": "USD" });
    assert_eq!(s2s.send(&usd).await.status, StatusCode::CREATED);

    let page = d.page("/dashboard/reports", &d.owner).await;
    assert_eq!(stat(&page, "clicks"), "5");
    assert_eq!(stat(&page, "sales"), "2");
    assert_eq!(stat(&page, "conversion"), "40.00 %", "2 sales in 5 clicks");
    assert_eq!(stat(&page, "active"), "2");
    // No rate yet: the EUR commission is left out of the USD earnings, and the page says so.
    assert_eq!(stat(&page, "earnings"), "8.00 USD");
    assert!(
        page.contains("Amounts in EUR are left out of the USD figures"),
        "{page}"
    );
    let eur = section(&page, r#"<tr data-currency="EUR">"#, "</tr>");
    assert!(
        eur.contains(r#"<td data-label="Revenue" class="num">100.00 EUR</td>"#)
            && eur.contains(r#"<td data-label="Earnings" class="num">20.00 EUR</td>"#),
        "{eur}"
    );

    // The chart: an inline SVG, a bar per day, today's carrying the figures.
    let chart = section(&page, r#"<svg class="chart""#, "</svg>");
    assert_eq!(bars(chart), 30);
    assert!(
        chart.contains(&format!(r#"data-day="{today}" data-clicks="5" data-sales="2""#)),
        "{chart}"
    );
    assert!(chart.contains("5 clicks and 2 sales over 30 days."));
    assert!(chart.contains(r#"<polyline class="chart-line""#));
    let days = section(&page, r#"<table class="list day-list">"#, "</table>");
    assert_eq!(days.matches("<tr><td").count(), 30, "the same days as a table");

    // Leaderboard: Jane first (ties on sales go by revenue); sources with their share.
    let board = section(&page, r#"<table class="list leaderboard">"#, "</table>");
    let first = board.find("jane@partners.test").expect("Jane ranks");
    assert!(first < board.find("joe@partners.test").expect("Joe ranks"), "{board}");
    let jane_row = section(board, r#"data-email="jane@partners.test""#, "</tr>");
    assert!(
        jane_row.contains(r#"<td data-label="Rank">1</td>"#)
            && jane_row.contains(r#"<td data-label="Clicks" class="num">4</td>"#)
            && jane_row.contains(r#"<td data-label="Conversion" class="num">25.00 %</td>"#)
            && jane_row.contains("(EUR not converted)"),
        "{jane_row}"
    );
    let sources = section(&page, r#"<table class="list source-list">"#, "</table>");
    let news = section(sources, "news.example", "</tr>");
    assert!(
        news.contains(r#"<td data-label="Clicks" class="num">2</td>"#)
            && news.contains(r#"<td data-label="Share" class="num">40.00 %</td>"#),
        "{news}"
    );
    assert!(sources.contains("No referrer"));

    // With a rate (1 EUR = 1.25 USD), everything counts in USD.
    d.h.server
        .app
        .import_fx_rates("Date,USD,\n2025-01-02,1.25,\n")
        .await
        .unwrap();
    let page = d.page("/dashboard/reports", &d.owner).await;
    assert_eq!(stat(&page, "earnings"), "33.00 USD", "25.00 + 8.00");
    assert!(!page.contains("are left out"));

    // 90 days; one campaign; a campaign without activity.
    let ninety = d.page("/dashboard/reports?days=90", &d.owner).await;
    assert_eq!(bars(&ninety), 90);
    assert!(ninety.contains(r#"<a href="/dashboard/reports?days=90" aria-current="page">Last 90 days</a>"#));
    let odd = d.page("/dashboard/reports?days=7", &d.owner).await;
    assert_eq!(bars(&odd), 30, "an unknown period is 30 days");
    let of_pro = d
        .page(&format!("/dashboard/reports?days=30&program={pro}"), &d.owner)
        .await;
    assert_eq!(stat(&of_pro, "clicks"), "5");
    assert!(of_pro.contains(&format!(r#"<option value="{pro}" selected>Program pro</option>"#)));
    assert!(
        of_pro.contains(&format!(r#"href="/dashboard/reports?days=90&#38;program={pro}""#)),
        "the period keeps the campaign"
    );
    let of_basic = d.page(&format!("/dashboard/reports?program={basic}"), &d.owner).await;
    assert_eq!(stat(&of_basic, "clicks"), "0");
    assert!(of_basic.contains("No clicks or sales in these 30 days for this campaign"));
    assert_eq!(d.get("/dashboard/reports?program=nope", &d.owner).await.status(), 404);

    // The exports of the page's days, as downloads.
    let file = d.get("/dashboard/reports/conversions.csv?days=30", &d.owner).await;
    assert_eq!(file.status(), 200);
    assert!(file.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let from = today - time::Duration::days(29);
    assert_eq!(
        file.headers()["content-disposition"],
        format!("attachment; filename=\"conversions-{from}-{today}.csv\"").as_str()
    );
    let csv = file.text().await.unwrap();
    assert!(csv.starts_with("id,occurred_at,type,"), "{csv}");
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.contains("jane@partners.test") && csv.contains("joe@partners.test"));
    let commissions = d.get("/dashboard/reports/commissions.csv?days=90", &d.owner).await;
    let disposition = commissions.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(disposition.starts_with(&format!(
        "attachment; filename=\"commissions-{}",
        today - time::Duration::days(89)
    )));
    assert_eq!(commissions.text().await.unwrap().lines().count(), 3);
    let payouts = d
        .get("/dashboard/reports/payouts.csv", &d.owner)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(payouts.lines().count(), 1, "the header alone: {payouts}");

    // Viewers read reports; signed-out visitors go to the login page.
    let viewer = d.member("vera@brightwave.test", Role::Viewer).await;
    let seen = d.page("/dashboard/reports", &viewer).await;
    assert_eq!(stat(&seen, "clicks"), "5");
    assert_eq!(d.get("/dashboard/reports/commissions.csv", &viewer).await.status(), 200);
    let anonymous = d.client.get(d.h.url("/dashboard/reports")).send().await.unwrap();
    assert!(anonymous.status().is_redirection());
    assert!(location(&anonymous).starts_with("/login"), "{}", location(&anonymous));
    let anonymous = d
        .client
        .get(d.h.url("/dashboard/reports/conversions.csv"))
        .send()
        .await
        .unwrap();
    assert!(anonymous.status().is_redirection());

    // Another organization sees none of it, and our campaign is not found for it.
    let intruder = d.intruder().await;
    let theirs = d.page("/dashboard/reports", &intruder).await;
    assert_eq!(stat(&theirs, "clicks"), "0");
    assert!(!theirs.contains("jane@partners.test") && !theirs.contains("Program pro"));
    let missing = d.get(&format!("/dashboard/reports?program={pro}"), &intruder).await;
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("Page not found"));
    let their_csv = d
        .get("/dashboard/reports/conversions.csv", &intruder)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(their_csv.lines().count(), 1, "{their_csv}");
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tax_page_flags_missing_forms_and_follows_the_apis_roles() {
    let d = Dash::start().await;
    let pro = d.program("pro").await;
    let year = OffsetDateTime::now_utc().year();
    // 20 % commissions, all paid: Jane EUR 600.00 (no form), Joe USD 700.00, Bob USD 100.00.
    let jane = d.h.affiliate(pro, "jane@partners.test").await;
    let joe = d.h.affiliate(pro, "joe@partners.test").await;
    let bob = d.h.affiliate(pro, "bob@partners.test").await;
    let s2s = S2s::new(&d.h).await;
    let usd = |id: &str, slug: &str, cents: i64| json!({ "externalEventId": id, "type": "sale", "affiliateSlug": slug, "amountCents": cents, "currency": "USD" });
    for body in [
        sale("j-1", jane.slug.as_str(), 300_000),
        usd("o-1", joe.slug.as_str(), 350_000),
        usd("b-1", bob.slug.as_str(), 50_000),
    ] {
        assert_eq!(s2s.send(&body).await.status, StatusCode::CREATED);
    }
    d.pay_everything().await;

    let page = d.page("/dashboard/tax", &d.owner).await;
    assert!(page.contains(r#"<a href="/dashboard/tax" aria-current="page">Tax</a>"#));
    assert!(page.contains(&format!(r#"<option value="{year}" selected>{year}</option>"#)));
    // No EUR rate: the report cannot be made, and the page says why instead of failing.
    let alert = section(&page, r#"<p class="alert" role="alert">"#, "</p>");
    assert!(alert.contains("No exchange rate for EUR"), "{alert}");
    assert!(!page.contains("1099-NEC recipients"), "no file without a report");
    assert_eq!(
        d.get(&format!("/dashboard/tax/1099-nec.csv?year={year}"), &d.owner)
            .await
            .status(),
        409
    );
    // The forms list does not need rates.
    let forms = section(&page, r#"<table class="list tax-forms">"#, "</table>");
    assert_eq!(forms.matches("<tr id=\"tax-").count(), 3, "{forms}");

    let today = OffsetDateTime::now_utc().date();
    d.h.server
        .app
        .import_fx_rates(&format!("Date,USD\n{today},1.25\n"))
        .await
        .unwrap();
    let page = d.page(&format!("/dashboard/tax?year={year}"), &d.owner).await;
    let report = section(&page, r#"<table class="list tax-report">"#, "</table>");
    let jane_paid = section(report, r#"data-email="jane@partners.test""#, "</tr>");
    assert!(
        report.contains(r#"data-email="jane@partners.test" class="flagged">"#),
        "{report}"
    );
    assert!(
        jane_paid.contains(r#"<td data-label="Total (USD)" class="num">750.00 USD</td>"#)
            && jane_paid.contains("Form missing")
            && jane_paid.contains(r#"<span class="badge status-pending">Included</span>"#),
        "{jane_paid}"
    );
    let bob_paid = section(report, r#"data-email="bob@partners.test""#, "</tr>");
    assert!(
        bob_paid.contains("Under USD 600") && !bob_paid.contains("Form missing"),
        "{bob_paid}"
    );
    assert!(page.contains("2 without a tax form"), "Jane and Joe: {page}");
    let link = format!(r#"href="/dashboard/tax/1099-nec.csv?year={year}" download>"#);
    assert!(page.contains(&link), "{page}");
    let file = d
        .get(&format!("/dashboard/tax/1099-nec.csv?year={year}"), &d.owner)
        .await;
    assert_eq!(file.status(), 200);
    assert_eq!(
        file.headers()["content-disposition"],
        format!("attachment; filename=\"1099-nec-{year}.csv\"").as_str()
    );
    let csv = file.text().await.unwrap();
    assert_eq!(csv.lines().count(), 3, "Jane and Joe: {csv}");
    assert!(csv.contains("jane@partners.test") && !csv.contains("bob@partners.test"));

    // The Owner records Jane's W-8BEN: she is no longer flagged nor in the 1099-NEC.
    let status_path = format!("/dashboard/tax/affiliates/{}/status", jane.id);
    let year_text = year.to_string();
    let saved = d
        .post(
            &status_path,
            &[("status", "W8BEN"), ("year", &year_text), ("page", "1")],
            &d.owner,
        )
        .await;
    assert_eq!(saved.status(), 303);
    assert_eq!(
        location(&saved),
        format!("/dashboard/tax?year={year}&page=1&notice=saved#tax-{}", jane.id)
    );
    let page = d
        .page(&format!("/dashboard/tax?year={year}&notice=saved"), &d.owner)
        .await;
    assert!(page.contains("The tax form status is saved."));
    let jane_form = section(&page, &format!(r#"<tr id="tax-{}""#, jane.id), "</tr>");
    assert!(
        jane_form.contains(r#"<option value="W8BEN" selected>W8BEN</option>"#),
        "{jane_form}"
    );
    let jane_paid = section(&page, r#"<tr id="paid-"#, "</tr>");
    assert!(!jane_paid.contains("Form missing"), "{jane_paid}");
    assert!(page.contains("1 without a tax form"), "Joe still: {page}");
    let bad = d.post(&status_path, &[("status", "W2")], &d.owner).await;
    assert_eq!(bad.status(), 400);

    // A document uploaded through the API: Owners and Admins download it here.
    let pdf = b"%PDF-1.7\n1 0 obj\n".to_vec();
    let uploaded =
        d.h.send(
            d.h.client
                .put(d.h.url(&format!(
                    "/api/v1/affiliates/{}/tax-form/document?fileName=w8.pdf",
                    jane.id
                )))
                .bearer_auth(&d.h.key)
                .header("content-type", "application/pdf")
                .body(pdf.clone()),
        )
        .await;
    assert_eq!(uploaded.status, StatusCode::OK, "{:?}", uploaded.body);
    let document_path = format!("/dashboard/tax/affiliates/{}/document", jane.id);
    let page = d.page("/dashboard/tax", &d.owner).await;
    assert!(
        page.contains(&format!(r#"<a href="{document_path}" download>w8.pdf (1 KB, "#)),
        "{page}"
    );
    let download = d.get(&document_path, &d.owner).await;
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "application/pdf");
    assert_eq!(
        download.headers()["content-disposition"],
        "attachment; filename=\"w8.pdf\""
    );
    assert_eq!(download.bytes().await.unwrap().to_vec(), pdf);
    assert_eq!(d.h.audit("tax_form.document_downloaded").await.len(), 1);
    let admin = d.member("ada@brightwave.test", Role::Admin).await;
    assert_eq!(d.get(&document_path, &admin).await.status(), 200);
    let joe_path = format!("/dashboard/tax/affiliates/{}/status", joe.id);
    assert_eq!(d.post(&joe_path, &[("status", "W9")], &admin).await.status(), 303);
    assert_eq!(
        d.get(&format!("/dashboard/tax/affiliates/{}/document", joe.id), &d.owner)
            .await
            .status(),
        404
    );

    // Managers and Viewers read the page without forms or download links, and are refused.
    for (email, role) in [
        ("max@brightwave.test", Role::Manager),
        ("vera@brightwave.test", Role::Viewer),
    ] {
        let cookie = d.member(email, role).await;
        let page = d.page("/dashboard/tax", &cookie).await;
        let main = content(&page);
        assert!(main.contains("jane@partners.test") && main.contains("w8.pdf"), "{main}");
        assert!(
            !main.contains(r#"method="post""#) && !main.contains(&document_path),
            "{role}: {main}"
        );
        assert_eq!(d.get(&document_path, &cookie).await.status(), 403, "{role}");
        let refused = d.post(&joe_path, &[("status", "W8BEN")], &cookie).await;
        assert_eq!(refused.status(), 403, "{role}");
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains(&format!("The {role} role may not do this."))
        );
        assert_eq!(
            d.get(&format!("/dashboard/tax/1099-nec.csv?year={year}"), &cookie)
                .await
                .status(),
            200,
            "{role} reads the report"
        );
    }
    let form = d.h.get(&format!("/api/v1/affiliates/{}/tax-form", joe.id)).await;
    assert_eq!(form.body["status"], "W9", "unchanged by the refusals");

    // Another organization: our affiliates are not found, its page lists none of them.
    let intruder = d.intruder().await;
    let theirs = d.page("/dashboard/tax", &intruder).await;
    assert!(!theirs.contains("jane@partners.test") && theirs.contains("No affiliates yet."));
    assert!(theirs.contains(&format!("No affiliate was paid in {year}.")));
    assert_eq!(d.get(&document_path, &intruder).await.status(), 404);
    assert_eq!(d.post(&status_path, &[("status", "W9")], &intruder).await.status(), 404);
    assert_eq!(
        d.post("/dashboard/tax/affiliates/nope/status", &[("status", "W9")], &d.owner)
            .await
            .status(),
        404
    );
    let form = d.h.get(&format!("/api/v1/affiliates/{}/tax-form", jane.id)).await;
    assert_eq!(form.body["status"], "W8BEN");
    d.stop().await;
}

/// A multipart body holding `csv` as the file field `file`, as a browser posts the upload form.
fn rates_upload(csv: &str) -> (String, Vec<u8>) {
    let boundary = "afflux-test-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"eurofxref.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    );
    (format!("multipart/form-data; boundary={boundary}"), body.into_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_of_the_only_organization_uploads_exchange_rates() {
    let d = Dash::start().await;
    let upload = |cookie: String, csv: &str| {
        let (content_type, body) = rates_upload(csv);
        d.client
            .post(d.h.url("/dashboard/reports/fx-rates"))
            .header("origin", d.h.server.url())
            .header("cookie", cookie)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let page = d.page("/dashboard/reports", &d.owner).await;
    assert!(page.contains("No exchange rates are loaded"), "{page}");
    assert!(page.contains(r#"action="/dashboard/reports/fx-rates" enctype="multipart/form-data""#));

    // A malformed line: nothing is stored, and the page says which line.
    let refused = upload(
        d.owner.clone(),
        "Date,USD,GBP\n2026-11-20,1.07,0.83\n2026-11-21,1.0x,0.84\n",
    )
    .await
    .unwrap();
    assert_eq!(refused.status(), 422);
    let body = refused.text().await.unwrap();
    assert!(
        body.contains(r#"<p class="alert" role="alert">The rates were not loaded: Line 3:"#),
        "{body}"
    );
    assert_eq!(
        d.h.get("/api/v1/fx/rates").await.body["latestDate"],
        serde_json::Value::Null
    );

    let loaded = upload(
        d.owner.clone(),
        "Date, USD, GBP, \r\n20 November 2026, 1.0712, 0.8325, \r\n",
    )
    .await
    .unwrap();
    assert_eq!(loaded.status(), 303);
    assert_eq!(location(&loaded), "/dashboard/reports?notice=rates");
    let page = d.page("/dashboard/reports?notice=rates", &d.owner).await;
    assert!(page.contains("The exchange rates are loaded."));
    assert!(page.contains("<strong>2026-11-20</strong> (3 currencies)"), "{page}");
    assert_eq!(d.h.audit("fx_rates.loaded").await.len(), 1);

    // An Admin neither sees the form nor may post it.
    let admin = d.member("ada@brightwave.test", Role::Admin).await;
    let page = d.page("/dashboard/reports", &admin).await;
    assert!(
        !page.contains("/dashboard/reports/fx-rates") && page.contains("2026-11-20"),
        "{page}"
    );
    let csv = "Date,USD\n2026-11-21,1.5\n";
    assert_eq!(upload(admin, csv).await.unwrap().status(), 403);
    // With a second organization on the instance, the Owner leaves rates to the operator.
    let intruder = d.intruder().await;
    let page = d.page("/dashboard/reports", &d.owner).await;
    assert!(!page.contains("/dashboard/reports/fx-rates"), "{page}");
    for cookie in [d.owner.clone(), intruder] {
        assert_eq!(upload(cookie, csv).await.unwrap().status(), 403);
    }
    assert_eq!(d.h.get("/api/v1/fx/rates").await.body["latestDate"], "2026-11-20");
    d.stop().await;
}
