//! Tax end to end through the API, on SQLite or PostgreSQL (`AFFLUX_TEST_DATABASE_URL`): each
//! affiliate's tax form status and privately stored document, the yearly report of payouts in
//! USD (EUR converted at the year's last loaded ECB rate), the 1099-NEC CSV, and the reminder
//! emailed once when an affiliate without a form is paid USD 400 in a year.

mod support;

use std::path::Path;

use afflux_app::AffiliateInvite;
use afflux_domain::{Affiliate, ApiKeyId, ApiScope, AttributionModel, CampaignId, MAX_TAX_DOCUMENT_BYTES, Role};
use afflux_store::ApiKey;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use support::s2s::{S2s, sale};
use support::{Harness, Reply};
use time::OffsetDateTime;

/// A key of `org` acting with `role`, written straight to the store.
async fn key_with_role(h: &Harness, org: afflux_domain::OrgId, role: Role) -> String {
    let secret = format!("afx_live_test{}", uuid::Uuid::now_v7().simple());
    let key = ApiKey {
        id: ApiKeyId::new(),
        org_id: org,
        name: format!("{role} key"),
        scope: ApiScope::ReadWrite,
        role,
        prefix: secret[..15].to_owned(),
        token_hash: Sha256::digest(secret.as_bytes()).to_vec(),
        created_by: None,
        created_at: OffsetDateTime::now_utc(),
        revoked_at: None,
    };
    let mut tx = h.server.app.store().write().await.unwrap();
    tx.insert_api_key(&key).await.unwrap();
    tx.commit().await.unwrap();
    secret
}

/// Another organization, with its Owner's key.
async fn other_org_key(h: &Harness) -> String {
    h.server
        .app
        .create_org(afflux_app::NewOrg {
            name: "Elsewhere".into(),
            owner_email: "owner@elsewhere.test".into(),
            plan: None,
            status: None,
        })
        .await
        .unwrap()
        .api_key
}

async fn named_affiliate(h: &Harness, program: CampaignId, email: &str, name: &str) -> Affiliate {
    let invite = AffiliateInvite {
        program_id: program,
        email: email.into(),
        name: Some(name.into()),
    };
    h.server.app.invite_affiliate(&h.actor, invite).await.unwrap().0
}

/// A 20 % program paying at once (no hold, no minimum).
async fn program(h: &Harness) -> CampaignId {
    let program = h.program("pro", "20", false, AttributionModel::LastTouch).await;
    let reply = h
        .api(
            Method::PATCH,
            &format!("/api/v1/programs/{}", program.id),
            &h.key,
            Some(json!({ "rules": { "holdDays": 0 } })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    program.id
}

/// ECB rates of today (1 EUR = 1.25 USD) and of a few days before (1.10): a year's newest wins.
async fn load_rates(h: &Harness) {
    let today = OffsetDateTime::now_utc().date();
    let before = today - time::Duration::days(3);
    let csv = format!("Date,USD,JPY\n{today},1.25,160\n{before},1.10,150\n");
    h.server.app.import_fx_rates(&csv).await.unwrap();
}

/// Approves what is due, starts a Manual run and marks every item paid.
async fn pay_everything(h: &Harness) {
    assert!(h.server.app.approve_due_commissions().await.unwrap() > 0);
    let run = h.post("/api/v1/payouts/runs", json!({ "rail": "Manual" })).await;
    assert_eq!(run.status, StatusCode::CREATED, "{:?}", run.body);
    for item in run.body["items"].as_array().unwrap() {
        let id = item["id"].as_str().unwrap();
        let paid = h
            .post(
                &format!("/api/v1/payouts/items/{id}/mark-paid"),
                json!({ "reference": format!("bank-{id}") }),
            )
            .await;
        assert_eq!(paid.status, StatusCode::OK, "{:?}", paid.body);
    }
}

async fn sell(s2s: &S2s<'_>, body: Value) {
    let reply = s2s.send(&body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
}

fn usd_sale(id: &str, slug: &str, cents: i64) -> Value {
    json!({ "externalEventId": id, "type": "sale", "affiliateSlug": slug, "amountCents": cents, "currency": "USD" })
}

async fn set_status(h: &Harness, affiliate: &Affiliate, status: &str, key: &str) -> Reply {
    h.api(
        Method::PUT,
        &format!("/api/v1/affiliates/{}/tax-form", affiliate.id),
        key,
        Some(json!({ "status": status })),
    )
    .await
}

async fn upload(h: &Harness, affiliate: &str, key: &str, content_type: &str, file_name: &str, body: Vec<u8>) -> Reply {
    let request = h
        .client
        .put(h.url(&format!(
            "/api/v1/affiliates/{affiliate}/tax-form/document?fileName={file_name}"
        )))
        .bearer_auth(key)
        .header("content-type", content_type)
        .body(body);
    h.send(request).await
}

async fn download(h: &Harness, affiliate: &str, key: &str) -> reqwest::Response {
    h.client
        .get(h.url(&format!("/api/v1/affiliates/{affiliate}/tax-form/document")))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
}

fn year() -> i32 {
    OffsetDateTime::now_utc().year()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tax_form_status_round_trips_for_admins_and_stays_in_its_organization() {
    let h = Harness::start().await;
    let program = program(&h).await;
    let jane = h.affiliate(program, "jane@partners.test").await;
    let path = format!("/api/v1/affiliates/{}/tax-form", jane.id);

    let fresh = h.get(&path).await;
    assert_eq!(fresh.status, StatusCode::OK, "{:?}", fresh.body);
    assert_eq!(
        fresh.body,
        json!({ "affiliateId": jane.id, "status": "None", "document": null, "updatedAt": null })
    );

    let set = set_status(&h, &jane, "W9", &h.key).await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
    assert_eq!(set.body["status"], "W9");
    assert!(set.body["updatedAt"].is_string());
    assert_eq!(h.get(&path).await.body["status"], "W9");
    let changed = set_status(&h, &jane, "W8BENE", &h.key).await;
    assert_eq!(changed.body["status"], "W8BENE");
    let audit = h.audit("tax_form.status_set").await;
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[0].before, Some(json!({ "status": "W9" })));
    assert_eq!(audit[0].after, Some(json!({ "status": "W8BENE" })));

    // Only the four statuses, by name.
    for bad in [json!({ "status": "W-9" }), json!({ "status": 9 }), json!({})] {
        let reply = h.api(Method::PUT, &path, &h.key, Some(bad.clone())).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}: {:?}", reply.body);
        assert_eq!(reply.body["error"], "validation_failed");
    }
    let extra = h
        .api(
            Method::PUT,
            &path,
            &h.key,
            Some(json!({ "status": "W9", "ssn": "123" })),
        )
        .await;
    assert_eq!(extra.status, StatusCode::BAD_REQUEST);
    assert_eq!(h.get(&path).await.body["status"], "W8BENE", "nothing changed");

    // Admins and Owners set it; Managers and Viewers only read it.
    let admin = key_with_role(&h, h.org, Role::Admin).await;
    assert_eq!(set_status(&h, &jane, "W9", &admin).await.body["status"], "W9");
    for role in [Role::Manager, Role::Viewer] {
        let key = key_with_role(&h, h.org, role).await;
        let refused = set_status(&h, &jane, "None", &key).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{role}");
        let read = h.api(Method::GET, &path, &key, None).await;
        assert_eq!(read.status, StatusCode::OK, "{role}");
        assert_eq!(read.body["status"], "W9");
    }

    // Another organization's affiliate is not found, and a missing one neither.
    let theirs = other_org_key(&h).await;
    assert_eq!(
        h.api(Method::GET, &path, &theirs, None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        set_status(&h, &jane, "None", &theirs).await.status,
        StatusCode::NOT_FOUND
    );
    let missing = format!("/api/v1/affiliates/{}/tax-form", afflux_domain::AffiliateId::new());
    assert_eq!(h.get(&missing).await.status, StatusCode::NOT_FOUND);
    let put_missing = h
        .api(Method::PUT, &missing, &h.key, Some(json!({ "status": "W9" })))
        .await;
    assert_eq!(put_missing.status, StatusCode::NOT_FOUND);
    assert_eq!(h.get(&path).await.body["status"], "W9");

    // The endpoints are in the OpenAPI document, tagged "tax".
    let doc = h.send(h.client.get(h.url("/api/v1/openapi.json"))).await.body;
    for (path, methods) in [
        ("/api/v1/affiliates/{id}/tax-form", &["get", "put"][..]),
        ("/api/v1/affiliates/{id}/tax-form/document", &["get", "put"]),
        ("/api/v1/tax/report", &["get"]),
        ("/api/v1/tax/1099-nec.csv", &["get"]),
    ] {
        for method in methods {
            assert_eq!(doc["paths"][path][method]["tags"], json!(["tax"]), "{method} {path}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_are_checked_by_their_bytes_stored_encrypted_and_downloaded_only_by_admins() {
    let h = Harness::start().await;
    let program = program(&h).await;
    let jane = h.affiliate(program, "jane@partners.test").await;
    let id = jane.id.to_string();
    let mut pdf = b"%PDF-1.7\n1 0 obj << /TIN (123-45-6789) >> endobj\n".to_vec();
    pdf.extend((0..=255u8).cycle().take(5_000));

    assert_eq!(
        download(&h, &id, &h.key).await.status(),
        StatusCode::NOT_FOUND,
        "no document yet"
    );
    let stored = upload(&h, &id, &h.key, "application/pdf", "W-9 (Jane).pdf", pdf.clone()).await;
    assert_eq!(stored.status, StatusCode::OK, "{:?}", stored.body);
    assert_eq!(stored.body["status"], "None");
    let document = &stored.body["document"];
    assert_eq!(document["contentType"], "application/pdf");
    assert_eq!(document["fileName"], "W-9__Jane_.pdf");
    assert_eq!(document["size"], pdf.len());
    assert_eq!(
        h.get(&format!("/api/v1/affiliates/{id}/tax-form")).await.body["document"],
        *document
    );

    // Encrypted at rest: the stored bytes do not contain the document.
    let mut tx = h.server.app.store().read().await.unwrap();
    let sealed = tx.get_tax_document(h.org, jane.id).await.unwrap().unwrap().sealed;
    drop(tx);
    assert!(sealed.len() > pdf.len());
    assert!(!sealed.windows(11).any(|w| w == b"123-45-6789"), "stored in the clear");
    assert!(!sealed.windows(5).any(|w| w == b"%PDF-"));

    // HTML sent as a PDF, a PDF sent as a PNG, anything but PDF, PNG or JPEG: refused.
    let html = b"<html><body><script>alert(document.cookie)</script>%PDF-1.7</body></html>".to_vec();
    for (content_type, body) in [
        ("application/pdf", html.clone()),
        ("text/html", html),
        ("image/png", pdf.clone()),
        ("image/gif", b"GIF89a\x01\x00".to_vec()),
    ] {
        let refused = upload(&h, &id, &h.key, content_type, "x.pdf", body).await;
        assert_eq!(refused.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type}");
        assert_eq!(refused.body["error"], "unsupported_document_type");
        assert_eq!(refused.body["field"], "document");
    }
    let empty = upload(&h, &id, &h.key, "application/pdf", "x.pdf", vec![]).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);

    // At most 10 MB.
    let mut too_large = b"%PDF-1.7\n".to_vec();
    too_large.resize(MAX_TAX_DOCUMENT_BYTES + 1, b' ');
    let refused = upload(&h, &id, &h.key, "application/pdf", "big.pdf", too_large.clone()).await;
    assert_eq!(refused.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(refused.body["error"], "payload_too_large");
    too_large.truncate(MAX_TAX_DOCUMENT_BYTES);
    let largest = upload(&h, &id, &h.key, "application/octet-stream", "big.pdf", too_large).await;
    assert_eq!(largest.status, StatusCode::OK, "10 MB is allowed: {:?}", largest.body);

    // A PNG replaces it; the status stays.
    set_status(&h, &jane, "W9", &h.key).await;
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend([7u8; 64]);
    let replaced = upload(&h, &id, &h.key, "image/png", "../../scan.png", png.clone()).await;
    assert_eq!(replaced.status, StatusCode::OK, "{:?}", replaced.body);
    assert_eq!(replaced.body["status"], "W9");
    assert_eq!(replaced.body["document"]["fileName"], "scan.png");
    assert_eq!(h.audit("tax_form.document_uploaded").await.len(), 3);

    // Downloaded by an Owner or Admin as an attachment, never sniffed into a page.
    let admin = key_with_role(&h, h.org, Role::Admin).await;
    for key in [&h.key, &admin] {
        let got = download(&h, &id, key).await;
        assert_eq!(got.status(), StatusCode::OK);
        let headers = got.headers().clone();
        assert_eq!(headers["content-type"], "image/png");
        assert_eq!(headers["content-disposition"], "attachment; filename=\"scan.png\"");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert!(headers["cache-control"].to_str().unwrap().contains("no-store"));
        assert_eq!(got.bytes().await.unwrap().as_ref(), png.as_slice());
    }
    assert_eq!(h.audit("tax_form.document_downloaded").await.len(), 2);

    // Not by a Manager or a Viewer, who cannot upload either.
    for role in [Role::Manager, Role::Viewer] {
        let key = key_with_role(&h, h.org, role).await;
        let got = download(&h, &id, &key).await;
        assert_eq!(got.status(), StatusCode::FORBIDDEN, "{role}");
        let refused = upload(&h, &id, &key, "application/pdf", "x.pdf", pdf.clone()).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{role}");
    }
    // Nor by another organization: not found.
    let theirs = other_org_key(&h).await;
    assert_eq!(download(&h, &id, &theirs).await.status(), StatusCode::NOT_FOUND);
    let refused = upload(&h, &id, &theirs, "application/pdf", "x.pdf", pdf).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    let got = download(&h, &id, &h.key).await;
    assert_eq!(got.bytes().await.unwrap().as_ref(), png.as_slice(), "unchanged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_yearly_report_converts_payouts_to_usd_and_the_1099_nec_csv_lists_us_recipients() {
    let h = Harness::start().await;
    let program = program(&h).await;
    load_rates(&h).await;
    let s2s = S2s::new(&h).await;
    let jane = named_affiliate(&h, program, "jane@partners.test", "=HYPERLINK(\"http://evil.test\")").await;
    let joe = named_affiliate(&h, program, "joe@partners.test", "-Joe, Jr.").await;
    let ann = named_affiliate(&h, program, "ann@partners.test", "Ann Abroad").await;
    let bob = named_affiliate(&h, program, "bob@partners.test", "Bob").await;
    // 20 % commissions: Jane EUR 600.00, Joe EUR 300.00 and USD 250.00, Ann EUR 600.00, Bob EUR 400.00.
    sell(&s2s, sale("j-1", jane.slug.as_str(), 300_000)).await;
    sell(&s2s, sale("o-1", joe.slug.as_str(), 150_000)).await;
    sell(&s2s, usd_sale("o-2", joe.slug.as_str(), 125_000)).await;
    sell(&s2s, sale("a-1", ann.slug.as_str(), 300_000)).await;
    sell(&s2s, sale("b-1", bob.slug.as_str(), 200_000)).await;
    pay_everything(&h).await;
    set_status(&h, &joe, "W9", &h.key).await;
    set_status(&h, &ann, "W8BEN", &h.key).await;

    let y = year();
    let report = h.get(&format!("/api/v1/tax/report?year={y}")).await;
    assert_eq!(report.status, StatusCode::OK, "{:?}", report.body);
    assert_eq!(report.body["year"], y);
    assert_eq!(report.body["ratesOn"], format!("{y}-12-31"));
    assert_eq!(report.body["reportingThreshold"]["value"], "600.00");
    assert_eq!(report.body["reminderThreshold"]["value"], "400.00");
    let rows = report.body["affiliates"].as_array().unwrap();
    let summary: Vec<(&str, &str, &str, bool, bool)> = rows
        .iter()
        .map(|r| {
            (
                r["email"].as_str().unwrap(),
                r["status"].as_str().unwrap(),
                r["totalUsd"]["value"].as_str().unwrap(),
                r["reportable"].as_bool().unwrap(),
                r["files1099Nec"].as_bool().unwrap(),
            )
        })
        .collect();
    // EUR at the year's newest rate (1.25), highest total first, ties by email.
    assert_eq!(
        summary,
        [
            ("ann@partners.test", "W8BEN", "750.00", true, false),
            ("jane@partners.test", "None", "750.00", true, true),
            ("joe@partners.test", "W9", "625.00", true, true),
            ("bob@partners.test", "None", "500.00", false, false),
        ]
    );
    let joe_row = rows.iter().find(|r| r["email"] == "joe@partners.test").unwrap();
    assert_eq!(joe_row["affiliateId"], json!(joe.id));
    assert_eq!(joe_row["name"], "-Joe, Jr.");
    assert_eq!(
        joe_row["paid"],
        json!([
            { "minor": 30_000, "value": "300.00", "currency": "EUR" },
            { "minor": 25_000, "value": "250.00", "currency": "USD" },
        ])
    );
    // A Viewer reads the report; another organization has nothing in it.
    let viewer = key_with_role(&h, h.org, Role::Viewer).await;
    let seen = h.api(Method::GET, "/api/v1/tax/report", &viewer, None).await;
    assert_eq!(seen.status, StatusCode::OK, "the current year by default");
    assert_eq!(seen.body["affiliates"].as_array().unwrap().len(), 4);
    let theirs = other_org_key(&h).await;
    let elsewhere = h
        .api(Method::GET, &format!("/api/v1/tax/report?year={y}"), &theirs, None)
        .await;
    assert_eq!(elsewhere.body["affiliates"], json!([]));
    let last_year = h.get(&format!("/api/v1/tax/report?year={}", y - 1)).await;
    assert_eq!(last_year.body["affiliates"], json!([]));
    for bad in ["1999".to_owned(), (y + 1).to_string(), "twenty".to_owned()] {
        let refused = h.get(&format!("/api/v1/tax/report?year={bad}")).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(refused.body["field"], "year");
    }

    // The 1099-NEC file: reportable affiliates who are not certified foreign, formulas defused.
    let csv = h
        .client
        .get(h.url(&format!("/api/v1/tax/1099-nec.csv?year={y}")))
        .bearer_auth(&h.key)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert_eq!(
        csv.headers()["content-disposition"],
        format!("attachment; filename=\"1099-nec-{y}.csv\"").as_str()
    );
    assert_eq!(
        csv.text().await.unwrap(),
        format!(
            "Recipient name,Email,Tax form status,Total paid (USD),Year\r\n\
             \"'=HYPERLINK(\"\"http://evil.test\"\")\",jane@partners.test,None,750.00,{y}\r\n\
             \"'-Joe, Jr.\",joe@partners.test,W9,625.00,{y}\r\n"
        )
    );
    let empty = h
        .api(
            Method::GET,
            &format!("/api/v1/tax/1099-nec.csv?year={y}"),
            &theirs,
            None,
        )
        .await;
    assert_eq!(
        empty.body,
        Value::String("Recipient name,Email,Tax form status,Total paid (USD),Year\r\n".into())
    );

    // A payout in a currency without a loaded rate cannot be converted: a clear refusal.
    sell(
        &s2s,
        json!({ "externalEventId": "b-2", "type": "sale", "affiliateSlug": bob.slug.as_str(), "amountCents": 10_000, "currency": "GBP" }),
    )
    .await;
    pay_everything(&h).await;
    let missing = h.get(&format!("/api/v1/tax/report?year={y}")).await;
    assert_eq!(missing.status, StatusCode::CONFLICT, "{:?}", missing.body);
    assert_eq!(missing.body["error"], "fx_rate_missing");
    assert!(missing.body["message"].as_str().unwrap().contains("GBP"));
    let csv = h.get(&format!("/api/v1/tax/1099-nec.csv?year={y}")).await;
    assert_eq!(csv.body["error"], "fx_rate_missing");
}

/// The tax reminders written to the mail directory so far.
fn reminders(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return vec![];
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .map(|raw| raw.replace("=\r\n", "").replace("=\n", ""))
        .filter(|m| m.contains("Subject: Your tax form for Brightwave"))
        .collect()
}

fn to(mail: &str) -> String {
    mail.lines()
        .find(|l| l.to_ascii_lowercase().starts_with("to:"))
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_is_emailed_once_when_an_affiliate_without_a_form_is_paid_usd_400() {
    let mail = tempfile::tempdir().unwrap();
    let mail_dir = mail.path().to_owned();
    let h = Harness::start_with(|s| s.mail_dir = mail_dir.display().to_string()).await;
    let program = program(&h).await;
    load_rates(&h).await;
    let s2s = S2s::new(&h).await;
    let jane = named_affiliate(&h, program, "jane@partners.test", "Jane").await;
    let joe = named_affiliate(&h, program, "joe@partners.test", "Joe").await;
    let ann = named_affiliate(&h, program, "ann@partners.test", "Ann").await;
    set_status(&h, &joe, "W9", &h.key).await;
    let deliver = async || {
        while h.server.app.run_due_jobs(50).await.unwrap() > 0 {}
    };

    // EUR 200.00 is USD 250.00: under the line.
    sell(&s2s, sale("j-1", jane.slug.as_str(), 100_000)).await;
    pay_everything(&h).await;
    deliver().await;
    assert_eq!(reminders(&mail_dir).len(), 0);

    // EUR 150.00 more makes USD 437.50: the reminder goes, once. Joe has a W-9: none for him.
    sell(&s2s, sale("j-2", jane.slug.as_str(), 75_000)).await;
    sell(&s2s, sale("o-1", joe.slug.as_str(), 500_000)).await;
    pay_everything(&h).await;
    deliver().await;
    let sent = reminders(&mail_dir);
    assert_eq!(sent.len(), 1, "{sent:#?}");
    let mail_text = &sent[0];
    assert!(to(mail_text).contains("jane@partners.test"), "{mail_text}");
    assert!(mail_text.contains(&format!("in {}", year())), "{mail_text}");
    assert!(mail_text.contains("W-9") && mail_text.contains("W-8BEN"), "{mail_text}");
    assert!(mail_text.contains("List-Unsubscribe: <"), "{mail_text}");
    assert!(mail_text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));

    // More payouts in the year: no second reminder.
    sell(&s2s, sale("j-3", jane.slug.as_str(), 100_000)).await;
    pay_everything(&h).await;
    deliver().await;
    assert_eq!(reminders(&mail_dir).len(), 1);

    // Exactly USD 400.00 reaches the line.
    sell(&s2s, usd_sale("a-1", ann.slug.as_str(), 200_000)).await;
    pay_everything(&h).await;
    deliver().await;
    let sent = reminders(&mail_dir);
    assert_eq!(sent.len(), 2);
    assert!(sent.iter().any(|m| to(m).contains("ann@partners.test")));
    assert!(!sent.iter().any(|m| to(m).contains("joe@partners.test")));
}
