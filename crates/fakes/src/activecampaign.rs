//! Fake of the ActiveCampaign API v3: the `Api-Token` header, `contact/sync` (an upsert by
//! email: 201 when created, 200 when updated), `contactLists`, tags searched by part of their
//! name and created by name, `contactTags` (422 on a duplicate), ids written as strings and
//! errors as `{"errors":[{"title",…}]}` or `{"message"}`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::front::{self, Vendor};
pub use crate::script::Failure;
use crate::script::{BAD_GATEWAY_PAGE, Played, Script};
use crate::{Journal, Running, Shared, reply};

/// The token the fake accepts until told otherwise.
pub const API_TOKEN: &str = "4c1f6a0e9b2d7c3e8f5a1b6d0c9e2f7a3b8d4e1f6a0c5b9d2e7f3a8c4b1d6e0f9a2c7b3";

/// A contact as the fake holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcContact {
    pub id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// List ids, with the status in each (1 active, 2 unsubscribed).
    pub lists: BTreeMap<String, i64>,
    /// Tag ids.
    pub tags: BTreeSet<String>,
}

#[derive(Default)]
struct Account {
    api_token: String,
    lists: Vec<(String, String)>,
    contacts: Vec<AcContact>,
    /// Tags by id: name and type.
    tags: BTreeMap<String, (String, String)>,
    next_id: u64,
    failures: Script<Failure>,
}

impl Account {
    fn new_id(&mut self) -> String {
        self.next_id += 1;
        self.next_id.to_string()
    }
}

/// A running fake ActiveCampaign account; clones share it.
#[derive(Clone)]
pub struct ActiveCampaignFake {
    state: Shared<Account>,
    journal: Journal,
}

impl ActiveCampaignFake {
    /// Serves a fake account accepting [`API_TOKEN`], with no lists, contacts or tags yet.
    pub async fn start() -> (Self, Running) {
        let fake = Self {
            state: Shared::new(Account {
                api_token: API_TOKEN.to_owned(),
                next_id: 100,
                ..Account::default()
            }),
            journal: Journal::default(),
        };
        let routes = Router::new()
            .route("/api/3/users/me", get(me))
            .route("/api/3/lists", get(lists))
            .route("/api/3/contact/sync", post(sync_contact))
            .route("/api/3/contactLists", post(contact_list))
            .route("/api/3/tags", get(search_tags).post(create_tag))
            .route("/api/3/contactTags", post(contact_tag))
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

    /// A contact tag that already exists; answers its id.
    pub fn add_tag(&self, name: &str) -> String {
        let mut state = self.state.lock();
        let id = state.new_id();
        state.tags.insert(id.clone(), (name.to_owned(), "contact".to_owned()));
        id
    }

    /// The names of every tag in the account, in id order.
    pub fn tag_names(&self) -> Vec<String> {
        self.state.lock().tags.values().map(|(name, _)| name.clone()).collect()
    }

    /// An existing contact; answers its id.
    pub fn add_contact(&self, email: &str, first_name: &str, last_name: &str) -> String {
        let mut state = self.state.lock();
        let id = state.new_id();
        state.contacts.push(AcContact {
            id: id.clone(),
            email: email.to_owned(),
            first_name: first_name.to_owned(),
            last_name: last_name.to_owned(),
            lists: BTreeMap::new(),
            tags: BTreeSet::new(),
        });
        id
    }

    pub fn contact(&self, email: &str) -> Option<AcContact> {
        let state = self.state.lock();
        state
            .contacts
            .iter()
            .find(|c| c.email.eq_ignore_ascii_case(email))
            .cloned()
    }

    /// The names of a contact's tags, sorted.
    pub fn contact_tag_names(&self, email: &str) -> Vec<String> {
        let Some(contact) = self.contact(email) else {
            return Vec::new();
        };
        let state = self.state.lock();
        let mut names: Vec<_> = contact
            .tags
            .iter()
            .filter_map(|id| state.tags.get(id))
            .map(|(n, _)| n.clone())
            .collect();
        names.sort();
        names
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

impl Vendor for ActiveCampaignFake {
    type Failure = Failure;

    fn journal(&self) -> &Journal {
        &self.journal
    }

    fn take_failure(&self, line: &str) -> Option<Failure> {
        self.state.lock().failures.take(line)
    }

    fn play(failure: Failure) -> Played {
        failure.play(
            |status| reply(status, json!({ "message": "An unexpected error occurred." })),
            || reply(StatusCode::TOO_MANY_REQUESTS, json!({ "message": "Too Many Requests" })),
            BAD_GATEWAY_PAGE,
        )
    }

    fn refuse(&self, request: &Request) -> Option<Response> {
        let token = request.headers().get("api-token").and_then(|v| v.to_str().ok());
        if token == Some(self.state.lock().api_token.as_str()) {
            return None;
        }
        // What ActiveCampaign answers to a missing or wrong token.
        Some(reply(
            StatusCode::FORBIDDEN,
            json!({ "message": "No Result found for Subscriber with id 0" }),
        ))
    }
}

fn invalid(title: &str, code: &str, pointer: &str) -> Response {
    let error = json!({ "title": title, "detail": "", "code": code, "source": { "pointer": pointer } });
    reply(StatusCode::UNPROCESSABLE_ENTITY, json!({ "errors": [error] }))
}

async fn not_found() -> Response {
    reply(StatusCode::NOT_FOUND, json!({ "message": "No Result found for route" }))
}

/// An id as ActiveCampaign reads it: a string or a number.
fn id_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

async fn me() -> Response {
    reply(
        StatusCode::OK,
        json!({ "user": { "id": "1", "username": "admin", "email": "owner@brand.test", "firstName": "Owner" } }),
    )
}

/// `limit` (at most 100) and `offset` page the lists; `meta.total` counts them all.
async fn lists(State(fake): State<ActiveCampaignFake>, Query(query): Query<HashMap<String, String>>) -> Response {
    let number = |name: &str, default: usize| query.get(name).and_then(|v| v.parse().ok()).unwrap_or(default);
    let (limit, offset) = (number("limit", 20).min(100), number("offset", 0));
    let state = fake.state.lock();
    let page: Vec<Value> = state
        .lists
        .iter()
        .skip(offset)
        .take(limit)
        .map(|(id, name)| json!({ "id": id, "name": name, "stringid": name.to_lowercase().replace(' ', "-") }))
        .collect();
    reply(
        StatusCode::OK,
        json!({ "lists": page, "meta": { "total": state.lists.len().to_string() } }),
    )
}

fn contact_json(contact: &AcContact) -> Value {
    json!({
        "id": contact.id,
        "email": contact.email,
        "firstName": contact.first_name,
        "lastName": contact.last_name,
        "cdate": "2026-11-21T10:00:00-06:00",
    })
}

/// Creates the contact or updates the fields sent; fields not sent stay as they are.
async fn sync_contact(State(fake): State<ActiveCampaignFake>, body: Bytes) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or_default();
    let fields = body.get("contact").cloned().unwrap_or_default();
    let text = |name: &str| fields.get(name).and_then(Value::as_str).map(str::to_owned);
    let Some(email) = text("email").filter(|e| e.contains('@')) else {
        return invalid("Email address is invalid.", "email_invalid", "/data/attributes/email");
    };
    let mut state = fake.state.lock();
    let existing = state.contacts.iter().position(|c| c.email.eq_ignore_ascii_case(&email));
    let (status, at) = match existing {
        Some(at) => (StatusCode::OK, at),
        None => {
            let id = state.new_id();
            let contact = AcContact {
                id,
                email: email.clone(),
                first_name: String::new(),
                last_name: String::new(),
                lists: BTreeMap::new(),
                tags: BTreeSet::new(),
            };
            state.contacts.push(contact);
            (StatusCode::CREATED, state.contacts.len() - 1)
        }
    };
    let contact = &mut state.contacts[at];
    if let Some(first) = text("firstName") {
        contact.first_name = first;
    }
    if let Some(last) = text("lastName") {
        contact.last_name = last;
    }
    reply(status, json!({ "fieldValues": [], "contact": contact_json(contact) }))
}

async fn contact_list(State(fake): State<ActiveCampaignFake>, body: Bytes) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or_default();
    let link = body.get("contactList").cloned().unwrap_or_default();
    let (Some(list), Some(contact), Some(status)) = (
        id_text(link.get("list")),
        id_text(link.get("contact")),
        link.get("status").and_then(Value::as_i64),
    ) else {
        return invalid(
            "List, contact and status are required.",
            "field_missing",
            "/data/attributes",
        );
    };
    let mut state = fake.state.lock();
    if !state.lists.iter().any(|(id, _)| *id == list) {
        return reply(
            StatusCode::NOT_FOUND,
            json!({ "message": format!("No Result found for List with id {list}") }),
        );
    }
    let Some(found) = state.contacts.iter_mut().find(|c| c.id == contact) else {
        return invalid("Contact not found.", "related_missing", "/data/attributes/contact");
    };
    found.lists.insert(list.clone(), status);
    let contacts = vec![contact_json(found)];
    reply(
        StatusCode::CREATED,
        json!({ "contacts": contacts, "contactList": { "contact": contact, "list": list, "status": status, "id": "1" } }),
    )
}

/// `search` matches any part of a name, case-insensitively; `limit` defaults to 20.
async fn search_tags(State(fake): State<ActiveCampaignFake>, Query(query): Query<HashMap<String, String>>) -> Response {
    let search = query.get("search").map(|s| s.to_lowercase()).unwrap_or_default();
    let limit = query.get("limit").and_then(|v| v.parse().ok()).unwrap_or(20_usize);
    let state = fake.state.lock();
    let found: Vec<Value> = state
        .tags
        .iter()
        .filter(|(_, (name, _))| name.to_lowercase().contains(&search))
        .map(|(id, (name, kind))| json!({ "id": id, "tag": name, "tagType": kind, "description": "" }))
        .collect();
    let total = found.len().to_string();
    let page: Vec<Value> = found.into_iter().take(limit).collect();
    reply(StatusCode::OK, json!({ "tags": page, "meta": { "total": total } }))
}

async fn create_tag(State(fake): State<ActiveCampaignFake>, body: Bytes) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or_default();
    let tag = body.get("tag").cloned().unwrap_or_default();
    let Some(name) = tag.get("tag").and_then(Value::as_str).filter(|n| !n.trim().is_empty()) else {
        return invalid("Tag name is required.", "field_missing", "/data/attributes/tag");
    };
    let kind = tag
        .get("tagType")
        .and_then(Value::as_str)
        .unwrap_or("contact")
        .to_owned();
    let mut state = fake.state.lock();
    if state.tags.values().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
        return invalid("Duplicate tag name.", "duplicate", "/data/attributes/tag");
    }
    let id = state.new_id();
    state.tags.insert(id.clone(), (name.to_owned(), kind.clone()));
    reply(
        StatusCode::CREATED,
        json!({ "tag": { "id": id, "tag": name, "tagType": kind, "description": "" } }),
    )
}

async fn contact_tag(State(fake): State<ActiveCampaignFake>, body: Bytes) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or_default();
    let link = body.get("contactTag").cloned().unwrap_or_default();
    let (Some(contact), Some(tag)) = (id_text(link.get("contact")), id_text(link.get("tag"))) else {
        return invalid("Contact and tag are required.", "field_missing", "/data/attributes");
    };
    let mut state = fake.state.lock();
    if !state.tags.contains_key(&tag) {
        return invalid("Tag not found.", "related_missing", "/data/attributes/tag");
    }
    let Some(found) = state.contacts.iter_mut().find(|c| c.id == contact) else {
        return invalid("Contact not found.", "related_missing", "/data/attributes/contact");
    };
    if !found.tags.insert(tag.clone()) {
        return invalid(
            "The related contact tag already exists.",
            "duplicate",
            "/data/attributes/tag",
        );
    }
    reply(
        StatusCode::CREATED,
        json!({ "contactTag": { "contact": contact, "tag": tag, "id": "1" } }),
    )
}
