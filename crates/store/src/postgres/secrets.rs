use afflux_domain::OrgId;
use sqlx::{PgConnection, Row};

use super::row::get_id;
use crate::{OrgSecret, StoreResult};

pub(super) async fn put(c: &mut PgConnection, s: &OrgSecret) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO org_secrets (org_id, name, ciphertext, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (org_id, name) DO UPDATE SET ciphertext = excluded.ciphertext, updated_at = excluded.updated_at",
    )
    .bind(s.org_id.0)
    .bind(&s.name)
    .bind(&s.ciphertext)
    .bind(s.updated_at)
    .execute(c)
    .await?;
    Ok(())
}

pub(super) async fn get(c: &mut PgConnection, org: OrgId, name: &str) -> StoreResult<Option<OrgSecret>> {
    let Some(row) = sqlx::query("SELECT * FROM org_secrets WHERE org_id = $1 AND name = $2")
        .bind(org.0)
        .bind(name)
        .fetch_optional(c)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(OrgSecret {
        org_id: get_id(&row, "org_id")?,
        name: row.try_get("name")?,
        ciphertext: row.try_get("ciphertext")?,
        updated_at: row.try_get("updated_at")?,
    }))
}

pub(super) async fn delete(c: &mut PgConnection, org: OrgId, name: &str) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM org_secrets WHERE org_id = $1 AND name = $2")
        .bind(org.0)
        .bind(name)
        .execute(c)
        .await?;
    Ok(done.rows_affected() > 0)
}
