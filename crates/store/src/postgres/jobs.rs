use afflux_domain::JobId;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use time::OffsetDateTime;

use super::row::{get_id, get_opt_id};
use crate::{Job, JobCounts, JobState, NewJob, StoreError, StoreResult};

fn job(row: &PgRow) -> StoreResult<Job> {
    let state: String = row.try_get("state")?;
    Ok(Job {
        id: get_id(row, "id")?,
        kind: row.try_get("kind")?,
        org_id: get_opt_id(row, "org_id")?,
        payload: row.try_get("payload")?,
        dedupe_key: row.try_get("dedupe_key")?,
        state: JobState::parse(&state).ok_or_else(|| StoreError::Corrupt(format!("job state {state:?}")))?,
        run_at: row.try_get("run_at")?,
        attempts: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
        locked_until: row.try_get("locked_until")?,
        last_error: row.try_get("last_error")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(super) async fn enqueue(c: &mut PgConnection, j: &NewJob) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO jobs (id, kind, org_id, payload, dedupe_key, state, run_at, attempts, max_attempts, created_at)
         VALUES ($1, $2, $3, $4, $5, 'queued', $6, 0, $7, $8)
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(j.id.0)
    .bind(&j.kind)
    .bind(j.org_id.map(|o| o.0))
    .bind(&j.payload)
    .bind(&j.dedupe_key)
    .bind(j.run_at)
    .bind(j.max_attempts)
    .bind(OffsetDateTime::now_utc())
    .execute(c)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn claim(
    c: &mut PgConnection,
    now: OffsetDateTime,
    lease_until: OffsetDateTime,
    limit: i64,
) -> StoreResult<Vec<Job>> {
    // SKIP LOCKED lets concurrent workers take different due jobs instead of queueing on the
    // same rows, and a row another worker claimed meanwhile is re-checked when locked. The CTE is
    // materialized so the locking LIMIT runs once: as an `IN (subquery)` the planner may rescan
    // it in a nested loop and claim more than `limit` rows.
    let rows = sqlx::query(
        "WITH due AS MATERIALIZED (
             SELECT id FROM jobs
             WHERE (state = 'queued' AND run_at <= $1) OR (state = 'running' AND locked_until <= $1)
             ORDER BY run_at, id LIMIT $3
             FOR UPDATE SKIP LOCKED)
         UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_until = $2
         WHERE id IN (SELECT id FROM due)
         RETURNING *",
    )
    .bind(now)
    .bind(lease_until)
    .bind(limit)
    .fetch_all(c)
    .await?;
    let mut jobs: Vec<Job> = rows.iter().map(job).collect::<StoreResult<_>>()?;
    jobs.sort_by_key(|j| (j.run_at, j.id));
    Ok(jobs)
}

pub(super) async fn complete(c: &mut PgConnection, id: JobId) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM jobs WHERE id = $1")
        .bind(id.0)
        .execute(c)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn retry(c: &mut PgConnection, id: JobId, run_at: OffsetDateTime, error: &str) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE jobs SET state = 'queued', run_at = $2, locked_until = NULL, last_error = $3 WHERE id = $1",
    )
    .bind(id.0)
    .bind(run_at)
    .bind(error)
    .execute(c)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn bury(c: &mut PgConnection, id: JobId, error: &str) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE jobs SET state = 'dead', locked_until = NULL, last_error = $2 WHERE id = $1")
        .bind(id.0)
        .bind(error)
        .execute(c)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn get(c: &mut PgConnection, id: JobId) -> StoreResult<Option<Job>> {
    sqlx::query("SELECT * FROM jobs WHERE id = $1")
        .bind(id.0)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(job)
        .transpose()
}

pub(super) async fn counts(c: &mut PgConnection) -> StoreResult<JobCounts> {
    let rows: Vec<(String, i64)> = sqlx::query_as("SELECT state, COUNT(*) FROM jobs GROUP BY state")
        .fetch_all(c)
        .await?;
    let mut counts = JobCounts::default();
    for (state, n) in rows {
        match JobState::parse(&state) {
            Some(JobState::Queued) => counts.queued = n,
            Some(JobState::Running) => counts.running = n,
            Some(JobState::Dead) => counts.dead = n,
            None => return Err(StoreError::Corrupt(format!("job state {state:?}"))),
        }
    }
    Ok(counts)
}

pub(super) async fn list_dead(c: &mut PgConnection, limit: i64) -> StoreResult<Vec<Job>> {
    let rows = sqlx::query("SELECT * FROM jobs WHERE state = 'dead' ORDER BY created_at LIMIT $1")
        .bind(limit)
        .fetch_all(c)
        .await?;
    rows.iter().map(job).collect()
}

pub(super) async fn get_by_dedupe_key(c: &mut PgConnection, dedupe_key: &str) -> StoreResult<Option<Job>> {
    sqlx::query("SELECT * FROM jobs WHERE dedupe_key = $1")
        .bind(dedupe_key)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(job)
        .transpose()
}

pub(super) async fn reschedule(c: &mut PgConnection, dedupe_key: &str, run_at: OffsetDateTime) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE jobs SET state = 'queued', attempts = 0, run_at = $2, locked_until = NULL
         WHERE dedupe_key = $1 AND state IN ('queued', 'dead')",
    )
    .bind(dedupe_key)
    .bind(run_at)
    .execute(c)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn defer(c: &mut PgConnection, id: JobId, run_at: OffsetDateTime, error: &str) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE jobs SET state = 'queued', run_at = $2, locked_until = NULL, last_error = $3,
            attempts = greatest(attempts - 1, 0)
         WHERE id = $1",
    )
    .bind(id.0)
    .bind(run_at)
    .bind(error)
    .execute(c)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// A plain prefix test (`left`, not LIKE), so `%` and `_` in the prefix match literally.
pub(super) async fn cancel(c: &mut PgConnection, dedupe_prefix: &str) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM jobs WHERE state IN ('queued', 'dead') AND left(dedupe_key, length($1)) = $1")
        .bind(dedupe_prefix)
        .execute(c)
        .await?;
    Ok(done.rows_affected())
}
