use afflux_domain::JobId;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use time::OffsetDateTime;

use super::row::{get_id, get_json, get_opt_id, get_opt_ts, get_ts, ts};
use crate::{Job, JobCounts, JobState, NewJob, StoreError, StoreResult};

fn job(row: &SqliteRow) -> StoreResult<Job> {
    let state: String = row.try_get("state")?;
    Ok(Job {
        id: get_id(row, "id")?,
        kind: row.try_get("kind")?,
        org_id: get_opt_id(row, "org_id")?,
        payload: get_json(row, "payload")?.unwrap_or_default(),
        dedupe_key: row.try_get("dedupe_key")?,
        state: JobState::parse(&state).ok_or_else(|| StoreError::Corrupt(format!("job state {state:?}")))?,
        run_at: get_ts(row, "run_at")?,
        attempts: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
        locked_until: get_opt_ts(row, "locked_until")?,
        last_error: row.try_get("last_error")?,
        created_at: get_ts(row, "created_at")?,
    })
}

pub(super) async fn enqueue(c: &mut SqliteConnection, j: &NewJob) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO jobs (id, kind, org_id, payload, dedupe_key, state, run_at, attempts, max_attempts, created_at)
         VALUES ($1, $2, $3, $4, $5, 'queued', $6, 0, $7, $8)
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(j.id.0)
    .bind(&j.kind)
    .bind(j.org_id.map(|o| o.0))
    .bind(j.payload.to_string())
    .bind(&j.dedupe_key)
    .bind(ts(j.run_at))
    .bind(j.max_attempts)
    .bind(ts(OffsetDateTime::now_utc()))
    .execute(c)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn claim(
    c: &mut SqliteConnection,
    now: OffsetDateTime,
    lease_until: OffsetDateTime,
    limit: i64,
) -> StoreResult<Vec<Job>> {
    // The single writer connection makes this select-and-update atomic.
    let rows = sqlx::query(
        "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_until = $2
         WHERE id IN (
             SELECT id FROM jobs
             WHERE (state = 'queued' AND run_at <= $1) OR (state = 'running' AND locked_until <= $1)
             ORDER BY run_at, id LIMIT $3)
         RETURNING *",
    )
    .bind(ts(now))
    .bind(ts(lease_until))
    .bind(limit)
    .fetch_all(c)
    .await?;
    let mut jobs: Vec<Job> = rows.iter().map(job).collect::<StoreResult<_>>()?;
    jobs.sort_by_key(|j| (j.run_at, j.id));
    Ok(jobs)
}

pub(super) async fn complete(c: &mut SqliteConnection, id: JobId) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM jobs WHERE id = $1")
        .bind(id.0)
        .execute(c)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn retry(
    c: &mut SqliteConnection,
    id: JobId,
    run_at: OffsetDateTime,
    error: &str,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE jobs SET state = 'queued', run_at = $2, locked_until = NULL, last_error = $3 WHERE id = $1",
    )
    .bind(id.0)
    .bind(ts(run_at))
    .bind(error)
    .execute(c)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn bury(c: &mut SqliteConnection, id: JobId, error: &str) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE jobs SET state = 'dead', locked_until = NULL, last_error = $2 WHERE id = $1")
        .bind(id.0)
        .bind(error)
        .execute(c)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn get(c: &mut SqliteConnection, id: JobId) -> StoreResult<Option<Job>> {
    sqlx::query("SELECT * FROM jobs WHERE id = $1")
        .bind(id.0)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(job)
        .transpose()
}

pub(super) async fn counts(c: &mut SqliteConnection) -> StoreResult<JobCounts> {
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

pub(super) async fn list_dead(c: &mut SqliteConnection, limit: i64) -> StoreResult<Vec<Job>> {
    let rows = sqlx::query("SELECT * FROM jobs WHERE state = 'dead' ORDER BY created_at LIMIT $1")
        .bind(limit)
        .fetch_all(c)
        .await?;
    rows.iter().map(job).collect()
}

pub(super) async fn get_by_dedupe_key(c: &mut SqliteConnection, dedupe_key: &str) -> StoreResult<Option<Job>> {
    sqlx::query("SELECT * FROM jobs WHERE dedupe_key = $1")
        .bind(dedupe_key)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(job)
        .transpose()
}

pub(super) async fn reschedule(
    c: &mut SqliteConnection,
    dedupe_key: &str,
    run_at: OffsetDateTime,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE jobs SET state = 'queued', attempts = 0, run_at = $2, locked_until = NULL
         WHERE dedupe_key = $1 AND state IN ('queued', 'dead')",
    )
    .bind(dedupe_key)
    .bind(ts(run_at))
    .execute(c)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn defer(
    c: &mut SqliteConnection,
    id: JobId,
    run_at: OffsetDateTime,
    error: &str,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE jobs SET state = 'queued', run_at = $2, locked_until = NULL, last_error = $3,
            attempts = max(attempts - 1, 0)
         WHERE id = $1",
    )
    .bind(id.0)
    .bind(ts(run_at))
    .bind(error)
    .execute(c)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// A plain prefix test (`substr`, not LIKE), so `%` and `_` in the prefix match literally.
pub(super) async fn cancel(c: &mut SqliteConnection, dedupe_prefix: &str) -> StoreResult<u64> {
    let done =
        sqlx::query("DELETE FROM jobs WHERE state IN ('queued', 'dead') AND substr(dedupe_key, 1, length($1)) = $1")
            .bind(dedupe_prefix)
            .execute(c)
            .await?;
    Ok(done.rows_affected())
}
