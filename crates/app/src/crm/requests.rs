//! When an affiliate's sync is requested: on approval, on every later status change of an
//! affiliate already in the CRM, by "retry now", and by a resync.

use std::collections::BTreeSet;

use afflux_domain::{AffiliateId, AffiliateStatus, IntegrationId, OrgId};
use afflux_store::{AffiliateFilter, CrmSync, JobState, Page, Tx};
use time::OffsetDateTime;

use super::job::{self, SyncJob};
use crate::{App, AppResult};

impl App {
    /// Called in the transaction of a status change: syncs the affiliate to every integration
    /// when `approved` (just approved), else only to those that have them already, so a
    /// Pending or Rejected applicant never lands in a CRM.
    pub(crate) async fn request_crm_syncs(
        &self,
        tx: &mut dyn Tx,
        org: OrgId,
        affiliate: AffiliateId,
        approved: bool,
    ) -> AppResult<()> {
        for integration in tx.list_integrations(org).await? {
            if approved || tx.get_crm_sync(org, integration.id, affiliate).await?.is_some() {
                self.schedule_crm_sync(tx, org, integration.id, affiliate).await?;
            }
        }
        Ok(())
    }

    /// Starts a new generation of the sync and makes sure a job will run it: a new job, or
    /// the waiting or dead one due now. A running job notices the new generation itself.
    pub(crate) async fn schedule_crm_sync(
        &self,
        tx: &mut dyn Tx,
        org: OrgId,
        integration: IntegrationId,
        affiliate: AffiliateId,
    ) -> AppResult<CrmSync> {
        let now = OffsetDateTime::now_utc();
        let sync = tx.request_crm_sync(org, integration, affiliate, now).await?;
        let payload = SyncJob {
            org_id: org,
            integration_id: integration,
            affiliate_id: affiliate,
        };
        let key = job::dedupe_key(integration, affiliate);
        if !self
            .enqueue(tx, job::JOB_KIND, Some(org), &payload, Some(key.clone()))
            .await?
            && let Some(existing) = tx.get_job_by_dedupe_key(&key).await?
            && existing.state != JobState::Running
        {
            tx.reschedule_job(&key, now).await?;
        }
        Ok(sync)
    }
}

/// Every affiliate approved in at least one campaign.
pub(super) async fn approved_affiliates(tx: &mut dyn Tx, org: OrgId) -> AppResult<Vec<AffiliateId>> {
    let filter = AffiliateFilter {
        status: Some(AffiliateStatus::Approved),
        ..AffiliateFilter::default()
    };
    let rows = tx.list_affiliates(org, &filter, Page::ALL).await?;
    let unique: BTreeSet<AffiliateId> = rows.iter().map(|r| r.affiliate.id).collect();
    Ok(unique.into_iter().collect())
}
