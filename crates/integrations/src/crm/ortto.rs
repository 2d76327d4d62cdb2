//! Ortto (API v1). One merge by `str::email` writes the person, their tags and the Afflux
//! status and tier custom fields; the chosen audiences then get an opt-in each. Only Ortto's
//! three regional hosts are ever called: the region is picked from a closed list, never typed.

use std::collections::BTreeMap;
use std::time::Duration;

use afflux_domain::{CredentialField, Destination, OrttoRegion};
use async_trait::async_trait;
use reqwest::StatusCode;
use reqwest::header::HeaderValue;
use serde_json::{Map, Value, json};

use super::http::{Answer, call};
use super::{Connector, Contact, Credentials, CrmContext, CrmError, Endpoints, SyncProgress};

const VENDOR: &str = "Ortto";
const BASE_URL_VARIABLE: &str = "AFFLUX_ORTTO_BASE_URL";
/// Ortto's largest audience page.
const PAGE: usize = 40;
/// 4,000 audiences; a vendor that ignored `offset` would otherwise be paged for ever.
const MAX_PAGES: usize = 100;

/// A custom field Afflux writes: its key in `vendor_state`, its name, and the id Ortto derives
/// from that name (the kebab-cased name), used when the field already exists.
struct CustomField {
    state_key: &'static str,
    name: &'static str,
    existing_id: &'static str,
}

const STATUS_FIELD: CustomField = CustomField {
    state_key: "statusField",
    name: "Afflux Status",
    existing_id: "str:cm:afflux-status",
};
const TIER_FIELD: CustomField = CustomField {
    state_key: "tierField",
    name: "Afflux Tier",
    existing_id: "str:cm:afflux-tier",
};

pub(crate) struct Ortto {
    http: reqwest::Client,
    base: String,
    region: OrttoRegion,
    api_key: HeaderValue,
    status_field: Option<String>,
    tier_field: Option<String>,
}

impl Ortto {
    pub(crate) fn new(
        ctx: &CrmContext,
        credentials: &Credentials,
        vendor_state: &BTreeMap<String, String>,
    ) -> Result<Self, CrmError> {
        let (region, base) = base_url(&ctx.endpoints, credentials.get(CredentialField::Region))?;
        let mut api_key = HeaderValue::from_str(credentials.require(CredentialField::ApiKey)?)
            .map_err(|_| CrmError::Rejected(format!("the {VENDOR} API Key contains characters no key has")))?;
        api_key.set_sensitive(true);
        Ok(Self {
            http: ctx.http.clone(),
            base,
            region,
            api_key,
            status_field: vendor_state.get(STATUS_FIELD.state_key).cloned(),
            tier_field: vendor_state.get(TIER_FIELD.state_key).cloned(),
        })
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: &Value) -> Result<Answer, CrmError> {
        let request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("X-Api-Key", self.api_key.clone())
            .json(body);
        call(request, VENDOR).await
    }

    async fn post(&self, path: &str, body: &Value) -> Result<Value, CrmError> {
        let answer = self.send(reqwest::Method::POST, path, body).await?;
        self.read(&answer)
    }

    /// Ortto's statuses in its own terms, then the usual mapping.
    fn read(&self, answer: &Answer) -> Result<Value, CrmError> {
        let code = answer.status.as_u16();
        match answer.status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(CrmError::Rejected(format!(
                "{VENDOR} rejected the API key for region {} (HTTP {code}): check it is a custom private API \
                 key of an account hosted in that region ({})",
                self.region.as_str().to_ascii_uppercase(),
                self.region.host()
            ))),
            StatusCode::BAD_REQUEST => Err(CrmError::Refused(format!(
                "{VENDOR} refused the request: {}",
                error_message(answer).unwrap_or_else(|| answer.snippet())
            ))),
            _ => {
                answer.check(VENDOR, try_in_seconds(answer))?;
                answer.json(VENDOR)
            }
        }
    }

    /// The id of one of our custom fields, created unless it exists.
    async fn custom_field(&self, field: &CustomField) -> Result<String, CrmError> {
        let body = json!({"type": "text", "name": field.name});
        let answer = self
            .send(reqwest::Method::POST, "/v1/person/custom-field/create", &body)
            .await?;
        let exists = matches!(answer.status, StatusCode::BAD_REQUEST | StatusCode::CONFLICT)
            && answer.body.to_lowercase().contains("exist");
        if exists {
            return Ok(field.existing_id.to_owned());
        }
        self.read(&answer)?
            .get("field_id")
            .and_then(Value::as_str)
            .filter(|id| id.starts_with("str:cm:"))
            .map(str::to_owned)
            .ok_or_else(|| {
                CrmError::Malformed(format!(
                    "{VENDOR} created the field {:?} without a text field id",
                    field.name
                ))
            })
    }

    fn merge_body(&self, contact: &Contact) -> Value {
        let mut fields = Map::new();
        fields.insert("str::email".into(), json!(contact.email));
        let optional = [
            (Some("str::first"), &contact.first_name),
            (Some("str::last"), &contact.last_name),
            (self.status_field.as_deref(), &contact.status),
            (self.tier_field.as_deref(), &contact.tier),
        ];
        // Absent values are left out, so a blank never overwrites what the brand has.
        for (id, value) in optional {
            if let (Some(id), Some(value)) = (id, present(value)) {
                fields.insert(id.into(), json!(value));
            }
        }
        let mut person = json!({"fields": fields});
        if !contact.tags.is_empty() {
            person["tags"] = json!(contact.tags);
        }
        json!({
            "people": [person],
            "merge_by": ["str::email"],
            "merge_strategy": 2,
            "find_strategy": 0,
            "async": false,
        })
    }

    async fn merge(&self, contact: &Contact) -> Result<String, CrmError> {
        let answer = self.post("/v1/person/merge", &self.merge_body(contact)).await?;
        let person = answer
            .get("people")
            .and_then(|p| p.get(0))
            .ok_or_else(|| CrmError::Malformed(format!("{VENDOR}'s merge answer has no person")))?;
        let status = person.get("status").and_then(Value::as_str).unwrap_or_default();
        match status {
            "created" | "merged" => person
                .get("person_id")
                .and_then(Value::as_str)
                .filter(|id| !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric()))
                .map(str::to_owned)
                .ok_or_else(|| CrmError::Malformed(format!("{VENDOR}'s merge answer has no person id"))),
            "suppressed" | "invalid" => {
                let error = person.get("error").and_then(Value::as_str).unwrap_or(status);
                Err(CrmError::Refused(format!(
                    "{VENDOR} refused the person ({status}): {error}"
                )))
            }
            _ => Err(CrmError::Malformed(format!(
                "{VENDOR}'s merge answer has an unknown status {status:?}"
            ))),
        }
    }

    async fn subscribe(&self, email: &str, audience: &Destination) -> Result<(), CrmError> {
        let body = json!({
            "audience_id": audience.id,
            "people": [{"email": email, "subscribed": true}],
            "async": false,
        });
        let answer = self.send(reqwest::Method::PUT, "/v1/audience/subscribe", &body).await?;
        self.read(&answer).map(drop)
    }
}

#[async_trait]
impl Connector for Ortto {
    async fn verify(&self) -> Result<BTreeMap<String, String>, CrmError> {
        self.post("/v1/audiences/get", &json!({"limit": 1})).await?;
        let mut state = BTreeMap::new();
        for field in [STATUS_FIELD, TIER_FIELD] {
            state.insert(field.state_key.to_owned(), self.custom_field(&field).await?);
        }
        Ok(state)
    }

    async fn destinations(&self) -> Result<Vec<Destination>, CrmError> {
        let mut out = Vec::new();
        for page in 0..MAX_PAGES {
            let body = json!({"limit": PAGE, "offset": page * PAGE, "archived": false});
            let answer = self.post("/v1/audiences/get", &body).await?;
            let items = answer
                .as_array()
                .ok_or_else(|| CrmError::Malformed(format!("{VENDOR}'s audience list is not a list")))?;
            out.extend(items.iter().filter_map(|item| {
                let id = item.get("id").and_then(Value::as_str)?.to_owned();
                let name = item.get("name").and_then(Value::as_str)?.to_owned();
                Some(Destination { id, name })
            }));
            if items.len() < PAGE {
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
        if !progress.is_done("upsert") {
            progress.contact_id = Some(self.merge(contact).await?);
            progress.mark("upsert");
        }
        if !destinations.is_empty() && !progress.is_done("list") {
            for audience in destinations {
                self.subscribe(&contact.email, audience).await?;
            }
            progress.mark("list");
        }
        Ok(())
    }
}

/// The region picked at connect (AP3 when none) and its base URL. Only the operator's
/// override replaces the region's documented host.
fn base_url(endpoints: &Endpoints, region: Option<&str>) -> Result<(OrttoRegion, String), CrmError> {
    let region = match region {
        None => OrttoRegion::Ap3,
        Some(name) => OrttoRegion::parse("region", name)
            .map_err(|_| CrmError::Rejected(format!("the {VENDOR} region {name:?} is not one of AP3, AU or EU")))?,
    };
    let base = endpoints.base(BASE_URL_VARIABLE, &format!("https://{}", region.host()));
    Ok((region, base))
}

/// The `error` of Ortto's error envelope.
fn error_message(answer: &Answer) -> Option<String> {
    let body: Value = serde_json::from_str(&answer.body).ok()?;
    body.get("error")?.as_str().map(str::to_owned)
}

/// The wait of Ortto's 429 body: `{"error":{"code":"rate-limit","try-in-seconds":10}}`.
fn try_in_seconds(answer: &Answer) -> Option<Duration> {
    let body: Value = serde_json::from_str(&answer.body).ok()?;
    let secs = body.get("error")?.get("try-in-seconds")?.as_f64()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(3_600.0)))
}

fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(region: Option<&str>) -> Result<String, CrmError> {
        base_url(&Endpoints::default(), region).map(|(_, base)| base)
    }

    #[test]
    fn regions_map_to_their_documented_hosts_only() {
        assert_eq!(base(None).unwrap(), "https://api.ap3api.com");
        assert_eq!(base(Some("AP3")).unwrap(), "https://api.ap3api.com");
        assert_eq!(base(Some("au")).unwrap(), "https://api.au.ap3api.com");
        assert_eq!(base(Some("Eu")).unwrap(), "https://api.eu.ap3api.com");
        for typed in [
            "US",
            "api-us.ap3api.com",
            "eu.evil.example",
            "https://api.eu.ap3api.com",
        ] {
            match base(Some(typed)) {
                Err(CrmError::Rejected(message)) => assert!(message.contains("AP3, AU or EU"), "{message}"),
                other => panic!("{typed:?} should be refused, got {other:?}"),
            }
        }
    }

    #[test]
    fn only_the_operator_replaces_the_host() {
        let endpoints = Endpoints::default().with(BASE_URL_VARIABLE, "http://127.0.0.1:9/");
        let (region, base) = base_url(&endpoints, Some("eu")).unwrap();
        assert_eq!((region, base.as_str()), (OrttoRegion::Eu, "http://127.0.0.1:9"));
    }
}
