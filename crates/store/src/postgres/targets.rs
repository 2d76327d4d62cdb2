//! Attribution targets: affiliate, membership and campaign in one read.

use afflux_domain::{AffiliateId, CampaignId, CommissionValue, OrgId};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::row::{get_id, get_opt_id, get_opt_parsed, get_parsed, get_rules};
use crate::{AttributionTarget, StoreResult};

const SELECT: &str = "SELECT a.org_id, a.id AS affiliate_id, a.email_key, m.campaign_id, m.status, m.override_type,
        m.override_value, c.commission_type, c.commission_value, c.currency, c.commission_model,
        c.cookie_window_days, c.attribution_model, c.rules, m.recruited_by
    FROM memberships m JOIN affiliates a ON a.id = m.affiliate_id JOIN campaigns c ON c.id = m.campaign_id";

fn target(row: &PgRow) -> StoreResult<AttributionTarget> {
    let kind = get_opt_parsed(row, "override_type")?;
    let value: Option<i64> = row.try_get("override_value")?;
    Ok(AttributionTarget {
        org_id: get_id(row, "org_id")?,
        affiliate_id: get_id(row, "affiliate_id")?,
        affiliate_email_key: row.try_get("email_key")?,
        campaign_id: get_id(row, "campaign_id")?,
        status: get_parsed(row, "status")?,
        commission_override: kind.zip(value).map(|(kind, value)| CommissionValue { kind, value }),
        commission: CommissionValue {
            kind: get_parsed(row, "commission_type")?,
            value: row.try_get("commission_value")?,
        },
        currency: get_parsed(row, "currency")?,
        commission_model: get_parsed(row, "commission_model")?,
        cookie_window_days: row.try_get("cookie_window_days")?,
        attribution_model: get_parsed(row, "attribution_model")?,
        rules: get_rules(row, "rules")?,
        recruited_by: get_opt_id(row, "recruited_by")?,
    })
}

pub(super) async fn by_slug(c: &mut PgConnection, slug_key: &str) -> StoreResult<Vec<AttributionTarget>> {
    let sql = format!("{SELECT} WHERE a.slug_key = $1 ORDER BY m.created_at, m.id");
    let rows = sqlx::query(&sql).bind(slug_key).fetch_all(c).await?;
    rows.iter().map(target).collect()
}

pub(super) async fn get(
    c: &mut PgConnection,
    org: OrgId,
    affiliate: AffiliateId,
    campaign: CampaignId,
) -> StoreResult<Option<AttributionTarget>> {
    let sql = format!("{SELECT} WHERE m.org_id = $1 AND m.affiliate_id = $2 AND m.campaign_id = $3");
    sqlx::query(&sql)
        .bind(org.0)
        .bind(affiliate.0)
        .bind(campaign.0)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(target)
        .transpose()
}
