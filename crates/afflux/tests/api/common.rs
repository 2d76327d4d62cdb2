//! The harness: a fresh database, a real server on an ephemeral port (job worker on, mail to a
//! temporary directory), an organization with its API key, and helpers that speak HTTP.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use afflux::{Server, Settings};
use afflux_app::{Actor, ActorKind, NewOrg};
use afflux_domain::{ApiKeyId, ApiScope, Email, OrgId, PlanTier, Role, UserId};
use afflux_store::test_db::TestDb;
use afflux_store::{ApiKey, AuditEntry, Page, TeamMember, User};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// An organization as `create_org` made it.
#[derive(Debug, Clone)]
pub struct Org {
    pub id: OrgId,
    /// Its first API key: read_write, acting as Owner.
    pub key: String,
    pub owner_id: UserId,
    pub owner_setup_url: Option<String>,
}

/// A response: status, headers and the body as JSON (`Null` when empty, a string when not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

pub struct TestApp {
    pub server: Server,
    pub org: Org,
    pub client: reqwest::Client,
    pub mail_dir: tempfile::TempDir,
    /// Next loopback address for public requests (the public limiter counts per address).
    next_ip: AtomicU32,
    // Dropped last: the database outlives the server that uses it.
    _db: TestDb,
}

/// How to start a [`TestApp`].
pub struct Options {
    pub plan: Option<PlanTier>,
    pub api_requests_per_minute: u32,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            plan: None,
            api_requests_per_minute: 10_000,
        }
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(Options::default()).await
    }

    pub async fn spawn_with(options: Options) -> Self {
        let db = TestDb::new().await;
        let mail_dir = tempfile::tempdir().expect("mail dir");
        let settings = Settings {
            database_url: db.url().to_owned(),
            bind: "127.0.0.1:0".into(),
            mail_dir: mail_dir.path().to_str().expect("utf-8 temp path").to_owned(),
            api_requests_per_minute: options.api_requests_per_minute,
            ..Settings::default()
        };
        let server = Server::start(&settings, true).await.expect("server starts");
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        let mut app = TestApp {
            org: Org {
                id: OrgId::new(),
                key: String::new(),
                owner_id: UserId::new(),
                owner_setup_url: None,
            },
            server,
            client,
            mail_dir,
            next_ip: AtomicU32::new(0),
            _db: db,
        };
        app.org = app.new_org("Acme", "owner@acme.example", options.plan).await;
        app
    }

    /// Another organization, with its own Owner and key.
    pub async fn new_org(&self, name: &str, owner_email: &str, plan: Option<PlanTier>) -> Org {
        let created = self
            .server
            .app
            .create_org(NewOrg {
                name: name.into(),
                owner_email: owner_email.into(),
                plan,
                status: None,
            })
            .await
            .expect("create_org");
        Org {
            id: created.org.id,
            key: created.api_key,
            owner_id: created.owner_id,
            owner_setup_url: created.owner_setup_url,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    /// Sends a prepared request and reads the reply.
    pub async fn send(&self, request: RequestBuilder) -> Reply {
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("response body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Reply { status, headers, body }
    }

    pub fn request(&self, method: Method, path: &str, key: &str) -> RequestBuilder {
        let request = self.client.request(method, self.url(path));
        if key.is_empty() {
            request
        } else {
            request.header(AUTHORIZATION, format!("Bearer {key}"))
        }
    }

    pub async fn call(&self, method: Method, path: &str, key: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self.request(method, path, key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let reply = self.send(request).await;
        (reply.status, reply.body)
    }

    pub async fn get(&self, path: &str, key: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, key, None).await
    }

    pub async fn post(&self, path: &str, key: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, key, Some(body)).await
    }

    /// A POST without any body (no Content-Type either).
    pub async fn post_empty(&self, path: &str, key: &str) -> (StatusCode, Value) {
        self.call(Method::POST, path, key, None).await
    }

    pub async fn patch(&self, path: &str, key: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, key, Some(body)).await
    }

    pub async fn put(&self, path: &str, key: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, key, Some(body)).await
    }

    pub async fn delete(&self, path: &str, key: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, key, None).await
    }

    /// A POST with a raw body and content type.
    pub async fn post_raw(
        &self,
        path: &str,
        key: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> Reply {
        let mut request = self.request(Method::POST, path, key).body(body);
        if let Some(ct) = content_type {
            request = request.header(CONTENT_TYPE, ct);
        }
        self.send(request).await
    }

    /// A client whose connections come from a loopback address of its own: the public
    /// endpoints limit requests per client address.
    pub fn fresh_public_client(&self) -> reqwest::Client {
        let n = self.next_ip.fetch_add(1, Ordering::Relaxed);
        let ip = Ipv4Addr::new(127, 0, 1 + (n / 250) as u8, 2 + (n % 250) as u8);
        public_client(IpAddr::V4(ip))
    }

    /// `POST /api/v1/public/{org}/programs/{slug}/apply`, unauthenticated, from a fresh address.
    pub async fn apply(&self, org: OrgId, program_slug: &str, body: Value) -> (StatusCode, Value) {
        self.apply_with(&self.fresh_public_client(), org, program_slug, body)
            .await
    }

    pub async fn apply_with(
        &self,
        client: &reqwest::Client,
        org: OrgId,
        program_slug: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let reply = self
            .send(
                client
                    .post(self.url(&format!("/api/v1/public/{org}/programs/{program_slug}/apply")))
                    .json(&body),
            )
            .await;
        (reply.status, reply.body)
    }

    /// Creates a program and answers its JSON; panics unless 201.
    pub async fn create_program(&self, key: &str, body: Value) -> Value {
        let (status, program) = self.post("/api/v1/programs", key, body).await;
        assert_eq!(status, StatusCode::CREATED, "creating a program: {program}");
        program
    }

    /// Applies publicly and answers the affiliate JSON; panics unless 201.
    pub async fn applicant(&self, org: OrgId, program_slug: &str, email: &str) -> Value {
        let (status, affiliate) = self.apply(org, program_slug, json!({ "email": email })).await;
        assert_eq!(status, StatusCode::CREATED, "applying: {affiliate}");
        affiliate
    }

    /// The organization's audit log, newest first.
    pub async fn audit(&self, org: OrgId) -> Vec<AuditEntry> {
        let mut tx = self.server.app.store().read().await.expect("read tx");
        tx.list_audit(org, Page::ALL).await.expect("list_audit")
    }

    /// Adds a user to the organization's team directly in the store (no invitation).
    pub async fn add_member(&self, org: OrgId, email: &str, role: Role) -> UserId {
        let now = OffsetDateTime::now_utc();
        let user = User {
            id: UserId::new(),
            email: Email::parse(email).expect("email"),
            name: None,
            password_hash: None,
            created_at: now,
        };
        let mut tx = self.server.app.store().write().await.expect("write tx");
        tx.insert_user(&user).await.expect("insert_user");
        tx.insert_member(&TeamMember {
            org_id: org,
            user_id: user.id,
            role,
            created_at: now,
        })
        .await
        .expect("insert_member");
        tx.commit().await.expect("commit");
        user.id
    }

    /// An API key created through the app verb by a signed-in member with `role`.
    pub async fn member_key(&self, org: OrgId, user: UserId, role: Role, scope: ApiScope) -> String {
        let actor = Actor {
            org_id: org,
            role,
            kind: ActorKind::User(user),
        };
        let created = self
            .server
            .app
            .create_api_key(
                &actor,
                afflux_app::NewApiKey {
                    name: format!("{role} key"),
                    scope,
                },
            )
            .await
            .expect("create_api_key");
        created.secret
    }

    /// An API key row written straight to the store, acting with `role` (for roles that may not
    /// create keys themselves).
    pub async fn raw_key(&self, org: OrgId, role: Role, scope: ApiScope) -> String {
        let secret = format!("afx_live_test{}", uuid::Uuid::now_v7().simple());
        let key = ApiKey {
            id: ApiKeyId::new(),
            org_id: org,
            name: format!("{role} key"),
            scope,
            role,
            prefix: secret[..15].to_owned(),
            token_hash: sha256(&secret),
            created_by: None,
            created_at: OffsetDateTime::now_utc(),
            revoked_at: None,
        };
        let mut tx = self.server.app.store().write().await.expect("write tx");
        tx.insert_api_key(&key).await.expect("insert_api_key");
        tx.commit().await.expect("commit");
        secret
    }

    /// The emails written so far, as raw text with quoted-printable soft line breaks undone.
    pub fn emails(&self) -> Vec<String> {
        read_emails(self.mail_dir.path())
    }

    /// Waits (up to 20 s) for an email to `to` containing `needle`; answers its text.
    pub async fn wait_for_email(&self, to: &str, needle: &str) -> String {
        for _ in 0..200 {
            if let Some(mail) = self.emails().into_iter().find(|m| is_to(m, to) && m.contains(needle)) {
                return mail;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no email to {to} containing {needle:?}; have: {:#?}", self.emails());
    }

    /// Waits (up to 20 s) until no job is queued or running.
    pub async fn wait_for_jobs(&self) {
        for _ in 0..200 {
            let counts = self
                .server
                .app
                .store()
                .read()
                .await
                .expect("read tx")
                .job_counts()
                .await
                .expect("job_counts");
            if counts.queued == 0 && counts.running == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("jobs still pending after 20 s");
    }
}

pub fn public_client(local: IpAddr) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(local)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

pub fn sha256(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

pub fn read_emails(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .map(|raw| raw.replace("=\r\n", "").replace("=\n", ""))
        .collect()
}

pub fn is_to(mail: &str, address: &str) -> bool {
    mail.lines().any(|l| {
        l.to_ascii_lowercase().starts_with("to:") && l.to_ascii_lowercase().contains(&address.to_ascii_lowercase())
    })
}

/// The token of the first `/invites/{token}` link in `text`.
pub fn invite_token(text: &str) -> String {
    let start = text.find("/invites/").expect("an /invites/ link") + "/invites/".len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// A program body with the required fields.
pub fn program(name: &str, slug: &str) -> Value {
    json!({
        "name": name,
        "slug": slug,
        "destinationUrl": "https://acme.example/pricing",
        "defaultCommissionType": "Percentage",
        "defaultCommissionValue": 20,
    })
}

/// `base` with the fields of `extra` added or replaced.
pub fn with(mut base: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().expect("an object").clone() {
        base[k] = v;
    }
    base
}

/// The `id` of a JSON object, as a string.
pub fn id(value: &Value) -> String {
    value["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {value}"))
        .to_owned()
}

/// Asserts an error reply: status, `error` code and, when given, `field`.
#[track_caller]
pub fn assert_error(reply: &(StatusCode, Value), status: StatusCode, code: &str, field: Option<&str>) {
    let (got, body) = reply;
    assert_eq!(*got, status, "status of {body}");
    assert_eq!(body["error"], code, "error code of {body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "a message in {body}"
    );
    if let Some(field) = field {
        assert_eq!(body["field"], field, "field of {body}");
    }
}

/// The ids of a paginated list's `data`.
pub fn ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap_or_else(|| panic!("no data in {page}"))
        .iter()
        .map(id)
        .collect()
}
