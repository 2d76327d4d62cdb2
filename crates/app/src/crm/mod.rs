//! CRM sync: the verbs of the Integrations page (connect with a live test call, pick a
//! destination, tags and per-campaign overrides, remove) and the requests that put an
//! affiliate's sync on the job queue. The sync itself runs in `job.rs`.

mod job;
mod requests;

use std::collections::BTreeMap;

use afflux_domain::{
    AffiliateId, CampaignId, CampaignOverride, CrmVendor, Destination, Integration, IntegrationId, IntegrationSettings,
    OrgId, Permission, SyncStatus, ValidationError, bounded_text, parse_tags,
};
use afflux_integrations::crm::{Connector, Credentials, CrmError};
use afflux_store::{CrmSync, CrmSyncFilter, CrmSyncRow, Page, Tx};
use serde::{Deserialize, Deserializer};
use time::OffsetDateTime;

pub(crate) use job::JOB_KIND;

use crate::{Actor, App, AppError, AppResult, audit};

/// `POST /api/v1/integrations/crm`: connect a vendor account (or replace its credentials).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConnectIntegration {
    /// Ontraport, Ortto, Mailchimp, ActiveCampaign, Klaviyo, CustomerIo or Beehiiv.
    pub vendor: String,
    pub credentials: Credentials,
}

/// Changes to an integration's settings; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IntegrationPatch {
    /// The list, audience, tag or publication picked from the live picker; `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Destination>)]
    pub destination: Option<Option<Destination>>,
    /// The tag every synced affiliate gets (default "Afflux affiliate").
    pub system_tag: Option<String>,
    pub default_tags: Option<Vec<String>>,
    /// Whether imported affiliates sync too.
    pub sync_on_import: Option<bool>,
}

/// A campaign's own destination and extra tags for one integration.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OverrideInput {
    pub destination: Option<Destination>,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Tells an explicit `null` (clear) from an absent field (keep).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// An integration with how its syncs stand.
#[derive(Debug, Clone)]
pub struct IntegrationSummary {
    pub integration: Integration,
    pub counts: BTreeMap<SyncStatus, i64>,
}

impl App {
    pub async fn connect_integration(&self, actor: &Actor, input: ConnectIntegration) -> AppResult<IntegrationSummary> {
        actor.authorize(Permission::ManageSettings, true)?;
        let vendor = CrmVendor::parse("vendor", &input.vendor)?;
        let credentials = input.credentials;
        // The live test call comes first: nothing is saved for credentials the vendor refuses.
        let connector = self.connector(vendor, &credentials, &BTreeMap::new())?;
        let vendor_state = connector.verify().await.map_err(AppError::Integration)?;
        // A picker offering one destination only (a beehiiv publication) needs no choice.
        let only_destination = match connector.destinations().await {
            Ok(mut found) if found.len() == 1 => found.pop(),
            _ => None,
        };
        let now = OffsetDateTime::now_utc();
        let mut tx = self.store().write().await?;
        tx.lock_org(actor.org_id).await?;
        let existing = tx
            .list_integrations(actor.org_id)
            .await?
            .into_iter()
            .find(|i| i.vendor == vendor);
        let sealed = self.seal_credentials(actor.org_id, vendor, &credentials)?;
        let hint = credential_hint(vendor, &credentials);
        let integration = match existing {
            Some(before) => {
                let mut settings = before.settings.clone();
                settings.vendor_state = vendor_state;
                let after = Integration {
                    sealed_credentials: sealed,
                    credential_hint: hint,
                    settings,
                    updated_at: now,
                    ..before
                };
                tx.update_integration(&after).await?;
                after
            }
            None => {
                let integration = Integration {
                    id: IntegrationId::new(),
                    org_id: actor.org_id,
                    vendor,
                    sealed_credentials: sealed,
                    credential_hint: hint,
                    settings: IntegrationSettings {
                        destination: only_destination,
                        vendor_state,
                        ..IntegrationSettings::default()
                    },
                    created_at: now,
                    updated_at: now,
                };
                tx.insert_integration(&integration).await?;
                integration
            }
        };
        let record = serde_json::json!({ "vendor": vendor, "credentialHint": integration.credential_hint });
        audit::record(
            tx.as_mut(),
            actor.org_id,
            &actor.audit_name(),
            "integration.connected",
            ("integration", &integration.id),
            None::<&()>,
            Some(&record),
        )
        .await?;
        let counts = counts(tx.as_mut(), &integration).await?;
        tx.commit().await?;
        Ok(IntegrationSummary { integration, counts })
    }

    pub async fn integrations(&self, actor: &Actor) -> AppResult<Vec<IntegrationSummary>> {
        actor.authorize(Permission::ViewData, false)?;
        let mut tx = self.store().read().await?;
        let mut out = Vec::new();
        for integration in tx.list_integrations(actor.org_id).await? {
            let counts = counts(tx.as_mut(), &integration).await?;
            out.push(IntegrationSummary { integration, counts });
        }
        Ok(out)
    }

    pub async fn integration(&self, actor: &Actor, id: IntegrationId) -> AppResult<IntegrationSummary> {
        actor.authorize(Permission::ViewData, false)?;
        let mut tx = self.store().read().await?;
        let integration = find(tx.as_mut(), actor.org_id, id).await?;
        let counts = counts(tx.as_mut(), &integration).await?;
        Ok(IntegrationSummary { integration, counts })
    }

    /// The live picker: the vendor's lists, audiences, tags or publications.
    pub async fn integration_destinations(&self, actor: &Actor, id: IntegrationId) -> AppResult<Vec<Destination>> {
        actor.authorize(Permission::ManageSettings, false)?;
        let integration = find(self.store().read().await?.as_mut(), actor.org_id, id).await?;
        let connector = self.integration_connector(&integration)?;
        connector.destinations().await.map_err(AppError::Integration)
    }

    pub async fn update_integration(
        &self,
        actor: &Actor,
        id: IntegrationId,
        patch: IntegrationPatch,
    ) -> AppResult<IntegrationSummary> {
        actor.authorize(Permission::ManageSettings, true)?;
        let mut tx = self.store().write().await?;
        let before = find(tx.as_mut(), actor.org_id, id).await?;
        let mut settings = before.settings.clone();
        if let Some(destination) = patch.destination {
            settings.destination = destination.map(valid_destination).transpose()?;
        }
        if let Some(tag) = patch.system_tag {
            settings.system_tag = bounded_text("systemTag", &tag, 255)?;
        }
        if let Some(tags) = patch.default_tags {
            settings.default_tags = parse_tags("defaultTags", &tags)?;
        }
        if let Some(on) = patch.sync_on_import {
            settings.sync_on_import = on;
        }
        let after = self
            .save_settings(tx.as_mut(), actor, &before, settings, "integration.updated")
            .await?;
        let counts = counts(tx.as_mut(), &after).await?;
        tx.commit().await?;
        Ok(IntegrationSummary {
            integration: after,
            counts,
        })
    }

    /// Sets (or with `None` clears) a campaign's own destination and extra tags.
    pub async fn set_integration_override(
        &self,
        actor: &Actor,
        id: IntegrationId,
        campaign: CampaignId,
        input: Option<OverrideInput>,
    ) -> AppResult<IntegrationSummary> {
        actor.authorize(Permission::ManageSettings, true)?;
        let mut tx = self.store().write().await?;
        let before = find(tx.as_mut(), actor.org_id, id).await?;
        tx.get_campaign(actor.org_id, campaign)
            .await?
            .ok_or(AppError::NotFound("program"))?;
        let mut settings = before.settings.clone();
        match input {
            Some(input) => {
                let entry = CampaignOverride {
                    destination: input.destination.map(valid_destination).transpose()?,
                    tags: parse_tags("tags", &input.tags)?,
                };
                settings.campaign_overrides.insert(campaign, entry);
            }
            None => {
                if settings.campaign_overrides.remove(&campaign).is_none() {
                    return Err(AppError::NotFound("program override"));
                }
            }
        }
        let after = self
            .save_settings(tx.as_mut(), actor, &before, settings, "integration.override_changed")
            .await?;
        let counts = counts(tx.as_mut(), &after).await?;
        tx.commit().await?;
        Ok(IntegrationSummary {
            integration: after,
            counts,
        })
    }

    /// Disconnects: the credentials and sync states go, and pending syncs are cancelled.
    pub async fn remove_integration(&self, actor: &Actor, id: IntegrationId) -> AppResult<()> {
        actor.authorize(Permission::ManageSettings, true)?;
        let mut tx = self.store().write().await?;
        let integration = find(tx.as_mut(), actor.org_id, id).await?;
        let cancelled = tx.cancel_jobs(&job::dedupe_prefix(id)).await?;
        tx.delete_integration(actor.org_id, id).await?;
        let record = serde_json::json!({ "vendor": integration.vendor, "cancelledSyncs": cancelled });
        audit::record(
            tx.as_mut(),
            actor.org_id,
            &actor.audit_name(),
            "integration.removed",
            ("integration", &id),
            Some(&record),
            None::<&()>,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn crm_syncs(&self, actor: &Actor, filter: CrmSyncFilter, page: Page) -> AppResult<Vec<CrmSyncRow>> {
        actor.authorize(Permission::ViewData, false)?;
        Ok(self
            .store()
            .read()
            .await?
            .list_crm_syncs(actor.org_id, &filter, page)
            .await?)
    }

    /// "Retry now": an unfinished sync runs at once with its attempts counted afresh; a
    /// finished one syncs the affiliate again.
    pub async fn retry_crm_sync(
        &self,
        actor: &Actor,
        integration: IntegrationId,
        affiliate: AffiliateId,
    ) -> AppResult<CrmSync> {
        actor.authorize(Permission::ManageAffiliates, true)?;
        let mut tx = self.store().write().await?;
        find(tx.as_mut(), actor.org_id, integration).await?;
        let current = tx
            .get_crm_sync(actor.org_id, integration, affiliate)
            .await?
            .ok_or(AppError::NotFound("sync"))?;
        let sync = if current.synced_gen < current.requested_gen {
            // Unfinished: run it now, keeping its progress (a failed tag call is all that is
            // fired again).
            let pending = CrmSync {
                status: SyncStatus::Pending,
                attempts: 0,
                updated_at: OffsetDateTime::now_utc(),
                ..current
            };
            tx.update_crm_sync(&pending).await?;
            let key = job::dedupe_key(integration, affiliate);
            if !tx.reschedule_job(&key, OffsetDateTime::now_utc()).await? {
                self.schedule_crm_sync(tx.as_mut(), actor.org_id, integration, affiliate)
                    .await?;
            }
            pending
        } else {
            self.schedule_crm_sync(tx.as_mut(), actor.org_id, integration, affiliate)
                .await?
        };
        tx.commit().await?;
        self.wake_worker();
        Ok(sync)
    }

    /// Syncs every affiliate approved in any campaign (after connecting, or after changing
    /// tags); answers how many syncs were requested.
    pub async fn resync_integration(&self, actor: &Actor, id: IntegrationId) -> AppResult<usize> {
        actor.authorize(Permission::ManageSettings, true)?;
        let mut tx = self.store().write().await?;
        find(tx.as_mut(), actor.org_id, id).await?;
        let approved = requests::approved_affiliates(tx.as_mut(), actor.org_id).await?;
        for affiliate in &approved {
            self.schedule_crm_sync(tx.as_mut(), actor.org_id, id, *affiliate)
                .await?;
        }
        tx.commit().await?;
        self.wake_worker();
        Ok(approved.len())
    }

    async fn save_settings(
        &self,
        tx: &mut dyn Tx,
        actor: &Actor,
        before: &Integration,
        settings: IntegrationSettings,
        action: &str,
    ) -> AppResult<Integration> {
        let after = Integration {
            settings,
            updated_at: OffsetDateTime::now_utc(),
            ..before.clone()
        };
        tx.update_integration(&after).await?;
        audit::record(
            tx,
            actor.org_id,
            &actor.audit_name(),
            action,
            ("integration", &after.id),
            Some(&before.settings),
            Some(&after.settings),
        )
        .await?;
        Ok(after)
    }

    fn connector(
        &self,
        vendor: CrmVendor,
        credentials: &Credentials,
        vendor_state: &BTreeMap<String, String>,
    ) -> AppResult<Box<dyn Connector>> {
        self.inner
            .crm
            .connector(vendor, credentials, vendor_state)
            .map_err(AppError::Integration)
    }

    fn integration_connector(&self, integration: &Integration) -> AppResult<Box<dyn Connector>> {
        let credentials = self
            .open_credentials(integration)
            .map_err(|e| AppError::Integration(e.clone()))?;
        self.connector(integration.vendor, &credentials, &integration.settings.vendor_state)
    }

    fn seal_credentials(&self, org: OrgId, vendor: CrmVendor, credentials: &Credentials) -> AppResult<Vec<u8>> {
        let plain = serde_json::to_vec(credentials).map_err(anyhow::Error::from)?;
        Ok(self.secrets().seal(&sealing_context(org, vendor), &plain))
    }

    /// The stored credentials; unreadable ones (the instance key changed) must be entered again.
    fn open_credentials(&self, integration: &Integration) -> Result<Credentials, CrmError> {
        self.secrets()
            .open(
                &sealing_context(integration.org_id, integration.vendor),
                &integration.sealed_credentials,
            )
            .and_then(|plain| serde_json::from_slice(&plain).ok())
            .ok_or_else(|| {
                CrmError::Rejected(format!(
                    "the stored {} credentials cannot be read (was AFFLUX_SECRET_KEY changed?): connect again",
                    integration.vendor.display_name()
                ))
            })
    }
}

async fn find(tx: &mut dyn Tx, org: OrgId, id: IntegrationId) -> AppResult<Integration> {
    tx.get_integration(org, id)
        .await?
        .ok_or(AppError::NotFound("integration"))
}

async fn counts(tx: &mut dyn Tx, integration: &Integration) -> AppResult<BTreeMap<SyncStatus, i64>> {
    let mut counts: BTreeMap<SyncStatus, i64> = SyncStatus::ALL.iter().map(|s| (*s, 0)).collect();
    counts.extend(tx.count_crm_syncs(integration.org_id, integration.id).await?);
    Ok(counts)
}

fn sealing_context(org: OrgId, vendor: CrmVendor) -> Vec<u8> {
    format!("crm-credentials:{org}:{vendor}").into_bytes()
}

fn valid_destination(d: Destination) -> Result<Destination, ValidationError> {
    Ok(Destination {
        id: bounded_text("destination.id", &d.id, 255)?,
        name: bounded_text("destination.name", &d.name, 255)?,
    })
}

/// The last four characters of the key (or App ID), so people can tell keys apart.
fn credential_hint(vendor: CrmVendor, credentials: &Credentials) -> String {
    let key = vendor
        .required_fields()
        .filter_map(|f| credentials.get(f))
        .find(|v| v.chars().count() >= 8)
        .unwrap_or_default();
    crate::secrets::hint(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_show_the_last_four_characters_of_a_long_credential() {
        let creds = Credentials {
            app_id: Some("2_AppID_12345678".into()),
            api_key: Some("short".into()),
            ..Credentials::default()
        };
        assert_eq!(credential_hint(CrmVendor::Ontraport, &creds), "…5678");
        assert_eq!(credential_hint(CrmVendor::Klaviyo, &Credentials::default()), "");
    }

    #[test]
    fn an_explicit_null_clears_and_an_absent_field_keeps() {
        let clear: IntegrationPatch = serde_json::from_str(r#"{"destination":null}"#).unwrap();
        assert_eq!(clear.destination, Some(None));
        let keep: IntegrationPatch = serde_json::from_str("{}").unwrap();
        assert_eq!(keep.destination, None);
    }
}
