//! Typed settings: defaults, then an optional TOML file, then `AFFLUX_*` environment variables.

use afflux_domain::{PlanTier, SubscriptionStatus};
use afflux_integrations::crm::Endpoints;
use anyhow::Context;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// `sqlite://afflux.db` (the embedded default) or `postgres://user@host/db`.
    pub database_url: String,
    pub bind: String,
    /// The URL people reach this instance at; `http://{bind}` when unset.
    pub public_url: Option<String>,
    /// Signs links and tokens; generated and kept in the database when unset.
    pub secret_key: Option<String>,
    /// `smtp://host:port`, `smtps://user:pass@host` …; without it emails are written to `mail_dir`.
    pub smtp_url: Option<String>,
    pub mail_dir: String,
    pub mail_from: String,
    /// Plan and status of organizations created without explicit ones.
    pub default_plan: String,
    pub default_status: String,
    pub api_requests_per_minute: u32,
    /// `pretty` or `json`.
    pub log_format: String,
    /// Reverse proxies whose `X-Forwarded-For` names the client: comma-separated addresses or
    /// CIDR ranges. Empty: the connection's peer is the client.
    pub trusted_proxies: String,
    /// How long the click writer waits for more clicks before committing a batch; 0 commits
    /// what is queued at once (batches still form from clicks arriving during a commit).
    pub click_batch_wait_ms: u64,
    /// Replacement base URLs of the CRM connectors, for tests and staging
    /// (`AFFLUX_ONTRAPORT_BASE_URL`, …). Tenants cannot set these.
    pub ontraport_base_url: Option<String>,
    pub ortto_base_url: Option<String>,
    pub mailchimp_base_url: Option<String>,
    pub activecampaign_base_url: Option<String>,
    pub klaviyo_base_url: Option<String>,
    pub customerio_base_url: Option<String>,
    pub customerio_eu_base_url: Option<String>,
    pub beehiiv_base_url: Option<String>,
    /// PayPal's API base for payouts (the sandbox, or a fake in tests).
    pub paypal_api_base: Option<String>,
    /// Stripe's API base for Connect transfers (a fake in tests).
    pub stripe_api_base: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: "sqlite://afflux.db".into(),
            bind: "127.0.0.1:8080".into(),
            public_url: None,
            secret_key: None,
            smtp_url: None,
            mail_dir: "afflux-mail".into(),
            mail_from: "afflux@localhost".into(),
            default_plan: "Enterprise".into(),
            default_status: "Active".into(),
            api_requests_per_minute: 600,
            log_format: "pretty".into(),
            trusted_proxies: String::new(),
            click_batch_wait_ms: 0,
            ontraport_base_url: None,
            ortto_base_url: None,
            mailchimp_base_url: None,
            activecampaign_base_url: None,
            klaviyo_base_url: None,
            customerio_base_url: None,
            customerio_eu_base_url: None,
            beehiiv_base_url: None,
            paypal_api_base: None,
            stripe_api_base: None,
        }
    }
}

impl Settings {
    /// Loads settings from `file` (if given) and the environment.
    pub fn load(file: Option<&str>) -> anyhow::Result<Self> {
        let mut builder = config::Config::builder();
        if let Some(file) = file {
            builder = builder.add_source(config::File::with_name(file).format(config::FileFormat::Toml));
        }
        builder
            .add_source(config::Environment::with_prefix("AFFLUX").try_parsing(true))
            .build()?
            .try_deserialize()
            .context("reading settings")
    }

    /// The connectors' base URLs the operator replaced.
    pub fn crm_endpoints(&self) -> Endpoints {
        let overrides = [
            ("AFFLUX_ONTRAPORT_BASE_URL", &self.ontraport_base_url),
            ("AFFLUX_ORTTO_BASE_URL", &self.ortto_base_url),
            ("AFFLUX_MAILCHIMP_BASE_URL", &self.mailchimp_base_url),
            ("AFFLUX_ACTIVECAMPAIGN_BASE_URL", &self.activecampaign_base_url),
            ("AFFLUX_KLAVIYO_BASE_URL", &self.klaviyo_base_url),
            ("AFFLUX_CUSTOMERIO_BASE_URL", &self.customerio_base_url),
            ("AFFLUX_CUSTOMERIO_EU_BASE_URL", &self.customerio_eu_base_url),
            ("AFFLUX_BEEHIIV_BASE_URL", &self.beehiiv_base_url),
        ];
        overrides
            .into_iter()
            .filter_map(|(name, url)| url.as_deref().filter(|u| !u.is_empty()).map(|u| (name, u)))
            .fold(Endpoints::default(), |e, (name, url)| e.with(name, url))
    }

    pub fn plan(&self) -> anyhow::Result<(PlanTier, SubscriptionStatus)> {
        let plan = PlanTier::parse("default_plan", &self.default_plan)?;
        let status = SubscriptionStatus::parse("default_status", &self.default_status)?;
        Ok((plan, status))
    }
}
