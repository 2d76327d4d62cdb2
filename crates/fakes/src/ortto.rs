//! Fake of Ortto's API v1 (integration reference §3): the `X-Api-Key` header, people merged by
//! `str::email` (fields overwritten, `null` clearing, tags added, unknown field ids failing the
//! person as `invalid`, suppressed emails), audiences listed and opted in, custom fields
//! created, Ortto's error envelope, and scripted failures.
//!
//! ```no_run
//! # async fn example() {
//! use afflux_fakes::ortto::{Config, Failure, OrttoFake};
//! let (fake, running) = OrttoFake::start(Config::default()).await;
//! fake.fail_next("POST /v1/person/merge", 1, Failure::RateLimited { try_in_seconds: 10 });
//! // … point the connector at `running.base_url()` with `API_KEY` …
//! # }
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::script::{Script, not_json, scripted_status};
use crate::{Journal, Recorded, Running, Shared, serve};

/// The API key the default configuration accepts.
pub const API_KEY: &str = "ortto-test-key";

/// Ortto's largest audience page.
const AUDIENCE_PAGE: usize = 40;
const MAX_PEOPLE: usize = 100;

/// Built-in person fields (reference §3.2); anything else must be a created custom field.
const BUILT_IN_FIELDS: &[&str] = &[
    "str::email",
    "str::first",
    "str::last",
    "str::person_id",
    "str::ei",
    "str::language",
    "phn::phone",
    "geo::city",
    "geo::country",
    "geo::region",
    "bol::p",
    "bol::sp",
    "bol::gdpr",
];

/// How the fake is set up.
#[derive(Debug, Clone)]
pub struct Config {
    pub api_key: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            api_key: API_KEY.to_owned(),
        }
    }
}

/// What a scripted call answers instead of the real thing (after the key check).
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// This status with a short plain-text body.
    Status(u16),
    /// 429 with Ortto's body `{"error":{"code":"rate-limit",…,"try-in-seconds":N}}`.
    RateLimited { try_in_seconds: u64 },
    /// 200 with an HTML page, as a proxy in front of the API might answer.
    NotJson,
    /// Waits this long, then answers normally (the work is done even if the client gave up).
    Hang(Duration),
    /// 200 with this JSON body: an answer shape the fake would not give by itself.
    Json(Value),
}

/// A person as the fake holds them.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub person_id: String,
    /// Field id → value.
    pub fields: BTreeMap<String, Value>,
    /// Sorted.
    pub tags: Vec<String>,
}

/// An audience of the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audience {
    pub id: String,
    pub name: String,
    pub archived: bool,
}

/// A running fake: what it received and what it holds. Cheap to clone.
#[derive(Clone)]
pub struct OrttoFake {
    journal: Journal,
    state: Shared<Store>,
}

#[derive(Default)]
struct Store {
    api_key: String,
    people: Vec<Person>,
    audiences: Vec<Audience>,
    /// Audience id → opted-in emails.
    subscribed: BTreeMap<String, BTreeSet<String>>,
    /// Custom field id → name.
    custom_fields: BTreeMap<String, String>,
    suppressed: BTreeSet<String>,
    scripted: Script<Failure>,
    last_id: u64,
}

impl OrttoFake {
    /// Serves a new fake on a free local port of the current Tokio runtime.
    pub async fn start(config: Config) -> (Self, Running) {
        let fake = Self {
            journal: Journal::default(),
            state: Shared::new(Store {
                api_key: config.api_key,
                ..Store::default()
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

    /// Adds an audience; answers its id.
    pub fn add_audience(&self, name: &str, archived: bool) -> String {
        let mut store = self.state.lock();
        let id = store.next_id();
        store.audiences.push(Audience {
            id: id.clone(),
            name: name.to_owned(),
            archived,
        });
        id
    }

    /// Adds a text custom field, as if made before; answers its id (`str:cm:<kebab-name>`).
    pub fn add_custom_field(&self, name: &str) -> String {
        let id = format!("str:cm:{}", kebab(name));
        self.state.lock().custom_fields.insert(id.clone(), name.to_owned());
        id
    }

    /// Ids of the custom fields that exist.
    pub fn custom_fields(&self) -> Vec<String> {
        self.state.lock().custom_fields.keys().cloned().collect()
    }

    /// Adds a person with these fields (`str::email` included); answers their id.
    pub fn add_person(&self, fields: &[(&str, &str)]) -> String {
        let mut store = self.state.lock();
        let person_id = store.next_id();
        store.people.push(Person {
            person_id: person_id.clone(),
            fields: fields.iter().map(|(k, v)| ((*k).to_owned(), json!(v))).collect(),
            tags: Vec::new(),
        });
        person_id
    }

    /// The person with this email, in any case.
    pub fn person(&self, email: &str) -> Option<Person> {
        let store = self.state.lock();
        store.find(email).map(|i| store.people[i].clone())
    }

    /// Puts an email on the suppression list: merges of it fail as `suppressed`.
    pub fn suppress(&self, email: &str) {
        self.state.lock().suppressed.insert(email.to_lowercase());
    }

    /// Emails opted in to an audience.
    pub fn subscribers(&self, audience_id: &str) -> Vec<String> {
        let store = self.state.lock();
        store
            .subscribed
            .get(audience_id)
            .map(|emails| emails.iter().cloned().collect())
            .unwrap_or_default()
    }
}

async fn handle(State(fake): State<OrttoFake>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let request = Recorded::new(&method, &uri, &headers, &body);
    fake.journal.push(request.clone());
    let failure = {
        let mut store = fake.state.lock();
        if request.header("x-api-key") != Some(store.api_key.as_str()) {
            return envelope(StatusCode::UNAUTHORIZED, "Invalid or missing API key", None);
        }
        store.scripted.take_exact(&request.line())
    };
    match failure {
        None => fake.state.lock().route(&request),
        Some(Failure::Hang(pause)) => {
            tokio::time::sleep(pause).await;
            fake.state.lock().route(&request)
        }
        Some(Failure::Status(code)) => (
            scripted_status(code),
            [(header::CONTENT_TYPE, "text/plain")],
            "Something went wrong",
        )
            .into_response(),
        Some(Failure::RateLimited { try_in_seconds }) => {
            let body =
                json!({"error": {"code": "rate-limit", "message": "rate limit", "try-in-seconds": try_in_seconds}});
            (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response()
        }
        Some(Failure::Json(body)) => axum::Json(body).into_response(),
        Some(Failure::NotJson) => not_json("<html><body>Service temporarily unavailable</body></html>"),
    }
}

impl Store {
    fn route(&mut self, request: &Recorded) -> Response {
        // Every endpoint takes a JSON object; an empty body stands for `{}`.
        let body = if request.body.is_empty() {
            json!({})
        } else {
            match serde_json::from_slice::<Value>(&request.body) {
                Ok(body @ Value::Object(_)) => body,
                _ => return envelope(StatusCode::BAD_REQUEST, "Request body must be a JSON object", None),
            }
        };
        match (request.method.as_str(), request.path.as_str()) {
            ("POST", "/v1/audiences/get") => self.audiences(&body),
            ("POST", "/v1/person/custom-field/create") => self.create_field(&body),
            ("POST", "/v1/person/merge") => self.merge(&body),
            ("PUT", "/v1/audience/subscribe") => self.subscribe(&body),
            _ => envelope(StatusCode::NOT_FOUND, "Not found", None),
        }
    }

    fn audiences(&self, body: &Value) -> Response {
        let number = |name| body.get(name).and_then(Value::as_u64).map(|n| n as usize);
        let limit = number("limit").unwrap_or(AUDIENCE_PAGE).min(AUDIENCE_PAGE);
        let offset = number("offset").unwrap_or(0);
        let archived = body.get("archived").and_then(Value::as_bool).unwrap_or(false);
        let search = body
            .get("search_term")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_lowercase();
        let items: Vec<Value> = self
            .audiences
            .iter()
            .filter(|a| a.archived == archived && a.name.to_lowercase().contains(&search))
            .skip(offset)
            .take(limit)
            .map(|a| {
                let members = self.subscribed.get(&a.id).map_or(0, BTreeSet::len);
                json!({"id": a.id, "name": a.name, "type": "permanent", "members": members, "subscribers": members})
            })
            .collect();
        axum::Json(Value::Array(items)).into_response()
    }

    fn create_field(&mut self, body: &Value) -> Response {
        let name = body.get("name").and_then(Value::as_str).unwrap_or("").trim();
        if name.is_empty() {
            return envelope(StatusCode::BAD_REQUEST, "name is required", None);
        }
        if body.get("type").and_then(Value::as_str) != Some("text") {
            return envelope(StatusCode::BAD_REQUEST, "This fake creates text fields only", None);
        }
        let field_id = format!("str:cm:{}", kebab(name));
        if self.custom_fields.contains_key(&field_id) {
            let error = format!("A custom field named {name} already exists");
            return envelope(StatusCode::BAD_REQUEST, &error, None);
        }
        self.custom_fields.insert(field_id.clone(), name.to_owned());
        axum::Json(json!({"name": name, "field_id": field_id, "display_type": "text"})).into_response()
    }

    fn merge(&mut self, body: &Value) -> Response {
        let Some(people) = body
            .get("people")
            .and_then(Value::as_array)
            .filter(|p| (1..=MAX_PEOPLE).contains(&p.len()))
        else {
            return envelope(StatusCode::BAD_REQUEST, "people must hold 1 to 100 people", None);
        };
        let merge_by = body.get("merge_by").cloned().unwrap_or(json!(["str::email"]));
        if merge_by != json!(["str::email"]) {
            return envelope(StatusCode::BAD_REQUEST, "This fake merges by str::email only", None);
        }
        let strategy = body.get("merge_strategy").map_or(Some(2), Value::as_u64);
        let Some(strategy @ 1..=3) = strategy else {
            return envelope(StatusCode::BAD_REQUEST, "merge_strategy must be 1, 2 or 3", None);
        };
        let results: Vec<Value> = people
            .iter()
            .map(|person| match self.merge_person(person, strategy) {
                Ok((person_id, status)) => json!({"person_id": person_id, "status": status}),
                Err((status, error)) => json!({"status": status, "error": error}),
            })
            .collect();
        // Ortto refuses the whole call only when no person could be written.
        let errors: Vec<&str> = results.iter().filter_map(|r| r.get("error")?.as_str()).collect();
        if let Some(first) = errors.first().filter(|_| errors.len() == results.len()) {
            let error = format!("No valid contacts provided ({first})");
            return envelope(StatusCode::BAD_REQUEST, &error, Some(json!(results)));
        }
        axum::Json(json!({"people": results})).into_response()
    }

    /// One person: `(person_id, "created" | "merged")`, or `(status, error)`.
    fn merge_person(
        &mut self,
        person: &Value,
        strategy: u64,
    ) -> Result<(String, &'static str), (&'static str, String)> {
        let invalid = |error: String| ("invalid", error);
        let fields = person
            .get("fields")
            .and_then(Value::as_object)
            .ok_or_else(|| invalid("fields is required".into()))?;
        if let Some(unknown) = fields
            .keys()
            .find(|k| !BUILT_IN_FIELDS.contains(&k.as_str()) && !self.custom_fields.contains_key(*k))
        {
            return Err(invalid(format!(
                "failed to validate field {unknown} in schema: {unknown}: Object not found"
            )));
        }
        let email = fields.get("str::email").and_then(Value::as_str).unwrap_or("").trim();
        if !email
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
        {
            return Err(invalid("str::email must be a valid email".into()));
        }
        if self.suppressed.contains(&email.to_lowercase()) {
            return Err(("suppressed", "Email is suppressed".into()));
        }
        let tags = |name: &str| -> Result<Vec<String>, (&'static str, String)> {
            match person.get(name) {
                None => Ok(Vec::new()),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|t| {
                        t.as_str()
                            .map(str::to_owned)
                            .ok_or_else(|| invalid(format!("{name} must be strings")))
                    })
                    .collect(),
                Some(_) => Err(invalid(format!("{name} must be a list"))),
            }
        };
        let (add, remove) = (tags("tags")?, tags("unset_tags")?);
        let (index, status) = match self.find(email) {
            Some(index) => (index, "merged"),
            None => {
                let person_id = self.next_id();
                self.people.push(Person {
                    person_id,
                    fields: BTreeMap::new(),
                    tags: Vec::new(),
                });
                (self.people.len() - 1, "created")
            }
        };
        let stored = &mut self.people[index];
        if status == "created" || strategy != 3 {
            apply_fields(&mut stored.fields, fields, strategy);
        }
        let mut all: BTreeSet<String> = stored.tags.drain(..).collect();
        all.extend(add);
        all.retain(|t| !remove.contains(t));
        stored.tags = all.into_iter().collect();
        Ok((stored.person_id.clone(), status))
    }

    fn subscribe(&mut self, body: &Value) -> Response {
        let audience_id = body.get("audience_id").and_then(Value::as_str).unwrap_or("");
        if !self.audiences.iter().any(|a| a.id == audience_id) {
            return envelope(StatusCode::BAD_REQUEST, "Audience not found", None);
        }
        let Some(people) = body.get("people").and_then(Value::as_array) else {
            return envelope(StatusCode::BAD_REQUEST, "people is required", None);
        };
        let mut results = Vec::new();
        for person in people {
            let email = person.get("email").and_then(Value::as_str).unwrap_or("");
            let subscribed = person.get("subscribed").and_then(Value::as_bool).unwrap_or(true);
            let Some(index) = self.find(email) else {
                results.push(json!({"person_status": "not-found"}));
                continue;
            };
            let email = self.people[index]
                .fields
                .get("str::email")
                .and_then(Value::as_str)
                .unwrap_or(email);
            let emails = self.subscribed.entry(audience_id.to_owned()).or_default();
            if subscribed {
                emails.insert(email.to_owned());
            } else {
                emails.remove(email);
            }
            let status = if subscribed { "subscribed" } else { "unsubscribed" };
            results.push(json!({"person_status": "by-email", "status": status}));
        }
        axum::Json(json!({"audience_id": audience_id, "people": results})).into_response()
    }

    fn find(&self, email: &str) -> Option<usize> {
        self.people.iter().position(|p| {
            p.fields
                .get("str::email")
                .and_then(Value::as_str)
                .is_some_and(|e| e.eq_ignore_ascii_case(email.trim()))
        })
    }

    /// 24 hex digits, like Ortto's ids.
    fn next_id(&mut self) -> String {
        self.last_id += 1;
        format!(
            "{:024x}",
            0x6913_c5b7_0000_0000_0000_0000_u128 + u128::from(self.last_id)
        )
    }
}

/// Merge strategies: 1 fills empty fields only, 2 overwrites (`null` clears), 3 leaves an
/// existing person alone (the caller skips it).
fn apply_fields(stored: &mut BTreeMap<String, Value>, fields: &Map<String, Value>, strategy: u64) {
    for (id, value) in fields {
        match (strategy, value) {
            (1, _) if stored.contains_key(id) => {}
            (_, Value::Null) => {
                stored.remove(id);
            }
            _ => {
                stored.insert(id.clone(), value.clone());
            }
        }
    }
}

/// A field name as Ortto derives ids from it: "Afflux Status" → "afflux-status".
fn kebab(name: &str) -> String {
    let lower = name.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words.join("-")
}

/// Ortto's error envelope.
fn envelope(status: StatusCode, error: &str, details: Option<Value>) -> Response {
    let mut body = json!({
        "request_id": "0dcf9177-0000-4000-8000-000000000000",
        "code": status.as_u16(),
        "error": error,
    });
    if let Some(details) = details {
        body["details"] = details;
    }
    (status, axum::Json(body)).into_response()
}
