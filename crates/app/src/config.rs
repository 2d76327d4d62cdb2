use afflux_domain::{PlanTier, SubscriptionStatus};

/// What the operator configures (see the README for the matching `AFFLUX_*` variables).
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// The URL people reach this instance at; links in emails and the CSRF origin check use it.
    pub public_url: String,
    /// Plan and status of organizations created without explicit ones. A self-hosted instance
    /// defaults to Enterprise and Active: nothing is gated unless the operator says so.
    pub default_plan: PlanTier,
    pub default_status: SubscriptionStatus,
    /// The From address of every email; each organization sets its own display name.
    pub mail_from: String,
    /// Key for tokens and signatures; generated and stored in the database when absent.
    pub secret_key: Option<String>,
    pub session_days: i64,
    pub job_max_attempts: i32,
    /// Peers whose `X-Forwarded-For` names the client (reverse proxies); none by default.
    pub trusted_proxies: crate::TrustedProxies,
    /// How the group-commit click writer batches.
    pub click_writer: crate::tracking::WriterConfig,
    /// CRM base URLs the operator replaced (`AFFLUX_<VENDOR>_BASE_URL`).
    pub crm_endpoints: afflux_integrations::crm::Endpoints,
    /// PayPal's API base (`AFFLUX_PAYPAL_API_BASE`; the live API by default).
    pub paypal_api_base: Option<String>,
    /// Stripe's API base (`AFFLUX_STRIPE_API_BASE`; the live API by default).
    pub stripe_api_base: Option<String>,
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            default_plan: PlanTier::Enterprise,
            default_status: SubscriptionStatus::Active,
            mail_from: "afflux@localhost".into(),
            secret_key: None,
            session_days: 14,
            job_max_attempts: 8,
            trusted_proxies: crate::TrustedProxies::default(),
            click_writer: crate::tracking::WriterConfig::default(),
            crm_endpoints: afflux_integrations::crm::Endpoints::default(),
            paypal_api_base: None,
            stripe_api_base: None,
        }
    }
}

impl AppConfig {
    /// Cookies get the Secure flag when the instance is served over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.public_url.trim_end_matches('/'), path)
    }
}
