//! Mailchimp Marketing API 3.0. A contact is a member of an audience (a "list"), addressed by
//! the MD5 of its lower-cased email; tags go through their own endpoint after the upsert.

use std::collections::BTreeMap;

use afflux_domain::{CredentialField, CrmVendor, Destination};
use async_trait::async_trait;
use md5::{Digest, Md5};
use reqwest::{Method, RequestBuilder};
use serde_json::{Map, Value, json};

use super::http::{Answer, call};
use super::{Connector, Contact, Credentials, CrmContext, CrmError, SyncProgress};

const VENDOR: &str = "Mailchimp";
/// Audiences per picker page (Mailchimp allows up to 1,000).
const PAGE_SIZE: u64 = 100;
/// Picker pages read at most, so an answer that never ends cannot keep us looping.
const MAX_PAGES: u64 = 100;

pub(crate) struct Mailchimp {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl Mailchimp {
    pub(crate) fn new(
        ctx: &CrmContext,
        credentials: &Credentials,
        _vendor_state: &BTreeMap<String, String>,
    ) -> Result<Self, CrmError> {
        let key = credentials.require(CredentialField::ApiKey)?;
        let base = ctx
            .endpoints
            .base(&CrmVendor::Mailchimp.base_url_variable(), &default_base(key)?);
        Ok(Self {
            http: ctx.http.clone(),
            base,
            key: key.to_owned(),
        })
    }

    /// Basic auth: Mailchimp ignores the user name and reads the key as the password.
    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}/3.0{path}", self.base))
            .basic_auth("afflux", Some(&self.key))
    }

    async fn send(&self, request: RequestBuilder) -> Result<Answer, CrmError> {
        let answer = call(request, VENDOR).await?;
        answer.check(VENDOR, None).map_err(|e| explain(e, &answer))?;
        Ok(answer)
    }
}

/// `https://<dc>.api.mailchimp.com`, the data center being the key's suffix (`…-us12`).
fn default_base(key: &str) -> Result<String, CrmError> {
    let dc = key
        .rsplit_once('-')
        .map(|(_, dc)| dc)
        .filter(|dc| is_data_center(dc))
        .ok_or_else(|| CrmError::Rejected("the Mailchimp API key has no data-center suffix (…-us12)".into()))?;
    Ok(format!("https://{dc}.api.mailchimp.com"))
}

/// Letters then digits (`us12`): nothing else may become part of the host name.
fn is_data_center(dc: &str) -> bool {
    let digits = dc.trim_start_matches(|c: char| c.is_ascii_lowercase());
    digits.len() < dc.len() && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Mailchimp's member id: the MD5 of the lower-cased email, in hex.
fn subscriber_hash(email: &str) -> String {
    format!("{:x}", Md5::digest(email.trim().to_lowercase().as_bytes()))
}

/// Audience ids are short alphanumeric strings; anything else must not reach a URL path.
fn audience_id(destination: &Destination) -> Result<&str, CrmError> {
    let id = destination.id.as_str();
    let plain = !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    plain.then_some(id).ok_or_else(|| {
        CrmError::Refused(format!(
            "{id:?} is not a Mailchimp audience id; pick the audience again"
        ))
    })
}

/// Mailchimp's problem+json (`title`, `detail`) says more than the status alone.
fn explain(error: CrmError, answer: &Answer) -> CrmError {
    let problem = answer.json(VENDOR).ok().and_then(|body| {
        let title = body.get("title")?.as_str()?.to_owned();
        match body.get("detail").and_then(Value::as_str) {
            Some(detail) if !detail.is_empty() => Some(format!("{title}: {detail}")),
            _ => Some(title),
        }
    });
    match (error, problem) {
        (CrmError::Rejected(_), Some(p)) => CrmError::Rejected(format!("Mailchimp rejected the API key: {p}")),
        (CrmError::Refused(_), Some(p)) => CrmError::Refused(format!("Mailchimp refused the request: {p}")),
        (error, _) => error,
    }
}

/// The member as Mailchimp takes it: `status_if_new` leaves an existing member's status
/// alone, and blank names are left out so they never erase what the audience holds.
fn member_body(contact: &Contact) -> Value {
    let mut body = json!({ "email_address": contact.email.trim(), "status_if_new": "subscribed" });
    let mut merge = Map::new();
    for (field, value) in [("FNAME", &contact.first_name), ("LNAME", &contact.last_name)] {
        if let Some(value) = value.as_deref().filter(|v| !v.trim().is_empty()) {
            merge.insert(field.into(), value.into());
        }
    }
    if !merge.is_empty() {
        body["merge_fields"] = Value::Object(merge);
    }
    body
}

fn malformed(what: &str) -> CrmError {
    CrmError::Malformed(format!("Mailchimp answered without {what}"))
}

#[async_trait]
impl Connector for Mailchimp {
    async fn verify(&self) -> Result<BTreeMap<String, String>, CrmError> {
        self.send(self.request(Method::GET, "/ping")).await?.json(VENDOR)?;
        Ok(BTreeMap::new())
    }

    async fn destinations(&self) -> Result<Vec<Destination>, CrmError> {
        let mut found = Vec::new();
        for page in 0..MAX_PAGES {
            let query = [
                ("count", PAGE_SIZE.to_string()),
                ("offset", (page * PAGE_SIZE).to_string()),
                ("fields", "lists.id,lists.name,total_items".to_owned()),
            ];
            let body = self
                .send(self.request(Method::GET, "/lists").query(&query))
                .await?
                .json(VENDOR)?;
            let lists = body
                .get("lists")
                .and_then(Value::as_array)
                .ok_or_else(|| malformed("its audiences"))?;
            for list in lists {
                let field = |name: &str| list.get(name).and_then(Value::as_str).map(str::to_owned);
                let (Some(id), Some(name)) = (field("id"), field("name")) else {
                    return Err(malformed("an audience's id and name"));
                };
                found.push(Destination { id, name });
            }
            let total = body.get("total_items").and_then(Value::as_u64).unwrap_or_default();
            if lists.is_empty() || found.len() as u64 >= total {
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
        if destinations.is_empty() {
            // Without tags the sync is a status change only, which Mailchimp does not hold.
            if contact.tags.is_empty() {
                return Ok(());
            }
            return Err(CrmError::Refused(
                "pick an audience first: Mailchimp keeps every contact in an audience".into(),
            ));
        }
        let hash = subscriber_hash(&contact.email);
        for destination in destinations {
            let list = audience_id(destination)?;
            let member = format!("/lists/{list}/members/{hash}");
            let upsert = format!("upsert:{list}");
            if !progress.is_done(&upsert) {
                // Audiences with required merge fields would refuse an affiliate we know no
                // address or phone of.
                let request = self
                    .request(Method::PUT, &member)
                    .query(&[("skip_merge_validation", "true")])
                    .json(&member_body(contact));
                let body = self.send(request).await?.json(VENDOR)?;
                let id = body.get("id").and_then(Value::as_str).unwrap_or(&hash);
                progress.contact_id = Some(id.to_owned());
                progress.mark(&upsert);
            }
            let tags = format!("tags:{list}");
            if !progress.is_done(&tags) {
                if !contact.tags.is_empty() {
                    let tags: Vec<Value> = contact
                        .tags
                        .iter()
                        .map(|name| json!({ "name": name, "status": "active" }))
                        .collect();
                    let request = self
                        .request(Method::POST, &format!("{member}/tags"))
                        .json(&json!({ "tags": tags }));
                    self.send(request).await?;
                }
                progress.mark(&tags);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_center_comes_from_the_key_suffix() {
        assert_eq!(default_base("0123abcd-us12").unwrap(), "https://us12.api.mailchimp.com");
        assert_eq!(default_base("a-b-us3").unwrap(), "https://us3.api.mailchimp.com");
        for bad in [
            "0123abcd",
            "0123abcd-",
            "key-12",
            "key-us",
            "key-US12",
            "key-us12.evil.test",
            "key-us1/x",
        ] {
            let error = default_base(bad).unwrap_err();
            assert_eq!(error.code(), "integration_credentials_rejected", "{bad}");
            assert!(error.to_string().contains("data-center suffix"), "{bad}");
        }
    }

    #[test]
    fn operators_may_point_mailchimp_elsewhere() {
        let credentials = Credentials {
            api_key: Some("0123abcd-us12".into()),
            ..Credentials::default()
        };
        let plain = Mailchimp::new(&CrmContext::new(Default::default()), &credentials, &BTreeMap::new()).unwrap();
        assert_eq!(plain.base, "https://us12.api.mailchimp.com");
        let endpoints = crate::crm::Endpoints::default().with("AFFLUX_MAILCHIMP_BASE_URL", "http://127.0.0.1:9/");
        let moved = Mailchimp::new(&CrmContext::new(endpoints), &credentials, &BTreeMap::new()).unwrap();
        assert_eq!(moved.base, "http://127.0.0.1:9");
    }

    #[test]
    fn members_are_addressed_by_the_md5_of_the_lower_cased_email() {
        // `printf %s urist.mcvankab+3@example.com | md5sum`
        assert_eq!(
            subscriber_hash(" Urist.McVankab+3@example.com"),
            "d524250be49b67d8087b2c5dfdf118cd"
        );
    }

    #[test]
    fn blank_names_are_left_out() {
        let contact = Contact {
            email: "jane@brand.test".into(),
            first_name: Some("Jane".into()),
            last_name: Some(" ".into()),
            tags: vec![],
            status: None,
            tier: None,
        };
        let body = member_body(&contact);
        assert_eq!(body["merge_fields"], json!({ "FNAME": "Jane" }));
        let nameless = Contact {
            first_name: None,
            last_name: None,
            ..contact
        };
        assert!(member_body(&nameless).get("merge_fields").is_none());
    }
}
