//! Partner emails: an affiliate's sales totals for milestones, the milestones reached, and
//! the monthly "commissions due" reminder record.

use afflux_domain::{
    AffiliateId, CampaignId, CommissionKind, CommissionStatus, ConversionType, Currency, Money, OrgId, SalesTotals,
};
use sqlx::PgConnection;
use time::OffsetDateTime;

use crate::{DueTotal, StoreError, StoreResult};

fn currency(code: &str) -> StoreResult<Currency> {
    Currency::parse(code).map_err(|_| StoreError::Corrupt(format!("currency {code:?}")))
}

pub(super) async fn sales_totals(
    c: &mut PgConnection,
    org: OrgId,
    affiliate: AffiliateId,
    campaign: CampaignId,
) -> StoreResult<SalesTotals> {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT v.currency, COUNT(*), COALESCE(SUM(v.amount_minor - v.refunded_minor), 0)::bigint
         FROM commissions k
         JOIN conversions v ON v.id = k.conversion_id AND v.org_id = k.org_id
         WHERE k.org_id = $1 AND k.affiliate_id = $2 AND k.campaign_id = $3 AND k.kind = $4
           AND k.status IN ($5, $6, $7) AND v.type IN ($8, $9)
         GROUP BY v.currency ORDER BY v.currency",
    )
    .bind(org.0)
    .bind(affiliate.0)
    .bind(campaign.0)
    .bind(CommissionKind::Direct.as_str())
    .bind(CommissionStatus::Pending.as_str())
    .bind(CommissionStatus::Approved.as_str())
    .bind(CommissionStatus::Paid.as_str())
    .bind(ConversionType::Sale.as_str())
    .bind(ConversionType::Recurring.as_str())
    .fetch_all(c)
    .await?;
    let mut totals = SalesTotals::default();
    for (code, count, minor) in rows {
        totals.count += count;
        totals.amounts.push(Money::new(minor, currency(&code)?));
    }
    Ok(totals)
}

pub(super) async fn reached_milestones(
    c: &mut PgConnection,
    org: OrgId,
    affiliate: AffiliateId,
    campaign: CampaignId,
) -> StoreResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT milestone_key FROM milestones_reached
         WHERE org_id = $1 AND campaign_id = $2 AND affiliate_id = $3 ORDER BY milestone_key",
    )
    .bind(org.0)
    .bind(campaign.0)
    .bind(affiliate.0)
    .fetch_all(c)
    .await?)
}

pub(super) async fn mark_milestone(
    c: &mut PgConnection,
    org: OrgId,
    campaign: CampaignId,
    affiliate: AffiliateId,
    key: &str,
    at: OffsetDateTime,
) -> StoreResult<bool> {
    // Only for a membership of the organization: another's ids write nothing.
    let done = sqlx::query(
        "INSERT INTO milestones_reached (org_id, campaign_id, affiliate_id, milestone_key, reached_at)
         SELECT org_id, campaign_id, affiliate_id, $4, $5 FROM memberships
         WHERE org_id = $1 AND campaign_id = $2 AND affiliate_id = $3
         ON CONFLICT (org_id, campaign_id, affiliate_id, milestone_key) DO NOTHING",
    )
    .bind(org.0)
    .bind(campaign.0)
    .bind(affiliate.0)
    .bind(key)
    .bind(at)
    .execute(c)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn orgs_with_commissions_due(c: &mut PgConnection, period: &str) -> StoreResult<Vec<OrgId>> {
    let ids: Vec<uuid::Uuid> = sqlx::query_scalar(
        "SELECT o.id FROM organizations o
         WHERE NOT EXISTS (SELECT 1 FROM commissions_due_reminders r WHERE r.org_id = o.id AND r.period = $1)
           AND EXISTS (SELECT 1 FROM commissions k
                       WHERE k.org_id = o.id AND k.status = $2 AND k.payout_item_id IS NULL)
         ORDER BY o.id",
    )
    .bind(period)
    .bind(CommissionStatus::Approved.as_str())
    .fetch_all(c)
    .await?;
    Ok(ids.into_iter().map(OrgId).collect())
}

pub(super) async fn mark_commissions_due_reminder(
    c: &mut PgConnection,
    org: OrgId,
    period: &str,
    at: OffsetDateTime,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO commissions_due_reminders (org_id, period, created_at)
         SELECT id, $2, $3 FROM organizations WHERE id = $1
         ON CONFLICT (org_id, period) DO NOTHING",
    )
    .bind(org.0)
    .bind(period)
    .bind(at)
    .execute(c)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn commissions_due(c: &mut PgConnection, org: OrgId) -> StoreResult<Vec<DueTotal>> {
    let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "SELECT currency, COALESCE(SUM(amount_minor), 0)::bigint, COUNT(*), COUNT(DISTINCT affiliate_id)
         FROM commissions WHERE org_id = $1 AND status = $2 AND payout_item_id IS NULL
         GROUP BY currency ORDER BY currency",
    )
    .bind(org.0)
    .bind(CommissionStatus::Approved.as_str())
    .fetch_all(c)
    .await?;
    rows.into_iter()
        .map(|(code, minor, commissions, affiliates)| {
            Ok(DueTotal {
                amount: Money::new(minor, currency(&code)?),
                commissions,
                affiliates,
            })
        })
        .collect()
}
