//! The dashboard's Commissions and Payouts pages over plain HTTP, on SQLite or PostgreSQL
//! (`AFFLUX_TEST_DATABASE_URL`): the commission list by status and page, Deny with and without
//! a reason (htmx and plain posts), the balances panel, starting a run (and the nothing-payable
//! message), marking items paid or failed and retrying, the PayPal file download, a Viewer's
//! read-only pages and 403s, and other organizations' runs answering 404. Data is made through
//! the API and S2S sales as in `tests/money.rs`. The click-through in Chromium is
//! `tests/money_browser.rs`.

mod support;

use afflux_domain::{Affiliate, Role};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::Harness;
use support::dashboard::{Dash, content, location, section};
use support::s2s::{S2s, sale};

/// What these tests add to the dashboard harness.
impl Dash {
    /// Commissions through the API, newest first.
    async fn commissions(&self, query: &str) -> Vec<Value> {
        let reply = self.h.get(&format!("/api/v1/commissions?perPage=100{query}")).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        reply.body["data"].as_array().unwrap().clone()
    }

    /// The id of `affiliate`'s commission of `minor` units.
    async fn commission_of(&self, affiliate: &Affiliate, minor: i64) -> String {
        let all = self.commissions(&format!("&affiliateId={}", affiliate.id)).await;
        let found = all.iter().find(|c| c["amount"]["minor"] == minor);
        found.unwrap_or_else(|| panic!("{}: {all:?}", affiliate.email))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn approve(&self) -> usize {
        self.h.server.app.approve_due_commissions().await.unwrap()
    }
}

/// The id of the payout item row of `email`.
fn item_id(html: &str, email: &str) -> String {
    let at = html
        .find(&format!(r#"data-email="{email}""#))
        .unwrap_or_else(|| panic!("{email} not in the page:\n{html}"));
    let start = html[..at].rfind(r#"<tr id="item-"#).expect("an item row") + r#"<tr id="item-"#.len();
    html[start..].split('"').next().unwrap().to_owned()
}

fn row<'a>(html: &'a str, email: &str) -> &'a str {
    section(html, &format!(r#"data-email="{email}""#), "</tr>")
}

/// How many table rows of commissions a page shows.
fn commission_rows(html: &str) -> usize {
    html.matches(r#"<tr id="c-"#).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commissions_list_by_status_deny_and_balances() {
    let d = Dash::start().await;
    let program = d.program("pro").await;
    let jane = d.h.affiliate(program, "jane@partners.test").await;
    let omar = d.h.affiliate(program, "omar@partners.test").await;
    let s2s = S2s::new(&d.h).await;
    let empty = d.page("/dashboard/commissions", &d.owner).await;
    assert!(
        empty.contains(r#"<a href="/dashboard/commissions" aria-current="page">Commissions</a>"#),
        "the nav marks the page"
    );
    assert!(empty.contains("No commissions yet.") && empty.contains("No money has moved yet."));

    // Jane's first sale is approved; then a small one of hers and Omar's wait.
    let (jane_slug, omar_slug) = (jane.slug.to_string(), omar.slug.to_string());
    assert_eq!(
        s2s.send(&sale("order-1", &jane_slug, 9900)).await.status,
        StatusCode::CREATED
    );
    assert_eq!(d.approve().await, 1);
    s2s.send(&sale("order-2", &jane_slug, 1000)).await;
    s2s.send(&sale("order-3", &omar_slug, 5000)).await;

    let page = d.page("/dashboard/commissions", &d.owner).await;
    assert_eq!(commission_rows(&page), 3, "{page}");
    let omar_row = row(&page, "omar@partners.test");
    for shown in [
        "<td data-label=\"Program\">Program pro</td>",
        "<td data-label=\"Kind\">Direct</td>",
        r#"<span class="badge status-pending">Pending</span>"#,
        r#"<td data-label="Amount" class="num">10.00 EUR</td>"#,
        "Deny</summary>",
        r#"name="reason" type="text" required"#,
    ] {
        assert!(omar_row.contains(shown), "{shown} in\n{omar_row}");
    }
    assert!(
        page.contains(r#"<td data-label="Amount" class="num">19.80 EUR</td>"#),
        "{page}"
    );
    assert!(page.contains(r#"<span class="badge status-approved">Approved</span>"#));
    assert!(page.contains(r#"<td data-label="Amount" class="num">2.00 EUR</td>"#));

    // The status tabs.
    let pending = d.page("/dashboard/commissions?status=Pending", &d.owner).await;
    assert_eq!(commission_rows(&pending), 2);
    assert!(pending.contains(r#"<a href="/dashboard/commissions?status=Pending" aria-current="page">Pending</a>"#));
    let approved = d.page("/dashboard/commissions?status=approved", &d.owner).await;
    assert_eq!(commission_rows(&approved), 1);
    assert!(approved.contains("19.80 EUR"));
    let paid = d.page("/dashboard/commissions?status=Paid", &d.owner).await;
    assert_eq!(commission_rows(&paid), 0);
    assert!(paid.contains("No Paid commissions."), "{paid}");
    let garbage = d.page("/dashboard/commissions?status=<b>&page=x", &d.owner).await;
    assert_eq!(commission_rows(&garbage), 3, "an unknown filter shows them all");

    // Deny without a reason: htmx gets the row with the refusal, the form open; a plain post
    // the list with an alert. Nothing changes.
    let omar_commission = d.commission_of(&omar, 1000).await;
    let deny = format!("/dashboard/commissions/{omar_commission}/deny");
    let form = [("reason", "  "), ("status", "Pending"), ("page", "1")];
    let hx = d.hx_post(&deny, &form, &d.owner).await;
    assert_eq!(hx.status(), 200);
    let fragment = hx.text().await.unwrap();
    assert!(
        fragment
            .trim_start()
            .starts_with(&format!(r#"<tr id="c-{omar_commission}""#)),
        "{fragment}"
    );
    assert!(
        fragment.contains(r#"<p class="field-error" role="alert">The reason must not be empty.</p>"#),
        "{fragment}"
    );
    assert!(fragment.contains(r#"<details class="row-form" open>"#), "{fragment}");
    assert!(fragment.contains(r#"<input type="hidden" name="status" value="Pending">"#));
    let plain = d.post(&deny, &form, &d.owner).await;
    assert_eq!(plain.status(), 422);
    let body = plain.text().await.unwrap();
    assert!(
        body.contains(
            r#"<p class="alert" role="alert">The commission was not denied. The reason must not be empty.</p>"#
        ),
        "{body}"
    );
    assert!(body.contains(r#"aria-current="page">Pending</a>"#), "the same tab");
    assert_eq!(d.commissions("&status=Pending").await.len(), 2);

    // With a reason, by htmx: the row comes back Denied with the reason and no form.
    let form = [("reason", "Test order"), ("status", "Pending"), ("page", "1")];
    let hx = d.hx_post(&deny, &form, &d.owner).await;
    assert_eq!(hx.status(), 200);
    let fragment = hx.text().await.unwrap();
    assert!(
        fragment.contains(r#"<span class="badge status-denied">Denied</span><small class="reason">Test order</small>"#),
        "{fragment}"
    );
    assert!(
        !fragment.contains("<form") && !fragment.contains("role=\"alert\""),
        "{fragment}"
    );
    // A second time: refused, said in the row.
    let again = d.hx_post(&deny, &form, &d.owner).await.text().await.unwrap();
    assert!(
        again.contains(r#"role="alert">A Denied commission cannot be denied.</p>"#),
        "{again}"
    );

    // Without htmx: back to the same tab and page, with a message.
    let small = d.commission_of(&jane, 200).await;
    let form = [("reason", "Duplicate order"), ("status", "Pending"), ("page", "1")];
    let plain = d
        .post(&format!("/dashboard/commissions/{small}/deny"), &form, &d.owner)
        .await;
    assert_eq!(plain.status(), 303);
    assert_eq!(
        location(&plain),
        "/dashboard/commissions?status=Pending&page=1&notice=denied"
    );
    let after = d.page(&location(&plain), &d.owner).await;
    assert!(after.contains("The commission is denied"), "{after}");
    assert_eq!(commission_rows(&after), 0);
    let denied = d.page("/dashboard/commissions?status=Denied", &d.owner).await;
    assert_eq!(commission_rows(&denied), 2);
    assert!(denied.contains("Duplicate order") && denied.contains("Test order"));
    let unknown = d
        .post("/dashboard/commissions/not-an-id/deny", &[("reason", "x")], &d.owner)
        .await;
    assert_eq!(unknown.status(), 404);

    // Balances: per affiliate and currency, the columns add up to the net; in the home
    // currency once a rate is loaded.
    let page = d.page("/dashboard/commissions", &d.owner).await;
    let balances = section(&page, r#"<section class="balances""#, "</section>");
    let jane_balance = section(
        balances,
        r#"data-email="jane@partners.test" data-currency="EUR""#,
        "</tr>",
    );
    for shown in [
        r#"<td data-label="Earned" class="num">21.80</td>"#,
        r#"<td data-label="Reversed" class="num">-2.00</td>"#,
        r#"<td data-label="Paid" class="num">0.00</td>"#,
        r#"<td data-label="Net" class="num net owed">19.80</td>"#,
        r#"title="No exchange rate loaded">—</span>"#,
    ] {
        assert!(jane_balance.contains(shown), "{shown} in\n{jane_balance}");
    }
    let omar_balance = row(balances, "omar@partners.test");
    assert!(
        omar_balance.contains(r#"<td data-label="Net" class="num net">0.00</td>"#),
        "{omar_balance}"
    );
    assert!(
        balances.contains("<th scope=\"col\" class=\"num\">Net in USD</th>"),
        "{balances}"
    );
    d.h.server
        .app
        .import_fx_rates("Date,USD,\n2025-01-02,1.25,\n")
        .await
        .unwrap();
    let page = d.page("/dashboard/commissions", &d.owner).await;
    let jane_balance = row(
        section(&page, r#"<section class="balances""#, "</section>"),
        "jane@partners.test",
    );
    assert!(
        jane_balance.contains(r#"<td data-label="Net in USD" class="num">24.75 USD</td>"#),
        "{jane_balance}"
    );
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commissions_are_paged_by_fifty() {
    let d = Dash::start().await;
    let program = d.program("pro").await;
    let jane = d.h.affiliate(program, "jane@partners.test").await;
    let s2s = S2s::new(&d.h).await;
    for n in 0..53 {
        let sent = s2s
            .send(&sale(&format!("order-{n}"), jane.slug.as_str(), 1000 + n))
            .await;
        assert_eq!(sent.status, StatusCode::CREATED, "{:?}", sent.body);
    }
    let first = d.page("/dashboard/commissions", &d.owner).await;
    assert_eq!(commission_rows(&first), 50);
    let pager = section(&first, r#"<nav class="pager""#, "</nav>");
    assert!(
        pager.contains(r#"href="/dashboard/commissions?status=all&#38;page=2" rel="next">Next</a>"#)
            && !pager.contains("Prev"),
        "{pager}"
    );
    let second = d.page("/dashboard/commissions?status=all&page=2", &d.owner).await;
    assert_eq!(commission_rows(&second), 3);
    let pager = section(&second, r#"<nav class="pager""#, "</nav>");
    assert!(
        pager.contains(r#"href="/dashboard/commissions?status=all&#38;page=1" rel="prev">Prev</a>"#)
            && !pager.contains("Next"),
        "{pager}"
    );
    // Newest first: the first sales are on the second page.
    assert!(second.contains(">2.00 EUR<") && !first.contains(">2.00 EUR<"));
    let beyond = d.page("/dashboard/commissions?page=9", &d.owner).await;
    assert!(beyond.contains("No more commissions."), "{beyond}");
    let pending = d.page("/dashboard/commissions?status=Pending&page=2", &d.owner).await;
    assert!(pending.contains(r#"href="/dashboard/commissions?status=Pending&#38;page=1""#));
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payout_runs_paid_failed_retried_and_the_paypal_file() {
    use afflux_fakes::paypal::{self, PaypalFake};
    let (_fake, running) = PaypalFake::start().await;
    let url = running.base_url();
    let d = Dash::with(Harness::start_with(|s| s.paypal_api_base = Some(url)).await).await;
    let program = d.program("pro").await;
    let jane = d.h.affiliate(program, "jane@partners.test").await;
    let omar = d.h.affiliate(program, "omar@partners.test").await;
    let s2s = S2s::new(&d.h).await;
    s2s.send(&sale("order-1", jane.slug.as_str(), 10000)).await;
    s2s.send(&sale("order-2", omar.slug.as_str(), 5000)).await;

    let page = d.page("/dashboard/payouts", &d.owner).await;
    assert!(page.contains(r#"<a href="/dashboard/payouts" aria-current="page">Payouts</a>"#));
    assert!(page.contains("API not connected") && page.contains("No payout runs yet."));
    let form = section(&page, r#"<form method="post" action="/dashboard/payouts">"#, "</form>");
    assert!(form.contains(r#"<option value="Manual" selected>"#) && form.contains(r#"<option value="PayPal">"#));
    assert!(form.contains(r#"<option value="">Every currency</option>"#) && form.contains(r#"<option value="EUR">"#));

    // Held commissions: nothing to pay, said plainly; the choices stay.
    let refused = d
        .post(
            "/dashboard/payouts",
            &[("rail", "PayPal"), ("currency", "EUR")],
            &d.owner,
        )
        .await;
    assert_eq!(refused.status(), 409);
    let body = refused.text().await.unwrap();
    assert!(
        body.contains(r#"<p class="notice" role="status">Nothing to pay right now"#),
        "{body}"
    );
    assert!(body.contains(r#"<option value="PayPal" selected>"#) && body.contains(r#"<option value="EUR" selected>"#));
    let bad = d
        .post(
            "/dashboard/payouts",
            &[("rail", "Manual"), ("currency", "XYZ")],
            &d.owner,
        )
        .await;
    assert_eq!(bad.status(), 422);
    assert!(
        bad.text()
            .await
            .unwrap()
            .contains(r#"id="f-currency-error">Currency XYZ is not supported."#)
    );

    // Approved: a Manual run takes both.
    assert_eq!(d.approve().await, 2);
    let started = d
        .post("/dashboard/payouts", &[("rail", "Manual"), ("currency", "")], &d.owner)
        .await;
    assert_eq!(started.status(), 303);
    let to = location(&started);
    let run_id = to
        .strip_prefix("/dashboard/payouts/")
        .and_then(|r| r.strip_suffix("?notice=started"))
        .unwrap_or_else(|| panic!("{to}"))
        .to_owned();
    let run = d.page(&to, &d.owner).await;
    assert!(run.contains("The payout run is started."), "{run}");
    assert!(run.contains("<dt>Pay through</dt><dd>Manual</dd>") && run.contains("<dd>30.00 EUR</dd>"));
    let jane_row = row(&run, "jane@partners.test");
    assert!(
        jane_row.contains(r#"<td data-label="Amount" class="num">20.00 EUR</td>"#)
            && jane_row.contains(r#"<span class="badge status-pending">Pending</span>"#)
            && jane_row.contains("Mark paid</summary>")
            && jane_row.contains("Mark failed</summary>"),
        "{jane_row}"
    );
    let jane_item = item_id(&run, "jane@partners.test");
    let omar_item = item_id(&run, "omar@partners.test");
    let file_url = format!("/dashboard/payouts/{run_id}/paypal.csv?currency=EUR");
    assert!(
        run.contains(&format!(
            r#"<a class="btn btn-secondary" href="{}" download>Download PayPal file (EUR)</a>"#,
            file_url
        )),
        "{run}"
    );
    let again = d.post("/dashboard/payouts", &[("rail", "Manual")], &d.owner).await;
    assert_eq!(again.status(), 409, "a commission enters one run only");

    // The PayPal file, as a download.
    let file = d.get(&file_url, &d.owner).await;
    assert_eq!(file.status(), 200);
    assert!(file.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert_eq!(
        file.headers()["content-disposition"],
        format!("attachment; filename=\"paypal-payout-{run_id}-EUR.csv\"").as_str()
    );
    let csv = file.text().await.unwrap();
    let mut lines: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    lines.sort();
    assert_eq!(lines.len(), 2, "{csv}");
    assert_eq!(&lines[0][..3], ["jane@partners.test", "20.00", "EUR"]);
    assert_eq!(&lines[1][..3], ["omar@partners.test", "10.00", "EUR"]);
    assert!(lines.iter().all(|l| l.len() == 7), "{csv}");
    let usd = d
        .get(
            &format!("/dashboard/payouts/{run_id}/paypal.csv?currency=usd"),
            &d.owner,
        )
        .await;
    assert_eq!(usd.status(), 200);
    assert_eq!(usd.text().await.unwrap(), "", "no USD items");
    let wrong = d
        .get(
            &format!("/dashboard/payouts/{run_id}/paypal.csv?currency=nope"),
            &d.owner,
        )
        .await;
    assert_eq!(wrong.status(), 400);

    // Mark paid: the reference is required; then the row comes back Paid.
    let base = format!("/dashboard/payouts/{run_id}/items");
    let paid = format!("{base}/{jane_item}/mark-paid");
    let hx = d
        .hx_post(&paid, &[("reference", " ")], &d.owner)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        hx.contains(r#"role="alert">The reference must not be empty.</p>"#)
            && hx.contains(r#"<details class="row-form" open>"#)
            && hx.contains("status-pending"),
        "{hx}"
    );
    let plain = d.post(&paid, &[("reference", "")], &d.owner).await;
    assert_eq!(plain.status(), 422);
    assert!(
        plain
            .text()
            .await
            .unwrap()
            .contains(r#"<p class="alert" role="alert">The reference must not be empty.</p>"#)
    );
    let hx = d.hx_post(&paid, &[("reference", "PP-123")], &d.owner).await;
    assert_eq!(hx.status(), 200);
    let fragment = hx.text().await.unwrap();
    assert!(
        fragment
            .trim_start()
            .starts_with(&format!(r#"<tr id="item-{jane_item}""#)),
        "{fragment}"
    );
    assert!(
        fragment.contains(r#"<span class="badge status-paid">Paid</span>"#)
            && fragment.contains("<code>PP-123</code>")
            && !fragment.contains("<form"),
        "{fragment}"
    );
    let twice = d
        .hx_post(&paid, &[("reference", "PP-124")], &d.owner)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        twice.contains(r#"role="alert">This item is Paid already.</p>"#),
        "{twice}"
    );
    assert_eq!(d.commissions("&status=Paid").await.len(), 1);

    // Mark failed: the reason is required; a plain post goes back to the run.
    let failed = format!("{base}/{omar_item}/mark-failed");
    assert_eq!(d.post(&failed, &[("reason", "")], &d.owner).await.status(), 422);
    let plain = d.post(&failed, &[("reason", "Account closed")], &d.owner).await;
    assert_eq!(plain.status(), 303);
    assert_eq!(
        location(&plain),
        format!("/dashboard/payouts/{run_id}?notice=failed#item-{omar_item}")
    );
    let run = d
        .page(&format!("/dashboard/payouts/{run_id}?notice=failed"), &d.owner)
        .await;
    assert!(run.contains("The item is marked failed."));
    let omar_row = row(&run, "omar@partners.test");
    assert!(
        omar_row.contains(r#"<span class="badge status-failed">Failed</span>"#)
            && omar_row.contains(r#"<span class="sync-error">Account closed</span>"#)
            && omar_row.contains(r#"<td data-label="Attempts">1</td>"#)
            && omar_row.contains(">Retry</button>")
            && !omar_row.contains("Mark paid"),
        "{omar_row}"
    );
    assert!(!run.contains("Download PayPal file"), "no pending item, no file");

    // Retry: pending again, payable by hand.
    let retry = format!("{base}/{omar_item}/retry");
    let hx = d.hx_post(&retry, &[], &d.owner).await.text().await.unwrap();
    assert!(
        hx.contains("status-pending") && hx.contains("Mark paid</summary>"),
        "{hx}"
    );
    let again = d.hx_post(&retry, &[], &d.owner).await.text().await.unwrap();
    assert!(
        again.contains("only a failed item can be retried") || again.contains("Only a failed item"),
        "{again}"
    );
    let csv = d.get(&file_url, &d.owner).await.text().await.unwrap();
    assert_eq!(csv.lines().count(), 1);
    assert!(csv.starts_with("omar@partners.test,10.00,EUR"), "{csv}");
    let plain = d
        .post(
            &format!("{base}/{omar_item}/mark-paid"),
            &[("reference", "BANK-9")],
            &d.owner,
        )
        .await;
    assert_eq!(
        location(&plain),
        format!("/dashboard/payouts/{run_id}?notice=paid#item-{omar_item}")
    );

    // The list of runs, and the balances at zero.
    let list = d.page("/dashboard/payouts", &d.owner).await;
    let run_row = section(&list, &format!(r#"<tr id="run-{run_id}">"#), "</tr>");
    assert!(
        run_row.contains(&format!(r#"<a href="/dashboard/payouts/{run_id}">"#))
            && run_row.contains("<td data-label=\"Pay through\">Manual</td>")
            && run_row.contains("0 pending · 2 paid · 0 failed")
            && run_row.contains("30.00 EUR"),
        "{run_row}"
    );
    let commissions = d.page("/dashboard/commissions", &d.owner).await;
    for email in ["jane@partners.test", "omar@partners.test"] {
        let balance = row(
            section(&commissions, r#"<section class="balances""#, "</section>"),
            email,
        );
        assert!(
            balance.contains(r#"<td data-label="Net" class="num net">0.00</td>"#),
            "{balance}"
        );
    }
    assert!(
        !commissions.contains("Deny</summary>"),
        "paid commissions cannot be denied"
    );

    // PayPal's API connected: the pages say so.
    let connected =
        d.h.api(
            Method::PUT,
            "/api/v1/integrations/paypal",
            &d.h.key,
            Some(json!({ "clientId": paypal::CLIENT_ID, "clientSecret": paypal::SECRET })),
        )
        .await;
    assert_eq!(connected.status, StatusCode::OK, "{:?}", connected.body);
    let list = d.page("/dashboard/payouts", &d.owner).await;
    assert!(
        list.contains("API connected</span>") && list.contains("Client ID <code>"),
        "{list}"
    );
    let run = d.page(&format!("/dashboard/payouts/{run_id}"), &d.owner).await;
    assert!(run.contains("<dt>PayPal API</dt><dd>Connected"), "{run}");
    // A Manual run's pending item: no file is offered, since the API could pay it twice.
    s2s.send(&sale("order-3", jane.slug.as_str(), 2000)).await;
    d.approve().await;
    let manual = d.post("/dashboard/payouts", &[("rail", "Manual")], &d.owner).await;
    assert_eq!(manual.status(), 303);
    let run = d.page(&location(&manual), &d.owner).await;
    assert!(
        run.contains("PayPal's API is connected, so no file is offered") && !run.contains("Download PayPal file"),
        "{run}"
    );
    assert!(row(&run, "jane@partners.test").contains("Mark paid</summary>"));
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewers_only_look_and_other_organizations_runs_are_not_found() {
    let d = Dash::start().await;
    let program = d.program("pro").await;
    let jane = d.h.affiliate(program, "jane@partners.test").await;
    let s2s = S2s::new(&d.h).await;
    s2s.send(&sale("order-1", jane.slug.as_str(), 10000)).await;
    s2s.send(&sale("order-2", jane.slug.as_str(), 1000)).await;
    d.approve().await;
    let started = d.post("/dashboard/payouts", &[("rail", "PayPal")], &d.owner).await;
    assert_eq!(started.status(), 303);
    let run_id = location(&started)
        .trim_start_matches("/dashboard/payouts/")
        .trim_end_matches("?notice=started")
        .to_owned();
    s2s.send(&sale("order-3", jane.slug.as_str(), 2000)).await;
    let pending = d.commission_of(&jane, 400).await;
    let run = d.page(&format!("/dashboard/payouts/{run_id}"), &d.owner).await;
    let item = item_id(&run, "jane@partners.test");

    // A Viewer sees the same rows and no form at all.
    let viewer = d.member("vera@brightwave.test", Role::Viewer).await;
    let commissions = d.page("/dashboard/commissions", &viewer).await;
    let main = content(&commissions);
    assert_eq!(commission_rows(main), 3);
    assert!(
        !main.contains("<form") && !main.contains("<details") && !main.contains("<input"),
        "{main}"
    );
    assert!(main.contains(r#"<section class="balances""#));
    let payouts = d.page("/dashboard/payouts", &viewer).await;
    let main = content(&payouts);
    assert!(
        !main.contains("<form") && !main.contains("Start a payout run"),
        "{main}"
    );
    assert!(main.contains(&format!(r#"<tr id="run-{run_id}">"#)) && main.contains("API not connected"));
    let run = d.page(&format!("/dashboard/payouts/{run_id}"), &viewer).await;
    let main = content(&run);
    assert!(main.contains(&format!(r#"<tr id="item-{item}""#)), "{main}");
    assert!(
        !main.contains("<form") && !main.contains("Download PayPal file"),
        "{main}"
    );

    // Their posts are refused by the verbs.
    let deny = d
        .post(
            &format!("/dashboard/commissions/{pending}/deny"),
            &[("reason", "x")],
            &viewer,
        )
        .await;
    assert_eq!(deny.status(), 403);
    assert!(deny.text().await.unwrap().contains("The Viewer role may not do this."));
    let hx = d
        .hx_post(
            &format!("/dashboard/commissions/{pending}/deny"),
            &[("reason", "x")],
            &viewer,
        )
        .await;
    assert_eq!(hx.status(), 403);
    assert_eq!(
        d.post("/dashboard/payouts", &[("rail", "Manual")], &viewer)
            .await
            .status(),
        403
    );
    let base = format!("/dashboard/payouts/{run_id}/items/{item}");
    for (path, form) in [
        (format!("{base}/mark-paid"), [("reference", "PP-1")]),
        (format!("{base}/mark-failed"), [("reason", "no")]),
        (format!("{base}/retry"), [("reason", "")]),
    ] {
        assert_eq!(d.post(&path, &form, &viewer).await.status(), 403, "POST {path}");
    }
    let file = format!("/dashboard/payouts/{run_id}/paypal.csv?currency=EUR");
    assert_eq!(d.get(&file, &viewer).await.status(), 403);
    assert_eq!(d.commissions("&status=Pending").await.len(), 1, "nothing changed");

    // Another organization: nothing of ours is found.
    let other =
        d.h.server
            .app
            .create_org(afflux_app::NewOrg {
                name: "Elsewhere".into(),
                owner_email: "owner@elsewhere.test".into(),
                plan: None,
                status: None,
            })
            .await
            .unwrap();
    let intruder = {
        let app = &d.h.server.app;
        let mut tx = app.store().read().await.unwrap();
        let user = tx.get_user_by_email("owner@elsewhere.test").await.unwrap().unwrap();
        drop(tx);
        format!(
            "afflux_session={}",
            app.session_for(user.id, other.org.id).await.unwrap()
        )
    };
    let theirs = d.page("/dashboard/commissions", &intruder).await;
    assert_eq!(commission_rows(&theirs), 0);
    assert!(!theirs.contains("jane@partners.test"));
    let list = d.page("/dashboard/payouts", &intruder).await;
    assert!(!list.contains(&run_id) && list.contains("No payout runs yet."));
    let missing = d.get(&format!("/dashboard/payouts/{run_id}"), &intruder).await;
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("Page not found"));
    assert_eq!(d.get(&file, &intruder).await.status(), 404);
    for path in [
        format!("{base}/mark-paid"),
        format!("{base}/mark-failed"),
        format!("{base}/retry"),
        format!("/dashboard/commissions/{pending}/deny"),
    ] {
        let response = d
            .post(&path, &[("reference", "PP-1"), ("reason", "mine")], &intruder)
            .await;
        assert_eq!(response.status(), 404, "POST {path}");
    }
    // An item under another run of ours is not found either, nor a mangled id.
    let elsewhere = format!("/dashboard/payouts/{}/items/{item}/mark-paid", uuid::Uuid::now_v7());
    assert_eq!(d.post(&elsewhere, &[("reference", "x")], &d.owner).await.status(), 404);
    assert_eq!(d.get("/dashboard/payouts/not-an-id", &d.owner).await.status(), 404);
    let item_now = d.page(&format!("/dashboard/payouts/{run_id}"), &d.owner).await;
    assert!(item_now.contains("status-pending"), "untouched");
    d.stop().await;
}
