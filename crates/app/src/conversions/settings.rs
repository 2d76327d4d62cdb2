//! The organization's tracking secrets: the S2S signing secret (derived, shown to the Owner)
//! and the Stripe webhook secret (given by the brand, stored encrypted, never shown again).

use afflux_domain::{OrgId, Permission, Role, ValidationError};
use afflux_store::OrgSecret;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{Actor, App, AppError, AppResult, audit};

const STRIPE_WEBHOOK_SECRET: &str = "stripe_webhook_secret";

/// `PUT /api/v1/integrations/stripe`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StripeWebhookSecret {
    /// The endpoint's signing secret from the Stripe dashboard (`whsec_…`).
    pub webhook_secret: String,
}

/// What the API shows of the Stripe connection: never the secret.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StripeSettings {
    pub webhook_secret_configured: bool,
    /// Where to point the Stripe webhook endpoint.
    pub webhook_url: String,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>)]
    pub updated_at: Option<OffsetDateTime>,
}

/// Binds a sealed secret to its organization and name.
fn context(org: OrgId, name: &str) -> Vec<u8> {
    format!("{org}/{name}").into_bytes()
}

impl App {
    /// The S2S signing secret, for the Owner to put in their backend.
    pub async fn s2s_signing_secret(&self, actor: &Actor) -> AppResult<String> {
        actor.authorize(Permission::ManageSettings, true)?;
        if actor.role != Role::Owner {
            return Err(AppError::forbidden("only the Owner may see the signing secret"));
        }
        Ok(self.s2s_signing_secret_of(actor.org_id))
    }

    pub async fn stripe_settings(&self, actor: &Actor) -> AppResult<StripeSettings> {
        actor.authorize(Permission::ViewData, false)?;
        let mut tx = self.store().read().await?;
        let stored = tx.get_org_secret(actor.org_id, STRIPE_WEBHOOK_SECRET).await?;
        Ok(self.stripe_view(actor.org_id, stored.map(|s| s.updated_at)))
    }

    /// Stores the Stripe webhook secret, encrypted (Admin and Owner).
    pub async fn set_stripe_webhook_secret(
        &self,
        actor: &Actor,
        input: StripeWebhookSecret,
    ) -> AppResult<StripeSettings> {
        actor.authorize(Permission::ManageSettings, true)?;
        let secret = input.webhook_secret.trim();
        let well_formed = secret.starts_with("whsec_")
            && (10..=255).contains(&secret.len())
            && secret.bytes().all(|b| b.is_ascii_graphic());
        if !well_formed {
            return Err(ValidationError::new("webhookSecret", "must be the endpoint's signing secret, whsec_…").into());
        }
        let org = actor.org_id;
        let now = OffsetDateTime::now_utc();
        let mut tx = self.store().write().await?;
        let replaced = tx.get_org_secret(org, STRIPE_WEBHOOK_SECRET).await?.is_some();
        tx.put_org_secret(&OrgSecret {
            org_id: org,
            name: STRIPE_WEBHOOK_SECRET.into(),
            ciphertext: self
                .secrets()
                .seal(&context(org, STRIPE_WEBHOOK_SECRET), secret.as_bytes()),
            updated_at: now,
        })
        .await?;
        // The audit entry says that it changed, never what to.
        let after = serde_json::json!({ "webhookSecretConfigured": true, "replaced": replaced });
        audit::record(
            tx.as_mut(),
            org,
            &actor.audit_name(),
            "integration.stripe.updated",
            ("organization", &org),
            None::<&()>,
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(self.stripe_view(org, Some(now)))
    }

    fn stripe_view(&self, org: OrgId, updated_at: Option<OffsetDateTime>) -> StripeSettings {
        StripeSettings {
            webhook_secret_configured: updated_at.is_some(),
            webhook_url: self.config().url(&format!("/hooks/stripe/{org}")),
            updated_at,
        }
    }

    /// The decrypted Stripe webhook secret, if one is configured.
    pub(crate) async fn stripe_webhook_secret_of(&self, org: OrgId) -> AppResult<Option<String>> {
        let mut tx = self.store().read().await?;
        let Some(stored) = tx.get_org_secret(org, STRIPE_WEBHOOK_SECRET).await? else {
            return Ok(None);
        };
        let plain = self
            .secrets()
            .open(&context(org, STRIPE_WEBHOOK_SECRET), &stored.ciphertext)
            .ok_or_else(|| {
                AppError::Internal(anyhow::anyhow!(
                    "the Stripe webhook secret does not decrypt: was the instance key changed?"
                ))
            })?;
        let text = String::from_utf8(plain).map_err(anyhow::Error::from)?;
        Ok(Some(text))
    }
}
