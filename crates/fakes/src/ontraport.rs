//! Fake of Ontraport's REST API v1 (integration reference §2): the two credential headers,
//! contacts saved or updated by email with the insert and update answer shapes, tags listed,
//! searched, created and attached, a rate-limit window announced in `X-Rate-Limit-*` headers on
//! every answer, and scripted failures.
//!
//! ```no_run
//! # async fn example() {
//! use afflux_fakes::ontraport::{Config, Failure, OntraportFake};
//! let (fake, running) = OntraportFake::start(Config::default()).await;
//! fake.fail_next("PUT /1/objects/tag", 1, Failure::Status(500));
//! // … point the connector at `running.base_url()` with `APP_ID` and `API_KEY` …
//! assert_eq!(fake.over_limit_count(), 0);
//! # }
//! ```

use std::collections::BTreeSet;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::script::{Script, not_json, scripted_status};
use crate::{Journal, Recorded, Running, Shared, serve};

/// The App ID the default configuration accepts (the docs' example).
pub const APP_ID: &str = "2_AppID_12345678";
/// The API Key the default configuration accepts.
pub const API_KEY: &str = "ontraport-test-key";

const ACCOUNT_ID: &str = "12345";
/// Ontraport's largest (and default) page.
const PAGE: usize = 50;
/// `date` and `dlm` of every record: Unix seconds, as strings.
const TIMESTAMP: &str = "1763700000";

/// How the fake is set up.
#[derive(Debug, Clone)]
pub struct Config {
    pub app_id: String,
    pub api_key: String,
    /// Requests allowed per window (Ontraport: 180 a minute).
    pub rate_limit: u32,
    pub rate_window: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            app_id: APP_ID.to_owned(),
            api_key: API_KEY.to_owned(),
            rate_limit: 180,
            rate_window: Duration::from_secs(60),
        }
    }
}

impl Config {
    /// The default credentials with a window of `limit` requests per `window`.
    pub fn rate_limited(limit: u32, window: Duration) -> Self {
        Self {
            rate_limit: limit,
            rate_window: window,
            ..Self::default()
        }
    }
}

/// What a scripted call answers instead of the real thing (after counting against the window
/// and checking the credentials).
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// This status with a short plain-text body.
    Status(u16),
    /// 429 with `X-Rate-Limit-Remaining: 0` and `X-Rate-Limit-Reset: <reset_secs>`.
    RateLimited { reset_secs: u64 },
    /// 200 with an HTML page, as a proxy in front of the API might answer.
    NotJson,
    /// Waits this long, then answers normally (the work is done even if the client gave up).
    Hang(Duration),
    /// 200 with this JSON body: an answer shape the fake would not give by itself.
    Json(Value),
}

/// A contact as the fake holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub id: String,
    pub email: String,
    pub firstname: String,
    pub lastname: String,
    /// Names of its tags, sorted.
    pub tags: Vec<String>,
}

/// A tag of the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub id: String,
    pub name: String,
}

/// A running fake: what it received and what it holds. Cheap to clone.
#[derive(Clone)]
pub struct OntraportFake {
    journal: Journal,
    state: Shared<Store>,
}

struct Store {
    config: Config,
    contacts: Vec<StoredContact>,
    tags: Vec<Tag>,
    last_id: u64,
    scripted: Script<Failure>,
    window: Window,
}

struct StoredContact {
    id: String,
    email: String,
    firstname: String,
    lastname: String,
    tag_ids: BTreeSet<String>,
}

impl OntraportFake {
    /// Serves a new fake on a free local port of the current Tokio runtime.
    pub async fn start(config: Config) -> (Self, Running) {
        let window = Window::new(config.rate_limit, config.rate_window);
        let fake = Self {
            journal: Journal::default(),
            state: Shared::new(Store {
                config,
                contacts: Vec::new(),
                tags: Vec::new(),
                last_id: 0,
                scripted: Script::default(),
                window,
            }),
        };
        let running = serve(Router::new().fallback(handle).with_state(fake.clone())).await;
        (fake, running)
    }

    /// Every request received, in order, failed ones included.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// The next `times` calls to `call` (`"METHOD /path"`, as in [`Recorded::line`]) answer
    /// `failure`. Scripts for the same call play in the order given.
    pub fn fail_next(&self, call: &str, times: usize, failure: Failure) {
        self.state.lock().scripted.push_times(call, times, failure);
    }

    /// Requests that arrived when the window's budget was spent (each answered 429).
    pub fn over_limit_count(&self) -> usize {
        self.state.lock().window.over_limit
    }

    /// Adds a tag, as if the brand had made it; answers its id.
    pub fn add_tag(&self, name: &str) -> String {
        self.state.lock().create_tag(name).id
    }

    /// Adds a contact, as if it existed before Afflux; answers its id.
    pub fn add_contact(&self, email: &str, firstname: &str, lastname: &str) -> String {
        let mut store = self.state.lock();
        let id = store.next_id();
        store.contacts.push(StoredContact {
            id: id.clone(),
            email: email.to_owned(),
            firstname: firstname.to_owned(),
            lastname: lastname.to_owned(),
            tag_ids: BTreeSet::new(),
        });
        id
    }

    pub fn tags(&self) -> Vec<Tag> {
        self.state.lock().tags.clone()
    }

    pub fn contacts(&self) -> Vec<Contact> {
        let store = self.state.lock();
        store.contacts.iter().map(|c| store.public(c)).collect()
    }

    /// The contact with this email, in any case.
    pub fn contact(&self, email: &str) -> Option<Contact> {
        let store = self.state.lock();
        store.find(email).map(|i| store.public(&store.contacts[i]))
    }
}

async fn handle(
    State(fake): State<OntraportFake>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = Recorded::new(&method, &uri, &headers, &body);
    fake.journal.push(request.clone());
    let (admission, failure) = {
        let mut store = fake.state.lock();
        let admission = store.window.admit(Instant::now());
        let authorized = request.header("api-appid") == Some(store.config.app_id.as_str())
            && request.header("api-key") == Some(store.config.api_key.as_str());
        let failure = match (admission.admitted, authorized) {
            (false, _) => Err(text(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded")),
            (true, false) => Err(text(
                StatusCode::UNAUTHORIZED,
                "Your App ID and API Key do not authenticate.",
            )),
            (true, true) => Ok(store.scripted.take_exact(&request.line())),
        };
        (admission, failure)
    };
    let mut rate = admission;
    let mut response = match failure {
        Err(response) => response,
        Ok(None) => fake.state.lock().route(&request),
        Ok(Some(Failure::Hang(pause))) => {
            tokio::time::sleep(pause).await;
            fake.state.lock().route(&request)
        }
        Ok(Some(Failure::Status(code))) => text(scripted_status(code), "Something went wrong"),
        Ok(Some(Failure::RateLimited { reset_secs })) => {
            rate.remaining = 0;
            rate.reset_secs = reset_secs;
            text(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded")
        }
        Ok(Some(Failure::Json(body))) => axum::Json(body).into_response(),
        Ok(Some(Failure::NotJson)) => not_json("<html><body>Service temporarily unavailable</body></html>"),
    };
    let headers = response.headers_mut();
    headers.insert("x-rate-limit-limit", HeaderValue::from(rate.limit));
    headers.insert("x-rate-limit-remaining", HeaderValue::from(rate.remaining));
    headers.insert("x-rate-limit-reset", HeaderValue::from(rate.reset_secs));
    response
}

impl Store {
    fn route(&mut self, request: &Recorded) -> Response {
        match (request.method.as_str(), request.path.as_str()) {
            ("GET", "/1/Contacts") => self.list_contacts(request),
            ("POST", "/1/objects/saveorupdate") => self.save_or_update(request, param(request, "objectID")),
            ("POST", "/1/Contacts/saveorupdate") => self.save_or_update(request, Some("0".into())),
            ("GET", "/1/Tags") => self.list_tags(request),
            ("POST", "/1/Tags") => self.create_tag_call(request),
            ("PUT", "/1/objects/tag") => self.tag(request),
            _ => text(StatusCode::NOT_FOUND, "Not Found"),
        }
    }

    fn list_contacts(&self, request: &Recorded) -> Response {
        let items: Vec<Value> = page(request, &self.contacts).iter().map(record).collect();
        ok(json!(items))
    }

    fn save_or_update(&mut self, request: &Recorded, object_id: Option<String>) -> Response {
        match object_id.as_deref() {
            Some("0") => {}
            None => return text(StatusCode::BAD_REQUEST, "Missing 'objectID' field"),
            Some(_) => return text(StatusCode::BAD_REQUEST, "This fake holds contacts (objectID 0) only"),
        }
        let email = param(request, "email").unwrap_or_default().trim().to_owned();
        if !valid_email(&email) {
            return text(StatusCode::UNPROCESSABLE_ENTITY, "Invalid email address");
        }
        let ignore_blanks = matches!(param(request, "ignore_blanks").as_deref(), Some("true" | "1"));
        let firstname = param(request, "firstname");
        let lastname = param(request, "lastname");
        let Some(index) = self.find(&email) else {
            let id = self.next_id();
            let contact = StoredContact {
                id,
                email,
                firstname: firstname.unwrap_or_default(),
                lastname: lastname.unwrap_or_default(),
                tag_ids: BTreeSet::new(),
            };
            let answer = record(&contact);
            self.contacts.push(contact);
            return ok(answer);
        };
        // An update answers only what changed, plus the id.
        let contact = &mut self.contacts[index];
        let mut attrs = serde_json::Map::new();
        for (name, value, field) in [
            ("firstname", firstname, &mut contact.firstname),
            ("lastname", lastname, &mut contact.lastname),
        ] {
            let Some(value) = value else { continue };
            if (ignore_blanks && value.trim().is_empty()) || *field == value {
                continue;
            }
            attrs.insert(name.into(), json!(value));
            *field = value;
        }
        if !attrs.is_empty() {
            attrs.insert("dlm".into(), json!(TIMESTAMP));
        }
        attrs.insert("id".into(), json!(contact.id));
        ok(json!({"attrs": attrs}))
    }

    fn list_tags(&self, request: &Recorded) -> Response {
        let search = param(request, "search").unwrap_or_default().to_lowercase();
        let matching: Vec<&Tag> = self
            .tags
            .iter()
            .filter(|t| t.name.to_lowercase().contains(&search))
            .collect();
        let items: Vec<Value> = page(request, &matching)
            .iter()
            .map(|t| json!({"tag_id": t.id, "tag_name": t.name, "object_type_id": "0", "group_id": "0"}))
            .collect();
        ok(json!(items))
    }

    fn create_tag_call(&mut self, request: &Recorded) -> Response {
        let name = param(request, "tag_name").unwrap_or_default();
        if name.trim().is_empty() {
            return text(StatusCode::BAD_REQUEST, "Missing 'tag_name' field");
        }
        let tag = self.create_tag(&name);
        ok(json!({"tag_id": tag.id, "tag_name": tag.name, "object_type_id": "0", "group_id": "0"}))
    }

    fn tag(&mut self, request: &Recorded) -> Response {
        if param(request, "objectID").as_deref() != Some("0") {
            return text(StatusCode::BAD_REQUEST, "Missing 'objectID' field");
        }
        let list = |name: &str| -> Vec<String> {
            param(request, name)
                .unwrap_or_default()
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        };
        let (tag_ids, contact_ids) = (list("add_list"), list("ids"));
        if tag_ids.is_empty() || contact_ids.is_empty() {
            return text(StatusCode::BAD_REQUEST, "Missing 'add_list' or 'ids' field");
        }
        if let Some(unknown) = tag_ids.iter().find(|id| !self.tags.iter().any(|t| &t.id == *id)) {
            return text(StatusCode::BAD_REQUEST, &format!("Invalid tag id {unknown}"));
        }
        if let Some(unknown) = contact_ids
            .iter()
            .find(|id| !self.contacts.iter().any(|c| &c.id == *id))
        {
            return text(StatusCode::BAD_REQUEST, &format!("Invalid contact id {unknown}"));
        }
        for contact in self.contacts.iter_mut().filter(|c| contact_ids.contains(&c.id)) {
            contact.tag_ids.extend(tag_ids.iter().cloned());
        }
        ok(json!("The tag is now being processed."))
    }

    fn create_tag(&mut self, name: &str) -> Tag {
        let tag = Tag {
            id: self.next_id(),
            name: name.to_owned(),
        };
        self.tags.push(tag.clone());
        tag
    }

    fn find(&self, email: &str) -> Option<usize> {
        self.contacts.iter().position(|c| c.email.eq_ignore_ascii_case(email))
    }

    fn next_id(&mut self) -> String {
        self.last_id += 1;
        self.last_id.to_string()
    }

    fn public(&self, contact: &StoredContact) -> Contact {
        let mut tags: Vec<String> = self
            .tags
            .iter()
            .filter(|t| contact.tag_ids.contains(&t.id))
            .map(|t| t.name.clone())
            .collect();
        tags.sort();
        Contact {
            id: contact.id.clone(),
            email: contact.email.clone(),
            firstname: contact.firstname.clone(),
            lastname: contact.lastname.clone(),
            tags,
        }
    }
}

/// A fixed window that starts with the first request after the previous one ended.
struct Window {
    limit: u32,
    length: Duration,
    started: Option<Instant>,
    used: u32,
    over_limit: usize,
}

#[derive(Debug, Clone, Copy)]
struct Admission {
    admitted: bool,
    limit: u32,
    remaining: u32,
    reset_secs: u64,
}

impl Window {
    fn new(limit: u32, length: Duration) -> Self {
        Self {
            limit,
            length,
            started: None,
            used: 0,
            over_limit: 0,
        }
    }

    fn admit(&mut self, now: Instant) -> Admission {
        let started = match self.started {
            Some(started) if now < started + self.length => started,
            _ => {
                self.used = 0;
                *self.started.insert(now)
            }
        };
        let admitted = self.used < self.limit;
        if admitted {
            self.used += 1;
        } else {
            self.over_limit += 1;
        }
        // Rounded up: a client that waits this long finds the next window.
        let reset = (started + self.length).saturating_duration_since(now);
        Admission {
            admitted,
            limit: self.limit,
            remaining: self.limit - self.used,
            reset_secs: reset.as_nanos().div_ceil(1_000_000_000) as u64,
        }
    }
}

/// A parameter from the body (JSON or form) or, as Ontraport also reads them, the query.
fn param(request: &Recorded, name: &str) -> Option<String> {
    let from_body = match request.body_json().get(name) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::Bool(b)) => Some(b.to_string()),
        _ => None,
    };
    from_body.or_else(|| request.query_param(name))
}

/// The `start`/`range` page of `items` (range at most 50).
fn page<'a, T>(request: &Recorded, items: &'a [T]) -> &'a [T] {
    let number = |name| param(request, name).and_then(|v| v.parse::<usize>().ok());
    let start = number("start").unwrap_or(0).min(items.len());
    let range = number("range").unwrap_or(PAGE).min(PAGE);
    &items[start..(start + range).min(items.len())]
}

fn record(contact: &StoredContact) -> Value {
    json!({
        "id": contact.id,
        "owner": "1",
        "firstname": contact.firstname,
        "lastname": contact.lastname,
        "email": contact.email,
        "date": TIMESTAMP,
        "dlm": TIMESTAMP,
    })
}

fn valid_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => !local.is_empty() && domain.contains('.') && !domain.contains('@'),
        None => false,
    }
}

fn ok(data: Value) -> Response {
    axum::Json(json!({"code": 0, "data": data, "account_id": ACCOUNT_ID})).into_response()
}

fn text(status: StatusCode, body: &str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain")], body.to_owned()).into_response()
}
