//! Fake of the beehiiv API v2 for one publication: `Authorization: Bearer <key>`, the
//! publication (404 for any other id), subscriptions created once per email (201; 409 for an
//! active subscriber; an inactive one is reactivated when `reactivate_existing` is true),
//! looked up by email, and tagged. Errors are `{"status","statusText","errors":[{"message"}]}`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::front::{self, Vendor};
pub use crate::script::Failure;
use crate::script::{BAD_GATEWAY_PAGE, Played, Script};
use crate::{Journal, Running, Shared, reply};

pub const API_KEY: &str = "bh_live_0123456789abcdefghijklmnopqrstuv";
pub const PUBLICATION_ID: &str = "pub_6f1d2c3b-4a59-4e68-9d7c-0b1a2f3e4d5c";
pub const PUBLICATION_NAME: &str = "The Brand Letter";

/// A subscription as the fake holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: String,
    pub email: String,
    /// `active` or `inactive`.
    pub status: String,
    pub utm_source: String,
    pub welcome_email_sent: bool,
    pub tags: Vec<String>,
}

#[derive(Default)]
struct Publication {
    api_key: String,
    subscriptions: Vec<Subscription>,
    failures: Script<Failure>,
}

/// A running fake beehiiv publication; clones share it.
#[derive(Clone)]
pub struct BeehiivFake {
    state: Shared<Publication>,
    journal: Journal,
}

impl BeehiivFake {
    /// Serves [`PUBLICATION_ID`] to [`API_KEY`], with no subscribers yet.
    pub async fn start() -> (Self, Running) {
        let fake = Self {
            state: Shared::new(Publication {
                api_key: API_KEY.to_owned(),
                ..Publication::default()
            }),
            journal: Journal::default(),
        };
        let routes = Router::new()
            .route("/v2/publications/{publication}", get(publication))
            .route("/v2/publications/{publication}/subscriptions", post(subscribe))
            .route(
                "/v2/publications/{publication}/subscriptions/by_email/{email}",
                get(by_email),
            )
            .route("/v2/publications/{publication}/subscriptions/{id}/tags", post(tag))
            .fallback(not_found);
        let running = front::serve(fake.clone(), routes).await;
        (fake, running)
    }

    /// Every request received, in order.
    pub fn journal(&self) -> Journal {
        self.journal.clone()
    }

    /// An existing subscriber (`active` or `inactive`); answers its id.
    pub fn add_subscription(&self, email: &str, status: &str) -> String {
        let mut state = self.state.lock();
        let id = subscription_id(state.subscriptions.len());
        state.subscriptions.push(Subscription {
            id: id.clone(),
            email: email.to_owned(),
            status: status.to_owned(),
            utm_source: String::new(),
            welcome_email_sent: false,
            tags: Vec::new(),
        });
        id
    }

    pub fn subscription(&self, email: &str) -> Option<Subscription> {
        let state = self.state.lock();
        state
            .subscriptions
            .iter()
            .find(|s| s.email.eq_ignore_ascii_case(email))
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

fn subscription_id(n: usize) -> String {
    format!("sub_00000000-0000-4000-8000-{n:012}")
}

impl Vendor for BeehiivFake {
    type Failure = Failure;

    fn journal(&self) -> &Journal {
        &self.journal
    }

    fn take_failure(&self, line: &str) -> Option<Failure> {
        self.state.lock().failures.take(line)
    }

    fn play(failure: Failure) -> Played {
        failure.play(
            |status| error(status, "Internal server error", "INTERNAL_SERVER_ERROR"),
            || error(StatusCode::TOO_MANY_REQUESTS, "Too many requests", "RATE_LIMITED"),
            BAD_GATEWAY_PAGE,
        )
    }

    fn refuse(&self, request: &Request) -> Option<Response> {
        let bearer = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if bearer == Some(self.state.lock().api_key.as_str()) {
            return None;
        }
        Some(error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized: invalid API key",
            "UNAUTHORIZED",
        ))
    }
}

fn error(status: StatusCode, message: &str, code: &str) -> Response {
    let body = json!({
        "status": status.as_u16(),
        "statusText": status.canonical_reason().unwrap_or_default(),
        "errors": [{ "message": message, "code": code }],
    });
    reply(status, body)
}

fn no_publication() -> Response {
    error(StatusCode::NOT_FOUND, "Publication not found", "NOT_FOUND")
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "Not found", "NOT_FOUND")
}

fn subscription_json(subscription: &Subscription) -> Value {
    json!({ "data": {
        "id": subscription.id,
        "email": subscription.email,
        "status": subscription.status,
        "created": 1_763_700_000,
        "subscription_tier": "free",
        "utm_source": subscription.utm_source,
        "tags": subscription.tags,
    } })
}

async fn publication(Path(publication): Path<String>) -> Response {
    if publication != PUBLICATION_ID {
        return no_publication();
    }
    reply(
        StatusCode::OK,
        json!({ "data": { "id": PUBLICATION_ID, "name": PUBLICATION_NAME, "organization_name": "Brand Inc.", "created": 1_700_000_000 } }),
    )
}

async fn subscribe(State(fake): State<BeehiivFake>, Path(publication): Path<String>, body: Bytes) -> Response {
    if publication != PUBLICATION_ID {
        return no_publication();
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or_default();
    let Some(email) = body.get("email").and_then(Value::as_str).filter(|e| e.contains('@')) else {
        return error(StatusCode::BAD_REQUEST, "Invalid email", "INVALID_EMAIL");
    };
    let reactivate = body.get("reactivate_existing").and_then(Value::as_bool) == Some(true);
    let welcome = body.get("send_welcome_email").and_then(Value::as_bool).unwrap_or(true);
    let utm_source = body.get("utm_source").and_then(Value::as_str).unwrap_or_default();
    let mut state = fake.state.lock();
    if let Some(existing) = state
        .subscriptions
        .iter_mut()
        .find(|s| s.email.eq_ignore_ascii_case(email))
    {
        if existing.status == "active" || !reactivate {
            return error(StatusCode::CONFLICT, "Subscription already exists", "CONFLICT");
        }
        existing.status = "active".to_owned();
        return reply(StatusCode::CREATED, subscription_json(existing));
    }
    let subscription = Subscription {
        id: subscription_id(state.subscriptions.len()),
        email: email.to_owned(),
        status: "active".to_owned(),
        utm_source: utm_source.to_owned(),
        welcome_email_sent: welcome,
        tags: Vec::new(),
    };
    let answer = subscription_json(&subscription);
    state.subscriptions.push(subscription);
    reply(StatusCode::CREATED, answer)
}

async fn by_email(State(fake): State<BeehiivFake>, Path((publication, email)): Path<(String, String)>) -> Response {
    if publication != PUBLICATION_ID {
        return no_publication();
    }
    match fake.subscription(&email) {
        Some(subscription) => reply(StatusCode::OK, subscription_json(&subscription)),
        None => error(StatusCode::NOT_FOUND, "Subscription not found", "NOT_FOUND"),
    }
}

/// Adds tags the subscription does not have yet; answers the subscription.
async fn tag(
    State(fake): State<BeehiivFake>,
    Path((publication, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if publication != PUBLICATION_ID {
        return no_publication();
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or_default();
    let Some(tags) = body.get("tags").and_then(Value::as_array) else {
        return error(
            StatusCode::BAD_REQUEST,
            "tags must be an array of strings",
            "INVALID_TAGS",
        );
    };
    let mut state = fake.state.lock();
    let Some(subscription) = state.subscriptions.iter_mut().find(|s| s.id == id) else {
        return error(StatusCode::NOT_FOUND, "Subscription not found", "NOT_FOUND");
    };
    for tag in tags.iter().filter_map(Value::as_str) {
        if !subscription.tags.iter().any(|t| t == tag) {
            subscription.tags.push(tag.to_owned());
        }
    }
    reply(StatusCode::OK, subscription_json(subscription))
}
