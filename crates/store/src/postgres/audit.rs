use afflux_domain::OrgId;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::row::get_id;
use crate::{AuditEntry, Page, StoreResult};

fn entry(row: &PgRow) -> StoreResult<AuditEntry> {
    Ok(AuditEntry {
        id: row.try_get("id")?,
        org_id: get_id(row, "org_id")?,
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        object_type: row.try_get("object_type")?,
        object_id: row.try_get("object_id")?,
        before: row.try_get("before_json")?,
        after: row.try_get("after_json")?,
        at: row.try_get("at")?,
    })
}

pub(super) async fn insert(c: &mut PgConnection, e: &AuditEntry) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (id, org_id, actor, action, object_type, object_id, before_json, after_json, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(e.id)
    .bind(e.org_id.0)
    .bind(&e.actor)
    .bind(&e.action)
    .bind(&e.object_type)
    .bind(&e.object_id)
    .bind(e.before.as_ref())
    .bind(e.after.as_ref())
    .bind(e.at)
    .execute(c)
    .await?;
    Ok(())
}

pub(super) async fn list(c: &mut PgConnection, org: OrgId, page: Page) -> StoreResult<Vec<AuditEntry>> {
    let rows = sqlx::query("SELECT * FROM audit_log WHERE org_id = $1 ORDER BY at DESC, id DESC LIMIT $2 OFFSET $3")
        .bind(org.0)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(c)
        .await?;
    rows.iter().map(entry).collect()
}
