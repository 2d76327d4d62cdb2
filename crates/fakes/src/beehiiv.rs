//! Fake of the beehiiv API v2 for one publication: `Authorization: Bearer <key>`, the
//! publication (404 for any other id), subscriptions created once per email (201; 409 for an
//! active subscriber; an inactive one is reactivated when `reactivate_existing` is true),
//! looked up by email, and tagged. Errors are `{"status","statusText","errors":[{"message"}]}`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::{Journal, Recorded, Running, serve};

pub const API_KEY: &str = "bh_live_0123456789abcdefghijklmnopqrstuv";
pub const PUBLICATION_ID: &str = "pub_6f1d2c3b-4a59-4e68-9d7c-0b1a2f3e4d5c";
pub const PUBLICATION_NAME: &str = "The Brand Letter";

/// A failure the fake plays instead of its normal answer.
#[derive(Debug, Clone)]
pub enum Failure {
    /// This 5xx status, with beehiiv's error body.
    ServerError(u16),
    /// 429, with `Retry-After` when given.
    RateLimited { retry_after: Option<u64> },
    /// 200 with an HTML page, as a proxy in between would answer.
    NotJson,
    /// Answers normally, but only after this long.
    Hang(Duration),
}

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
    failures: VecDeque<(String, Failure)>,
}

/// A running fake beehiiv publication; clones share it.
#[derive(Clone)]
pub struct BeehiivFake {
    state: Arc<Mutex<Publication>>,
    journal: Journal,
}

impl BeehiivFake {
    /// Serves [`PUBLICATION_ID`] to [`API_KEY`], with no subscribers yet.
    pub async fn start() -> (Self, Running) {
        let fake = Self {
            state: Arc::new(Mutex::new(Publication {
                api_key: API_KEY.to_owned(),
                ..Publication::default()
            })),
            journal: Journal::default(),
        };
        let router = Router::new()
            .route("/v2/publications/{publication}", get(publication))
            .route("/v2/publications/{publication}/subscriptions", post(subscribe))
            .route(
                "/v2/publications/{publication}/subscriptions/by_email/{email}",
                get(by_email),
            )
            .route("/v2/publications/{publication}/subscriptions/{id}/tags", post(tag))
            .fallback(not_found)
            .layer(middleware::from_fn_with_state(fake.clone(), front))
            .with_state(fake.clone());
        let running = serve(router).await;
        (fake, running)
    }

    fn state(&self) -> MutexGuard<'_, Publication> {
        self.state.lock().expect("fake state poisoned")
    }

    /// Every request received, in order.
    pub fn journal(&self) -> Journal {
        self.journal.clone()
    }

    /// An existing subscriber (`active` or `inactive`); answers its id.
    pub fn add_subscription(&self, email: &str, status: &str) -> String {
        let mut state = self.state();
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
        let state = self.state();
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
        self.state().failures.push_back((fragment.to_owned(), failure));
    }

    fn take_failure(&self, line: &str) -> Option<Failure> {
        let mut state = self.state();
        let at = state.failures.iter().position(|(on, _)| line.contains(on.as_str()))?;
        state.failures.remove(at).map(|(_, failure)| failure)
    }
}

fn subscription_id(n: usize) -> String {
    format!("sub_00000000-0000-4000-8000-{n:012}")
}

/// Records the request, plays a scripted failure, checks the key, then routes.
async fn front(State(fake): State<BeehiivFake>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let recorded = Recorded::new(&parts.method, &parts.uri, &parts.headers, &body);
    let line = recorded.line();
    fake.journal.push(recorded);
    match fake.take_failure(&line) {
        Some(Failure::Hang(duration)) => tokio::time::sleep(duration).await,
        Some(Failure::ServerError(status)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return error(status, "Internal server error", "INTERNAL_SERVER_ERROR");
        }
        Some(Failure::RateLimited { retry_after }) => {
            let mut response = error(StatusCode::TOO_MANY_REQUESTS, "Too many requests", "RATE_LIMITED");
            if let Some(secs) = retry_after {
                response.headers_mut().insert(header::RETRY_AFTER, secs.into());
            }
            return response;
        }
        Some(Failure::NotJson) => {
            let page = "<html><body><h1>502 Bad Gateway</h1></body></html>";
            return (StatusCode::OK, [(header::CONTENT_TYPE, "text/html")], page).into_response();
        }
        None => {}
    }
    let bearer = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if bearer != Some(fake.state().api_key.as_str()) {
        return error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized: invalid API key",
            "UNAUTHORIZED",
        );
    }
    next.run(Request::from_parts(parts, Body::from(body))).await
}

fn error(status: StatusCode, message: &str, code: &str) -> Response {
    let body = json!({
        "status": status.as_u16(),
        "statusText": status.canonical_reason().unwrap_or_default(),
        "errors": [{ "message": message, "code": code }],
    });
    reply(status, body)
}

fn reply(status: StatusCode, body: Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
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
    let mut state = fake.state();
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
    let mut state = fake.state();
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
