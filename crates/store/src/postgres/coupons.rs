use afflux_domain::{AffiliateId, CampaignId, Coupon, CouponId, OrgId};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::guarded;
use super::row::{get_id, get_opt_id, get_parsed};
use crate::StoreResult;

fn coupon(row: &PgRow) -> StoreResult<Coupon> {
    Ok(Coupon {
        id: get_id(row, "id")?,
        org_id: get_id(row, "org_id")?,
        campaign_id: get_id(row, "campaign_id")?,
        affiliate_id: get_opt_id(row, "affiliate_id")?,
        parent_id: get_opt_id(row, "parent_id")?,
        code: get_parsed(row, "code")?,
        stripe_coupon_id: row.try_get("stripe_coupon_id")?,
        stripe_promotion_code_id: row.try_get("stripe_promotion_code_id")?,
        overrides_click: row.try_get("overrides_click")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(super) async fn insert(c: &mut PgConnection, k: &Coupon) -> StoreResult<()> {
    // Guarded: a taken code is an answer to the caller, not the end of its transaction.
    let query = sqlx::query(
        "INSERT INTO coupons (id, org_id, campaign_id, affiliate_id, parent_id, code, code_key, stripe_coupon_id,
            stripe_promotion_code_id, overrides_click, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(k.id.0)
    .bind(k.org_id.0)
    .bind(k.campaign_id.0)
    .bind(k.affiliate_id.map(|a| a.0))
    .bind(k.parent_id.map(|p| p.0))
    .bind(k.code.as_str())
    .bind(k.code.key())
    .bind(&k.stripe_coupon_id)
    .bind(&k.stripe_promotion_code_id)
    .bind(k.overrides_click)
    .bind(k.created_at);
    guarded(c, query).await?;
    Ok(())
}

async fn one(c: &mut PgConnection, org: OrgId, column: &str, value: String) -> StoreResult<Option<Coupon>> {
    let sql = format!("SELECT * FROM coupons WHERE org_id = $1 AND {column} = $2");
    sqlx::query(&sql)
        .bind(org.0)
        .bind(value)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(coupon)
        .transpose()
}

pub(super) async fn get(c: &mut PgConnection, org: OrgId, id: CouponId) -> StoreResult<Option<Coupon>> {
    sqlx::query("SELECT * FROM coupons WHERE org_id = $1 AND id = $2")
        .bind(org.0)
        .bind(id.0)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(coupon)
        .transpose()
}

pub(super) async fn get_by_code(c: &mut PgConnection, org: OrgId, code_key: &str) -> StoreResult<Option<Coupon>> {
    one(c, org, "code_key", code_key.to_owned()).await
}

pub(super) async fn get_by_promotion_code(
    c: &mut PgConnection,
    org: OrgId,
    promotion_code_id: &str,
) -> StoreResult<Option<Coupon>> {
    one(c, org, "stripe_promotion_code_id", promotion_code_id.to_owned()).await
}

pub(super) async fn get_by_stripe_coupon(
    c: &mut PgConnection,
    org: OrgId,
    stripe_coupon_id: &str,
) -> StoreResult<Option<Coupon>> {
    one(c, org, "stripe_coupon_id", stripe_coupon_id.to_owned()).await
}

pub(super) async fn list(
    c: &mut PgConnection,
    org: OrgId,
    campaign: Option<CampaignId>,
    affiliate: Option<AffiliateId>,
) -> StoreResult<Vec<Coupon>> {
    let rows = sqlx::query(
        "SELECT * FROM coupons WHERE org_id = $1 AND ($2::uuid IS NULL OR campaign_id = $2)
           AND ($3::uuid IS NULL OR affiliate_id = $3)
         ORDER BY created_at, id",
    )
    .bind(org.0)
    .bind(campaign.map(|c| c.0))
    .bind(affiliate.map(|a| a.0))
    .fetch_all(c)
    .await?;
    rows.iter().map(coupon).collect()
}
