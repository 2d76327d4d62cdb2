//! Fake of the Mailchimp Marketing API 3.0: Basic auth with the key as password, audiences,
//! members addressed by the MD5 of the lower-cased email (a mismatch is refused), tags in
//! their own call (204), and errors as problem+json (`title`, `status`, `detail`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use base64::Engine;
use md5::{Digest, Md5};
use serde_json::{Value, json};

use crate::front::{self, Vendor};
pub use crate::script::Failure;
use crate::script::{Played, Script};
use crate::{Journal, Running, Shared, reply};

/// The key the fake accepts until told otherwise (data center `us12`).
pub const API_KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0-us12";

/// A member of an audience as the fake holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub email_address: String,
    pub status: String,
    pub merge_fields: BTreeMap<String, String>,
    pub tags: BTreeSet<String>,
}

#[derive(Default)]
struct Account {
    api_key: String,
    /// Audiences by id, with their names, in creation order.
    lists: Vec<(String, String)>,
    /// Members by audience id and subscriber hash.
    members: BTreeMap<(String, String), Member>,
    /// Addresses deleted for good (GDPR): Mailchimp will not re-add them.
    forgotten: BTreeSet<String>,
    /// Scripted failures: each fires once, on the next request whose line contains the text.
    failures: Script<Failure>,
}

/// A running fake Mailchimp account; clones share it.
#[derive(Clone)]
pub struct MailchimpFake {
    state: Shared<Account>,
    journal: Journal,
}

/// The MD5 of the lower-cased address, in hex: Mailchimp's subscriber hash.
pub fn subscriber_hash(email: &str) -> String {
    format!("{:x}", Md5::digest(email.to_lowercase().as_bytes()))
}

impl MailchimpFake {
    /// Serves a fake account accepting [`API_KEY`], with no audiences yet.
    pub async fn start() -> (Self, Running) {
        let fake = Self {
            state: Shared::new(Account {
                api_key: API_KEY.to_owned(),
                ..Account::default()
            }),
            journal: Journal::default(),
        };
        let routes = Router::new()
            .route("/3.0/ping", get(ping))
            .route("/3.0/lists", get(lists))
            .route("/3.0/lists/{list}/members/{hash}", put(upsert_member))
            .route("/3.0/lists/{list}/members/{hash}/tags", post(member_tags))
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

    /// An existing member, as if added in Mailchimp before.
    pub fn add_member(&self, list: &str, email: &str, status: &str, merge_fields: &[(&str, &str)]) {
        let member = Member {
            email_address: email.to_owned(),
            status: status.to_owned(),
            merge_fields: merge_fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            tags: BTreeSet::new(),
        };
        self.state
            .lock()
            .members
            .insert((list.to_owned(), subscriber_hash(email)), member);
    }

    pub fn member(&self, list: &str, email: &str) -> Option<Member> {
        self.state
            .lock()
            .members
            .get(&(list.to_owned(), subscriber_hash(email)))
            .cloned()
    }

    /// Marks an address as permanently deleted, which Mailchimp refuses to re-add.
    pub fn forget(&self, email: &str) {
        self.state.lock().forgotten.insert(email.to_lowercase());
    }

    /// Plays `failure` on the next request, whatever it is.
    pub fn fail_next(&self, failure: Failure) {
        self.fail_next_on("", failure);
    }

    /// Plays `failure` on the next request whose `"METHOD /path"` contains `fragment`.
    pub fn fail_next_on(&self, fragment: &str, failure: Failure) {
        self.state.lock().failures.push(fragment, failure);
    }

    /// Basic auth with the key as the password (the user name is ignored).
    fn authorized(&self, headers: &HeaderMap) -> bool {
        let Some(encoded) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
        else {
            return false;
        };
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded) else {
            return false;
        };
        let decoded = String::from_utf8_lossy(&decoded);
        decoded
            .split_once(':')
            .is_some_and(|(_, key)| key == self.state.lock().api_key)
    }
}

impl Vendor for MailchimpFake {
    type Failure = Failure;

    fn journal(&self) -> &Journal {
        &self.journal
    }

    fn take_failure(&self, line: &str) -> Option<Failure> {
        self.state.lock().failures.take(line)
    }

    fn play(failure: Failure) -> Played {
        failure.play(
            |status| {
                problem(
                    status,
                    "Internal Server Error",
                    "An unexpected internal error has occurred.",
                )
            },
            || {
                problem(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too Many Requests",
                    "You have exceeded the limit of 10 simultaneous connections.",
                )
            },
            "<html><body><h1>Service Temporarily Unavailable</h1></body></html>",
        )
    }

    fn refuse(&self, request: &Request) -> Option<Response> {
        (!self.authorized(request.headers())).then(|| {
            problem(
                StatusCode::UNAUTHORIZED,
                "API Key Invalid",
                "Your API key may be invalid, or you've attempted to access the wrong datacenter.",
            )
        })
    }
}

fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    let body = json!({
        "type": "https://mailchimp.com/developer/marketing/docs/errors/",
        "title": title,
        "status": status.as_u16(),
        "detail": detail,
        "instance": "00000000-0000-0000-0000-000000000000",
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

async fn not_found() -> Response {
    resource_not_found()
}

fn resource_not_found() -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "Resource Not Found",
        "The requested resource could not be found.",
    )
}

async fn ping() -> Response {
    reply(StatusCode::OK, json!({ "health_status": "Everything's Chimpy!" }))
}

/// `count` (at most 1,000) and `offset` page the audiences; `total_items` counts them all.
async fn lists(State(fake): State<MailchimpFake>, Query(query): Query<HashMap<String, String>>) -> Response {
    let number = |name: &str, default: usize| query.get(name).and_then(|v| v.parse().ok()).unwrap_or(default);
    let (count, offset) = (number("count", 10).min(1_000), number("offset", 0));
    let state = fake.state.lock();
    let page: Vec<Value> = state
        .lists
        .iter()
        .skip(offset)
        .take(count)
        .map(|(id, name)| json!({ "id": id, "name": name }))
        .collect();
    reply(
        StatusCode::OK,
        json!({ "lists": page, "total_items": state.lists.len() }),
    )
}

fn member_json(list: &str, hash: &str, member: &Member) -> Value {
    let tags: Vec<Value> = member.tags.iter().map(|name| json!({ "name": name })).collect();
    json!({
        "id": hash,
        "email_address": member.email_address,
        "status": member.status,
        "merge_fields": member.merge_fields,
        "tags": tags,
        "list_id": list,
    })
}

async fn upsert_member(
    State(fake): State<MailchimpFake>,
    Path((list, hash)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "JSON Parse Error",
            "We encountered an unspecified JSON parsing error.",
        );
    };
    let mut state = fake.state.lock();
    if !state.lists.iter().any(|(id, _)| *id == list) {
        return resource_not_found();
    }
    let Some(email) = body
        .get("email_address")
        .and_then(Value::as_str)
        .filter(|e| e.contains('@'))
    else {
        return problem(
            StatusCode::BAD_REQUEST,
            "Invalid Resource",
            "Please provide a valid email address.",
        );
    };
    if subscriber_hash(email) != hash {
        return problem(
            StatusCode::BAD_REQUEST,
            "Invalid Resource",
            "The subscriber hash does not match the email address.",
        );
    }
    if state.forgotten.contains(&email.to_lowercase()) {
        let detail = format!(
            "{email} was permanently deleted and cannot be re-imported. The contact must re-subscribe to get back on the list."
        );
        return problem(StatusCode::BAD_REQUEST, "Forgotten Email Not Subscribed", &detail);
    }
    let key = (list.clone(), hash.clone());
    let status = body.get("status").and_then(Value::as_str);
    let member = match state.members.get_mut(&key) {
        Some(member) => {
            if let Some(status) = status {
                member.status = status.to_owned();
            }
            member
        }
        None => {
            let Some(status) = status.or_else(|| body.get("status_if_new").and_then(Value::as_str)) else {
                return problem(
                    StatusCode::BAD_REQUEST,
                    "Invalid Resource",
                    "The resource submitted could not be validated: status is required for new members.",
                );
            };
            let member = Member {
                email_address: email.to_owned(),
                status: status.to_owned(),
                merge_fields: BTreeMap::new(),
                tags: BTreeSet::new(),
            };
            state.members.entry(key).or_insert(member)
        }
    };
    if let Some(fields) = body.get("merge_fields").and_then(Value::as_object) {
        for (name, value) in fields {
            if let Some(value) = value.as_str() {
                member.merge_fields.insert(name.clone(), value.to_owned());
            }
        }
    }
    reply(StatusCode::OK, member_json(&list, &hash, member))
}

/// Adds (`active`) or removes (`inactive`) tags; 204 with no body.
async fn member_tags(
    State(fake): State<MailchimpFake>,
    Path((list, hash)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let tags = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|body| body.get("tags").and_then(Value::as_array).cloned());
    let Some(tags) = tags else {
        return problem(
            StatusCode::BAD_REQUEST,
            "Invalid Resource",
            "The resource submitted could not be validated: tags is required.",
        );
    };
    let mut state = fake.state.lock();
    let Some(member) = state.members.get_mut(&(list, hash)) else {
        return resource_not_found();
    };
    for tag in &tags {
        let (Some(name), Some(status)) = (
            tag.get("name").and_then(Value::as_str),
            tag.get("status").and_then(Value::as_str),
        ) else {
            return problem(
                StatusCode::BAD_REQUEST,
                "Invalid Resource",
                "Each tag needs a name and a status.",
            );
        };
        match status {
            "active" => member.tags.insert(name.to_owned()),
            "inactive" => member.tags.remove(name),
            _ => {
                return problem(
                    StatusCode::BAD_REQUEST,
                    "Invalid Resource",
                    "Tag status is active or inactive.",
                );
            }
        };
    }
    StatusCode::NO_CONTENT.into_response()
}
