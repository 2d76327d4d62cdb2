//! Fake of Klaviyo's JSON:API: `Authorization: Klaviyo-API-Key …`, a required `revision`
//! header and JSON:API content type, lists paged by 10 through `links.next` (unknown query
//! parameters such as `page[size]` are refused), `profile-import` upserting by email (201 new,
//! 200 updated), subscription jobs (202, no body) and errors as `{"errors":[{…,"detail"}]}`.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

use crate::front::{self, Vendor};
use crate::script::{Played, Script, not_json, scripted_status};
use crate::{Journal, Running, Shared};

/// The private key the fake accepts until told otherwise.
pub const API_KEY: &str = "pk_0123456789abcdef0123456789abcdef01";
const JSON_API: &str = "application/vnd.api+json";
/// Klaviyo answers lists 10 at a time.
const LIST_PAGE: usize = 10;

/// A failure the fake plays instead of its normal answer.
#[derive(Debug, Clone)]
pub enum Failure {
    /// This 5xx status, with a JSON:API error.
    ServerError(u16),
    /// 429 with `Retry-After` and the `RateLimit-*` headers (`reset` seconds).
    RateLimited { retry_after: Option<u64>, reset: u64 },
    /// 200 with an HTML page, as a proxy in between would answer.
    NotJson,
    /// Answers normally, but only after this long.
    Hang(Duration),
}

/// A profile as the fake holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub id: String,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub properties: Map<String, Value>,
    /// Email marketing consent, once subscribed (`SUBSCRIBED`).
    pub consent: Option<String>,
    pub lists: BTreeSet<String>,
}

#[derive(Default)]
struct Account {
    api_key: String,
    lists: Vec<(String, String)>,
    profiles: Vec<Profile>,
    /// Where `links` point instead of the fake's own address.
    link_base: Option<String>,
    failures: Script<Failure>,
}

impl Account {
    /// Where the profile with this email is, created when missing; and whether it was.
    fn profile_at(&mut self, email: &str) -> (usize, bool) {
        if let Some(at) = self.profiles.iter().position(|p| p.email.eq_ignore_ascii_case(email)) {
            return (at, false);
        }
        self.profiles.push(Profile {
            // Klaviyo's profile ids are 26-character ULIDs.
            id: format!("01JAFFLUXPROFILE{:010}", self.profiles.len()),
            email: email.to_owned(),
            first_name: None,
            last_name: None,
            properties: Map::new(),
            consent: None,
            lists: BTreeSet::new(),
        });
        (self.profiles.len() - 1, true)
    }
}

/// A running fake Klaviyo account; clones share it.
#[derive(Clone)]
pub struct KlaviyoFake {
    state: Shared<Account>,
    journal: Journal,
}

impl KlaviyoFake {
    /// Serves a fake account accepting [`API_KEY`], with no lists or profiles yet.
    pub async fn start() -> (Self, Running) {
        let fake = Self {
            state: Shared::new(Account {
                api_key: API_KEY.to_owned(),
                ..Account::default()
            }),
            journal: Journal::default(),
        };
        let routes = Router::new()
            .route("/api/lists", get(lists))
            .route("/api/profile-import", post(import_profile))
            .route("/api/profile-subscription-bulk-create-jobs", post(subscribe))
            .fallback(not_found);
        let running = front::serve(fake.clone(), routes).await;
        (fake, running)
    }

    /// Every request received, in order.
    pub fn journal(&self) -> Journal {
        self.journal.clone()
    }

    pub fn add_list(&self, id: &str, name: &str) {
        self.state.lock().lists.push((id.to_owned(), name.to_owned()));
    }

    /// Makes `links` point at `base` (as a tampered or misrouted answer would).
    pub fn link_to(&self, base: &str) {
        self.state.lock().link_base = Some(base.to_owned());
    }

    /// An existing profile; answers its id.
    pub fn add_profile(&self, email: &str, first_name: Option<&str>, properties: Value) -> String {
        let mut state = self.state.lock();
        let (at, _) = state.profile_at(email);
        let profile = &mut state.profiles[at];
        profile.first_name = first_name.map(str::to_owned);
        profile.properties = properties.as_object().cloned().unwrap_or_default();
        profile.id.clone()
    }

    pub fn profile(&self, email: &str) -> Option<Profile> {
        let state = self.state.lock();
        state
            .profiles
            .iter()
            .find(|p| p.email.eq_ignore_ascii_case(email))
            .cloned()
    }

    /// Plays `failure` on the next request, whatever it is.
    pub fn fail_next(&self, failure: Failure) {
        self.fail_next_on("", failure);
    }

    /// Plays `failure` on the next request whose `"METHOD /path"` contains `fragment`.
    pub fn fail_next_on(&self, fragment: &str, failure: Failure) {
        self.state.lock().failures.push(fragment, failure);
    }
}

impl Vendor for KlaviyoFake {
    type Failure = Failure;

    fn journal(&self) -> &Journal {
        &self.journal
    }

    fn take_failure(&self, line: &str) -> Option<Failure> {
        self.state.lock().failures.take(line)
    }

    fn play(failure: Failure) -> Played {
        let answer = match failure {
            Failure::Hang(pause) => return Played::Wait(pause),
            Failure::ServerError(code) => error(
                scripted_status(code),
                "error",
                "A server error occurred.",
                "Please try again later.",
            ),
            Failure::RateLimited { retry_after, reset } => {
                let detail = format!("Request was throttled. Expected available in {reset} seconds.");
                let mut response = error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "throttled",
                    "Request was throttled.",
                    &detail,
                );
                let headers = response.headers_mut();
                headers.insert("ratelimit-limit", 75.into());
                headers.insert("ratelimit-remaining", 0.into());
                headers.insert("ratelimit-reset", reset.into());
                if let Some(secs) = retry_after {
                    headers.insert(header::RETRY_AFTER, secs.into());
                }
                response
            }
            Failure::NotJson => not_json("<html><body><h1>503 Service Unavailable</h1></body></html>"),
        };
        Played::Answer(answer)
    }

    /// The key, then the headers Klaviyo requires.
    fn refuse(&self, request: &Request) -> Option<Response> {
        let headers = request.headers();
        let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let expected = format!("Klaviyo-API-Key {}", self.state.lock().api_key);
        if text(header::AUTHORIZATION) != expected {
            return Some(error(
                StatusCode::UNAUTHORIZED,
                "not_authenticated",
                "Authentication credentials were not provided.",
                "Missing or invalid private key.",
            ));
        }
        if !headers.contains_key("revision") {
            return Some(error(
                StatusCode::BAD_REQUEST,
                "invalid",
                "Invalid input.",
                "The 'revision' header is required.",
            ));
        }
        if request.method() == Method::POST && !text(header::CONTENT_TYPE).starts_with(JSON_API) {
            return Some(error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Unsupported media type.",
                "Content-Type must be application/vnd.api+json.",
            ));
        }
        None
    }
}

fn error(status: StatusCode, code: &str, title: &str, detail: &str) -> Response {
    let error = json!({
        "id": "00000000-0000-0000-0000-000000000000",
        "status": status.as_u16(),
        "code": code,
        "title": title,
        "detail": detail,
        "source": { "pointer": "/data/" },
    });
    reply(status, json!({ "errors": [error] }))
}

fn reply(status: StatusCode, body: Value) -> Response {
    (status, [(header::CONTENT_TYPE, JSON_API)], body.to_string()).into_response()
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "not_found", "Not found.", "Not found.")
}

/// 10 lists a page; `page[cursor]` is where the page starts. Other paging parameters are
/// refused, as Klaviyo does.
async fn lists(
    State(fake): State<KlaviyoFake>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Some(unknown) = query
        .keys()
        .find(|k| !matches!(k.as_str(), "page[cursor]" | "fields[list]" | "filter"))
    {
        let detail = format!("'{unknown}' is not a valid query parameter for this resource.");
        return error(StatusCode::BAD_REQUEST, "invalid", "Invalid input.", &detail);
    }
    let start: usize = query.get("page[cursor]").and_then(|c| c.parse().ok()).unwrap_or(0);
    let state = fake.state.lock();
    let data: Vec<Value> = state
        .lists
        .iter()
        .skip(start)
        .take(LIST_PAGE)
        .map(|(id, name)| json!({ "type": "list", "id": id, "attributes": { "name": name } }))
        .collect();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("a.klaviyo.com");
    let base = state.link_base.clone().unwrap_or_else(|| format!("http://{host}"));
    let next = (start + LIST_PAGE < state.lists.len())
        .then(|| format!("{base}/api/lists?page%5Bcursor%5D={}", start + LIST_PAGE));
    reply(
        StatusCode::OK,
        json!({ "data": data, "links": { "self": format!("{base}/api/lists"), "next": next, "prev": null } }),
    )
}

fn profile_json(profile: &Profile) -> Value {
    json!({
        "type": "profile",
        "id": profile.id,
        "attributes": {
            "email": profile.email,
            "first_name": profile.first_name,
            "last_name": profile.last_name,
            "properties": profile.properties,
        },
    })
}

/// Creates the profile or updates the attributes sent; properties are merged.
async fn import_profile(State(fake): State<KlaviyoFake>, body: Bytes) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or_default();
    let data = body.get("data").cloned().unwrap_or_default();
    if data.get("type").and_then(Value::as_str) != Some("profile") {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid",
            "Invalid input.",
            "'data.type' must be 'profile'.",
        );
    }
    let attributes = data.get("attributes").cloned().unwrap_or_default();
    let text = |name: &str| attributes.get(name).and_then(Value::as_str).map(str::to_owned);
    let Some(email) = text("email").filter(|e| e.contains('@')) else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid",
            "Invalid input.",
            "Invalid email address",
        );
    };
    let mut state = fake.state.lock();
    let (at, created) = state.profile_at(&email);
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    let profile = &mut state.profiles[at];
    if let Some(first) = text("first_name") {
        profile.first_name = Some(first);
    }
    if let Some(last) = text("last_name") {
        profile.last_name = Some(last);
    }
    if let Some(properties) = attributes.get("properties").and_then(Value::as_object) {
        profile.properties.extend(properties.clone());
    }
    reply(status, json!({ "data": profile_json(profile) }))
}

/// Subscribes each profile (created when new) to email marketing in the list: 202.
async fn subscribe(State(fake): State<KlaviyoFake>, body: Bytes) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or_default();
    let invalid = |detail: &str| error(StatusCode::BAD_REQUEST, "invalid", "Invalid input.", detail);
    if body.pointer("/data/type").and_then(Value::as_str) != Some("profile-subscription-bulk-create-job") {
        return invalid("'data.type' must be 'profile-subscription-bulk-create-job'.");
    }
    let Some(list) = body.pointer("/data/relationships/list/data/id").and_then(Value::as_str) else {
        return invalid("A list relationship is required.");
    };
    let Some(profiles) = body.pointer("/data/attributes/profiles/data").and_then(Value::as_array) else {
        return invalid("Profiles are required.");
    };
    let mut state = fake.state.lock();
    if !state.lists.iter().any(|(id, _)| id == list) {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            "Not found.",
            &format!("A list with id {list} does not exist."),
        );
    }
    for profile in profiles {
        let email = profile.pointer("/attributes/email").and_then(Value::as_str);
        let consent = profile
            .pointer("/attributes/subscriptions/email/marketing/consent")
            .and_then(Value::as_str);
        let (Some(email), Some("SUBSCRIBED")) = (email, consent) else {
            return invalid("Each profile needs an email and email marketing consent SUBSCRIBED.");
        };
        let (at, _) = state.profile_at(email);
        let profile = &mut state.profiles[at];
        profile.consent = Some("SUBSCRIBED".to_owned());
        profile.lists.insert(list.to_owned());
    }
    StatusCode::ACCEPTED.into_response()
}
