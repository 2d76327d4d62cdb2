//! When partner emails are queued (seed 003), always in the transaction of the change that
//! calls for them: a "thank you" per direct commission earned (campaigns that turn it on) and
//! milestone congratulations, with the commissions; "payout sent" and "payout failed" when an
//! item settles; and the monthly "commissions due" reminder from the worker's pass. The mails
//! themselves are rendered at send time (`mail/partner.rs`).
//!
//! A two-tier override earns no thank-you and counts toward no milestone: the recruiter made
//! no sale, and the seed thanks partners for the sales they make.

use std::collections::{BTreeSet, HashMap};

use afflux_domain::{
    AffiliateId, CampaignId, CampaignRules, Commission, CommissionKind, NotificationEvent, OrgId, PayoutItem,
    PayoutStatus, Role, newly_reached,
};
use afflux_store::Tx;
use time::OffsetDateTime;

use crate::jobs::enqueue_in;
use crate::mail::{EmailJob, JOB_KIND};
use crate::{App, AppConfig, AppResult};

/// An email job queued once (by `key`), with the default attempt budget: the S2S writer has
/// no [`App`] and its settings at hand.
async fn enqueue_email(tx: &mut dyn Tx, org: OrgId, job: &EmailJob, key: String, now: OffsetDateTime) -> AppResult<()> {
    let attempts = AppConfig::default().job_max_attempts;
    enqueue_in(tx, JOB_KIND, Some(org), job, Some(key), now, attempts).await?;
    Ok(())
}

/// Queues the partner emails of commissions just written, in the caller's transaction: each
/// direct commission's thank-you when its campaign sends them, then, once per affiliate and
/// campaign of the batch, the milestones their sales now reach. `rules` are the campaigns'
/// rules the attribution already read, so this reads nothing more unless a campaign has
/// milestones.
pub(crate) async fn queue_commission_emails(
    tx: &mut dyn Tx,
    commissions: &[Commission],
    rules: &HashMap<(OrgId, CampaignId), CampaignRules>,
    now: OffsetDateTime,
) -> AppResult<()> {
    let mut earners: BTreeSet<(OrgId, CampaignId, AffiliateId)> = BTreeSet::new();
    for c in commissions.iter().filter(|c| c.kind == CommissionKind::Direct) {
        let Some(campaign) = rules.get(&(c.org_id, c.campaign_id)) else {
            continue;
        };
        if campaign.thank_you_email.enabled {
            let job = EmailJob::CommissionThankYou {
                org_id: c.org_id,
                commission_id: c.id,
            };
            enqueue_email(tx, c.org_id, &job, format!("thank-you:{}", c.id), now).await?;
        }
        if !campaign.milestones.is_empty() {
            earners.insert((c.org_id, c.campaign_id, c.affiliate_id));
        }
    }
    for (org, campaign_id, affiliate) in earners {
        let campaign = &rules[&(org, campaign_id)];
        let totals = tx.sales_totals(org, affiliate, campaign_id).await?;
        let fired = tx.reached_milestones(org, affiliate, campaign_id).await?;
        let reached = newly_reached(&campaign.milestones, &totals, &fired);
        for milestone in &reached.reached {
            let key = milestone.key();
            // A concurrent transaction that recorded it first announces it.
            let new = tx.mark_milestone(org, campaign_id, affiliate, &key, now).await?;
            if !new || !reached.announce.contains(milestone) {
                continue;
            }
            let job = EmailJob::MilestoneReached {
                org_id: org,
                campaign_id,
                affiliate_id: affiliate,
                milestone_key: key.clone(),
                sales: totals.count,
                totals: totals.amounts.clone(),
            };
            let dedupe = format!("milestone:{campaign_id}:{affiliate}:{key}");
            enqueue_email(tx, org, &job, dedupe, now).await?;
        }
    }
    Ok(())
}

/// "YYYY-MM": the reminder's period, a calendar month in UTC.
pub(crate) fn reminder_period(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!("{:04}-{:02}", at.year(), u8::from(at.month()))
}

impl App {
    /// A settled payout item's email, in the settling transaction: "payout sent" to the
    /// affiliate, or "payout failed" to every Owner and Admin (always on, like the reference).
    pub(crate) async fn queue_payout_emails(&self, tx: &mut dyn Tx, item: &PayoutItem) -> AppResult<()> {
        match item.status {
            PayoutStatus::Paid => {
                let job = EmailJob::PayoutSent {
                    org_id: item.org_id,
                    payout_item_id: item.id,
                };
                let key = Some(format!("payout-sent:{}", item.id));
                self.enqueue(tx, JOB_KIND, Some(item.org_id), &job, key).await?;
            }
            PayoutStatus::Failed => {
                for m in tx.list_members(item.org_id).await? {
                    if !matches!(m.member.role, Role::Owner | Role::Admin) {
                        continue;
                    }
                    let job = EmailJob::PayoutFailed {
                        org_id: item.org_id,
                        payout_item_id: item.id,
                        user_id: m.member.user_id,
                        attempt: item.attempts,
                    };
                    let key = Some(format!(
                        "payout-failed:{}:{}:{}",
                        item.id, item.attempts, m.member.user_id
                    ));
                    self.enqueue(tx, JOB_KIND, Some(item.org_id), &job, key).await?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The worker's pass: each organization with approved commissions no payout holds gets
    /// one "commissions due" reminder per calendar month, to its Owners and Admins who keep
    /// it on. Answers how many organizations were reminded.
    pub async fn remind_commissions_due(&self, now: OffsetDateTime) -> AppResult<usize> {
        let period = reminder_period(now);
        let orgs = self.store().read().await?.orgs_with_commissions_due(&period).await?;
        let mut reminded = 0;
        for org in orgs {
            let mut tx = self.store().write().await?;
            // Recorded first: a second worker, or the next pass, finds the period taken.
            if !tx.mark_commissions_due_reminder(org, &period, now).await? {
                continue;
            }
            for m in tx.list_members(org).await? {
                let member = m.member;
                if !matches!(member.role, Role::Owner | Role::Admin)
                    || !crate::applications::wants(
                        tx.as_mut(),
                        org,
                        member.user_id,
                        member.role,
                        NotificationEvent::CommissionsDue,
                    )
                    .await?
                {
                    continue;
                }
                let job = EmailJob::CommissionsDue {
                    org_id: org,
                    user_id: member.user_id,
                    period: period.clone(),
                };
                let key = Some(format!("commissions-due:{org}:{period}:{}", member.user_id));
                self.enqueue(tx.as_mut(), JOB_KIND, Some(org), &job, key).await?;
            }
            tx.commit().await?;
            reminded += 1;
        }
        if reminded > 0 {
            self.wake_worker();
        }
        Ok(reminded)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::reminder_period;

    #[test]
    fn the_reminder_period_is_the_utc_month() {
        assert_eq!(reminder_period(datetime!(2026-11-30 23:59 UTC)), "2026-11");
        assert_eq!(reminder_period(datetime!(2026-12-01 00:00 UTC)), "2026-12");
        assert_eq!(reminder_period(datetime!(2027-01-01 00:30 +01:00)), "2026-12");
    }
}
