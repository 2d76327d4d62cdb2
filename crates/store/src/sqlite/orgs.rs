use afflux_domain::{OrgId, Organization, PlanTier, Role, SubscriptionStatus};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::row::{get_id, get_opt_parsed, get_parsed, get_ts, ts};
use crate::StoreResult;

const ORG_COLUMNS: &str =
    "o.id, o.name, o.plan, o.subscription_status, o.home_currency, o.sender_name, o.reply_to, o.created_at";

fn org(row: &SqliteRow) -> StoreResult<Organization> {
    Ok(Organization {
        id: get_id(row, "id")?,
        name: row.try_get("name")?,
        plan: get_parsed(row, "plan")?,
        subscription_status: get_parsed(row, "subscription_status")?,
        home_currency: get_parsed(row, "home_currency")?,
        sender_name: row.try_get("sender_name")?,
        reply_to: get_opt_parsed(row, "reply_to")?,
        created_at: get_ts(row, "created_at")?,
    })
}

pub(super) async fn get_setting(c: &mut SqliteConnection, key: &str) -> StoreResult<Option<String>> {
    Ok(sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(c)
        .await?)
}

pub(super) async fn init_setting(c: &mut SqliteConnection, key: &str, value: &str) -> StoreResult<String> {
    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
        .bind(key)
        .bind(value)
        .execute(&mut *c)
        .await?;
    Ok(sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_one(c)
        .await?)
}

pub(super) async fn delete_setting(c: &mut SqliteConnection, key: &str) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM settings WHERE key = $1")
        .bind(key)
        .execute(c)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn insert(c: &mut SqliteConnection, o: &Organization) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO organizations (id, name, plan, subscription_status, home_currency, sender_name, reply_to, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(o.id.0)
    .bind(&o.name)
    .bind(o.plan.as_str())
    .bind(o.subscription_status.as_str())
    .bind(o.home_currency.code())
    .bind(&o.sender_name)
    .bind(o.reply_to.as_ref().map(|e| e.as_str()))
    .bind(ts(o.created_at))
    .execute(c)
    .await?;
    Ok(())
}

pub(super) async fn get(c: &mut SqliteConnection, id: OrgId) -> StoreResult<Option<Organization>> {
    let sql = format!("SELECT {ORG_COLUMNS} FROM organizations o WHERE o.id = $1");
    sqlx::query(&sql)
        .bind(id.0)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(org)
        .transpose()
}

pub(super) async fn set_plan(
    c: &mut SqliteConnection,
    id: OrgId,
    plan: PlanTier,
    status: SubscriptionStatus,
) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE organizations SET plan = $2, subscription_status = $3 WHERE id = $1")
        .bind(id.0)
        .bind(plan.as_str())
        .bind(status.as_str())
        .execute(c)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn count(c: &mut SqliteConnection) -> StoreResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM organizations")
        .fetch_one(c)
        .await?)
}

pub(super) async fn list_for_user(
    c: &mut SqliteConnection,
    user: afflux_domain::UserId,
) -> StoreResult<Vec<(Organization, Role)>> {
    let sql = format!(
        "SELECT {ORG_COLUMNS}, m.role FROM organizations o JOIN team_members m ON m.org_id = o.id
         WHERE m.user_id = $1 ORDER BY o.created_at"
    );
    let rows = sqlx::query(&sql).bind(user.0).fetch_all(c).await?;
    rows.iter().map(|r| Ok((org(r)?, get_parsed(r, "role")?))).collect()
}

pub(super) async fn update_profile(c: &mut SqliteConnection, o: &Organization) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE organizations SET name = $2, home_currency = $3, sender_name = $4, reply_to = $5 WHERE id = $1",
    )
    .bind(o.id.0)
    .bind(&o.name)
    .bind(o.home_currency.code())
    .bind(&o.sender_name)
    .bind(o.reply_to.as_ref().map(|e| e.as_str()))
    .execute(c)
    .await?;
    Ok(done.rows_affected() > 0)
}
