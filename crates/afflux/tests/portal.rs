//! The affiliate portal over HTTP: passwordless sign-in by emailed link (requested, from the
//! approval email, expired, used, unknown; rate limited; no enumeration), every page with the
//! affiliate's own figures, settings (profile, the one slug change, tax form checks, emails),
//! and isolation: a portal session never reaches another affiliate's records.

mod support;

use std::path::{Path, PathBuf};

use afflux_app::Actor;
use afflux_domain::{AttributionModel, Role};
use afflux_store::PortalSignIn;
use reqwest::redirect::Policy;
use reqwest::{Method, StatusCode};
use serde_json::json;
use sha2::{Digest, Sha256};
use support::Harness;
use support::s2s::{S2s, sale};
use time::{Duration, OffsetDateTime};

/// A harness whose emails land as files in a folder the test reads.
struct Portal {
    h: Harness,
    mail: tempfile::TempDir,
    /// No redirects followed and no cookie jar: the test sees every Set-Cookie and Location.
    browser: reqwest::Client,
}

struct Page {
    status: StatusCode,
    location: Option<String>,
    set_cookie: Option<String>,
    body: String,
}

impl Portal {
    async fn start() -> Portal {
        let mail = tempfile::tempdir().unwrap();
        let dir = mail.path().display().to_string();
        let h = Harness::start_with(|s| s.mail_dir = dir).await;
        let browser = reqwest::Client::builder().redirect(Policy::none()).build().unwrap();
        Portal { h, mail, browser }
    }

    async fn request(&self, method: Method, path: &str, cookie: Option<&str>, form: Option<&[(&str, &str)]>) -> Page {
        let mut request = self
            .browser
            .request(method, self.h.url(path))
            .header("origin", self.h.server.url());
        if let Some(cookie) = cookie {
            request = request.header("cookie", format!("afflux_portal={cookie}"));
        }
        if let Some(form) = form {
            request = request.form(form);
        }
        page(request.send().await.unwrap()).await
    }

    async fn get(&self, path: &str, cookie: Option<&str>) -> Page {
        self.request(Method::GET, path, cookie, None).await
    }

    async fn post(&self, path: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Page {
        self.request(Method::POST, path, cookie, Some(form)).await
    }

    /// Delivers the queued emails (no worker runs in the harness).
    async fn deliver(&self) {
        self.h.server.app.run_due_jobs(100).await.unwrap();
    }

    fn mails_to(&self, to: &str) -> Vec<String> {
        mails_in(self.mail.path(), to)
    }

    /// The newest sign-in token emailed to `to`.
    async fn emailed_token(&self, to: &str) -> String {
        self.deliver().await;
        let mails = self.mails_to(to);
        let last = mails.last().unwrap_or_else(|| panic!("no email to {to}"));
        token_in(last).unwrap_or_else(|| panic!("no sign-in link in {last}"))
    }

    /// Signs `to` in through a requested link; answers the session cookie value.
    async fn sign_in(&self, to: &str) -> String {
        let sent = self.post("/a/sign-in", None, &[("email", to)]).await;
        assert_eq!(sent.status, StatusCode::OK);
        let token = self.emailed_token(to).await;
        let signed_in = self.post(&format!("/a/auth/{token}"), None, &[]).await;
        assert_eq!(signed_in.status, StatusCode::SEE_OTHER, "{}", signed_in.body);
        session_of(&signed_in)
    }

    async fn stored_link(&self, token: &str) -> Option<PortalSignIn> {
        let mut tx = self.h.server.app.store().read().await.unwrap();
        tx.get_portal_sign_in_by_hash(&Sha256::digest(token.as_bytes()))
            .await
            .unwrap()
    }
}

async fn page(response: reqwest::Response) -> Page {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (status, location, set_cookie) = (response.status(), header("location"), header("set-cookie"));
    Page {
        status,
        location,
        set_cookie,
        body: response.text().await.unwrap(),
    }
}

fn session_of(page: &Page) -> String {
    let cookie = page.set_cookie.as_deref().expect("a session cookie");
    let value = cookie.strip_prefix("afflux_portal=").expect("the portal cookie");
    value.split(';').next().unwrap().to_owned()
}

fn mails_in(dir: &Path, to: &str) -> Vec<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    let header = format!("To: {to}");
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap_or_default())
        .filter(|text| text.lines().any(|l| l.trim_end() == header))
        .map(|text| text.replace("=\r\n", "").replace("=\n", "").replace("=3D", "="))
        .collect()
}

fn token_in(mail: &str) -> Option<String> {
    let start = mail.find("/a/auth/")? + "/a/auth/".len();
    let token: String = mail[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (!token.is_empty()).then_some(token)
}

/// The text of the element with `id`, roughly: what follows its opening tag up to the next `<`.
fn text_of(body: &str, id: &str) -> String {
    let at = body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {body}"));
    let rest = &body[at..];
    let open = rest.find('>').unwrap() + 1;
    rest[open..].split('<').next().unwrap().trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_links_are_emailed_used_once_and_explain_themselves() {
    let p = Portal::start().await;
    let program = p.h.program("pro", "20", false, AttributionModel::LastTouch).await;
    let jane = p.h.affiliate(program.id, "jane@partners.test").await;

    // The approval email carries a 14-day single-use link straight into the portal.
    p.deliver().await;
    let approval = p.mails_to("jane@partners.test");
    assert_eq!(approval.len(), 1, "the approval email");
    assert!(approval[0].contains(&format!("https://brightwave.test/pricing?via={}", jane.slug)));
    let from_approval = token_in(&approval[0]).expect("a sign-in link in the approval email");
    let stored = p.stored_link(&from_approval).await.expect("stored as a hash");
    let ttl = stored.expires_at - stored.created_at;
    assert_eq!(ttl, Duration::days(14));
    assert_eq!(stored.email_key, "jane@partners.test");

    // The sign-in form: prefilled from ?email= (the "Claim your account" target).
    let form = p.get("/a/sign-in?email=jane%40partners.test", None).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("value=\"jane@partners.test\""), "{}", form.body);

    // Known and unknown addresses get the same answer; only the known one gets mail.
    let known = p.post("/a/sign-in", None, &[("email", "Jane@Partners.test")]).await;
    let unknown = p.post("/a/sign-in", None, &[("email", "nobody@partners.test")]).await;
    assert_eq!((known.status, unknown.status), (StatusCode::OK, StatusCode::OK));
    assert!(known.body.contains("Check your inbox"));
    assert_eq!(
        known
            .body
            .replace("Jane@Partners.test", "X")
            .replace("Jane%40Partners.test", "X"),
        unknown
            .body
            .replace("nobody@partners.test", "X")
            .replace("nobody%40partners.test", "X")
    );
    let bad = p.post("/a/sign-in", None, &[("email", "not-an-email")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("aria-invalid=\"true\""));
    p.deliver().await;
    assert!(p.mails_to("nobody@partners.test").is_empty());
    let requested = p.mails_to("jane@partners.test");
    assert_eq!(requested.len(), 2);
    assert!(requested[1].contains("Subject: Your sign-in link for Brightwave"));
    let token = token_in(&requested[1]).unwrap();
    let link = p.stored_link(&token).await.unwrap();
    assert_eq!(link.expires_at - link.created_at, Duration::minutes(15));

    // Opening the link uses nothing (mail scanners follow links); the button signs in.
    let opened = p.get(&format!("/a/auth/{token}"), None).await;
    assert_eq!(opened.status, StatusCode::OK);
    assert!(opened.body.contains("Continue to your portal"));
    assert!(p.stored_link(&token).await.unwrap().used_at.is_none());
    let signed_in = p.post(&format!("/a/auth/{token}"), None, &[]).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    assert_eq!(signed_in.location.as_deref(), Some("/a"));
    let cookie = signed_in.set_cookie.clone().unwrap();
    for part in ["Path=/a", "HttpOnly", "SameSite=Lax"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "http base URL: no Secure flag: {cookie}");
    let session = session_of(&signed_in);
    let home = p.get("/a", Some(&session)).await;
    assert_eq!(home.location, Some(format!("/a/{}", p.h.org)));
    assert_eq!(
        p.get(&format!("/a/{}", p.h.org), Some(&session)).await.status,
        StatusCode::OK
    );

    // A used link explains itself and offers a new one to the same address.
    for method in [Method::GET, Method::POST] {
        let reused = p.request(method, &format!("/a/auth/{token}"), None, Some(&[])).await;
        assert_eq!(reused.status, StatusCode::GONE);
        assert!(reused.body.contains("already used"), "{}", reused.body);
        assert!(reused.body.contains("value=\"jane@partners.test\""));
    }

    // An expired link says so.
    let expired_token = "expired-link-token-for-the-test";
    let mut tx = p.h.server.app.store().write().await.unwrap();
    let past = OffsetDateTime::now_utc() - Duration::hours(1);
    tx.insert_portal_sign_in(&PortalSignIn {
        id: uuid::Uuid::now_v7(),
        token_hash: Sha256::digest(expired_token.as_bytes()).to_vec(),
        email_key: "jane@partners.test".into(),
        created_at: past - Duration::minutes(15),
        expires_at: past,
        used_at: None,
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let expired = p.post(&format!("/a/auth/{expired_token}"), None, &[]).await;
    assert_eq!(expired.status, StatusCode::GONE);
    assert!(expired.body.contains("has expired"), "{}", expired.body);
    assert!(expired.body.contains("Email me a new link"));
    let unknown_link = p.get("/a/auth/not-a-real-token", None).await;
    assert_eq!(unknown_link.status, StatusCode::GONE);
    assert!(unknown_link.body.contains("does not work"));

    // The approval email's link signs in too, once.
    let from_email = p.post(&format!("/a/auth/{from_approval}"), None, &[]).await;
    assert_eq!(from_email.status, StatusCode::SEE_OTHER);

    // Signing out ends the session.
    let out = p.post("/a/sign-out", Some(&session), &[]).await;
    assert_eq!(out.location.as_deref(), Some("/a/sign-in"));
    assert!(out.set_cookie.unwrap().contains("Max-Age=0"));
    let after = p.get(&format!("/a/{}", p.h.org), Some(&session)).await;
    assert_eq!(after.location.as_deref(), Some("/a/sign-in"));
    assert!(after.body.is_empty());

    // A cross-site post is refused.
    let forged = p
        .browser
        .post(p.h.url("/a/sign-in"))
        .header("origin", "https://evil.test")
        .form(&[("email", "jane@partners.test")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_requests_are_limited_per_address_and_per_client() {
    let p = Portal::start().await;
    let program = p.h.program("pro", "20", false, AttributionModel::LastTouch).await;
    p.h.affiliate(program.id, "jane@partners.test").await;
    for _ in 0..7 {
        let sent = p.post("/a/sign-in", None, &[("email", "jane@partners.test")]).await;
        assert_eq!(sent.status, StatusCode::OK);
        assert!(sent.body.contains("Check your inbox"));
    }
    let mut tx = p.h.server.app.store().read().await.unwrap();
    let since = OffsetDateTime::now_utc() - Duration::hours(1);
    assert_eq!(
        tx.count_portal_sign_ins("jane@partners.test", since).await.unwrap(),
        5,
        "five links an hour per address; later requests send nothing"
    );
    drop(tx);
    // Ten requests a minute per client address, then 429.
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(p.post("/a/sign-in", None, &[("email", "x@partners.test")]).await.status);
    }
    assert_eq!(&statuses[..3], &[StatusCode::OK; 3]);
    assert_eq!(statuses[3], StatusCode::TOO_MANY_REQUESTS);
}

async fn set_rules(h: &Harness, program: afflux_domain::CampaignId, rules: serde_json::Value) {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_shows_the_affiliates_own_figures() {
    let p = Portal::start().await;
    let program = p.h.program("pro", "20", false, AttributionModel::LastTouch).await;
    set_rules(
        &p.h,
        program.id,
        json!({ "holdDays": 30, "minimumPayout": "10", "twoTierPercent": 10 }),
    )
    .await;
    let jane = p.h.affiliate(program.id, "jane@partners.test").await;
    let bob = p.h.affiliate(program.id, "bob@partners.test").await;
    p.h.click(&jane, program.id, Duration::minutes(5)).await;
    p.h.click(&jane, program.id, Duration::minutes(4)).await;
    p.h.click(&bob, program.id, Duration::minutes(3)).await;
    let s2s = S2s::new(&p.h).await;
    let sold = s2s.send(&sale("order-1", jane.slug.as_str(), 9900)).await;
    assert_eq!(sold.status, StatusCode::CREATED, "{:?}", sold.body);
    s2s.send(&sale("order-2", bob.slug.as_str(), 50000)).await;
    let session = p.sign_in("jane@partners.test").await;
    let org = p.h.org;

    // Home: 20 % of EUR 99.00, pending and inside its 30-day hold; 2 clicks; 1 conversion.
    let home = p.get(&format!("/a/{org}"), Some(&session)).await;
    assert_eq!(home.status, StatusCode::OK);
    assert_eq!(text_of(&home.body, "clicks"), "2");
    assert_eq!(text_of(&home.body, "conversions"), "1");
    for (class, amount) in [
        ("lifetime", "19.80 EUR"),
        ("pending", "19.80 EUR"),
        ("on-hold", "19.80 EUR"),
        ("approved", "0.00 EUR"),
        ("paid", "0.00 EUR"),
    ] {
        assert!(
            home.body.contains(&format!("class=\"{class}\">{amount}</dd>")),
            "{class} {amount}: {}",
            home.body
        );
    }
    // Next payment: once the hold ends (the minimum of 10 is met), at the brand's next run.
    let due = (OffsetDateTime::now_utc() + Duration::days(30)).date();
    assert!(home.body.contains("19.80 EUR</b>"), "{}", home.body);
    assert!(home.body.contains(&format!("datetime=\"{due}\"")), "{}", home.body);
    assert!(home.body.contains("<svg class=\"chart\""));
    assert!(home.body.contains("2 clicks and 1 conversions"));
    assert!(
        !home.body.contains("500.00 EUR") && !home.body.contains("100.00 EUR"),
        "bob's figures"
    );

    // Links: the referral link, the builder (only the brand's site), the recruitment link.
    let links = p.get(&format!("/a/{org}/links"), Some(&session)).await;
    assert_eq!(links.status, StatusCode::OK);
    let referral = format!("https://brightwave.test/pricing?via={}", jane.slug);
    assert!(links.body.contains(&format!("value=\"{referral}\"")), "{}", links.body);
    assert!(links.body.contains(&format!("/p/{org}/pro?recruiter={}", jane.slug)));
    let built = p
        .get(
            &format!(
                "/a/{org}/links?campaign={}&url=https%3A%2F%2Fwww.brightwave.test%2Fblog%3Fa%3D1",
                program.id
            ),
            Some(&session),
        )
        .await;
    assert!(
        built.body.contains(&format!(
            "value=\"https://www.brightwave.test/blog?a=1&#38;via={}\"",
            jane.slug
        )),
        "{}",
        built.body
    );
    let elsewhere = p
        .get(
            &format!("/a/{org}/links?campaign={}&url=https%3A%2F%2Fevil.test%2F", program.id),
            Some(&session),
        )
        .await;
    assert!(
        elsewhere.body.contains("must be a page of brightwave.test"),
        "{}",
        elsewhere.body
    );

    // Earnings: the sale and its commission; no payouts yet.
    let earnings = p.get(&format!("/a/{org}/earnings"), Some(&session)).await;
    assert_eq!(earnings.status, StatusCode::OK);
    assert!(earnings.body.contains("99.00 EUR") && earnings.body.contains("19.80 EUR"));
    assert!(earnings.body.contains("No payouts yet."));
    assert!(!earnings.body.contains("500.00 EUR"));

    let promo = p.get(&format!("/a/{org}/promo"), Some(&session)).await;
    assert_eq!(promo.status, StatusCode::OK);
    assert!(promo.body.contains("Program pro"));

    // The brand's preview shows the same figures, for Owners and Admins only.
    let owner = Actor::operator(org);
    let preview = p.h.server.app.portal_preview(&owner, jane.id).await.unwrap();
    assert_eq!((preview.clicks, preview.conversions), (2, 1));
    let viewer = Actor {
        role: Role::Viewer,
        ..owner.clone()
    };
    assert!(p.h.server.app.portal_preview(&viewer, jane.id).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_change_the_profile_the_slug_once_the_tax_form_and_emails() {
    let p = Portal::start().await;
    let program = p.h.program("pro", "20", false, AttributionModel::LastTouch).await;
    let jane = p.h.affiliate(program.id, "jane@partners.test").await;
    let bob = p.h.affiliate(program.id, "bob@partners.test").await;
    let session = p.sign_in("jane@partners.test").await;
    let org = p.h.org;
    let settings = format!("/a/{org}/settings");
    assert_eq!(p.get(&settings, Some(&session)).await.status, StatusCode::OK);

    // PayPal needs an address; the error sits next to its field and nothing is stored.
    let refused = p
        .post(
            &format!("{settings}/profile"),
            Some(&session),
            &[("name", "Jane Doe"), ("paypal_email", ""), ("payout_method", "PayPal")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("id=\"f-paypal-error\""), "{}", refused.body);
    let saved = p
        .post(
            &format!("{settings}/profile"),
            Some(&session),
            &[
                ("name", "Jane Doe"),
                ("paypal_email", "pay@jane.test"),
                ("payout_method", "PayPal"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let mut tx = p.h.server.app.store().read().await.unwrap();
    let stored = tx.get_affiliate(org, jane.id).await.unwrap().unwrap();
    assert_eq!(stored.name.as_deref(), Some("Jane Doe"));
    assert_eq!(stored.paypal_email.unwrap().as_str(), "pay@jane.test");
    drop(tx);

    // The slug changes once; then the control is gone and a post is refused.
    let taken = p
        .post(
            &format!("{settings}/slug"),
            Some(&session),
            &[("slug", bob.slug.as_str())],
        )
        .await;
    assert_eq!(taken.status, StatusCode::BAD_REQUEST);
    assert!(taken.body.contains("id=\"f-slug-error\"") && taken.body.contains("this slug is taken"));
    let changed = p
        .post(
            &format!("{settings}/slug"),
            Some(&session),
            &[("slug", "jane-recommends")],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    let after_change = p.get(&settings, Some(&session)).await;
    assert_eq!(text_of(&after_change.body, "current-slug"), "jane-recommends");
    assert!(after_change.body.contains("id=\"slug-used\"") && !after_change.body.contains("id=\"slug-form\""));
    let again = p
        .post(&format!("{settings}/slug"), Some(&session), &[("slug", "jane-again")])
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again.body.contains("changed once already"), "{}", again.body);
    let mut tx = p.h.server.app.store().read().await.unwrap();
    let stored = tx.get_affiliate(org, jane.id).await.unwrap().unwrap();
    assert_eq!(stored.slug.as_str(), "jane-recommends");
    drop(tx);

    // Tax form: type and size are checked before anything is stored.
    let upload = |bytes: Vec<u8>, content_type: &'static str, form: &'static str| {
        let boundary = "portal-test-boundary";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"form\"\r\n\r\n{form}\r\n--{boundary}\r\n\
             Content-Disposition: form-data; name=\"document\"; filename=\"form.pdf\"\r\nContent-Type: {content_type}\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(&bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        p.browser
            .post(p.h.url(&format!("{settings}/tax")))
            .header("origin", p.h.server.url())
            .header("cookie", format!("afflux_portal={session}"))
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(body)
    };
    let text = page(
        upload(b"just some text".to_vec(), "text/plain", "W9")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(text.status, StatusCode::BAD_REQUEST);
    assert!(text.body.contains("must be a PDF, PNG or JPEG"), "{}", text.body);
    let mut huge = b"%PDF-1.7\n".to_vec();
    huge.resize(11 * 1024 * 1024, b'a');
    let large = page(upload(huge, "application/pdf", "W9").send().await.unwrap()).await;
    assert_eq!(large.status, StatusCode::BAD_REQUEST);
    assert!(large.body.contains("at most 10 MB"), "{}", large.body);
    let no_form = page(
        upload(b"%PDF-1.7\n%%EOF".to_vec(), "application/pdf", "None")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(no_form.status, StatusCode::BAD_REQUEST);
    let mut tx = p.h.server.app.store().read().await.unwrap();
    assert!(
        tx.get_tax_form(org, jane.id).await.unwrap().is_none(),
        "nothing half-written"
    );
    drop(tx);
    let pdf = page(
        upload(b"%PDF-1.7\n1 0 obj\n%%EOF".to_vec(), "application/pdf", "W8BEN")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(pdf.status, StatusCode::SEE_OTHER, "{}", pdf.body);
    let page_after = p.get(&settings, Some(&session)).await;
    assert!(text_of(&page_after.body, "tax-status").starts_with("On file:"));
    assert!(page_after.body.contains("<b>W8BEN</b>"));
    assert_eq!(
        p.h.audit("tax_form.document_uploaded").await[0].actor,
        format!("affiliate:{}", jane.id)
    );

    // Emails: unsubscribe and back, on the suppression list.
    let off = p
        .post(&format!("{settings}/emails"), Some(&session), &[("emails", "off")])
        .await;
    assert_eq!(off.status, StatusCode::SEE_OTHER);
    let suppressed = |p: &Portal| {
        let app = p.h.server.app.clone();
        async move {
            app.store()
                .read()
                .await
                .unwrap()
                .is_suppressed("jane@partners.test")
                .await
                .unwrap()
        }
    };
    assert!(suppressed(&p).await);
    assert!(
        p.get(&settings, Some(&session))
            .await
            .body
            .contains("You are unsubscribed")
    );
    p.post(&format!("{settings}/emails"), Some(&session), &[("emails", "on")])
        .await;
    assert!(!suppressed(&p).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_portal_session_never_reaches_another_affiliates_records() {
    let p = Portal::start().await;
    let program = p.h.program("pro", "20", false, AttributionModel::LastTouch).await;
    let jane = p.h.affiliate(program.id, "jane@partners.test").await;
    // A second organization where only Bob is an affiliate.
    let other =
        p.h.server
            .app
            .create_org(afflux_app::NewOrg {
                name: "Globex".into(),
                owner_email: "owner@globex.test".into(),
                plan: None,
                status: None,
            })
            .await
            .unwrap();
    let globex = Actor::operator(other.org.id);
    let globex_program =
        p.h.server
            .app
            .create_campaign(
                &globex,
                afflux_app::NewCampaign {
                    name: "Globex shop".into(),
                    slug: Some("shop".into()),
                    destination_url: "https://globex.test/".into(),
                    default_commission_type: afflux_domain::CommissionType::Percentage,
                    default_commission_value: afflux_app::Decimal("10".into()),
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
    let invite = |email: &str| afflux_app::AffiliateInvite {
        program_id: globex_program.id,
        email: email.into(),
        name: None,
    };
    let (bob, _) =
        p.h.server
            .app
            .invite_affiliate(&globex, invite("bob@partners.test"))
            .await
            .unwrap();
    let session = p.sign_in("jane@partners.test").await;
    let theirs = other.org.id;

    for path in ["", "/links", "/promo", "/earnings", "/settings"] {
        let swapped = p.get(&format!("/a/{theirs}{path}"), Some(&session)).await;
        assert_eq!(swapped.status, StatusCode::NOT_FOUND, "/a/{{org}}{path}");
        assert!(!swapped.body.contains("bob@partners.test"));
    }
    for (path, form) in [
        ("/settings/slug", vec![("slug", "stolen")]),
        ("/settings/profile", vec![("name", "X"), ("payout_method", "Manual")]),
        ("/settings/emails", vec![("emails", "off")]),
    ] {
        let posted = p.post(&format!("/a/{theirs}{path}"), Some(&session), &form).await;
        assert_eq!(posted.status, StatusCode::NOT_FOUND, "{path}");
    }
    // Another organization's campaign in Jane's own link builder.
    let foreign = p
        .get(
            &format!(
                "/a/{}/links?campaign={}&url=https%3A%2F%2Fglobex.test%2F",
                p.h.org, globex_program.id
            ),
            Some(&session),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert_eq!(
        p.get("/a/not-an-id", Some(&session)).await.status,
        StatusCode::NOT_FOUND
    );
    let mut tx = p.h.server.app.store().read().await.unwrap();
    let untouched = tx.get_affiliate(theirs, bob.id).await.unwrap().unwrap();
    assert_eq!((untouched.slug, untouched.name), (bob.slug, bob.name));
    drop(tx);

    // The same address in both organizations: one account with a switcher.
    p.h.server
        .app
        .invite_affiliate(&globex, invite("jane@partners.test"))
        .await
        .unwrap();
    let home = p.get(&format!("/a/{}", p.h.org), Some(&session)).await;
    assert!(home.body.contains("Switch program"), "{}", home.body);
    assert!(home.body.contains(&format!("href=\"/a/{theirs}\"")));
    assert_eq!(
        p.get(&format!("/a/{theirs}"), Some(&session)).await.status,
        StatusCode::OK
    );
    // And the brand of one organization cannot preview another's affiliate.
    assert!(p.h.server.app.portal_preview(&globex, jane.id).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_imported_affiliate_claims_the_imported_record_with_its_link() {
    let p = Portal::start().await;
    let program = p.h.program("pro", "20", false, AttributionModel::LastTouch).await;
    let actor = Actor::operator(p.h.org);
    let input = afflux_app::imports::RosterInput {
        source: "api".into(),
        campaign: program.id.to_string(),
        ..afflux_app::imports::RosterInput::default()
    };
    let rows = vec![afflux_importers::CanonicalAffiliate {
        email: Some("Ann@Imported.test".into()),
        name: Some("Ann Imported".into()),
        slug: Some("ann-from-rewardful".into()),
        ..afflux_importers::CanonicalAffiliate::default()
    }];
    let done =
        p.h.server
            .app
            .import_affiliates_json(&actor, input, rows, None)
            .await
            .unwrap();
    assert_eq!(done.import.rows_imported, 1);

    // Signing in with the same address lands on the imported record: no new affiliate, the
    // referral link with the kept slug already there.
    let session = p.sign_in("ann@imported.test").await;
    let links = p.get(&format!("/a/{}/links", p.h.org), Some(&session)).await;
    assert_eq!(links.status, StatusCode::OK, "{}", links.body);
    assert!(links.body.contains("via=ann-from-rewardful"), "{}", links.body);
    let mut tx = p.h.server.app.store().read().await.unwrap();
    let found = tx
        .affiliates_by_email(p.h.org, &["ann@imported.test".to_owned()])
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "claimed, not duplicated");
}
