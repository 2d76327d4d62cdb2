use afflux_domain::{AffiliateId, CampaignId, ClickId, OrgId};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::row::{get_id, get_parsed, get_ts};
use crate::{Click, StoreResult};

fn click(row: &SqliteRow) -> StoreResult<Click> {
    Ok(Click {
        id: get_id(row, "id")?,
        org_id: get_id(row, "org_id")?,
        campaign_id: get_id(row, "campaign_id")?,
        affiliate_id: get_id(row, "affiliate_id")?,
        visitor_hash: row.try_get("visitor_hash")?,
        referrer_domain: row.try_get("referrer_domain")?,
        source: get_parsed(row, "source")?,
        at: get_ts(row, "created_at")?,
    })
}

pub(super) async fn get(c: &mut SqliteConnection, id: ClickId) -> StoreResult<Option<Click>> {
    sqlx::query("SELECT * FROM clicks WHERE id = $1")
        .bind(id.0)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(click)
        .transpose()
}

pub(super) async fn count(
    c: &mut SqliteConnection,
    org: OrgId,
    affiliate: AffiliateId,
    campaign: Option<CampaignId>,
) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COALESCE(SUM(clicks), 0) FROM click_counts
         WHERE org_id = $1 AND affiliate_id = $2 AND ($3 IS NULL OR campaign_id = $3)",
    )
    .bind(org.0)
    .bind(affiliate.0)
    .bind(campaign.map(|c| c.0))
    .fetch_one(c)
    .await?)
}
