//! Ontraport (REST API v1). The contact is saved or updated by email, then tagged by tag id in
//! a second call; the two are not atomic, so each is its own step and a retry after a failed
//! tag call fires only the tag call. Ontraport has no mailing lists: the picker lists its tags.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use afflux_domain::{CredentialField, Destination};
use async_trait::async_trait;
use reqwest::header::HeaderValue;
use reqwest::{RequestBuilder, StatusCode};
use serde_json::{Value, json};

use super::http::{Answer, call};
use super::rate_gate::{Announced, RateGate};
use super::{Connector, Contact, Credentials, CrmContext, CrmError, SyncProgress};

const VENDOR: &str = "Ontraport";
const BASE_URL: &str = "https://api.ontraport.com";
const BASE_URL_VARIABLE: &str = "AFFLUX_ONTRAPORT_BASE_URL";
/// Ontraport's largest page.
const PAGE: usize = 50;
/// 5,000 tags; a vendor that ignored `start` would otherwise be paged for ever.
const MAX_PAGES: usize = 100;
/// `objectID` of contacts.
const CONTACTS: &str = "0";

pub(crate) struct Ontraport {
    http: reqwest::Client,
    base: String,
    app_id: HeaderValue,
    api_key: HeaderValue,
    /// The account's rate budget and its tag ids by name.
    gate: Arc<RateGate>,
}

impl Ontraport {
    pub(crate) fn new(
        ctx: &CrmContext,
        credentials: &Credentials,
        _vendor_state: &BTreeMap<String, String>,
    ) -> Result<Self, CrmError> {
        let base = ctx.endpoints.base(BASE_URL_VARIABLE, BASE_URL);
        let app_id = credentials.require(CredentialField::AppId)?;
        let api_key = credentials.require(CredentialField::ApiKey)?;
        Ok(Self {
            http: ctx.http.clone(),
            gate: ctx.gates.gate(&format!("ontraport {base} {app_id}")),
            app_id: secret_header(CredentialField::AppId, app_id)?,
            api_key: secret_header(CredentialField::ApiKey, api_key)?,
            base,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// One call: through the account's rate gate, with both credential headers.
    async fn send(&self, request: RequestBuilder) -> Result<Value, CrmError> {
        let permit = self.gate.acquire().await?;
        let request = request
            .header("Api-Appid", self.app_id.clone())
            .header("Api-Key", self.api_key.clone());
        let answer = call(request, VENDOR).await?;
        permit.observe(&announced(&answer));
        read(&answer)
    }

    async fn upsert(&self, contact: &Contact) -> Result<String, CrmError> {
        let mut body = json!({"objectID": 0, "email": contact.email, "ignore_blanks": true});
        for (field, value) in [("firstname", &contact.first_name), ("lastname", &contact.last_name)] {
            if let Some(value) = present(value) {
                body[field] = json!(value);
            }
        }
        // A JSON body's `objectID` has been missed without the query one (reference §2.1).
        let request = self
            .http
            .post(self.url("/1/objects/saveorupdate"))
            .query(&[("objectID", CONTACTS)])
            .json(&body);
        let answer = self.send(request).await?;
        // An update answers only the changed fields, under `attrs`; an insert the whole record.
        let data = answer.get("data");
        let updated = data.and_then(|d| d.get("attrs")).and_then(|a| a.get("id"));
        updated
            .or_else(|| data.and_then(|d| d.get("id")))
            .and_then(numeric_id)
            .ok_or_else(|| CrmError::Malformed(format!("{VENDOR}'s answer to the contact save has no contact id")))
    }

    async fn attach_tags(
        &self,
        contact_id: &str,
        contact: &Contact,
        destinations: &[Destination],
    ) -> Result<(), CrmError> {
        let mut ids = Vec::new();
        for destination in destinations {
            if !is_numeric(&destination.id) {
                return Err(CrmError::Refused(format!(
                    "the chosen {VENDOR} tag {:?} has no valid id; pick it again",
                    destination.name
                )));
            }
            ids.push(destination.id.clone());
        }
        let mut known = self.gate.names().lock().await;
        for name in &contact.tags {
            let key = name.to_lowercase();
            if let Some(id) = known.get(&key) {
                ids.push(id.clone());
            } else {
                let id = self.find_or_create_tag(name).await?;
                known.insert(key, id.clone());
                ids.push(id);
            }
        }
        drop(known);
        let mut seen = HashSet::new();
        ids.retain(|id| seen.insert(id.clone()));
        if ids.is_empty() {
            return Ok(());
        }
        let form = [
            ("objectID", CONTACTS),
            ("add_list", &ids.join(",")),
            ("ids", contact_id),
        ];
        let result = self.send(self.http.put(self.url("/1/objects/tag")).form(&form)).await;
        if let Err(CrmError::Refused(_)) = &result {
            // Perhaps a tag was deleted since we looked it up: look again next time.
            let mut known = self.gate.names().lock().await;
            for name in &contact.tags {
                known.remove(&name.to_lowercase());
            }
        }
        result.map(drop)
    }

    /// The id of the tag named `name` (any case), created when missing.
    async fn find_or_create_tag(&self, name: &str) -> Result<String, CrmError> {
        // `search` matches substrings: the exact name may be on a later page.
        for page in 0..MAX_PAGES {
            let query = [
                ("search", name.to_owned()),
                ("range", PAGE.to_string()),
                ("start", (page * PAGE).to_string()),
            ];
            let answer = self.send(self.http.get(self.url("/1/Tags")).query(&query)).await?;
            let tags = tags(&answer)?;
            let wanted = name.trim().to_lowercase();
            if let Some(tag) = tags.iter().find(|t| t.name.trim().to_lowercase() == wanted) {
                return Ok(tag.id.clone());
            }
            if tags.len() < PAGE {
                break;
            }
        }
        let form = [("tag_name", name), ("object_type_id", CONTACTS)];
        let answer = self.send(self.http.post(self.url("/1/Tags")).form(&form)).await?;
        let data = answer.get("data");
        data.and_then(|d| d.get("tag_id").or_else(|| d.get("id")))
            .and_then(numeric_id)
            .ok_or_else(|| CrmError::Malformed(format!("{VENDOR}'s answer to the tag creation has no tag id")))
    }
}

#[async_trait]
impl Connector for Ontraport {
    async fn verify(&self) -> Result<BTreeMap<String, String>, CrmError> {
        self.send(self.http.get(self.url("/1/Contacts")).query(&[("range", "1")]))
            .await?;
        Ok(BTreeMap::new())
    }

    async fn destinations(&self) -> Result<Vec<Destination>, CrmError> {
        let mut out = Vec::new();
        for page in 0..MAX_PAGES {
            let query = [("range", PAGE), ("start", page * PAGE)];
            let answer = self.send(self.http.get(self.url("/1/Tags")).query(&query)).await?;
            let tags = tags(&answer)?;
            let short = tags.len() < PAGE;
            out.extend(tags);
            if short {
                break;
            }
        }
        Ok(out)
    }

    async fn sync(
        &self,
        contact: &Contact,
        destinations: &[Destination],
        progress: &mut SyncProgress,
    ) -> Result<(), CrmError> {
        let contact_id = match &progress.contact_id {
            Some(id) if progress.is_done("upsert") => id.clone(),
            _ => {
                let id = self.upsert(contact).await?;
                progress.contact_id = Some(id.clone());
                progress.mark("upsert");
                id
            }
        };
        if !progress.is_done("tags") {
            self.attach_tags(&contact_id, contact, destinations).await?;
            progress.mark("tags");
        }
        Ok(())
    }
}

fn secret_header(field: CredentialField, value: &str) -> Result<HeaderValue, CrmError> {
    let mut header = HeaderValue::from_str(value)
        .map_err(|_| CrmError::Rejected(format!("the {VENDOR} {} contains characters no key has", field.label())))?;
    header.set_sensitive(true);
    Ok(header)
}

/// Ontraport's statuses in its own terms, then the usual mapping; a 2xx must be its JSON
/// envelope with `code` 0.
fn read(answer: &Answer) -> Result<Value, CrmError> {
    let code = answer.status.as_u16();
    match answer.status {
        StatusCode::UNAUTHORIZED => {
            return Err(CrmError::Rejected(format!(
                "{VENDOR} rejected the App ID and API Key (HTTP {code}): check both are pasted whole and \
                 come from the same {VENDOR} account"
            )));
        }
        StatusCode::FORBIDDEN => {
            return Err(CrmError::Rejected(format!(
                "{VENDOR} says the App ID and API Key are valid but lack permission (HTTP {code}): give the \
                 key's user access to contacts and tags"
            )));
        }
        StatusCode::UNPROCESSABLE_ENTITY => {
            return Err(CrmError::Refused(format!(
                "{VENDOR} refused the contact's email address (HTTP {code}): {}",
                answer.snippet()
            )));
        }
        _ => answer.check(VENDOR, answer.seconds_header("x-rate-limit-reset"))?,
    }
    let body = answer.json(VENDOR)?;
    match body.get("code") {
        None => {}
        Some(c) if c.as_i64() == Some(0) || c.as_str() == Some("0") => {}
        Some(c) if c.is_i64() || c.is_string() => {
            return Err(CrmError::Refused(format!(
                "{VENDOR} answered code {c}: {}",
                answer.snippet()
            )));
        }
        Some(_) => {
            return Err(CrmError::Malformed(format!(
                "{VENDOR} answered an envelope without a readable code: {}",
                answer.snippet()
            )));
        }
    }
    Ok(body)
}

/// The `X-Rate-Limit-*` headers Ontraport puts on every answer.
fn announced(answer: &Answer) -> Announced {
    let number = |name: &str| answer.headers.get(name)?.to_str().ok()?.trim().parse().ok();
    Announced {
        limit: number("x-rate-limit-limit"),
        remaining: number("x-rate-limit-remaining"),
        reset: answer.seconds_header("x-rate-limit-reset"),
    }
}

/// The tags of a `GET /1/Tags` page; items without a numeric id or a name are skipped.
fn tags(answer: &Value) -> Result<Vec<Destination>, CrmError> {
    let items = answer
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| CrmError::Malformed(format!("{VENDOR}'s tag list is not a list")))?;
    Ok(items
        .iter()
        .filter_map(|item| {
            let id = item.get("tag_id").and_then(numeric_id)?;
            let name = item.get("tag_name").and_then(Value::as_str)?.to_owned();
            Some(Destination { id, name })
        })
        .collect())
}

/// Ontraport ids come as strings of digits, sometimes as numbers. Anything else is not an id
/// (and must not reach a comma-separated list).
fn numeric_id(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if is_numeric(s) => Some(s.clone()),
        Value::Number(n) => n.as_u64().map(|n| n.to_string()),
        _ => None,
    }
}

fn is_numeric(s: &str) -> bool {
    !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit())
}

fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}
