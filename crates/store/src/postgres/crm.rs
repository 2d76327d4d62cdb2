use afflux_domain::{AffiliateId, Integration, IntegrationId, IntegrationSettings, OrgId, SyncStatus};
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use time::OffsetDateTime;

use super::guarded;
use super::row::{get_id, get_parsed};
use crate::{CrmSync, CrmSyncFilter, CrmSyncRow, Page, StoreError, StoreResult};

fn integration(row: &PgRow) -> StoreResult<Integration> {
    let settings: Value = row.try_get("settings")?;
    Ok(Integration {
        id: get_id(row, "id")?,
        org_id: get_id(row, "org_id")?,
        vendor: get_parsed(row, "vendor")?,
        sealed_credentials: row.try_get("sealed_credentials")?,
        credential_hint: row.try_get("credential_hint")?,
        settings: serde_json::from_value(settings)
            .map_err(|e| StoreError::Corrupt(format!("integration settings: {e}")))?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn settings_json(settings: &IntegrationSettings) -> StoreResult<Value> {
    serde_json::to_value(settings).map_err(|e| StoreError::Corrupt(format!("integration settings: {e}")))
}

fn sync(row: &PgRow) -> StoreResult<CrmSync> {
    Ok(CrmSync {
        org_id: get_id(row, "org_id")?,
        integration_id: get_id(row, "integration_id")?,
        affiliate_id: get_id(row, "affiliate_id")?,
        status: get_parsed(row, "status")?,
        attempts: row.try_get("attempts")?,
        last_error: row.try_get("last_error")?,
        progress: row.try_get("progress")?,
        requested_gen: row.try_get("requested_gen")?,
        synced_gen: row.try_get("synced_gen")?,
        requested_at: row.try_get("requested_at")?,
        synced_at: row.try_get("synced_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub(super) async fn insert_integration(c: &mut PgConnection, i: &Integration) -> StoreResult<()> {
    // Guarded: a second integration of the vendor is an answer to the caller, not the end of its
    // transaction.
    let query = sqlx::query(
        "INSERT INTO integrations (id, org_id, vendor, sealed_credentials, credential_hint, settings, created_at,
            updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(i.id.0)
    .bind(i.org_id.0)
    .bind(i.vendor.as_str())
    .bind(&i.sealed_credentials)
    .bind(&i.credential_hint)
    .bind(settings_json(&i.settings)?)
    .bind(i.created_at)
    .bind(i.updated_at);
    guarded(c, query).await?;
    Ok(())
}

pub(super) async fn get_integration(
    c: &mut PgConnection,
    org: OrgId,
    id: IntegrationId,
) -> StoreResult<Option<Integration>> {
    sqlx::query("SELECT * FROM integrations WHERE org_id = $1 AND id = $2")
        .bind(org.0)
        .bind(id.0)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(integration)
        .transpose()
}

pub(super) async fn list_integrations(c: &mut PgConnection, org: OrgId) -> StoreResult<Vec<Integration>> {
    let rows = sqlx::query("SELECT * FROM integrations WHERE org_id = $1 ORDER BY created_at, id")
        .bind(org.0)
        .fetch_all(c)
        .await?;
    rows.iter().map(integration).collect()
}

pub(super) async fn update_integration(c: &mut PgConnection, i: &Integration) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE integrations SET sealed_credentials = $3, credential_hint = $4, settings = $5, updated_at = $6
         WHERE org_id = $1 AND id = $2",
    )
    .bind(i.org_id.0)
    .bind(i.id.0)
    .bind(&i.sealed_credentials)
    .bind(&i.credential_hint)
    .bind(settings_json(&i.settings)?)
    .bind(i.updated_at)
    .execute(c)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn delete_integration(c: &mut PgConnection, org: OrgId, id: IntegrationId) -> StoreResult<bool> {
    // The foreign key cascades too; deleting the syncs here does not depend on it.
    sqlx::query("DELETE FROM crm_syncs WHERE org_id = $1 AND integration_id = $2")
        .bind(org.0)
        .bind(id.0)
        .execute(&mut *c)
        .await?;
    let done = sqlx::query("DELETE FROM integrations WHERE org_id = $1 AND id = $2")
        .bind(org.0)
        .bind(id.0)
        .execute(c)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn request_sync(
    c: &mut PgConnection,
    org: OrgId,
    integration: IntegrationId,
    affiliate: AffiliateId,
    at: OffsetDateTime,
) -> StoreResult<CrmSync> {
    // Only the organization's own integration and affiliate get a row: the SELECT yields nothing
    // otherwise, and then there is no row to answer. One statement: a concurrent request waits
    // on the row and then bumps the generation it committed.
    let row = sqlx::query(
        "INSERT INTO crm_syncs (org_id, integration_id, affiliate_id, status, attempts, last_error, progress,
            requested_gen, synced_gen, requested_at, synced_at, updated_at)
         SELECT $1::uuid, $2::uuid, $3::uuid, $4::text, 0, NULL, '{}'::jsonb, 1, 0, $5::timestamptz, NULL,
            $5::timestamptz
         WHERE EXISTS (SELECT 1 FROM integrations WHERE org_id = $1 AND id = $2)
           AND EXISTS (SELECT 1 FROM affiliates WHERE org_id = $1 AND id = $3)
         ON CONFLICT (integration_id, affiliate_id) DO UPDATE SET
            status = excluded.status, attempts = 0, last_error = NULL, progress = '{}'::jsonb,
            requested_gen = crm_syncs.requested_gen + 1, requested_at = excluded.requested_at,
            updated_at = excluded.updated_at
         WHERE crm_syncs.org_id = excluded.org_id
         RETURNING *",
    )
    .bind(org.0)
    .bind(integration.0)
    .bind(affiliate.0)
    .bind(SyncStatus::Pending.as_str())
    .bind(at)
    .fetch_optional(c)
    .await?;
    match row {
        Some(row) => sync(&row),
        None => Err(StoreError::Database(sqlx::Error::RowNotFound)),
    }
}

pub(super) async fn get_sync(
    c: &mut PgConnection,
    org: OrgId,
    integration: IntegrationId,
    affiliate: AffiliateId,
) -> StoreResult<Option<CrmSync>> {
    sqlx::query("SELECT * FROM crm_syncs WHERE org_id = $1 AND integration_id = $2 AND affiliate_id = $3")
        .bind(org.0)
        .bind(integration.0)
        .bind(affiliate.0)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(sync)
        .transpose()
}

pub(super) async fn update_sync(c: &mut PgConnection, s: &CrmSync) -> StoreResult<bool> {
    // At READ COMMITTED a concurrent request that bumped the generation is seen here: the row is
    // re-checked once its lock is released, and no longer matches.
    let done = sqlx::query(
        "UPDATE crm_syncs SET status = $5, attempts = $6, last_error = $7, progress = $8, synced_gen = $9,
            synced_at = $10, updated_at = $11
         WHERE org_id = $1 AND integration_id = $2 AND affiliate_id = $3 AND requested_gen = $4",
    )
    .bind(s.org_id.0)
    .bind(s.integration_id.0)
    .bind(s.affiliate_id.0)
    .bind(s.requested_gen)
    .bind(s.status.as_str())
    .bind(s.attempts)
    .bind(&s.last_error)
    .bind(&s.progress)
    .bind(s.synced_gen)
    .bind(s.synced_at)
    .bind(s.updated_at)
    .execute(c)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn list_syncs(
    c: &mut PgConnection,
    org: OrgId,
    f: &CrmSyncFilter,
    page: Page,
) -> StoreResult<Vec<CrmSyncRow>> {
    let rows = sqlx::query(
        "SELECT s.*, a.email AS affiliate_email, a.name AS affiliate_name
         FROM crm_syncs s JOIN affiliates a ON a.id = s.affiliate_id AND a.org_id = s.org_id
         WHERE s.org_id = $1
           AND ($2::uuid IS NULL OR s.integration_id = $2)
           AND ($3::uuid IS NULL OR s.affiliate_id = $3)
           AND ($4::text IS NULL OR s.status = $4)
         ORDER BY s.updated_at DESC, s.affiliate_id, s.integration_id LIMIT $5 OFFSET $6",
    )
    .bind(org.0)
    .bind(f.integration_id.map(|i| i.0))
    .bind(f.affiliate_id.map(|a| a.0))
    .bind(f.status.map(|s| s.as_str()))
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CrmSyncRow {
                sync: sync(r)?,
                email: r.try_get("affiliate_email")?,
                name: r.try_get("affiliate_name")?,
            })
        })
        .collect()
}

pub(super) async fn count_syncs(
    c: &mut PgConnection,
    org: OrgId,
    integration: IntegrationId,
) -> StoreResult<Vec<(SyncStatus, i64)>> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT status, COUNT(*) FROM crm_syncs WHERE org_id = $1 AND integration_id = $2 GROUP BY status",
    )
    .bind(org.0)
    .bind(integration.0)
    .fetch_all(c)
    .await?;
    let mut counts = rows
        .into_iter()
        .map(|(status, n)| Ok((status.parse::<SyncStatus>()?, n)))
        .collect::<StoreResult<Vec<_>>>()?;
    counts.sort_by_key(|(status, _)| *status);
    Ok(counts)
}
