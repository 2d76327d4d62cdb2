//! Promo assets of campaigns, with banner images kept as bytes beside them.

use afflux_domain::{CampaignId, OrgId, PromoAsset, PromoAssetId, PromoMove};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::row::{get_id, get_parsed, get_ts, ts};
use crate::StoreResult;

/// Every column but the image's bytes.
const COLUMNS: &str = "id, org_id, campaign_id, kind, title, body, content_type, width, height, position, created_at";

fn asset(row: &SqliteRow) -> StoreResult<PromoAsset> {
    Ok(PromoAsset {
        id: get_id(row, "id")?,
        org_id: get_id(row, "org_id")?,
        campaign_id: get_id(row, "campaign_id")?,
        kind: get_parsed(row, "kind")?,
        title: row.try_get("title")?,
        body: row.try_get("body")?,
        content_type: row.try_get("content_type")?,
        width: row.try_get("width")?,
        height: row.try_get("height")?,
        position: row.try_get("position")?,
        created_at: get_ts(row, "created_at")?,
    })
}

pub(super) async fn insert(c: &mut SqliteConnection, a: &PromoAsset, image: Option<&[u8]>) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO promo_assets (id, org_id, campaign_id, kind, title, body, image, content_type, width, height,
            position, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(a.id.0)
    .bind(a.org_id.0)
    .bind(a.campaign_id.0)
    .bind(a.kind.as_str())
    .bind(&a.title)
    .bind(&a.body)
    .bind(image)
    .bind(&a.content_type)
    .bind(a.width)
    .bind(a.height)
    .bind(a.position)
    .bind(ts(a.created_at))
    .execute(c)
    .await?;
    Ok(())
}

pub(super) async fn list(c: &mut SqliteConnection, org: OrgId, campaign: CampaignId) -> StoreResult<Vec<PromoAsset>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM promo_assets WHERE org_id = $1 AND campaign_id = $2 ORDER BY position, id"
    ))
    .bind(org.0)
    .bind(campaign.0)
    .fetch_all(c)
    .await?
    .iter()
    .map(asset)
    .collect()
}

pub(super) async fn get(c: &mut SqliteConnection, org: OrgId, id: PromoAssetId) -> StoreResult<Option<PromoAsset>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM promo_assets WHERE org_id = $1 AND id = $2"
    ))
    .bind(org.0)
    .bind(id.0)
    .fetch_optional(c)
    .await?
    .as_ref()
    .map(asset)
    .transpose()
}

pub(super) async fn image(c: &mut SqliteConnection, id: PromoAssetId) -> StoreResult<Option<(String, Vec<u8>)>> {
    let row = sqlx::query(
        "SELECT content_type, image FROM promo_assets
         WHERE id = $1 AND kind = 'Banner' AND image IS NOT NULL AND content_type IS NOT NULL",
    )
    .bind(id.0)
    .fetch_optional(c)
    .await?;
    row.map(|r| Ok((r.try_get("content_type")?, r.try_get("image")?)))
        .transpose()
}

/// Swaps the asset's position with its nearest neighbour in that direction.
pub(super) async fn shift(
    c: &mut SqliteConnection,
    org: OrgId,
    id: PromoAssetId,
    direction: PromoMove,
) -> StoreResult<bool> {
    let Some(me) = get(&mut *c, org, id).await? else {
        return Ok(false);
    };
    let (cmp, order) = match direction {
        PromoMove::Up => ("<", "DESC"),
        PromoMove::Down => (">", "ASC"),
    };
    let neighbour = sqlx::query(&format!(
        "SELECT id, position FROM promo_assets WHERE org_id = $1 AND campaign_id = $2 AND position {cmp} $3
         ORDER BY position {order}, id {order} LIMIT 1"
    ))
    .bind(org.0)
    .bind(me.campaign_id.0)
    .bind(me.position)
    .fetch_optional(&mut *c)
    .await?;
    let Some(neighbour) = neighbour else {
        return Ok(false);
    };
    let other: PromoAssetId = get_id(&neighbour, "id")?;
    let other_position: i32 = neighbour.try_get("position")?;
    sqlx::query(
        "UPDATE promo_assets SET position = CASE WHEN id = $2 THEN $4 ELSE $5 END
         WHERE org_id = $1 AND id IN ($2, $3)",
    )
    .bind(org.0)
    .bind(id.0)
    .bind(other.0)
    .bind(other_position)
    .bind(me.position)
    .execute(c)
    .await?;
    Ok(true)
}

pub(super) async fn delete(c: &mut SqliteConnection, org: OrgId, id: PromoAssetId) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM promo_assets WHERE org_id = $1 AND id = $2")
        .bind(org.0)
        .bind(id.0)
        .execute(c)
        .await?;
    Ok(done.rows_affected() > 0)
}
