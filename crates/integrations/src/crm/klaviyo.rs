//! Klaviyo's JSON:API (revision pinned): the profile is upserted by email with the Afflux
//! properties, then subscribed to email marketing in each chosen list, which is what makes
//! list-triggered flows fire.

use std::collections::BTreeMap;

use afflux_domain::{CredentialField, CrmVendor, Destination};
use async_trait::async_trait;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, RequestBuilder};
use serde_json::{Map, Value, json};

use super::http::{Answer, call, retry_after};
use super::{Connector, Contact, Credentials, CrmContext, CrmError, SyncProgress};

const VENDOR: &str = "Klaviyo";
/// The API revision these payloads are written for.
const REVISION: &str = "2024-10-15";
const JSON_API: &str = "application/vnd.api+json";
/// Picker pages read at most (Klaviyo pages lists by 10).
const MAX_PAGES: usize = 100;

pub(crate) struct Klaviyo {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl Klaviyo {
    pub(crate) fn new(
        ctx: &CrmContext,
        credentials: &Credentials,
        _vendor_state: &BTreeMap<String, String>,
    ) -> Result<Self, CrmError> {
        let key = credentials.require(CredentialField::ApiKey)?;
        Ok(Self {
            http: ctx.http.clone(),
            base: ctx
                .endpoints
                .base(&CrmVendor::Klaviyo.base_url_variable(), "https://a.klaviyo.com"),
            key: key.to_owned(),
        })
    }

    fn request(&self, method: Method, url: &str) -> RequestBuilder {
        self.http
            .request(method, url)
            .header(AUTHORIZATION, format!("Klaviyo-API-Key {}", self.key))
            .header("revision", REVISION)
            .header(ACCEPT, JSON_API)
    }

    fn post(&self, path: &str, body: &Value) -> RequestBuilder {
        self.request(Method::POST, &format!("{}{path}", self.base))
            .header(CONTENT_TYPE, JSON_API)
            .body(body.to_string())
    }

    async fn send(&self, request: RequestBuilder) -> Result<Answer, CrmError> {
        let answer = call(request, VENDOR).await?;
        check(&answer)?;
        Ok(answer)
    }

    /// One page of lists: the destinations on it and the next page's URL.
    async fn lists_page(&self, url: &str) -> Result<(Vec<Destination>, Option<String>), CrmError> {
        let body = self.send(self.request(Method::GET, url)).await?.json(VENDOR)?;
        let data = body
            .get("data")
            .and_then(Value::as_array)
            .ok_or_else(|| malformed("its lists"))?;
        let mut lists = Vec::new();
        for list in data {
            let id = list.get("id").and_then(Value::as_str);
            let name = list.pointer("/attributes/name").and_then(Value::as_str);
            let (Some(id), Some(name)) = (id, name) else {
                return Err(malformed("a list's id and name"));
            };
            lists.push(Destination {
                id: id.to_owned(),
                name: name.to_owned(),
            });
        }
        let next = body.pointer("/links/next").and_then(Value::as_str).map(str::to_owned);
        Ok((lists, next))
    }
}

/// The usual mapping, with Klaviyo's `errors[].detail`; a 429 waits as `Retry-After` says,
/// else until the `RateLimit-Reset` of the window.
fn check(answer: &Answer) -> Result<(), CrmError> {
    let wait = retry_after(&answer.headers).or_else(|| answer.seconds_header("ratelimit-reset"));
    answer.check(VENDOR, wait).map_err(|error| {
        let detail = answer.json(VENDOR).ok().and_then(|body| {
            let error = body.pointer("/errors/0")?;
            let said = error.get("detail").or_else(|| error.get("title"))?;
            said.as_str().map(str::to_owned)
        });
        match (error, detail) {
            (CrmError::Rejected(_), Some(d)) => CrmError::Rejected(format!("Klaviyo rejected the API key: {d}")),
            (CrmError::Refused(_), Some(d)) => CrmError::Refused(format!("Klaviyo refused the request: {d}")),
            (error, _) => error,
        }
    })
}

fn malformed(what: &str) -> CrmError {
    CrmError::Malformed(format!("Klaviyo answered without {what}"))
}

/// The profile with only what is known: blank values are left out so they erase nothing.
fn profile_body(contact: &Contact) -> Value {
    let known = |fields: [(&str, &Option<String>); 2]| -> Map<String, Value> {
        let known = fields
            .into_iter()
            .filter_map(|(name, value)| Some((name, value.as_deref()?.trim())))
            .filter(|(_, value)| !value.is_empty());
        known.map(|(name, value)| (name.to_owned(), value.into())).collect()
    };
    let mut attributes = known([("first_name", &contact.first_name), ("last_name", &contact.last_name)]);
    attributes.insert("email".into(), contact.email.trim().into());
    let mut properties = known([("afflux_status", &contact.status), ("afflux_tier", &contact.tier)]);
    if !contact.tags.is_empty() {
        properties.insert("afflux_tags".into(), json!(contact.tags));
    }
    if !properties.is_empty() {
        attributes.insert("properties".into(), Value::Object(properties));
    }
    json!({ "data": { "type": "profile", "attributes": attributes } })
}

/// Email marketing consent for one profile, in one list.
fn subscription_body(email: &str, list: &str) -> Value {
    json!({ "data": {
        "type": "profile-subscription-bulk-create-job",
        "attributes": { "profiles": { "data": [{
            "type": "profile",
            "attributes": {
                "email": email.trim(),
                "subscriptions": { "email": { "marketing": { "consent": "SUBSCRIBED" } } },
            },
        }] } },
        "relationships": { "list": { "data": { "type": "list", "id": list } } },
    } })
}

#[async_trait]
impl Connector for Klaviyo {
    async fn verify(&self) -> Result<BTreeMap<String, String>, CrmError> {
        // Reading the first page of lists proves the key and its `lists:read` scope.
        self.lists_page(&format!("{}/api/lists", self.base)).await?;
        Ok(BTreeMap::new())
    }

    async fn destinations(&self) -> Result<Vec<Destination>, CrmError> {
        let mut found = Vec::new();
        let mut url = format!("{}/api/lists", self.base);
        for _ in 0..MAX_PAGES {
            let (lists, next) = self.lists_page(&url).await?;
            found.extend(lists);
            let Some(next) = next else { break };
            // The key only ever goes to Klaviyo's own host, whatever the links say.
            if !next.starts_with(&format!("{}/", self.base)) {
                return Err(CrmError::Malformed(format!(
                    "Klaviyo linked its next page elsewhere: {next}"
                )));
            }
            url = next;
        }
        Ok(found)
    }

    async fn sync(
        &self,
        contact: &Contact,
        destinations: &[Destination],
        progress: &mut SyncProgress,
    ) -> Result<(), CrmError> {
        if !progress.is_done("upsert") {
            let body = self
                .send(self.post("/api/profile-import", &profile_body(contact)))
                .await?
                .json(VENDOR)?;
            let id = body
                .pointer("/data/id")
                .and_then(Value::as_str)
                .ok_or_else(|| malformed("the profile's id"))?;
            progress.contact_id = Some(id.to_owned());
            progress.mark("upsert");
        }
        for list in destinations {
            let step = format!("list:{}", list.id);
            if progress.is_done(&step) {
                continue;
            }
            // 202: a job Klaviyo runs shortly; it has no body to read.
            let body = subscription_body(&contact.email, &list.id);
            self.send(self.post("/api/profile-subscription-bulk-create-jobs", &body))
                .await?;
            progress.mark(&step);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_values_are_left_out_of_the_profile() {
        let contact = Contact {
            email: " jane@brand.test ".into(),
            first_name: Some("Jane".into()),
            last_name: None,
            tags: vec![],
            status: Some("Approved".into()),
            tier: Some("".into()),
        };
        let attributes = &profile_body(&contact)["data"]["attributes"];
        assert_eq!(
            attributes,
            &json!({ "email": "jane@brand.test", "first_name": "Jane", "properties": { "afflux_status": "Approved" } })
        );
        let bare = Contact {
            status: None,
            ..contact
        };
        assert!(profile_body(&bare)["data"]["attributes"].get("properties").is_none());
    }
}
