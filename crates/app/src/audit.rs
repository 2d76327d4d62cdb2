use std::fmt::Display;

use afflux_domain::OrgId;
use afflux_store::{AuditEntry, Tx};
use serde::Serialize;
use time::OffsetDateTime;

use crate::AppResult;

/// Writes one audit entry in the caller's transaction, so the entry exists exactly when the
/// change does.
pub(crate) async fn record<B: Serialize, A: Serialize>(
    tx: &mut dyn Tx,
    org_id: OrgId,
    actor: &str,
    action: &str,
    object: (&str, &(dyn Display + Sync)),
    before: Option<&B>,
    after: Option<&A>,
) -> AppResult<()> {
    let entry = AuditEntry {
        id: uuid::Uuid::now_v7(),
        org_id,
        actor: actor.to_owned(),
        action: action.to_owned(),
        object_type: object.0.to_owned(),
        object_id: object.1.to_string(),
        before: before
            .map(serde_json::to_value)
            .transpose()
            .map_err(anyhow::Error::from)?,
        after: after
            .map(serde_json::to_value)
            .transpose()
            .map_err(anyhow::Error::from)?,
        at: OffsetDateTime::now_utc(),
    };
    tx.insert_audit(&entry).await?;
    Ok(())
}
