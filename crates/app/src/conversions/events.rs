//! Exactly-once processing of inbound events. The event is claimed first thing in the write
//! transaction (insert, or nothing when it exists); the answer is stored in the same
//! transaction; a repeated delivery gets the stored answer and changes nothing. On PostgreSQL a
//! concurrent duplicate waits on the claim until the first transaction commits, then finds it.

use afflux_domain::OrgId;
use afflux_store::{ProcessedEvent, Tx};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::{AppError, AppResult};

/// What a hook answers: an HTTP status and a JSON body, and whether it is the stored answer to
/// an earlier delivery of the same event.
#[derive(Debug, Clone, PartialEq)]
pub struct HookReply {
    pub status: u16,
    pub body: Value,
    pub replayed: bool,
}

impl HookReply {
    pub(crate) fn new(status: u16, body: Value) -> Self {
        Self {
            status,
            body,
            replayed: false,
        }
    }
}

/// Claims `event_id`; when it was processed before, answers its stored reply (see [`replay`]).
pub(super) async fn claim(
    tx: &mut dyn Tx,
    org: OrgId,
    provider: &str,
    event_id: &str,
    request_hash: Option<Vec<u8>>,
) -> AppResult<Option<HookReply>> {
    let event = ProcessedEvent {
        org_id: org,
        provider: provider.to_owned(),
        event_id: event_id.to_owned(),
        request_hash,
        result: None,
        created_at: OffsetDateTime::now_utc(),
    };
    if tx.claim_event(&event).await? {
        return Ok(None);
    }
    let stored = tx
        .get_event(org, provider, event_id)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a claimed event vanished")))?;
    replay(stored, event.request_hash.as_deref()).map(Some)
}

/// The stored answer to an event processed before. `request_hash` (where given) must match
/// the first delivery's: a reused id with another payload is a conflict.
pub(super) fn replay(stored: ProcessedEvent, request_hash: Option<&[u8]>) -> AppResult<HookReply> {
    if request_hash.is_some() && stored.request_hash.as_deref() != request_hash {
        return Err(conflict());
    }
    let result = stored
        .result
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a processed event has no stored answer")))?;
    let status = result["status"]
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .unwrap_or(200);
    Ok(HookReply {
        status,
        body: result["body"].clone(),
        replayed: true,
    })
}

pub(super) fn conflict() -> AppError {
    AppError::conflict(
        "idempotency_conflict",
        Some("externalEventId"),
        "this externalEventId was used before with a different payload",
    )
}

/// What is stored as the answer to an event.
pub(super) fn stored_result(reply: &HookReply) -> Value {
    json!({ "status": reply.status, "body": reply.body })
}

/// Stores the answer to a claimed event, in the claiming transaction.
pub(super) async fn finish(
    tx: &mut dyn Tx,
    org: OrgId,
    provider: &str,
    event_id: &str,
    reply: &HookReply,
) -> AppResult<()> {
    tx.set_event_result(org, provider, event_id, &stored_result(reply))
        .await?;
    Ok(())
}
