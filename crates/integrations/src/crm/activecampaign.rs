//! ActiveCampaign API v3 on the account's own host: `contact/sync` (an upsert by email), then
//! the contact into each chosen list, then each tag, found by name or created.

use std::collections::BTreeMap;
use std::time::Duration;

use afflux_domain::{CredentialField, CrmVendor, Destination};
use async_trait::async_trait;
use reqwest::{Method, RequestBuilder, StatusCode, Url};
use serde_json::{Map, Value, json};

use super::http::{Answer, call, retry_after};
use super::{Connector, Contact, Credentials, CrmContext, CrmError, SyncProgress};

const VENDOR: &str = "ActiveCampaign";
/// Lists per picker page (ActiveCampaign's maximum).
const PAGE_SIZE: u64 = 100;
/// Picker pages read at most, so an answer that never ends cannot keep us looping.
const MAX_PAGES: u64 = 100;
/// ActiveCampaign allows 5 requests a second per account and rarely says how long to wait.
const RATE_WAIT: Duration = Duration::from_secs(1);

pub(crate) struct ActiveCampaign {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl ActiveCampaign {
    pub(crate) fn new(
        ctx: &CrmContext,
        credentials: &Credentials,
        _vendor_state: &BTreeMap<String, String>,
    ) -> Result<Self, CrmError> {
        let account = account_base(credentials.require(CredentialField::AccountUrl)?)?;
        let key = credentials.require(CredentialField::ApiKey)?;
        Ok(Self {
            http: ctx.http.clone(),
            base: ctx
                .endpoints
                .base(&CrmVendor::ActiveCampaign.base_url_variable(), &account),
            key: key.to_owned(),
        })
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}/api/3{path}", self.base))
            .header("Api-Token", &self.key)
    }

    async fn send(&self, request: RequestBuilder) -> Result<Value, CrmError> {
        let answer = call(request, VENDOR).await?;
        check(&answer)?;
        answer.json(VENDOR)
    }

    /// The id of the contact tag named `name` (case-insensitively), created when missing.
    async fn tag_id(&self, name: &str) -> Result<String, CrmError> {
        // `search` matches parts of names: the exact one is picked from up to 100 hits.
        let request = self
            .request(Method::GET, "/tags")
            .query(&[("search", name), ("limit", "100")]);
        let found = self.send(request).await?;
        let tags = found
            .get("tags")
            .and_then(Value::as_array)
            .ok_or_else(|| malformed("its tags"))?;
        let wanted = name.to_lowercase();
        let existing = tags.iter().find(|tag| {
            let same_name = tag
                .get("tag")
                .and_then(Value::as_str)
                .is_some_and(|t| t.trim().to_lowercase() == wanted);
            let for_contacts = tag
                .get("tagType")
                .and_then(Value::as_str)
                .is_none_or(|t| t == "contact");
            same_name && for_contacts
        });
        if let Some(tag) = existing {
            return id_of(tag).ok_or_else(|| malformed("a tag id"));
        }
        let body = json!({ "tag": { "tag": name, "tagType": "contact", "description": "" } });
        let created = self.send(self.request(Method::POST, "/tags").json(&body)).await?;
        created
            .get("tag")
            .and_then(id_of)
            .ok_or_else(|| malformed("the id of the tag it created"))
    }

    async fn attach_tag(&self, contact: &str, tag: &str) -> Result<(), CrmError> {
        let body = json!({ "contactTag": { "contact": number_or_text(contact), "tag": number_or_text(tag) } });
        let answer = call(self.request(Method::POST, "/contactTags").json(&body), VENDOR).await?;
        // Tagging twice is refused as a duplicate: the contact has the tag, which is the goal.
        if answer.status == StatusCode::UNPROCESSABLE_ENTITY && is_duplicate(&answer) {
            return Ok(());
        }
        check(&answer)?;
        answer.json(VENDOR).map(drop)
    }
}

/// The account's API host from what the connect form took: only ActiveCampaign's own hosts,
/// so a tenant cannot make the server call anywhere else.
fn account_base(url: &str) -> Result<String, CrmError> {
    let rejected = || CrmError::Rejected("the account URL must look like https://youraccount.api-us1.com".into());
    let url = Url::parse(url).map_err(|_| rejected())?;
    let plain = url.scheme() == "https"
        && url.username().is_empty()
        && url.password().is_none()
        && url.port().is_none()
        && matches!(url.path(), "" | "/")
        && url.query().is_none()
        && url.fragment().is_none();
    match url.host_str() {
        Some(host) if plain && is_account_host(host) => Ok(format!("https://{host}")),
        _ => Err(rejected()),
    }
}

/// `<account>.api-us<N>.com` or `<account>.activehosted.com`.
fn is_account_host(host: &str) -> bool {
    let Some((account, domain)) = host.split_once('.') else {
        return false;
    };
    let account_ok = !account.is_empty() && account.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let region = domain.strip_prefix("api-us").and_then(|d| d.strip_suffix(".com"));
    let domain_ok =
        domain == "activehosted.com" || region.is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    account_ok && domain_ok
}

/// The usual mapping, with ActiveCampaign's own words for a refusal (`errors[].title` or
/// `message`; its words for a bad token are about a "Subscriber" and would only confuse).
fn check(answer: &Answer) -> Result<(), CrmError> {
    let wait = retry_after(&answer.headers).unwrap_or(RATE_WAIT);
    answer.check(VENDOR, Some(wait)).map_err(|error| match error {
        CrmError::Rejected(_) => CrmError::Rejected(format!(
            "ActiveCampaign rejected the API key for this account URL (HTTP {})",
            answer.status.as_u16()
        )),
        CrmError::Refused(refused) => {
            let said = answer.json(VENDOR).ok().and_then(|body| {
                let title = body.pointer("/errors/0/title").or_else(|| body.get("message"));
                title.and_then(Value::as_str).map(str::to_owned)
            });
            CrmError::Refused(said.map_or(refused, |s| format!("ActiveCampaign refused the request: {s}")))
        }
        error => error,
    })
}

fn is_duplicate(answer: &Answer) -> bool {
    let body = answer.body.to_lowercase();
    body.contains("already exists") || body.contains("duplicate")
}

/// ActiveCampaign writes ids as strings and reads either form.
fn id_of(object: &Value) -> Option<String> {
    match object.get("id")? {
        Value::String(id) if !id.is_empty() => Some(id.clone()),
        Value::Number(id) => Some(id.to_string()),
        _ => None,
    }
}

/// Ids go out as numbers, as ActiveCampaign's documentation writes them.
fn number_or_text(id: &str) -> Value {
    id.parse::<u64>().map_or_else(|_| Value::from(id), Value::from)
}

fn malformed(what: &str) -> CrmError {
    CrmError::Malformed(format!("ActiveCampaign answered without {what}"))
}

/// Email and the names that are known: blank fields are left out so they erase nothing.
fn contact_body(contact: &Contact) -> Value {
    let mut fields = Map::new();
    fields.insert("email".into(), contact.email.trim().into());
    for (field, value) in [("firstName", &contact.first_name), ("lastName", &contact.last_name)] {
        if let Some(value) = value.as_deref().filter(|v| !v.trim().is_empty()) {
            fields.insert(field.into(), value.into());
        }
    }
    json!({ "contact": fields })
}

#[async_trait]
impl Connector for ActiveCampaign {
    async fn verify(&self) -> Result<BTreeMap<String, String>, CrmError> {
        let me = self.send(self.request(Method::GET, "/users/me")).await?;
        me.get("user").ok_or_else(|| malformed("the key's user"))?;
        Ok(BTreeMap::new())
    }

    async fn destinations(&self) -> Result<Vec<Destination>, CrmError> {
        let mut found = Vec::new();
        for page in 0..MAX_PAGES {
            let query = [("limit", PAGE_SIZE), ("offset", page * PAGE_SIZE)];
            let body = self.send(self.request(Method::GET, "/lists").query(&query)).await?;
            let lists = body
                .get("lists")
                .and_then(Value::as_array)
                .ok_or_else(|| malformed("its lists"))?;
            for list in lists {
                let name = list.get("name").and_then(Value::as_str);
                let (Some(id), Some(name)) = (id_of(list), name) else {
                    return Err(malformed("a list's id and name"));
                };
                found.push(Destination {
                    id,
                    name: name.to_owned(),
                });
            }
            if (lists.len() as u64) < PAGE_SIZE {
                break;
            }
        }
        Ok(found)
    }

    async fn sync(
        &self,
        contact: &Contact,
        destinations: &[Destination],
        progress: &mut SyncProgress,
    ) -> Result<(), CrmError> {
        let id = match progress.contact_id.clone().filter(|_| progress.is_done("upsert")) {
            Some(id) => id,
            None => {
                let request = self.request(Method::POST, "/contact/sync").json(&contact_body(contact));
                let synced = self.send(request).await?;
                let id = synced
                    .get("contact")
                    .and_then(id_of)
                    .ok_or_else(|| malformed("the contact's id"))?;
                progress.contact_id = Some(id.clone());
                progress.mark("upsert");
                id
            }
        };
        for list in destinations {
            let step = format!("list:{}", list.id);
            if progress.is_done(&step) {
                continue;
            }
            // Status 1 is "active" (subscribed) in the list.
            let body = json!({ "contactList": {
                "list": number_or_text(&list.id), "contact": number_or_text(&id), "status": 1,
            } });
            self.send(self.request(Method::POST, "/contactLists").json(&body))
                .await?;
            progress.mark(&step);
        }
        for tag in &contact.tags {
            let step = format!("tag:{}", tag.to_lowercase());
            if progress.is_done(&step) {
                continue;
            }
            let tag_id = self.tag_id(tag).await?;
            self.attach_tag(&id, &tag_id).await?;
            progress.mark(&step);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_activecampaign_hosts_are_accepted() {
        for good in [
            "https://brand.api-us1.com",
            "https://brand.api-us12.com/",
            "https://Brand-2.API-US1.com",
            "https://brand.activehosted.com",
        ] {
            let base = account_base(good).unwrap();
            assert!(base.starts_with("https://brand"), "{good} → {base}");
        }
        for bad in [
            "http://brand.api-us1.com",
            "https://brand.api-us1.com.evil.test",
            "https://evil.test/brand.api-us1.com",
            "https://brand.api-usx.com",
            "https://api-us1.com",
            "https://brand.api-us1.com:8443",
            "https://user@brand.api-us1.com",
            "https://brand.api-us1.com/api/3?x=1",
            "brand.api-us1.com",
        ] {
            let error = account_base(bad).unwrap_err();
            assert_eq!(error.code(), "integration_credentials_rejected", "{bad}");
            assert!(error.to_string().contains("https://youraccount.api-us1.com"), "{bad}");
        }
    }

    #[test]
    fn ids_go_out_as_numbers_when_they_are() {
        assert_eq!(number_or_text("12"), json!(12));
        assert_eq!(number_or_text("abc"), json!("abc"));
        assert_eq!(id_of(&json!({ "id": 7 })), Some("7".into()));
        assert_eq!(id_of(&json!({ "id": "" })), None);
    }
}
