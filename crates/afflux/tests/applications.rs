//! Applications over HTTP: the public application page and its form, the form builder, the
//! team's "new application" emails by preference, rejections with and without notice, and the
//! welcome sequence's follow-ups, with mail delivered through a real SMTP server (aiosmtpd).
//! Runs on SQLite, or PostgreSQL with `AFFLUX_TEST_DATABASE_URL`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use afflux::{Server, Settings};
use afflux_app::applications::follow_up_key;
use afflux_app::{Actor, CampaignPatch, Decimal, NewCampaign, NewOrg, StatusChange};
use afflux_domain::{
    AffiliateStatus, CampaignId, CommissionModel, CommissionType, Email, OrgId, Role, StatusAction, UserId,
};
use afflux_store::test_db::TestDb;
use afflux_store::{AffiliateFilter, Page, TeamMember, User};
use reqwest::{Response, StatusCode};
use time::OffsetDateTime;

/// A real SMTP server writing each received message into a Maildir.
struct SmtpSink {
    child: Child,
    port: u16,
    maildir: PathBuf,
}

impl SmtpSink {
    fn start(dir: &Path) -> SmtpSink {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let maildir = dir.join("maildir");
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 with aiosmtpd is needed: run scripts/test-deps.sh");
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        SmtpSink { child, port, maildir }
    }

    /// Every message so far, quoted-printable soft line breaks joined and `=3D` read as `=`.
    fn messages(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else {
            return vec![];
        };
        entries
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .map(|m| m.replace("=\r\n", "").replace("=\n", "").replace("=3D", "="))
            .collect()
    }

    fn to(&self, address: &str) -> Vec<String> {
        let header = format!("To: {address}");
        self.messages()
            .into_iter()
            .filter(|m| m.lines().any(|l| l.trim_end() == header))
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct T {
    server: Server,
    smtp: SmtpSink,
    client: reqwest::Client,
    org: OrgId,
    actor: Actor,
    owner_cookie: String,
    _db: TestDb,
    _dir: tempfile::TempDir,
}

const OWNER: &str = "owner@brand.test";

impl T {
    async fn start() -> T {
        let dir = tempfile::tempdir().unwrap();
        let smtp = SmtpSink::start(dir.path());
        let db = TestDb::new().await;
        let settings = Settings {
            database_url: db.url().to_owned(),
            bind: "127.0.0.1:0".into(),
            smtp_url: Some(format!("smtp://127.0.0.1:{}", smtp.port)),
            mail_dir: dir.path().join("files").display().to_string(),
            mail_from: "partners@brand.test".into(),
            ..Settings::default()
        };
        let server = Server::start(&settings, true).await.unwrap();
        let created = server
            .app
            .create_org(NewOrg {
                name: "Brightwave Courses".into(),
                owner_email: OWNER.into(),
                plan: Some(afflux_domain::PlanTier::Pro),
                status: None,
            })
            .await
            .unwrap();
        let token = server.app.session_for(created.owner_id, created.org.id).await.unwrap();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        T {
            actor: Actor::operator(created.org.id),
            org: created.org.id,
            owner_cookie: format!("afflux_session={token}"),
            server,
            smtp,
            client,
            _db: db,
            _dir: dir,
        }
    }

    async fn campaign(&self, slug: &str, tweak: impl FnOnce(&mut NewCampaign)) -> CampaignId {
        let mut input = NewCampaign {
            name: format!("Campaign {slug}"),
            slug: Some(slug.into()),
            destination_url: "https://brand.test/pricing".into(),
            default_commission_type: CommissionType::Percentage,
            default_commission_value: Decimal("30".into()),
            currency: None,
            default_commission_model: None,
            cookie_window_days: Some(45),
            attribution_model: None,
            auto_approve: None,
            description: Some("Courses for <b>designers</b>.".into()),
            terms_url: None,
            rules: None,
        };
        tweak(&mut input);
        self.server.app.create_campaign(&self.actor, input).await.unwrap().id
    }

    async fn get(&self, path: &str, cookie: &str) -> Response {
        let request = self.client.get(format!("{}{path}", self.server.url()));
        request.header("cookie", cookie).send().await.unwrap()
    }

    /// A form post from one of our own pages (same Origin), as a browser sends it.
    async fn post(&self, path: &str, form: &[(&str, &str)], cookie: &str) -> Response {
        let url = self.server.url();
        let request = self.client.post(format!("{url}{path}")).header("origin", &url);
        request.header("cookie", cookie).form(form).send().await.unwrap()
    }

    async fn apply(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
        let r = self.post(path, form, "").await;
        (r.status(), r.text().await.unwrap())
    }

    /// A team member with a session cookie.
    async fn member(&self, email: &str, role: Role) -> (UserId, String) {
        let user = User {
            id: UserId::new(),
            email: Email::parse(email).unwrap(),
            name: None,
            password_hash: None,
            created_at: OffsetDateTime::now_utc(),
        };
        let mut tx = self.server.app.store().write().await.unwrap();
        tx.insert_user(&user).await.unwrap();
        let member = TeamMember {
            org_id: self.org,
            user_id: user.id,
            role,
            created_at: OffsetDateTime::now_utc(),
        };
        tx.insert_member(&member).await.unwrap();
        tx.commit().await.unwrap();
        let token = self.server.app.session_for(user.id, self.org).await.unwrap();
        (user.id, format!("afflux_session={token}"))
    }

    async fn affiliates(&self) -> Vec<afflux_store::AffiliateRow> {
        let filter = AffiliateFilter::default();
        self.server
            .app
            .list_affiliates(&self.actor, filter, Page::ALL)
            .await
            .unwrap()
    }

    async fn wait_for_mail(&self, to: &str, phrase: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(m) = self.smtp.to(to).into_iter().find(|m| m.contains(phrase)) {
                return m;
            }
            assert!(Instant::now() < deadline, "no email to {to} mentioning {phrase:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the worker has run every job but the `future` ones still waiting their day.
    async fn drain(&self, future: i64) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let counts = self.server.app.job_counts().await.unwrap();
            assert_eq!(counts.dead, 0, "no job failed");
            if counts.queued == future && counts.running == 0 {
                return;
            }
            assert!(Instant::now() < deadline, "jobs still due: {counts:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn field_error(page: &str, key: &str) -> Option<String> {
    let marker = format!("id=\"f-{key}-error\">");
    let start = page.find(&marker)? + marker.len();
    Some(page[start..start + page[start..].find('<')?].to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_page_shows_the_campaign_and_hides_closed_ones() {
    let t = T::start().await;
    t.campaign("courses", |_| {}).await;
    t.campaign("flat", |c| {
        c.default_commission_type = CommissionType::Fixed;
        c.default_commission_value = Decimal("10".into());
        c.attribution_model = Some(afflux_domain::AttributionModel::FirstTouch);
    })
    .await;
    let cpc = t
        .campaign("clicks", |c| c.default_commission_model = Some(CommissionModel::Cpc))
        .await;
    let old = t.campaign("old", |_| {}).await;
    let archive = CampaignPatch {
        archived: Some(true),
        ..Default::default()
    };
    t.server.app.update_campaign(&t.actor, old, archive).await.unwrap();
    let handle = t.server.app.public_profile(&t.actor).await.unwrap().handle;
    assert_eq!(handle, "brightwave-courses");

    let r = t.get(&format!("/p/{handle}/courses"), "").await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let page = r.text().await.unwrap();
    for fact in [
        "Brightwave Courses",
        "Campaign courses",
        "designers",
        "30% of each sale",
        "45 days",
        "Last touch",
        "--brand: #0e7c7b",
    ] {
        assert!(page.contains(fact), "{fact} missing from the page");
    }
    assert!(!page.contains("<b>designers"), "the description is escaped");
    // Labels tied to inputs; the honeypot is there, hidden.
    assert!(page.contains("<label for=\"f-email\">Email"));
    assert!(page.contains("id=\"f-email\" name=\"email\" type=\"email\""));
    assert!(page.contains("name=\"homepage-url\""));

    let flat = t.get(&format!("/p/{handle}/FLAT"), "").await.text().await.unwrap();
    assert!(
        flat.contains("$10.00 per sale") && flat.contains("First touch"),
        "{flat}"
    );
    // The organization id works as well as the handle; without a slug, the oldest campaign.
    let by_id = t.get(&format!("/p/{}", t.org), "").await;
    assert_eq!(by_id.status(), 200);
    assert!(by_id.text().await.unwrap().contains("Campaign courses"));

    // Invite-only, archived and unknown campaigns are not found.
    for path in [
        format!("/p/{handle}/clicks"),
        format!("/p/{handle}/old"),
        format!("/p/{handle}/nope"),
        "/p/nobody/courses".to_owned(),
    ] {
        let r = t.get(&path, "").await;
        assert_eq!(r.status(), 404, "{path}");
        assert!(r.text().await.unwrap().contains("does not take applications"));
    }
    let r = t
        .apply(&format!("/p/{handle}/clicks"), &[("email", "x@example.com")])
        .await;
    assert_eq!(r.0, StatusCode::NOT_FOUND);

    // The profile: a new handle, colour and primary campaign, from the dashboard.
    let flat_id = t.server.app.list_campaigns(&t.actor, false, Page::ALL).await.unwrap();
    let flat_id = flat_id.iter().find(|c| c.slug.key() == "flat").unwrap().id.to_string();
    let form = [
        ("handle", "Bright"),
        ("brandColor", "#FFCC00"),
        ("primaryCampaignId", flat_id.as_str()),
    ];
    let r = t.post("/dashboard/settings/profile", &form, &t.owner_cookie).await;
    assert_eq!(r.status(), 303);
    let page = t.get("/p/bright", "").await.text().await.unwrap();
    assert!(page.contains("Campaign flat") && page.contains("--brand: #ffcc00"));
    assert!(page.contains("color: #000000"), "dark text on a light brand colour");
    let cpc_id = cpc.to_string();
    let form = [
        ("handle", "bright"),
        ("brandColor", "#ffcc00"),
        ("primaryCampaignId", cpc_id.as_str()),
    ];
    let r = t.post("/dashboard/settings/profile", &form, &t.owner_cookie).await;
    assert_eq!(r.status(), 409);
    let form = [("handle", "a"), ("brandColor", "#ffcc00"), ("primaryCampaignId", "")];
    let r = t.post("/dashboard/settings/profile", &form, &t.owner_cookie).await;
    assert_eq!(r.status(), 422);
    assert!(field_error(&r.text().await.unwrap(), "handle").is_some());
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_form_builder_and_answers_validated_next_to_their_fields() {
    let t = T::start().await;
    let id = t.campaign("courses", |_| {}).await;
    let path = format!("/dashboard/campaigns/{id}/application-form");
    let cookie = t.owner_cookie.clone();
    let page = t.get(&path, &cookie).await.text().await.unwrap();
    for label in [
        "Email",
        "Full name",
        "Website or channel",
        "How will you promote us?",
        "Custom alias",
    ] {
        assert!(page.contains(label), "default field {label}");
    }

    // Add a required dropdown and a country; relabel and require the name; move and remove.
    let add = [
        ("op", "add"),
        ("label", "Platform"),
        ("fieldType", "Dropdown"),
        ("options", "Blog\nYouTube"),
        ("required", "on"),
    ];
    assert_eq!(t.post(&path, &add, &cookie).await.status(), 303);
    let add = [("op", "add"), ("label", "Country"), ("fieldType", "Country")];
    assert_eq!(t.post(&path, &add, &cookie).await.status(), 303);
    let relabel = [
        ("op", "update"),
        ("key", "name"),
        ("label", "Your name"),
        ("required", "on"),
    ];
    assert_eq!(t.post(&path, &relabel, &cookie).await.status(), 303);
    assert_eq!(
        t.post(&path, &[("op", "up"), ("key", "platform")], &cookie)
            .await
            .status(),
        303
    );
    assert_eq!(
        t.post(&path, &[("op", "remove"), ("key", "promotion")], &cookie)
            .await
            .status(),
        303
    );
    let (_, form) = t.server.app.application_form(&t.actor, id).await.unwrap();
    let keys: Vec<&str> = form.fields.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(keys, ["email", "name", "website", "platform", "alias", "country"]);
    assert_eq!(form.field("name").unwrap().label, "Your name");
    assert!(form.field("name").unwrap().required);

    // The definition itself is checked: a refused edit writes nothing.
    let r = t.post(&path, &[("op", "remove"), ("key", "email")], &cookie).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("cannot be removed or made optional"));
    let r = t
        .post(
            &path,
            &[("op", "update"), ("key", "email"), ("label", "Email")],
            &cookie,
        )
        .await;
    assert_eq!(r.status(), 422);
    let add = [
        ("op", "add"),
        ("label", "Size"),
        ("fieldType", "Radio"),
        ("options", ""),
    ];
    let r = t.post(&path, &add, &cookie).await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(
        field_error(&page, "options").unwrap().contains("at least one choice"),
        "{page}"
    );
    assert!(page.contains("value=\"Size\""), "what was typed is kept");
    assert_eq!(t.server.app.application_form(&t.actor, id).await.unwrap().1, form);

    // Invalid answers: each error next to its field, values kept, nothing stored.
    let handle = t.server.app.public_profile(&t.actor).await.unwrap().handle;
    let apply = format!("/p/{handle}/courses");
    let bad = [
        ("email", "not-an-email"),
        ("name", ""),
        ("website", "ftp://nope"),
        ("alias", "a"),
        ("platform", "TikTok"),
        ("country", "ZZ"),
    ];
    let (status, page) = t.apply(&apply, &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for key in ["email", "name", "website", "alias", "platform", "country"] {
        assert!(field_error(&page, key).is_some(), "an error next to {key}");
    }
    assert!(
        page.contains("aria-describedby=\"f-email-error\""),
        "errors are announced with their field"
    );
    assert!(page.contains("value=\"not-an-email\""), "values kept");
    assert!(page.contains("Please correct the 6 fields"));
    assert!(t.affiliates().await.is_empty(), "nothing stored");

    // Valid: Pending, with the answers and the alias as the slug.
    let good = [
        ("email", "jane@example.com"),
        ("name", "Jane Doe"),
        ("website", "https://jane.blog"),
        ("alias", "jane-designs"),
        ("platform", "YouTube"),
        ("country", "GB"),
        ("homepage-url", ""),
    ];
    let (status, page) = t.apply(&apply, &good).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Your application is in"));
    let rows = t.affiliates().await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].membership.status, AffiliateStatus::Pending);
    assert_eq!(rows[0].affiliate.slug.as_str(), "jane-designs");
    assert_eq!(rows[0].affiliate.name.as_deref(), Some("Jane Doe"));
    let answers_path = format!("/dashboard/affiliates/{}/application", rows[0].affiliate.id);
    let page = t.get(&answers_path, &cookie).await.text().await.unwrap();
    for shown in ["Platform", "YouTube", "Country", "GB", "https://jane.blog/"] {
        assert!(page.contains(shown), "{shown} on the affiliate's page");
    }

    // A taken alias is a field error; applying twice is one too.
    let again = [
        ("email", "joe@example.com"),
        ("name", "Joe"),
        ("alias", "JANE-designs"),
        ("platform", "Blog"),
    ];
    let (status, page) = t.apply(&apply, &again).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_error(&page, "alias").unwrap().contains("taken"));
    let twice = [("email", "Jane@Example.com"), ("name", "Jane"), ("platform", "Blog")];
    let (status, page) = t.apply(&apply, &twice).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_error(&page, "email").unwrap().contains("already applied"));
    assert_eq!(t.affiliates().await.len(), 1);

    // The JSON endpoint answers through the same form: the required platform is missing.
    let url = format!("{}/api/v1/public/{}/programs/courses/apply", t.server.url(), t.org);
    let body = serde_json::json!({ "email": "api@example.com", "name": "Api" });
    let r = t.client.post(&url).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let error: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        (error["error"].as_str(), error["field"].as_str()),
        (Some("required"), Some("platform"))
    );
    assert_eq!(t.affiliates().await.len(), 1, "nothing stored");
    t.post(&path, &[("op", "reset")], &cookie).await;
    let r = t.client.post(&url).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 201);

    // Another organization's campaign: not found, and unchanged.
    let other = t
        .server
        .app
        .create_org(NewOrg {
            name: "Globex".into(),
            owner_email: "boss@globex.test".into(),
            plan: Some(afflux_domain::PlanTier::Pro),
            status: None,
        })
        .await
        .unwrap();
    let theirs = Actor::operator(other.org.id);
    let input = NewCampaign {
        name: "Theirs".into(),
        slug: Some("theirs".into()),
        destination_url: "https://globex.test".into(),
        default_commission_type: CommissionType::Percentage,
        default_commission_value: Decimal("5".into()),
        currency: None,
        default_commission_model: None,
        cookie_window_days: None,
        attribution_model: None,
        auto_approve: None,
        description: None,
        terms_url: None,
        rules: None,
    };
    let their_id = t.server.app.create_campaign(&theirs, input).await.unwrap().id;
    let their_path = format!("/dashboard/campaigns/{their_id}/application-form");
    assert_eq!(t.get(&their_path, &cookie).await.status(), 404);
    let r = t
        .post(&their_path, &[("op", "remove"), ("key", "website")], &cookie)
        .await;
    assert_eq!(r.status(), 404);
    assert!(
        t.server
            .app
            .application_form(&theirs, their_id)
            .await
            .unwrap()
            .1
            .field("website")
            .is_some()
    );
    let r = t
        .get(&format!("/dashboard/campaigns/{their_id}/welcome"), &cookie)
        .await;
    assert_eq!(r.status(), 404);
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spam_is_kept_out_by_a_honeypot_and_a_rate_limit() {
    let t = T::start().await;
    t.campaign("courses", |_| {}).await;
    let apply = format!("/p/{}/courses", t.org);
    let bot = [("email", "bot@spam.test"), ("homepage-url", "http://spam.test")];
    let (status, page) = t.apply(&apply, &bot).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Thank you for applying"), "looks like success");
    assert!(t.affiliates().await.is_empty(), "but nothing is stored");
    // Ten a minute per address (the bot's one counted).
    for _ in 0..9 {
        let (status, _) = t.apply(&apply, &[("email", "nope")]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let r = t.post(&apply, &[("email", "late@example.com")], "").await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    assert!(t.affiliates().await.is_empty());
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_team_hears_of_applications_by_preference_and_auto_approval_welcomes() {
    let t = T::start().await;
    t.campaign("auto", |c| c.auto_approve = Some(true)).await;
    let (_, _admin) = t.member("admin@brand.test", Role::Admin).await;
    let (_, quiet_admin) = t.member("quiet@brand.test", Role::Admin).await;
    let (_, _manager) = t.member("manager@brand.test", Role::Manager).await;
    let (_, keen_manager) = t.member("keen@brand.test", Role::Manager).await;

    // Preferences, as each member sets them for themselves.
    let page = t
        .get("/dashboard/settings/notifications", &quiet_admin)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("New affiliate application") && page.contains("checked"));
    let r = t.post("/dashboard/settings/notifications", &[], &quiet_admin).await;
    assert_eq!(r.status(), 303);
    let r = t
        .post(
            "/dashboard/settings/notifications",
            &[("new_application", "on")],
            &keen_manager,
        )
        .await;
    assert_eq!(r.status(), 303);
    let page = t
        .get("/dashboard/settings/notifications", &quiet_admin)
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("checked"), "{page}");

    let apply = format!("/p/{}/auto", t.org);
    let (status, page) = t
        .apply(&apply, &[("email", "amy@example.com"), ("name", "Amy <script>")])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("You are approved"));
    let rows = t.affiliates().await;
    assert_eq!(rows[0].membership.status, AffiliateStatus::Approved);

    // The welcome email at once, and the team members who want it.
    let welcome = t
        .wait_for_mail("amy@example.com", "Subject: You're approved for Campaign auto")
        .await;
    assert!(welcome.contains(&format!("https://brand.test/pricing?via={}", rows[0].affiliate.slug)));
    for to in [OWNER, "admin@brand.test", "keen@brand.test"] {
        let m = t
            .wait_for_mail(to, "Subject: New affiliate application for Campaign auto")
            .await;
        assert!(m.contains("amy@example.com"));
        assert!(m.contains("Amy &lt;script&gt;"), "names are escaped in HTML");
    }
    t.drain(0).await;
    assert!(t.smtp.to("quiet@brand.test").is_empty(), "opted out");
    assert!(
        t.smtp.to("manager@brand.test").is_empty(),
        "managers are off by default"
    );
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejections_email_only_when_notify_stays_checked_and_the_audit_keeps_the_choice() {
    let t = T::start().await;
    let campaign = t.campaign("courses", |_| {}).await;
    let apply = format!("/p/{}/courses", t.org);
    for email in ["told@example.com", "untold@example.com"] {
        let (status, _) = t.apply(&apply, &[("email", email)]).await;
        assert_eq!(status, StatusCode::OK);
    }
    let id_of = |rows: &[afflux_store::AffiliateRow], email: &str| {
        rows.iter()
            .find(|r| r.affiliate.email.as_str() == email)
            .unwrap()
            .affiliate
            .id
            .to_string()
    };
    let rows = t.affiliates().await;
    let program = campaign.to_string();
    let told = id_of(&rows, "told@example.com");
    let untold = id_of(&rows, "untold@example.com");
    let form = [
        ("programId", program.as_str()),
        ("reason", "Not a fit"),
        ("notify", "on"),
    ];
    let r = t
        .post(&format!("/dashboard/affiliates/{told}/reject"), &form, &t.owner_cookie)
        .await;
    assert_eq!(r.status(), 303);
    let form = [("programId", program.as_str()), ("reason", "Spam site")];
    let r = t
        .post(
            &format!("/dashboard/affiliates/{untold}/reject"),
            &form,
            &t.owner_cookie,
        )
        .await;
    assert_eq!(r.status(), 303);

    let m = t.wait_for_mail("told@example.com", "Reason: Not a fit").await;
    assert!(m.contains("Subject: Your application to Campaign courses"));
    t.drain(0).await;
    assert!(t.smtp.to("untold@example.com").is_empty(), "unchecked: no email");
    let audit = {
        let mut tx = t.server.app.store().read().await.unwrap();
        tx.list_audit(t.org, Page::ALL).await.unwrap()
    };
    let decisions: Vec<(bool, String)> = audit
        .iter()
        .filter(|e| e.action == "affiliate.rejected")
        .map(|e| {
            let after = e.after.as_ref().unwrap();
            (
                after["notify"].as_bool().unwrap(),
                after["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(decisions.len(), 2);
    assert!(decisions.contains(&(true, "Not a fit".into())));
    assert!(decisions.contains(&(false, "Spam site".into())));
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn welcome_follow_ups_go_out_after_their_delay_and_stop_when_paused() {
    let t = T::start().await;
    let campaign = t.campaign("courses", |_| {}).await;
    let path = format!("/dashboard/campaigns/{campaign}/welcome");
    let cookie = t.owner_cookie.clone();

    // The editor: the welcome email's own text, a follow-up 3 days later, bad input refused.
    let welcome = [
        ("op", "save"),
        ("step", "0"),
        ("subject", "Welcome aboard, {{affiliate.name}}"),
        (
            "body",
            "Hi {{affiliate.name}}, here is {{referral_link}} for {{campaign.name}} at {{org.name}}.",
        ),
    ];
    assert_eq!(t.post(&path, &welcome, &cookie).await.status(), 303);
    let follow = [
        ("op", "save"),
        ("step", "1"),
        ("delayDays", "3"),
        ("subject", "Tips for {{campaign.name}}"),
        ("body", "Your portal: {{portal_link}} ({{affiliate.email}})"),
    ];
    assert_eq!(t.post(&path, &follow, &cookie).await.status(), 303);
    let bad = [
        ("op", "save"),
        ("step", "2"),
        ("delayDays", "0"),
        ("subject", "x"),
        ("body", "{{coupon}}"),
    ];
    let r = t.post(&path, &bad, &cookie).await;
    assert_eq!(r.status(), 422);
    let bad = [
        ("op", "save"),
        ("step", "2"),
        ("delayDays", "5"),
        ("subject", "x"),
        ("body", "{{coupon}}"),
    ];
    let r = t.post(&path, &bad, &cookie).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("is not a merge field"));
    let (_, sequence) = t.server.app.welcome_sequence(&t.actor, campaign).await.unwrap();
    assert_eq!(sequence.steps.len(), 2);
    assert_eq!(sequence.steps[1].delay_days, 3);

    let apply = format!("/p/{}/courses", t.org);
    for (email, name) in [("kept@example.com", "Kim <b>"), ("paused@example.com", "Pat")] {
        let (status, _) = t.apply(&apply, &[("email", email), ("name", name)]).await;
        assert_eq!(status, StatusCode::OK);
    }
    let rows = t.affiliates().await;
    let row = |email: &str| {
        rows.iter()
            .find(|r| r.affiliate.email.as_str() == email)
            .unwrap()
            .clone()
    };
    let (kept, paused) = (row("kept@example.com"), row("paused@example.com"));
    let program = campaign.to_string();
    for r in [&kept, &paused] {
        let url = format!("/dashboard/affiliates/{}/approve", r.affiliate.id);
        let resp = t.post(&url, &[("programId", program.as_str())], &cookie).await;
        assert_eq!(resp.status(), 303);
    }

    // The welcome email is the brand's text, merge values escaped in HTML.
    let m = t
        .wait_for_mail("kept@example.com", "Subject: Welcome aboard, Kim <b>")
        .await;
    assert!(m.contains("Hi Kim &lt;b&gt;, here is"), "{m}");
    assert!(m.contains(&format!("https://brand.test/pricing?via={}", kept.affiliate.slug)));
    assert!(m.contains("at Brightwave Courses."));

    // The follow-ups wait their 3 days.
    let key = |r: &afflux_store::AffiliateRow| follow_up_key(r.affiliate.id, campaign, 1);
    let job = {
        let mut tx = t.server.app.store().read().await.unwrap();
        tx.get_job_by_dedupe_key(&key(&kept))
            .await
            .unwrap()
            .expect("a follow-up job")
    };
    let wait = job.run_at - OffsetDateTime::now_utc();
    assert!(wait > time::Duration::days(3) - time::Duration::minutes(5), "{wait}");

    // One affiliate is paused: their sequence stops.
    let pause = StatusChange {
        program_id: Some(campaign),
        ..Default::default()
    };
    t.server
        .app
        .change_affiliate_status(&t.actor, paused.affiliate.id, StatusAction::Pause, pause)
        .await
        .unwrap();

    // Three days pass for both jobs.
    let mut tx = t.server.app.store().write().await.unwrap();
    for r in [&kept, &paused] {
        assert!(tx.reschedule_job(&key(r), OffsetDateTime::now_utc()).await.unwrap());
    }
    tx.commit().await.unwrap();
    let m = t
        .wait_for_mail("kept@example.com", "Subject: Tips for Campaign courses")
        .await;
    assert!(m.contains(&format!("{}/a", t.server.url())), "the portal link");
    assert!(m.contains("(kept@example.com)"));
    t.drain(0).await;
    let to_paused = t.smtp.to("paused@example.com");
    assert_eq!(to_paused.len(), 1, "the welcome email only");
    assert!(!to_paused[0].contains("Tips for"));
    let mut tx = t.server.app.store().read().await.unwrap();
    assert!(
        tx.get_job_by_dedupe_key(&key(&paused)).await.unwrap().is_none(),
        "dropped, not retried"
    );
    drop(tx);
    t.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recruitment_link_credits_the_recruiter_of_a_two_tier_program() {
    let t = T::start().await;
    t.campaign("duo", |c| {
        c.auto_approve = Some(true);
        c.rules = Some(afflux_app::RulesInput {
            two_tier_percent: Some(10),
            ..afflux_app::RulesInput::default()
        });
    })
    .await;
    let apply = format!("/p/{}/duo", t.org);
    let (status, page) = t
        .apply(&apply, &[("email", "rita@example.com"), ("alias", "rita-recruits")])
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");

    // The recruitment link keeps the recruiter on the form it shows.
    let page = t
        .get(&format!("{apply}?recruiter=rita-recruits"), "")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("?recruiter=rita-recruits\""),
        "the form posts back with the recruiter: {page}"
    );
    let (status, page) = t
        .apply(
            &format!("{apply}?recruiter=rita-recruits"),
            &[("email", "sam@example.com")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let rows = t.affiliates().await;
    let rita = rows
        .iter()
        .find(|r| r.affiliate.email.as_str() == "rita@example.com")
        .unwrap();
    let sam = rows
        .iter()
        .find(|r| r.affiliate.email.as_str() == "sam@example.com")
        .unwrap();
    assert_eq!(sam.membership.recruited_by, Some(rita.affiliate.id));
    assert_eq!(rita.membership.recruited_by, None);
}
