//! The verbs of Afflux. Each verb is one database transaction that also writes its audit entry
//! and enqueues its follow-up jobs; HTTP handlers, the CLI and MCP all call these and nothing
//! else writes.

mod actor;
mod affiliates;
mod api_keys;
pub mod applications;
mod audit;
mod auth;
mod campaign_rules;
mod campaigns;
mod config;
pub mod conversions;
mod crm;
mod demo;
mod error;
pub mod exports;
pub mod imports;
mod input;
pub mod jobs;
pub mod mail;
pub mod money;
mod orgs;
mod passwords;
pub mod portal;
mod promo;
pub mod reports;
mod secrets;
pub mod tax;
mod team;
pub mod tracking;

use std::sync::Arc;

use afflux_integrations::email::MailTransport;
use afflux_store::Store;
use tokio::sync::Notify;

pub use actor::{Actor, ActorKind};
pub use affiliates::{AffiliateDetail, AffiliateInvite, Application, StatusChange};
pub use api_keys::{CreatedApiKey, NewApiKey};
pub use auth::{LoginThrottle, SessionUser, Setup};
pub use campaign_rules::{ProductInput, RateInput, RulesInput, TierInput};
pub use campaigns::{CampaignPatch, NewCampaign};
pub use config::AppConfig;
pub use crm::{ConnectIntegration, IntegrationPatch, IntegrationSummary, OverrideInput};
pub use demo::{DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD, DemoSummary};
pub use error::{AppError, AppResult};
pub use input::Decimal;
pub use orgs::{CreatedOrg, NewOrg, OrgPatch};
pub use promo::PromoImageFile;
pub use team::{InviteAcceptance, TeamView};
pub use tracking::{Redirect, ScriptClick, TrackedClick, TrustedProxies, Visit};

/// Everything a verb needs: the store, configuration, secrets and the mail transport.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    config: AppConfig,
    secrets: secrets::Secrets,
    mailer: Arc<dyn MailTransport>,
    throttle: LoginThrottle,
    jobs_ready: Notify,
    tracking: tracking::Tracking,
    /// The group-commit writer of signed S2S sales.
    ingest: conversions::Ingest,
    /// CRM connectors' shared HTTP client and rate gates.
    crm: afflux_integrations::crm::CrmContext,
    /// The payout rails' HTTP client (no redirects: credentials stay with their host).
    payouts_http: afflux_integrations::payouts::PayoutClient,
}

impl App {
    /// Builds the app on an open store: loads (or on first start generates and stores) the
    /// instance secret.
    pub async fn new(store: Arc<dyn Store>, config: AppConfig, mailer: Arc<dyn MailTransport>) -> AppResult<Self> {
        let secrets = secrets::Secrets::load(store.as_ref(), config.secret_key.as_deref()).await?;
        let visitor_key = secrets.derive_token("visitor-hash", b"").into_bytes();
        let tracking = tracking::Tracking::new(store.clone(), visitor_key, config.click_writer);
        let store_for_ingest = store.clone();
        let crm = afflux_integrations::crm::CrmContext::new(config.crm_endpoints.clone());
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                config,
                secrets,
                mailer,
                throttle: LoginThrottle::default(),
                jobs_ready: Notify::new(),
                tracking,
                ingest: conversions::Ingest::new(store_for_ingest),
                crm,
                payouts_http: afflux_integrations::payouts::PayoutClient::new(),
            }),
        })
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    pub fn config(&self) -> &AppConfig {
        &self.inner.config
    }

    fn secrets(&self) -> &secrets::Secrets {
        &self.inner.secrets
    }

    /// Tells an in-process worker that jobs were just committed, so it need not wait for its
    /// next poll.
    fn wake_worker(&self) {
        self.inner.jobs_ready.notify_one();
    }
}
