//! beehiiv API v2: one publication per integration (its id is a credential), subscribers
//! publication-wide, so the "list" picker offers the publication itself. A subscription is
//! created with reactivation and no welcome email, then tagged.

use std::collections::BTreeMap;

use afflux_domain::{CredentialField, CrmVendor, Destination};
use async_trait::async_trait;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

use super::http::{Answer, call};
use super::{Connector, Contact, Credentials, CrmContext, CrmError, SyncProgress};

const VENDOR: &str = "beehiiv";

pub(crate) struct Beehiiv {
    http: reqwest::Client,
    base: String,
    key: String,
    publication: String,
}

impl Beehiiv {
    pub(crate) fn new(
        ctx: &CrmContext,
        credentials: &Credentials,
        _vendor_state: &BTreeMap<String, String>,
    ) -> Result<Self, CrmError> {
        let key = credentials.require(CredentialField::ApiKey)?;
        let publication = credentials.require(CredentialField::PublicationId)?;
        // It becomes part of every URL path: beehiiv's ids are `pub_` and a UUID.
        if !publication
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(CrmError::Rejected(
                "the beehiiv Publication ID must look like pub_00000000-0000-0000-0000-000000000000".into(),
            ));
        }
        Ok(Self {
            http: ctx.http.clone(),
            base: ctx
                .endpoints
                .base(&CrmVendor::Beehiiv.base_url_variable(), "https://api.beehiiv.com"),
            key: key.to_owned(),
            publication: publication.to_owned(),
        })
    }

    /// A request on the publication (`path` below `/v2/publications/{id}`).
    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(
                method,
                format!("{}/v2/publications/{}{path}", self.base, self.publication),
            )
            .bearer_auth(&self.key)
    }

    async fn send(&self, request: RequestBuilder) -> Result<Value, CrmError> {
        let answer = call(request, VENDOR).await?;
        check(&answer)?;
        answer.json(VENDOR)
    }

    /// The publication's name; a 404 means the key cannot see that publication.
    async fn publication_name(&self) -> Result<String, CrmError> {
        let answer = call(self.request(Method::GET, ""), VENDOR).await?;
        if answer.status == StatusCode::NOT_FOUND {
            return Err(CrmError::Rejected(format!(
                "no publication {} for this API key",
                self.publication
            )));
        }
        check(&answer)?;
        let body = answer.json(VENDOR)?;
        body.pointer("/data/name")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| malformed("the publication's name"))
    }

    /// Subscribes the address and answers the subscription's id. An existing subscriber is a
    /// 409, which is success too: the id is then looked up by email.
    async fn subscribe(&self, email: &str) -> Result<String, CrmError> {
        let body = json!({
            "email": email,
            "reactivate_existing": true,
            "send_welcome_email": false,
            "utm_source": "Afflux",
        });
        let answer = call(self.request(Method::POST, "/subscriptions").json(&body), VENDOR).await?;
        if answer.status != StatusCode::CONFLICT {
            check(&answer)?;
            if let Some(id) = subscription_id(&answer.json(VENDOR)?) {
                return Ok(id);
            }
        }
        let path = format!("/subscriptions/by_email/{}", path_segment(email));
        let found = self.send(self.request(Method::GET, &path)).await?;
        subscription_id(&found).ok_or_else(|| malformed("the subscription's id"))
    }
}

fn subscription_id(body: &Value) -> Option<String> {
    let id = body.pointer("/data/id")?.as_str()?;
    (!id.is_empty()).then(|| id.to_owned())
}

/// The usual mapping, with beehiiv's `errors[].message`.
fn check(answer: &Answer) -> Result<(), CrmError> {
    answer.check(VENDOR, None).map_err(|error| {
        let said = answer.json(VENDOR).ok().and_then(|body| {
            let message = body.pointer("/errors/0/message")?.as_str()?;
            Some(message.to_owned())
        });
        match (error, said) {
            (CrmError::Rejected(_), Some(s)) => CrmError::Rejected(format!("beehiiv rejected the API key: {s}")),
            (CrmError::Refused(_), Some(s)) => CrmError::Refused(format!("beehiiv refused the request: {s}")),
            (error, _) => error,
        }
    })
}

fn malformed(what: &str) -> CrmError {
    CrmError::Malformed(format!("beehiiv answered without {what}"))
}

/// `value` as one URL path segment: all but unreserved characters percent-encoded.
fn path_segment(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[async_trait]
impl Connector for Beehiiv {
    async fn verify(&self) -> Result<BTreeMap<String, String>, CrmError> {
        self.publication_name().await?;
        Ok(BTreeMap::new())
    }

    async fn destinations(&self) -> Result<Vec<Destination>, CrmError> {
        Ok(vec![Destination {
            id: self.publication.clone(),
            name: self.publication_name().await?,
        }])
    }

    /// The publication is the destination whatever was picked: beehiiv has no lists.
    async fn sync(&self, contact: &Contact, _: &[Destination], progress: &mut SyncProgress) -> Result<(), CrmError> {
        let id = match progress.contact_id.clone().filter(|_| progress.is_done("upsert")) {
            Some(id) => id,
            None => {
                let id = self.subscribe(contact.email.trim()).await?;
                progress.contact_id = Some(id.clone());
                progress.mark("upsert");
                id
            }
        };
        if !progress.is_done("tags") {
            if !contact.tags.is_empty() {
                let path = format!("/subscriptions/{}/tags", path_segment(&id));
                let request = self.request(Method::POST, &path).json(&json!({ "tags": contact.tags }));
                self.send(request).await?;
            }
            progress.mark("tags");
        }
        Ok(())
    }
}
