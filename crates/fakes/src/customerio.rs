//! Fake of Customer.io's Track API in both regions: one workspace, served on a US and an EU
//! address, that accepts its Site ID and API key (HTTP Basic) only in its own region and
//! answers 401 in the other. `GET /auth` checks credentials; `PUT /api/v1/customers/{id}`
//! creates or updates a person, merging the attributes sent (200 `{}`).

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, put};
use base64::Engine;
use serde_json::{Map, Value, json};

use crate::front::{self, Vendor};
pub use crate::script::Failure;
use crate::script::{BAD_GATEWAY_PAGE, Played, Script};
use crate::{Journal, Running, Shared, reply};

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

#[derive(Default)]
struct Workspace {
    region: Option<Region>,
    site_id: String,
    api_key: String,
    /// People by identifier (the decoded path segment), with their attributes.
    customers: BTreeMap<String, Map<String, Value>>,
    /// `"us PUT /api/v1/customers/…"`: every request of both regions, in order.
    calls: Vec<String>,
    failures: Script<Failure>,
}

/// A running fake Customer.io workspace; clones share it.
#[derive(Clone)]
pub struct CustomerIoFake {
    state: Shared<Workspace>,
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
            state: Shared::new(Workspace {
                region: Some(Region::Us),
                site_id: SITE_ID.to_owned(),
                api_key: API_KEY.to_owned(),
                ..Workspace::default()
            }),
            us: Journal::default(),
            eu: Journal::default(),
        };
        let us = fake.serve(Region::Us).await;
        let eu = fake.serve(Region::Eu).await;
        (fake, us, eu)
    }

    async fn serve(&self, region: Region) -> Running {
        let routes = Router::new()
            .route("/auth", get(auth))
            .route("/api/v1/customers/{id}", put(upsert_customer))
            .fallback(not_found);
        let server = Server {
            fake: self.clone(),
            region,
        };
        front::serve(server, routes).await
    }

    /// Moves the workspace to `region`, or with `None` to neither (the credentials then work
    /// nowhere).
    pub fn set_region(&self, region: Option<Region>) {
        self.state.lock().region = region;
    }

    /// The requests one region's server received, in order.
    pub fn journal(&self, region: Region) -> Journal {
        self.region_journal(region).clone()
    }

    fn region_journal(&self, region: Region) -> &Journal {
        match region {
            Region::Us => &self.us,
            Region::Eu => &self.eu,
        }
    }

    /// Every request of both regions in order, as `"us GET /auth"`.
    pub fn calls(&self) -> Vec<String> {
        self.state.lock().calls.clone()
    }

    /// An existing person's attributes.
    pub fn add_customer(&self, id: &str, attributes: Value) {
        let attributes = attributes.as_object().cloned().unwrap_or_default();
        self.state.lock().customers.insert(id.to_owned(), attributes);
    }

    pub fn customer(&self, id: &str) -> Option<Map<String, Value>> {
        self.state.lock().customers.get(id).cloned()
    }

    /// Plays `failure` on the next request, whatever it is.
    pub fn fail_next(&self, failure: Failure) {
        self.fail_next_on("", failure);
    }

    /// Plays `failure` on the next request whose `"region METHOD /path"` contains `fragment`.
    pub fn fail_next_on(&self, fragment: &str, failure: Failure) {
        self.state.lock().failures.push(fragment, failure);
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
        let state = self.state.lock();
        let expected = format!("{}:{}", state.site_id, state.api_key);
        state.region == Some(region) && decoded == expected.as_bytes()
    }
}

impl Vendor for Server {
    type Failure = Failure;

    fn journal(&self) -> &Journal {
        self.fake.region_journal(self.region)
    }

    /// Logs the call as `"region METHOD /path"`, which is also what scripts match.
    fn take_failure(&self, line: &str) -> Option<Failure> {
        let call = format!("{} {line}", self.region.as_str());
        let mut state = self.fake.state.lock();
        let failure = state.failures.take(&call);
        state.calls.push(call);
        failure
    }

    fn play(failure: Failure) -> Played {
        failure.play(
            |status| meta_error(status, "internal server error"),
            || meta_error(StatusCode::TOO_MANY_REQUESTS, "rate limit exceeded"),
            BAD_GATEWAY_PAGE,
        )
    }

    fn refuse(&self, request: &Request) -> Option<Response> {
        let authorized = self.fake.authorized(self.region, request.headers());
        (!authorized).then(|| meta_error(StatusCode::UNAUTHORIZED, "Unauthorized request"))
    }
}

fn meta_error(status: StatusCode, message: &str) -> Response {
    reply(status, json!({ "meta": { "error": message } }))
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
    let mut state = server.fake.state.lock();
    state.customers.entry(id).or_default().extend(attributes);
    reply(StatusCode::OK, json!({}))
}
