//! Customer.io's Track API: one idempotent `PUT` of the person by email. An account lives in
//! the US or the EU region and the credentials only work in theirs, so the region is found by
//! trying the US first, then the EU, and remembered.

use std::collections::BTreeMap;

use afflux_domain::{CredentialField, CrmVendor, Destination};
use async_trait::async_trait;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Map, Value};

use super::http::{Answer, call};
use super::{CUSTOMERIO_EU_VARIABLE, Connector, Contact, Credentials, CrmContext, CrmError, SyncProgress};

const VENDOR: &str = "Customer.io";
/// Where `verify` keeps the region it found.
const REGION_KEY: &str = "region";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Region {
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

pub(crate) struct CustomerIo {
    http: reqwest::Client,
    us: String,
    eu: String,
    site_id: String,
    key: String,
    /// The region `verify` found, if it ran.
    region: Option<Region>,
}

impl CustomerIo {
    pub(crate) fn new(
        ctx: &CrmContext,
        credentials: &Credentials,
        vendor_state: &BTreeMap<String, String>,
    ) -> Result<Self, CrmError> {
        let region = match vendor_state.get(REGION_KEY).map(String::as_str) {
            Some("us") => Some(Region::Us),
            Some("eu") => Some(Region::Eu),
            _ => None,
        };
        Ok(Self {
            http: ctx.http.clone(),
            us: ctx
                .endpoints
                .base(&CrmVendor::CustomerIo.base_url_variable(), "https://track.customer.io"),
            eu: ctx
                .endpoints
                .base(CUSTOMERIO_EU_VARIABLE, "https://track-eu.customer.io"),
            site_id: credentials.require(CredentialField::SiteId)?.to_owned(),
            key: credentials.require(CredentialField::ApiKey)?.to_owned(),
            region,
        })
    }

    fn request(&self, method: Method, region: Region, path: &str) -> RequestBuilder {
        let base = match region {
            Region::Us => &self.us,
            Region::Eu => &self.eu,
        };
        self.http
            .request(method, format!("{base}{path}"))
            .basic_auth(&self.site_id, Some(&self.key))
    }

    /// The remembered region, else both in the order to try.
    fn regions(&self) -> Vec<Region> {
        self.region.map_or_else(|| vec![Region::Us, Region::Eu], |r| vec![r])
    }

    /// Sends to each region in turn until one accepts the credentials; answers that region.
    async fn first_accepting(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Region, CrmError> {
        let regions = self.regions();
        let mut last = None;
        for region in regions.iter().copied() {
            let mut request = self.request(method.clone(), region, path);
            if let Some(body) = body {
                request = request.json(body);
            }
            let answer = call(request, VENDOR).await?;
            if answer.status == StatusCode::UNAUTHORIZED {
                last = Some(answer);
                continue;
            }
            answer.check(VENDOR, None)?;
            read(&answer)?;
            return Ok(region);
        }
        let detail = last.map(|a| a.snippet()).unwrap_or_default();
        Err(CrmError::Rejected(match self.region {
            Some(region) => format!(
                "Customer.io rejected the Site ID and API key in the {} region: {detail}",
                region.as_str().to_uppercase()
            ),
            None => "Customer.io rejected the Site ID and API key in both the US and the EU region \
                     (they must be a Track API key and its Site ID)"
                .to_owned(),
        }))
    }
}

/// Track answers `{}` or nothing: anything else that is not JSON means something in between
/// answered instead of Customer.io.
fn read(answer: &Answer) -> Result<(), CrmError> {
    if answer.body.trim().is_empty() {
        return Ok(());
    }
    answer.json(VENDOR).map(drop)
}

/// `value` as one URL path segment: all but unreserved characters percent-encoded, so `+`
/// and `@` in addresses arrive as written.
fn path_segment(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The person's attributes, known values only so nothing already there is erased. Tags are
/// one comma-separated attribute, prefixed to stay clear of Customer.io's reserved names.
fn attributes(contact: &Contact) -> Value {
    let mut attributes = Map::new();
    attributes.insert("email".into(), contact.email.trim().into());
    for (name, value) in [
        ("first_name", &contact.first_name),
        ("last_name", &contact.last_name),
        ("afflux_status", &contact.status),
        ("afflux_tier", &contact.tier),
    ] {
        if let Some(value) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            attributes.insert(name.into(), value.into());
        }
    }
    if !contact.tags.is_empty() {
        attributes.insert("afflux_tags".into(), contact.tags.join(",").into());
    }
    Value::Object(attributes)
}

#[async_trait]
impl Connector for CustomerIo {
    async fn verify(&self) -> Result<BTreeMap<String, String>, CrmError> {
        let region = self.first_accepting(Method::GET, "/auth", None).await?;
        Ok(BTreeMap::from([(REGION_KEY.to_owned(), region.as_str().to_owned())]))
    }

    /// The Track API has no lists: people are segmented inside Customer.io.
    async fn destinations(&self) -> Result<Vec<Destination>, CrmError> {
        Ok(Vec::new())
    }

    async fn sync(&self, contact: &Contact, _: &[Destination], progress: &mut SyncProgress) -> Result<(), CrmError> {
        if progress.is_done("upsert") {
            return Ok(());
        }
        let path = format!("/api/v1/customers/{}", path_segment(contact.email.trim()));
        self.first_accepting(Method::PUT, &path, Some(&attributes(contact)))
            .await?;
        progress.mark("upsert");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_encoded_whole() {
        assert_eq!(path_segment("jane+vip@brand.test"), "jane%2Bvip%40brand.test");
        assert_eq!(path_segment("a/b?c#d"), "a%2Fb%3Fc%23d");
        assert_eq!(path_segment("zoë@x.test"), "zo%C3%AB%40x.test");
    }
}
