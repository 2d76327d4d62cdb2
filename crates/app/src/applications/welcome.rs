//! A campaign's welcome sequence: the brand edits it; approval schedules its follow-ups as
//! jobs due N days later (the welcome email itself is the approval email).

use afflux_domain::{AffiliateId, Campaign, CampaignId, OrgId, Permission, WelcomeSequence, WelcomeStep};
use afflux_store::Tx;
use time::{Duration, OffsetDateTime};

use crate::mail::{EmailJob, JOB_KIND};
use crate::{Actor, App, AppError, AppResult, audit};

/// A step as the editor posts it.
#[derive(Debug, Clone, Default)]
pub struct StepInput {
    pub delay_days: i32,
    pub subject: String,
    pub body: String,
}

/// The campaign's sequence, or the default (the approval email alone).
pub(crate) async fn sequence_of(tx: &mut dyn Tx, org: OrgId, campaign: CampaignId) -> AppResult<WelcomeSequence> {
    Ok(tx.get_welcome_sequence(org, campaign).await?.unwrap_or_default())
}

/// The dedupe key of a follow-up job: one per affiliate, campaign and step while queued.
pub fn follow_up_key(affiliate: AffiliateId, campaign: CampaignId, step: usize) -> String {
    format!("welcome:{affiliate}:{campaign}:{step}")
}

impl App {
    pub async fn welcome_sequence(
        &self,
        actor: &Actor,
        campaign: CampaignId,
    ) -> AppResult<(Campaign, WelcomeSequence)> {
        actor.authorize(Permission::ViewData, false)?;
        let mut tx = self.store().read().await?;
        let campaign = tx
            .get_campaign(actor.org_id, campaign)
            .await?
            .ok_or(AppError::NotFound("program"))?;
        let sequence = sequence_of(tx.as_mut(), actor.org_id, campaign.id).await?;
        Ok((campaign, sequence))
    }

    /// Writes step `index` (0 is the welcome email; one past the last adds a follow-up), or
    /// with `input` None removes that follow-up.
    pub async fn edit_welcome_step(
        &self,
        actor: &Actor,
        campaign: CampaignId,
        index: usize,
        input: Option<StepInput>,
    ) -> AppResult<WelcomeSequence> {
        actor.authorize(Permission::ManageCampaigns, true)?;
        let mut tx = self.store().write().await?;
        let campaign = tx
            .get_campaign(actor.org_id, campaign)
            .await?
            .ok_or(AppError::NotFound("program"))?;
        let before = sequence_of(tx.as_mut(), actor.org_id, campaign.id).await?;
        let mut after = before.clone();
        match input {
            Some(i) => after.put(index, WelcomeStep::parse(index, i.delay_days, &i.subject, &i.body)?)?,
            None => after.remove(index)?,
        }
        tx.put_welcome_sequence(actor.org_id, campaign.id, &after, OffsetDateTime::now_utc())
            .await?;
        audit::record(
            tx.as_mut(),
            actor.org_id,
            &actor.audit_name(),
            "program.welcome_sequence_updated",
            ("program", &campaign.id),
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Schedules the follow-ups of the campaign's sequence for a just-approved affiliate. Each
    /// is dropped at send time unless the membership is still Approved.
    pub(crate) async fn schedule_welcome(
        &self,
        tx: &mut dyn Tx,
        org_id: OrgId,
        affiliate_id: AffiliateId,
        campaign_id: CampaignId,
    ) -> AppResult<()> {
        let sequence = sequence_of(tx, org_id, campaign_id).await?;
        let now = OffsetDateTime::now_utc();
        for (step, s) in sequence.steps.iter().enumerate().skip(1) {
            let job = EmailJob::WelcomeStep {
                org_id,
                affiliate_id,
                campaign_id,
                step,
            };
            let run_at = now + Duration::days(i64::from(s.delay_days));
            let key = follow_up_key(affiliate_id, campaign_id, step);
            self.enqueue_at(tx, JOB_KIND, Some(org_id), &job, Some(key), run_at)
                .await?;
        }
        Ok(())
    }
}
