//! Many audit entries in one statement, for verbs that record many changes at once.

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::row::ts;
use crate::{AuditEntry, StoreResult};

pub(super) async fn insert_many(c: &mut SqliteConnection, entries: &[AuditEntry]) -> StoreResult<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut q = QueryBuilder::<Sqlite>::new(
        "INSERT INTO audit_log (id, org_id, actor, action, object_type, object_id, before_json, after_json, at) ",
    );
    q.push_values(entries, |mut b, e| {
        b.push_bind(e.id)
            .push_bind(e.org_id.0)
            .push_bind(&e.actor)
            .push_bind(&e.action)
            .push_bind(&e.object_type)
            .push_bind(&e.object_id)
            .push_bind(e.before.as_ref().map(|v| v.to_string()))
            .push_bind(e.after.as_ref().map(|v| v.to_string()))
            .push_bind(ts(e.at));
    });
    q.build().execute(c).await?;
    Ok(())
}
