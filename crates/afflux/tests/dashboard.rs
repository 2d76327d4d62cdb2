//! The dashboard as a browser without JavaScript sees it, over plain HTTP: the CSRF fence, the
//! session cookie, form errors next to their fields, invitations, decisions without htmx,
//! friendly 404s. The full click-through in Chromium is `tests/browser.rs`.

use std::time::Duration;

use afflux::{Server, Settings};
use afflux_app::{Actor, NewOrg};
use afflux_domain::Role;
use reqwest::Response;
use tempfile::TempDir;

const OWNER_EMAIL: &str = "owner@example.com";
const OWNER_PASSWORD: &str = "correct horse battery staple";

struct Web {
    server: Server,
    client: reqwest::Client,
    dir: TempDir,
}

impl Web {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings {
            database_url: format!("sqlite://{}", dir.path().join("afflux.db").display()),
            bind: "127.0.0.1:0".into(),
            mail_dir: dir.path().join("mail").display().to_string(),
            ..Settings::default()
        };
        let server = Server::start(&settings, true).await.expect("server starts");
        // Redirects are what these tests look at, so they are never followed.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Web { server, client, dir }
    }

    async fn get(&self, path: &str, cookie: &str) -> Response {
        self.client
            .get(format!("{}{path}", self.server.url()))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap()
    }

    /// A form post from one of our own pages (same Origin), as a browser sends it.
    async fn post(&self, path: &str, form: &[(&str, &str)], cookie: &str) -> Response {
        let url = self.server.url();
        let request = self
            .client
            .post(format!("{url}{path}"))
            .header("origin", &url)
            .header("cookie", cookie);
        request.form(form).send().await.unwrap()
    }

    async fn setup(&self, token: &str, password: &str) -> Response {
        let form = [
            ("token", token),
            ("orgName", "Acme"),
            ("name", ""),
            ("email", OWNER_EMAIL),
            ("password", password),
        ];
        self.post("/setup", &form, "").await
    }

    /// Sets the instance up; answers the owner's `Cookie` header value.
    async fn owner(&self) -> String {
        let token = self.server.app.setup_token().await.unwrap().unwrap();
        session_cookie(&self.setup(&token, OWNER_PASSWORD).await)
    }

    async fn org_of(&self, cookie: &str) -> Actor {
        let user = self
            .server
            .app
            .session(cookie.trim_start_matches("afflux_session="))
            .await
            .unwrap();
        Actor::operator(user.expect("a live session").org.id)
    }

    /// Waits for the worker to write an email to `to` mentioning `phrase`; answers it with
    /// quoted-printable soft line breaks undone.
    async fn mail(&self, to: &str, phrase: &str) -> String {
        let header = format!("To: {to}");
        for _ in 0..100 {
            for entry in std::fs::read_dir(self.dir.path().join("mail"))
                .into_iter()
                .flatten()
                .flatten()
            {
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                let text = text.replace("=\r\n", "").replace("=\n", "");
                if text.lines().any(|l| l.trim_end() == header) && text.contains(phrase) {
                    return text;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no email to {to} mentioning {phrase:?}");
    }

    async fn stop(self) {
        self.server.stop().await;
    }
}

fn location(r: &Response) -> Option<String> {
    r.headers().get("location").map(|v| v.to_str().unwrap().to_owned())
}

/// `afflux_session=…` from a response's `Set-Cookie`, ready to send back.
fn session_cookie(r: &Response) -> String {
    let set = r.headers().get("set-cookie").expect("a Set-Cookie").to_str().unwrap();
    set.split(';').next().unwrap().to_owned()
}

fn invite_link(mail: &str) -> String {
    let start = mail.find("/invites/").expect("an invitation link");
    mail[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "/-_".contains(*c))
        .collect()
}

/// Posts from another origin, or with no origin at all, are refused before any handler runs.
#[tokio::test]
async fn posts_need_the_same_origin() {
    let web = Web::start().await;
    let (url, client) = (web.server.url(), &web.client);
    let login = format!("{url}/login");
    let form = [("email", "x@example.com"), ("password", "whatever-it-is")];

    let forged = client
        .post(&login)
        .header("origin", "https://evil.example")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(
        client.post(&login).form(&form).send().await.unwrap().status(),
        403,
        "no Origin, no Referer"
    );
    let by_referer = client
        .post(&login)
        .header("referer", format!("{url}/login"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_referer.status(),
        401,
        "a same-origin Referer passes and reaches the login"
    );
    let same = web.post("/login", &form, "").await;
    assert_eq!(same.status(), 401);
    assert!(same.text().await.unwrap().contains("Wrong email or password"));

    // The JSON API is not behind the fence: it authenticates with bearer keys, not cookies.
    let api = client
        .post(format!("{url}/api/v1/programs"))
        .header("origin", "https://evil.example")
        .send()
        .await;
    assert_eq!(api.unwrap().status(), 401);
    web.stop().await;
}

#[tokio::test]
async fn setup_sign_in_and_the_session_cookie() {
    let web = Web::start().await;
    assert_eq!(location(&web.get("/", "").await).as_deref(), Some("/setup"));
    let token = web.server.app.setup_token().await.unwrap().unwrap();

    let wrong = web.setup("not-the-token", OWNER_PASSWORD).await;
    assert_eq!(wrong.status(), 403);
    assert!(wrong.text().await.unwrap().contains("setup token is not valid"));
    let short = web.setup(&token, "short").await;
    assert_eq!(short.status(), 422);
    let body = short.text().await.unwrap();
    assert!(
        body.contains(r#"id="f-password-error">Must be 10 to 128 characters."#),
        "{body}"
    );
    assert!(body.contains(r#"value="Acme""#), "typed values come back");

    let done = web.setup(&token, OWNER_PASSWORD).await;
    assert_eq!(location(&done).as_deref(), Some("/dashboard"));
    let set = done.headers()["set-cookie"].to_str().unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Path=/"),
        "{set}"
    );
    assert!(!set.contains("Secure"), "no Secure flag on a plain-http instance");
    let cookie = session_cookie(&done);
    assert_eq!(location(&web.get("/setup", "").await).as_deref(), Some("/login"));
    assert_eq!(location(&web.get("/", "").await).as_deref(), Some("/dashboard"));
    assert_eq!(
        location(&web.get("/login", &cookie).await).as_deref(),
        Some("/dashboard")
    );
    assert!(
        web.get("/dashboard/campaigns", &cookie)
            .await
            .text()
            .await
            .unwrap()
            .contains("Acme")
    );

    // Anonymous visitors go to the sign-in page; htmx requests are told where to go instead.
    assert_eq!(
        location(&web.get("/dashboard/campaigns", "").await).as_deref(),
        Some("/login")
    );
    let hx = web
        .client
        .get(format!("{}/dashboard/affiliates", web.server.url()))
        .header("hx-request", "true");
    let hx = hx.send().await.unwrap();
    assert_eq!(
        (hx.status().as_u16(), hx.headers()["hx-redirect"].to_str().unwrap()),
        (401, "/login")
    );

    let signed_in = web
        .post("/login", &[("email", OWNER_EMAIL), ("password", OWNER_PASSWORD)], "")
        .await;
    assert_eq!(location(&signed_in).as_deref(), Some("/dashboard"));

    // Logging out ends the session on the server, not only in the browser.
    let out = web.post("/logout", &[], &cookie).await;
    assert!(out.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    assert_eq!(
        location(&web.get("/dashboard/campaigns", &cookie).await).as_deref(),
        Some("/login")
    );
    web.stop().await;
}

#[tokio::test]
async fn campaign_form_errors_and_decisions_without_htmx() {
    let web = Web::start().await;
    let cookie = web.owner().await;
    let mut form = vec![
        ("name", "Summer"),
        ("destinationUrl", "https://acme.example"),
        ("defaultCommissionType", "Fixed"),
        ("defaultCommissionValue", "ten"),
        ("cookieWindowDays", "30"),
    ];
    let invalid = web.post("/dashboard/campaigns/new", &form, &cookie).await;
    assert_eq!(invalid.status(), 422);
    let body = invalid.text().await.unwrap();
    assert!(
        body.contains(r#"id="f-defaultCommissionValue-error""#) && body.contains(r#"value="Summer""#),
        "{body}"
    );
    assert!(
        body.contains(r#"<option value="Fixed" selected>"#),
        "the chosen type stays chosen"
    );

    form[3].1 = "10";
    let created = web.post("/dashboard/campaigns/new", &form, &cookie).await;
    assert_eq!(location(&created).as_deref(), Some("/dashboard/campaigns"));
    assert!(
        web.get("/dashboard/campaigns", &cookie)
            .await
            .text()
            .await
            .unwrap()
            .contains("10.00 USD")
    );

    let org = web.org_of(&cookie).await.org_id;
    let apply = format!("{}/api/v1/public/{org}/programs/summer/apply", web.server.url());
    let applied = web
        .client
        .post(apply)
        .json(&serde_json::json!({ "email": "pat@example.org" }))
        .send()
        .await;
    let applied: serde_json::Value = applied.unwrap().json().await.unwrap();
    let id = applied["id"].as_str().unwrap();
    let program = applied["memberships"][0]["programId"].as_str().unwrap();

    // A plain post is redirected back to the tab it came from.
    let path = format!("/dashboard/affiliates/{id}/approve");
    let approved = web
        .post(&path, &[("programId", program), ("tab", "pending")], &cookie)
        .await;
    assert_eq!(
        location(&approved).as_deref(),
        Some("/dashboard/affiliates?tab=pending")
    );
    // The same decision again through htmx: the row comes back, the refusal written in it.
    let request = web
        .client
        .post(format!("{}{path}", web.server.url()))
        .header("origin", web.server.url());
    let again = request
        .header("cookie", &cookie)
        .header("hx-request", "true")
        .form(&[("programId", program)]);
    let again = again.send().await.unwrap();
    assert_eq!(again.status(), 200);
    let row = again.text().await.unwrap();
    assert!(row.trim_start().starts_with("<tr") && row.contains("Approved"), "{row}");
    assert!(row.contains("Cannot approve an affiliate who is Approved"), "{row}");
    web.stop().await;
}

#[tokio::test]
async fn invitations_by_password_and_when_signed_in() {
    let web = Web::start().await;
    let owner = web.owner().await;
    let acme = web.org_of(&owner).await;
    web.server
        .app
        .invite_member(&acme, "ines@example.com", Role::Admin)
        .await
        .unwrap();
    let link = invite_link(&web.mail("ines@example.com", "join Acme").await);

    let page = web.get(&link, "").await.text().await.unwrap();
    assert!(page.contains("Join Acme") && page.contains("Admin"), "{page}");
    assert!(page.contains(r#"value="ines@example.com" readonly"#), "{page}");
    let form = [
        ("how", "password"),
        ("name", "Ines"),
        ("password", "a long enough password"),
    ];
    let joined = web.post(&link, &form, "").await;
    assert_eq!(location(&joined).as_deref(), Some("/dashboard"));
    let ines = session_cookie(&joined);
    let used = web.get(&link, "").await;
    assert_eq!(used.status(), 404);
    assert!(used.text().await.unwrap().contains("no longer valid"));

    // Invited elsewhere with an account: the password form is refused, the signed-in Accept
    // works and moves the browser into the new organization.
    let new_org = NewOrg {
        name: "Beta".into(),
        owner_email: "bo@example.com".into(),
        plan: None,
        status: None,
    };
    let beta = web.server.app.create_org(new_org).await.unwrap();
    web.server
        .app
        .invite_member(&Actor::operator(beta.org.id), "ines@example.com", Role::Viewer)
        .await
        .unwrap();
    let link = invite_link(&web.mail("ines@example.com", "join Beta").await);
    let as_stranger = web
        .post(&link, &[("how", "password"), ("password", "another long password")], "")
        .await;
    assert_eq!(as_stranger.status(), 409);
    assert!(as_stranger.text().await.unwrap().contains("sign in to accept"));
    assert!(
        web.get(&link, &ines)
            .await
            .text()
            .await
            .unwrap()
            .contains(">Accept</button>")
    );
    let accepted = web.post(&link, &[("how", "signed-in")], &ines).await;
    assert_eq!(location(&accepted).as_deref(), Some("/dashboard"));
    let page = web
        .get("/dashboard/campaigns", &session_cookie(&accepted))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"<span class="org-name">Beta</span>"#), "{page}");
    assert!(
        !page.contains("New campaign"),
        "a Viewer is not offered campaign creation"
    );
    let old = web.get("/dashboard/campaigns", &ines).await;
    assert_eq!(location(&old).as_deref(), Some("/login"), "the replaced session ended");
    web.stop().await;
}

#[tokio::test]
async fn unknown_pages_and_static_assets() {
    let web = Web::start().await;
    let missing = web.get("/nowhere", "").await;
    assert_eq!(missing.status(), 404);
    assert!(
        missing.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let api_missing = web.get("/api/v1/nowhere", "").await;
    assert!(
        api_missing.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(web.get("/static/nothing.js", "").await.status(), 404);

    let css = web.get("/static/app.css", "").await;
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert_eq!(css.headers()["cache-control"], "public, max-age=3600");
    let js = web.get("/static/htmx.min.js", "").await;
    assert_eq!(js.headers()["content-type"], "text/javascript; charset=utf-8");
    assert!(js.text().await.unwrap().starts_with("var htmx"));

    // Pages link fingerprinted URLs, which may be cached for good.
    let login = web.get("/setup", "").await;
    assert!(
        login.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let page = login.text().await.unwrap();
    let start = page
        .find("/static/app.css?v=")
        .expect("a fingerprinted stylesheet link");
    let href: String = page[start..].chars().take_while(|c| *c != '"').collect();
    assert!(
        web.get(&href, "").await.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    web.stop().await;
}
