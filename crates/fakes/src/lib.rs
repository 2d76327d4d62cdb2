//! Local fakes of vendor APIs, built from the facts in the integration reference: each records
//! every request it receives (so tests assert the exact calls) and can be told to play the
//! vendor's failure modes.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

pub mod activecampaign;
pub mod beehiiv;
pub mod customerio;
mod front;
pub mod klaviyo;
pub mod mailchimp;
pub mod ontraport;
pub mod ortto;
pub mod paypal;
mod script;
pub mod stripe_api;

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn new(method: &Method, uri: &Uri, headers: &HeaderMap, body: &Bytes) -> Self {
        Self {
            method: method.to_string(),
            path: uri.path().to_owned(),
            query: uri.query().map(str::to_owned),
            headers: headers.clone(),
            body: body.to_vec(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as JSON, or as a form turned into a JSON object of strings.
    pub fn body_json(&self) -> serde_json::Value {
        if let Ok(v) = serde_json::from_slice(&self.body) {
            return v;
        }
        let pairs = url::form_urlencoded::parse(&self.body)
            .map(|(k, v)| (k.into_owned(), serde_json::Value::String(v.into_owned())))
            .collect();
        serde_json::Value::Object(pairs)
    }

    /// A query parameter, decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        let query = self.query.as_deref()?;
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// `"METHOD /path"`, for asserting call order.
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// The requests a fake received, in order.
#[derive(Debug, Clone, Default)]
pub struct Journal(Arc<Mutex<Vec<Recorded>>>);

impl Journal {
    pub fn push(&self, request: Recorded) {
        self.0.lock().expect("journal poisoned").push(request);
    }

    pub fn all(&self) -> Vec<Recorded> {
        self.0.lock().expect("journal poisoned").clone()
    }

    pub fn lines(&self) -> Vec<String> {
        self.all().iter().map(Recorded::line).collect()
    }

    pub fn clear(&self) {
        self.0.lock().expect("journal poisoned").clear();
    }

    pub fn len(&self) -> usize {
        self.0.lock().expect("journal poisoned").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A fake's state, shared by its clones and its handlers.
pub(crate) struct Shared<T>(Arc<Mutex<T>>);

impl<T> Shared<T> {
    pub(crate) fn new(state: T) -> Self {
        Self(Arc::new(Mutex::new(state)))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        self.0.lock().expect("fake state poisoned")
    }
}

// Derived, it would ask `T: Clone`.
impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

/// `body` as `application/json`, the content type most vendors answer with.
pub(crate) fn reply(status: StatusCode, body: serde_json::Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// A fake listening on a local port until dropped with its runtime.
pub struct Running {
    pub addr: SocketAddr,
}

impl Running {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Serves `router` on a free local port in the current Tokio runtime.
pub async fn serve(router: Router) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free local port");
    let addr = listener.local_addr().expect("a bound address");
    tokio::spawn(async move {
        axum::serve(listener, router).await.expect("fake server runs");
    });
    Running { addr }
}
