use afflux_domain::{Campaign, CampaignId, CommissionValue, OrgId};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::row::{get_id, get_parsed, get_rules, get_ts, rules_json, ts};
use crate::{Page, StoreResult};

fn campaign(row: &SqliteRow) -> StoreResult<Campaign> {
    Ok(Campaign {
        id: get_id(row, "id")?,
        org_id: get_id(row, "org_id")?,
        name: row.try_get("name")?,
        slug: get_parsed(row, "slug")?,
        destination_url: row.try_get("destination_url")?,
        commission: CommissionValue {
            kind: get_parsed(row, "commission_type")?,
            value: row.try_get("commission_value")?,
        },
        currency: get_parsed(row, "currency")?,
        commission_model: get_parsed(row, "commission_model")?,
        cookie_window_days: row.try_get("cookie_window_days")?,
        attribution_model: get_parsed(row, "attribution_model")?,
        auto_approve: row.try_get("auto_approve")?,
        description: row.try_get("description")?,
        terms_url: row.try_get("terms_url")?,
        archived: row.try_get("archived")?,
        rules: get_rules(row, "rules")?,
        created_at: get_ts(row, "created_at")?,
        updated_at: get_ts(row, "updated_at")?,
    })
}

pub(super) async fn insert(c: &mut SqliteConnection, k: &Campaign) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO campaigns (id, org_id, name, slug, slug_key, destination_url, commission_type, commission_value,
            currency, commission_model, cookie_window_days, attribution_model, auto_approve, description, terms_url,
            archived, rules, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
    )
    .bind(k.id.0)
    .bind(k.org_id.0)
    .bind(&k.name)
    .bind(k.slug.as_str())
    .bind(k.slug.key())
    .bind(&k.destination_url)
    .bind(k.commission.kind.as_str())
    .bind(k.commission.value)
    .bind(k.currency.code())
    .bind(k.commission_model.as_str())
    .bind(k.cookie_window_days)
    .bind(k.attribution_model.as_str())
    .bind(k.auto_approve)
    .bind(&k.description)
    .bind(&k.terms_url)
    .bind(k.archived)
    .bind(rules_json(&k.rules)?)
    .bind(ts(k.created_at))
    .bind(ts(k.updated_at))
    .execute(c)
    .await?;
    Ok(())
}

pub(super) async fn get(c: &mut SqliteConnection, org: OrgId, id: CampaignId) -> StoreResult<Option<Campaign>> {
    sqlx::query("SELECT * FROM campaigns WHERE org_id = $1 AND id = $2")
        .bind(org.0)
        .bind(id.0)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(campaign)
        .transpose()
}

pub(super) async fn get_by_slug(c: &mut SqliteConnection, org: OrgId, slug_key: &str) -> StoreResult<Option<Campaign>> {
    sqlx::query("SELECT * FROM campaigns WHERE org_id = $1 AND slug_key = $2")
        .bind(org.0)
        .bind(slug_key)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(campaign)
        .transpose()
}

pub(super) async fn list(
    c: &mut SqliteConnection,
    org: OrgId,
    include_archived: bool,
    page: Page,
) -> StoreResult<Vec<Campaign>> {
    let rows = sqlx::query(
        "SELECT * FROM campaigns WHERE org_id = $1 AND ($2 OR archived = 0)
         ORDER BY created_at, id LIMIT $3 OFFSET $4",
    )
    .bind(org.0)
    .bind(include_archived)
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(c)
    .await?;
    rows.iter().map(campaign).collect()
}

pub(super) async fn update(c: &mut SqliteConnection, k: &Campaign) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE campaigns SET name = $3, destination_url = $4, commission_type = $5, commission_value = $6,
            currency = $7, commission_model = $8, cookie_window_days = $9, attribution_model = $10,
            auto_approve = $11, description = $12, terms_url = $13, archived = $14, rules = $15, updated_at = $16
         WHERE org_id = $1 AND id = $2",
    )
    .bind(k.org_id.0)
    .bind(k.id.0)
    .bind(&k.name)
    .bind(&k.destination_url)
    .bind(k.commission.kind.as_str())
    .bind(k.commission.value)
    .bind(k.currency.code())
    .bind(k.commission_model.as_str())
    .bind(k.cookie_window_days)
    .bind(k.attribution_model.as_str())
    .bind(k.auto_approve)
    .bind(&k.description)
    .bind(&k.terms_url)
    .bind(k.archived)
    .bind(rules_json(&k.rules)?)
    .bind(ts(k.updated_at))
    .execute(c)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn count_active(c: &mut SqliteConnection, org: OrgId) -> StoreResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM campaigns WHERE org_id = $1 AND archived = 0")
            .bind(org.0)
            .fetch_one(c)
            .await?,
    )
}
