use std::collections::HashSet;

use afflux_domain::OrgId;
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};
use uuid::Uuid;

use super::row::get_id;
use crate::{ProcessedEvent, StoreResult};

fn event(row: &PgRow) -> StoreResult<ProcessedEvent> {
    Ok(ProcessedEvent {
        org_id: get_id(row, "org_id")?,
        provider: row.try_get("provider")?,
        event_id: row.try_get("event_id")?,
        request_hash: row.try_get("request_hash")?,
        result: row.try_get("result")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(super) async fn claim(c: &mut PgConnection, e: &ProcessedEvent) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO processed_events (org_id, provider, event_id, request_hash, result, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (org_id, provider, event_id) DO NOTHING",
    )
    .bind(e.org_id.0)
    .bind(&e.provider)
    .bind(&e.event_id)
    .bind(&e.request_hash)
    .bind(&e.result)
    .bind(e.created_at)
    .execute(c)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn get(
    c: &mut PgConnection,
    org: OrgId,
    provider: &str,
    event_id: &str,
) -> StoreResult<Option<ProcessedEvent>> {
    sqlx::query("SELECT * FROM processed_events WHERE org_id = $1 AND provider = $2 AND event_id = $3")
        .bind(org.0)
        .bind(provider)
        .bind(event_id)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(event)
        .transpose()
}

pub(super) async fn set_result(
    c: &mut PgConnection,
    org: OrgId,
    provider: &str,
    event_id: &str,
    result: &Value,
) -> StoreResult<bool> {
    let done =
        sqlx::query("UPDATE processed_events SET result = $4 WHERE org_id = $1 AND provider = $2 AND event_id = $3")
            .bind(org.0)
            .bind(provider)
            .bind(event_id)
            .bind(result)
            .execute(c)
            .await?;
    Ok(done.rows_affected() > 0)
}

/// Claims many events (distinct keys) in one statement; answers, for each, whether it was taken.
pub(super) async fn claim_many(c: &mut PgConnection, events: &[ProcessedEvent]) -> StoreResult<Vec<bool>> {
    if events.is_empty() {
        return Ok(vec![]);
    }
    let mut q = QueryBuilder::<Postgres>::new(
        "INSERT INTO processed_events (org_id, provider, event_id, request_hash, result, created_at) ",
    );
    q.push_values(events, |mut b, e| {
        b.push_bind(e.org_id.0)
            .push_bind(&e.provider)
            .push_bind(&e.event_id)
            .push_bind(&e.request_hash)
            .push_bind(&e.result)
            .push_bind(e.created_at);
    });
    q.push(" ON CONFLICT (org_id, provider, event_id) DO NOTHING RETURNING org_id, provider, event_id");
    let rows = q.build().fetch_all(c).await?;
    let taken: HashSet<(Uuid, String, String)> = rows
        .iter()
        .map(|r| Ok((r.try_get("org_id")?, r.try_get("provider")?, r.try_get("event_id")?)))
        .collect::<StoreResult<_>>()?;
    Ok(events
        .iter()
        .map(|e| taken.contains(&(e.org_id.0, e.provider.clone(), e.event_id.clone())))
        .collect())
}

/// Stores the results of many claimed events (distinct keys) in one statement.
pub(super) async fn finish_many(c: &mut PgConnection, events: &[ProcessedEvent]) -> StoreResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let mut q = QueryBuilder::<Postgres>::new(
        "INSERT INTO processed_events (org_id, provider, event_id, request_hash, result, created_at) ",
    );
    q.push_values(events, |mut b, e| {
        b.push_bind(e.org_id.0)
            .push_bind(&e.provider)
            .push_bind(&e.event_id)
            .push_bind(&e.request_hash)
            .push_bind(&e.result)
            .push_bind(e.created_at);
    });
    q.push(" ON CONFLICT (org_id, provider, event_id) DO UPDATE SET result = excluded.result");
    q.build().execute(c).await?;
    Ok(())
}
