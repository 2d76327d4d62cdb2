//! CRM and email-tool connectors. Each vendor module turns one affiliate into the vendor's
//! contact (upsert, tags, list) through its documented API; the app decides when, keeps the
//! progress between attempts and retries on the errors that say so.

mod activecampaign;
mod beehiiv;
mod customerio;
mod http;
mod klaviyo;
mod mailchimp;
mod ontraport;
mod ortto;
mod rate_gate;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use afflux_domain::{CredentialField, CrmVendor, Destination};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

pub use rate_gate::RateGates;

/// What a connect form collected. Never logged: `Debug` shows which fields are present only.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Credentials {
    pub api_key: Option<String>,
    pub app_id: Option<String>,
    /// Ortto: `Ap3` (default), `Au` or `Eu`.
    pub region: Option<String>,
    /// ActiveCampaign: `https://<account>.api-us1.com`.
    pub account_url: Option<String>,
    pub site_id: Option<String>,
    pub publication_id: Option<String>,
}

impl Credentials {
    pub fn get(&self, field: CredentialField) -> Option<&str> {
        let value = match field {
            CredentialField::ApiKey => &self.api_key,
            CredentialField::AppId => &self.app_id,
            CredentialField::Region => &self.region,
            CredentialField::AccountUrl => &self.account_url,
            CredentialField::SiteId => &self.site_id,
            CredentialField::PublicationId => &self.publication_id,
        };
        value.as_deref().map(str::trim).filter(|v| !v.is_empty())
    }

    /// The value of a field the vendor requires.
    pub fn require(&self, field: CredentialField) -> Result<&str, CrmError> {
        self.get(field).ok_or(CrmError::MissingCredential(field))
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("app_id", &self.app_id.as_ref().map(|_| "<redacted>"))
            .field("region", &self.region)
            .field("account_url", &self.account_url)
            .field("site_id", &self.site_id.as_ref().map(|_| "<redacted>"))
            .field("publication_id", &self.publication_id)
            .finish()
    }
}

/// An affiliate as the CRM sees them. Empty values are `None` and never sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// System tag, default tags and campaign tags, deduplicated.
    pub tags: Vec<String>,
    /// `afflux_status`: Approved, Paused, …
    pub status: Option<String>,
    /// `afflux_tier`: the affiliate's performance tier, when the program has tiers.
    pub tier: Option<String>,
}

/// What a sync has done so far, kept between attempts: a retry after a failed tag call
/// fires only the steps not yet done.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncProgress {
    /// The vendor's id of the contact, once the upsert succeeded.
    pub contact_id: Option<String>,
    /// Steps finished, by name (`"upsert"`, `"list"`, `"tags"`).
    #[serde(default)]
    pub done: Vec<String>,
}

impl SyncProgress {
    pub fn is_done(&self, step: &str) -> bool {
        self.done.iter().any(|s| s == step)
    }

    pub fn mark(&mut self, step: &str) {
        if !self.is_done(step) {
            self.done.push(step.to_owned());
        }
    }
}

/// Why a vendor call failed. `code()` is the stable error code shown to people.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CrmError {
    #[error("the {} is missing", .0.label())]
    MissingCredential(CredentialField),
    /// The vendor refused the credentials (401/403) or a credential is malformed.
    #[error("{0}")]
    Rejected(String),
    /// 429: try again after `wait`, as the vendor's headers or body say.
    #[error("rate limited by the vendor; retry in {}s", .wait.as_secs())]
    RateLimited { wait: Duration },
    /// 5xx, timeouts, refused connections: the vendor is down for now.
    #[error("{0}")]
    Unavailable(String),
    /// The vendor answered something we cannot read.
    #[error("{0}")]
    Malformed(String),
    /// The vendor refused this contact for good (invalid or suppressed address, …).
    #[error("{0}")]
    Refused(String),
}

impl CrmError {
    pub fn code(&self) -> &'static str {
        match self {
            CrmError::MissingCredential(_) => "integration_credentials_missing",
            CrmError::Rejected(_) => "integration_credentials_rejected",
            CrmError::RateLimited { .. } => "integration_rate_limited",
            CrmError::Unavailable(_) => "integration_unavailable",
            CrmError::Malformed(_) => "integration_bad_response",
            CrmError::Refused(_) => "integration_refused",
        }
    }

    /// Whether another attempt may succeed without anyone changing anything.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            CrmError::RateLimited { .. } | CrmError::Unavailable(_) | CrmError::Malformed(_)
        )
    }
}

/// One vendor account, ready to call.
#[async_trait]
pub trait Connector: Send + Sync {
    /// The live test call of the connect flow. Answers what must be remembered for later
    /// calls (a detected region, ids of custom fields it made sure exist).
    async fn verify(&self) -> Result<BTreeMap<String, String>, CrmError>;
    /// The live picker: lists, audiences, tags or publications, by id and name.
    async fn destinations(&self) -> Result<Vec<Destination>, CrmError>;
    /// Upserts the contact, puts it in `destinations` (the chosen lists; may be empty) and
    /// attaches its tags, skipping the steps `progress` marks done and marking each one that
    /// succeeds.
    async fn sync(
        &self,
        contact: &Contact,
        destinations: &[Destination],
        progress: &mut SyncProgress,
    ) -> Result<(), CrmError>;
}

/// Base URLs the operator replaced (`AFFLUX_<VENDOR>_BASE_URL`); a tenant never can.
#[derive(Debug, Clone, Default)]
pub struct Endpoints {
    overrides: HashMap<String, String>,
}

impl Endpoints {
    /// Replaces a base URL, by its variable name (`AFFLUX_ONTRAPORT_BASE_URL`, …).
    pub fn with(mut self, variable: &str, url: &str) -> Self {
        self.overrides.insert(variable.to_owned(), url.to_owned());
        self
    }

    /// The operator's base URL for `variable`, else `default`; without a trailing slash.
    pub(crate) fn base(&self, variable: &str, default: &str) -> String {
        self.overrides
            .get(variable)
            .map(String::as_str)
            .unwrap_or(default)
            .trim_end_matches('/')
            .to_owned()
    }
}

/// Customer.io has two regions, so tests can replace both.
pub const CUSTOMERIO_EU_VARIABLE: &str = "AFFLUX_CUSTOMERIO_EU_BASE_URL";

/// What every connector shares: one HTTP client, the base URLs, the per-account rate gates.
#[derive(Clone)]
pub struct CrmContext {
    pub(crate) http: reqwest::Client,
    pub(crate) endpoints: Arc<Endpoints>,
    pub(crate) gates: RateGates,
}

/// How long one vendor call may take, by default, before the attempt counts as failed.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(15);

impl CrmContext {
    pub fn new(endpoints: Endpoints) -> Self {
        Self::with_call_timeout(endpoints, CALL_TIMEOUT)
    }

    /// A context whose calls give up after `timeout` (tests of a vendor that hangs).
    pub fn with_call_timeout(endpoints: Endpoints, timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            // Vendor credentials travel in custom headers, which reqwest keeps on a redirect to
            // another host: no redirects, so a key only ever reaches the host it was meant for.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("Afflux/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the HTTP client builds with a static configuration");
        Self {
            http,
            endpoints: Arc::new(endpoints),
            gates: RateGates::default(),
        }
    }

    /// The connector for `vendor` with these credentials and what `verify` remembered.
    pub fn connector(
        &self,
        vendor: CrmVendor,
        credentials: &Credentials,
        vendor_state: &BTreeMap<String, String>,
    ) -> Result<Box<dyn Connector>, CrmError> {
        for field in vendor.required_fields() {
            credentials.require(field)?;
        }
        let (c, s) = (credentials, vendor_state);
        Ok(match vendor {
            CrmVendor::Ontraport => Box::new(ontraport::Ontraport::new(self, c, s)?),
            CrmVendor::Ortto => Box::new(ortto::Ortto::new(self, c, s)?),
            CrmVendor::Mailchimp => Box::new(mailchimp::Mailchimp::new(self, c, s)?),
            CrmVendor::ActiveCampaign => Box::new(activecampaign::ActiveCampaign::new(self, c, s)?),
            CrmVendor::Klaviyo => Box::new(klaviyo::Klaviyo::new(self, c, s)?),
            CrmVendor::CustomerIo => Box::new(customerio::CustomerIo::new(self, c, s)?),
            CrmVendor::Beehiiv => Box::new(beehiiv::Beehiiv::new(self, c, s)?),
        })
    }
}
