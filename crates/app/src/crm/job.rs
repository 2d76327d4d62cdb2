//! The sync job: one affiliate to one integration. It reads everything afresh on each run, so
//! a job that waited in the queue syncs the affiliate as they are now; progress within a
//! generation survives failed attempts, so a retry fires only the steps still to do.

use std::collections::BTreeSet;
use std::time::Duration;

use afflux_domain::{
    AffiliateId, AffiliateStatus, Destination, IntegrationId, OrgId, SyncStatus, contact_tags, person_status,
    split_name,
};
use afflux_integrations::crm::{Contact, CrmError, SyncProgress};
use afflux_store::{CrmSync, Job};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::App;
use crate::jobs::JobError;

pub(crate) const JOB_KIND: &str = "crm.sync";

/// New generations that may overtake one job run before it leaves the rest to a later run.
const MAX_ROUNDS: usize = 3;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SyncJob {
    pub org_id: OrgId,
    pub integration_id: IntegrationId,
    pub affiliate_id: AffiliateId,
}

/// One job per integration and affiliate at a time.
pub(crate) fn dedupe_key(integration: IntegrationId, affiliate: AffiliateId) -> String {
    format!("{}{affiliate}", dedupe_prefix(integration))
}

pub(crate) fn dedupe_prefix(integration: IntegrationId) -> String {
    format!("crm:{integration}:")
}

/// What one round found to do.
struct Work {
    sync: CrmSync,
    contact: Contact,
    destinations: Vec<Destination>,
    connector: Box<dyn afflux_integrations::crm::Connector>,
}

impl App {
    pub(crate) async fn run_crm_sync(&self, job: &Job) -> Result<(), JobError> {
        let payload: SyncJob = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobError::Permanent(format!("malformed CRM sync job: {e}")))?;
        for _ in 0..MAX_ROUNDS {
            let Some(work) = self.sync_work(&payload).await? else {
                return Ok(());
            };
            let mut progress: SyncProgress = serde_json::from_value(work.sync.progress.clone()).unwrap_or_default();
            let outcome = work
                .connector
                .sync(&work.contact, &work.destinations, &mut progress)
                .await;
            let now = OffsetDateTime::now_utc();
            let last_attempt = job.attempts >= job.max_attempts;
            let (status, error) = match &outcome {
                Ok(()) => (SyncStatus::Succeeded, None),
                // A rate limit defers the job without spending an attempt: never the last one.
                Err(e @ CrmError::RateLimited { .. }) => (SyncStatus::Retrying, Some(e)),
                Err(e) if e.is_retryable() && !last_attempt => (SyncStatus::Retrying, Some(e)),
                Err(e) => (SyncStatus::Failed, Some(e)),
            };
            let sync = CrmSync {
                status,
                attempts: job.attempts,
                last_error: error.map(|e| format!("{} ({})", e, e.code())),
                progress: serde_json::to_value(&progress).map_err(|e| JobError::Retry(e.to_string()))?,
                synced_gen: if outcome.is_ok() {
                    work.sync.requested_gen
                } else {
                    work.sync.synced_gen
                },
                synced_at: if outcome.is_ok() {
                    Some(now)
                } else {
                    work.sync.synced_at
                },
                updated_at: now,
                ..work.sync
            };
            let mut tx = self.store().write().await.map_err(retry)?;
            let current = tx.update_crm_sync(&sync).await.map_err(retry)?;
            tx.commit().await.map_err(retry)?;
            if !current {
                // A newer request overtook this run: sync again with what is true now.
                continue;
            }
            return match outcome {
                Ok(()) => Ok(()),
                Err(e @ CrmError::RateLimited { wait }) => Err(JobError::Defer {
                    error: e.to_string(),
                    wait: wait.max(Duration::from_secs(1)),
                }),
                Err(e) if e.is_retryable() => Err(JobError::Retry(e.to_string())),
                Err(e) => Err(JobError::Permanent(e.to_string())),
            };
        }
        Err(JobError::Retry("overtaken by newer requests; trying again".into()))
    }

    /// Reads the integration, the sync and the affiliate; `None` when there is nothing to do
    /// (the integration was removed, the affiliate deleted, or this generation is synced).
    async fn sync_work(&self, job: &SyncJob) -> Result<Option<Work>, JobError> {
        let mut tx = self.store().read().await.map_err(retry)?;
        let org = job.org_id;
        let Some(integration) = tx.get_integration(org, job.integration_id).await.map_err(retry)? else {
            return Ok(None);
        };
        let Some(sync) = tx
            .get_crm_sync(org, job.integration_id, job.affiliate_id)
            .await
            .map_err(retry)?
            .filter(|s| s.synced_gen < s.requested_gen)
        else {
            return Ok(None);
        };
        let Some(affiliate) = tx.get_affiliate(org, job.affiliate_id).await.map_err(retry)? else {
            return Ok(None);
        };
        let memberships = tx.list_memberships(org, affiliate.id).await.map_err(retry)?;
        drop(tx);

        let settings = &integration.settings;
        let approved: Vec<_> = memberships
            .iter()
            .filter(|m| m.status == AffiliateStatus::Approved)
            .collect();
        // Tags and lists only for someone approved somewhere; a paused or banned affiliate
        // keeps their contact but only their status changes.
        let mut tags: Vec<&str> = Vec::new();
        let mut destinations = Vec::new();
        let mut seen = BTreeSet::new();
        if !approved.is_empty() {
            tags.push(&settings.system_tag);
            tags.extend(settings.default_tags.iter().map(String::as_str));
            for membership in &approved {
                let campaign = settings.campaign_overrides.get(&membership.campaign_id);
                if let Some(o) = campaign {
                    tags.extend(o.tags.iter().map(String::as_str));
                }
                let destination = campaign
                    .and_then(|o| o.destination.as_ref())
                    .or(settings.destination.as_ref());
                if let Some(d) = destination
                    && seen.insert(d.id.clone())
                {
                    destinations.push(d.clone());
                }
            }
        }
        let (first_name, last_name) = split_name(affiliate.name.as_deref());
        let contact = Contact {
            // The lower-cased address: the key Afflux deduplicates people by, and CRMs match on.
            email: affiliate.email.key(),
            first_name,
            last_name,
            tags: contact_tags(tags),
            status: person_status(memberships.iter().map(|m| (m.status, m.status_changed_at))).map(|s| s.to_string()),
            tier: None,
        };
        let connector = self.open_credentials(&integration).and_then(|credentials| {
            self.inner
                .crm
                .connector(integration.vendor, &credentials, &settings.vendor_state)
        });
        let connector = match connector {
            Ok(c) => c,
            Err(e) => {
                self.fail_sync(sync, &e).await?;
                return Err(JobError::Permanent(e.to_string()));
            }
        };
        Ok(Some(Work {
            sync,
            contact,
            destinations,
            connector,
        }))
    }

    /// Marks the sync Failed for a reason no retry can fix (unreadable credentials).
    async fn fail_sync(&self, sync: CrmSync, e: &CrmError) -> Result<(), JobError> {
        let failed = CrmSync {
            status: SyncStatus::Failed,
            last_error: Some(format!("{} ({})", e, e.code())),
            updated_at: OffsetDateTime::now_utc(),
            ..sync
        };
        let mut tx = self.store().write().await.map_err(retry)?;
        tx.update_crm_sync(&failed).await.map_err(retry)?;
        tx.commit().await.map_err(retry)
    }
}

fn retry(e: impl std::fmt::Display) -> JobError {
    JobError::Retry(e.to_string())
}
