//! Fake of Customer.io's Track API in both regions: one workspace, served on a US and an EU
//! address, that accepts its Site ID and API key (HTTP Basic) only in its own region and
//! answers 401 in the other. `GET /auth` checks credentials; `PUT /api/v1/customers/{id}`
//! creates or updates a person, merging the attributes sent (200 `{}`).

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use base64::Engine;
use serde_json::{Map, Value, json};

use crate::{Journal, Recorded, Running, serve};

pub const SITE_ID: &str = "3f2c9e8a1b7d4c6e5a90";
pub const API_KEY: &str = "9c8b7a6f5e4d3c2b1a09";

/// Where a Customer.io workspace lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    Us,
    Eu,
}

impl Region {
    fn as_str(self) -> &'static str {
        match self {
            Region::Us => "us",
            Region::Eu => "eu",
        }
    }
}

/// A failure the fake plays instead of its normal answer.
#[derive(Debug, Clone)]
pub enum Failure {
    /// This 5xx status, with Customer.io's error body.
    ServerError(u16),
    /// 429, with `Retry-After` when given.
    RateLimited { retry_after: Option<u64> },
    /// 200 with an HTML page, as a proxy in between would answer.
    NotJson,
    /// Answers normally, but only after this long.
    Hang(Duration),
}

#[derive(Default)]
struct Workspace {
    region: Option<Region>,
    site_id: String,
    api_key: String,
    /// People by identifier (the decoded path segment), with their attributes.
    customers: BTreeMap<String, Map<String, Value>>,
    /// `"us PUT /api/v1/customers/…"`: every request of both regions, in order.
    calls: Vec<String>,
    failures: VecDeque<(String, Failure)>,
}

/// A running fake Customer.io workspace; clones share it.
#[derive(Clone)]
pub struct CustomerIoFake {
    state: Arc<Mutex<Workspace>>,
    us: Journal,
    eu: Journal,
}

/// One region's server: the workspace and which region this address is.
#[derive(Clone)]
struct Server {
    fake: CustomerIoFake,
    region: Region,
}

impl CustomerIoFake {
    /// Serves a US workspace accepting [`SITE_ID`] and [`API_KEY`]; answers the fake and the US
    /// and EU servers.
    pub async fn start() -> (Self, Running, Running) {
        let fake = Self {
            state: Arc::new(Mutex::new(Workspace {
                region: Some(Region::Us),
                site_id: SITE_ID.to_owned(),
                api_key: API_KEY.to_owned(),
                ..Workspace::default()
            })),
            us: Journal::default(),
            eu: Journal::default(),
        };
        let us = serve(fake.router(Region::Us)).await;
        let eu = serve(fake.router(Region::Eu)).await;
        (fake, us, eu)
    }

    fn router(&self, region: Region) -> Router {
        let server = Server {
            fake: self.clone(),
            region,
        };
        Router::new()
            .route("/auth", get(auth))
            .route("/api/v1/customers/{id}", put(upsert_customer))
            .fallback(not_found)
            .layer(middleware::from_fn_with_state(server.clone(), front))
            .with_state(server)
    }

    fn state(&self) -> MutexGuard<'_, Workspace> {
        self.state.lock().expect("fake state poisoned")
    }

    /// Moves the workspace to `region`, or with `None` to neither (the credentials then work
    /// nowhere).
    pub fn set_region(&self, region: Option<Region>) {
        self.state().region = region;
    }

    /// The requests one region's server received, in order.
    pub fn journal(&self, region: Region) -> Journal {
        match region {
            Region::Us => self.us.clone(),
            Region::Eu => self.eu.clone(),
        }
    }

    /// Every request of both regions in order, as `"us GET /auth"`.
    pub fn calls(&self) -> Vec<String> {
        self.state().calls.clone()
    }

    /// An existing person's attributes.
    pub fn add_customer(&self, id: &str, attributes: Value) {
        let attributes = attributes.as_object().cloned().unwrap_or_default();
        self.state().customers.insert(id.to_owned(), attributes);
    }

    pub fn customer(&self, id: &str) -> Option<Map<String, Value>> {
        self.state().customers.get(id).cloned()
    }

    /// Plays `failure` on the next request, whatever it is.
    pub fn fail_next(&self, failure: Failure) {
        self.fail_next_on("", failure);
    }

    /// Plays `failure` on the next request whose `"region METHOD /path"` contains `fragment`.
    pub fn fail_next_on(&self, fragment: &str, failure: Failure) {
        self.state().failures.push_back((fragment.to_owned(), failure));
    }

    /// Logs the call and takes the first scripted failure it matches.
    fn log(&self, call: String) -> Option<Failure> {
        let mut state = self.state();
        let found = state.failures.iter().position(|(on, _)| call.contains(on.as_str()));
        state.calls.push(call);
        state.failures.remove(found?).map(|(_, failure)| failure)
    }

    /// HTTP Basic `site_id:api_key`, accepted only by the workspace's own region.
    fn authorized(&self, region: Region, headers: &HeaderMap) -> bool {
        let decoded = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
            .and_then(|v| base64::engine::general_purpose::STANDARD.decode(v).ok());
        let Some(decoded) = decoded else {
            return false;
        };
        let state = self.state();
        let expected = format!("{}:{}", state.site_id, state.api_key);
        state.region == Some(region) && decoded == expected.as_bytes()
    }
}

/// Records the request, plays a scripted failure, checks the credentials, then routes.
async fn front(State(server): State<Server>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let recorded = Recorded::new(&parts.method, &parts.uri, &parts.headers, &body);
    let call = format!("{} {}", server.region.as_str(), recorded.line());
    server.fake.journal(server.region).push(recorded);
    match server.fake.log(call) {
        Some(Failure::Hang(duration)) => tokio::time::sleep(duration).await,
        Some(Failure::ServerError(status)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return meta_error(status, "internal server error");
        }
        Some(Failure::RateLimited { retry_after }) => {
            let mut response = meta_error(StatusCode::TOO_MANY_REQUESTS, "rate limit exceeded");
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
    if !server.fake.authorized(server.region, &parts.headers) {
        return meta_error(StatusCode::UNAUTHORIZED, "Unauthorized request");
    }
    next.run(Request::from_parts(parts, Body::from(body))).await
}

fn meta_error(status: StatusCode, message: &str) -> Response {
    reply(status, json!({ "meta": { "error": message } }))
}

fn reply(status: StatusCode, body: Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

async fn not_found() -> Response {
    meta_error(StatusCode::NOT_FOUND, "not found")
}

async fn auth() -> Response {
    reply(StatusCode::OK, json!({}))
}

/// Creates the person or merges the attributes sent into theirs.
async fn upsert_customer(State(server): State<Server>, Path(id): Path<String>, body: Bytes) -> Response {
    let Ok(Value::Object(attributes)) = serde_json::from_slice::<Value>(&body) else {
        return meta_error(
            StatusCode::BAD_REQUEST,
            "invalid JSON body: expected an object of attributes",
        );
    };
    if id.is_empty() || id.len() > 150 {
        return meta_error(StatusCode::BAD_REQUEST, "identifier must be 1 to 150 bytes");
    }
    server.fake.state().customers.entry(id).or_default().extend(attributes);
    reply(StatusCode::OK, json!({}))
}
