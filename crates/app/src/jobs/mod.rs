//! The job queue: follow-up work (emails, CRM syncs, PayPal payouts) enqueued in the same
//! transaction as the write that calls for it, claimed with a short lease, retried with
//! exponential backoff and jitter, and dead-lettered after `job_max_attempts` claims.

mod worker;

use std::time::Duration as StdDuration;

use afflux_domain::{JobId, OrgId};
use afflux_store::{Job, JobCounts, NewJob, Tx};
use rand::Rng;
use serde::Serialize;
use time::{Duration, OffsetDateTime};

pub use worker::run_worker;

use crate::{App, AppResult};

/// How long a claimed job is reserved for its worker; past it another worker may take it over.
const LEASE: Duration = Duration::seconds(60);

/// Why a job did not finish.
#[derive(Debug)]
pub enum JobError {
    /// Try again after a backoff (until the attempts run out).
    Retry(String),
    /// Trying again cannot help: dead-letter now.
    Permanent(String),
    /// The other side asked us to wait (a rate limit): try again after `wait`, without
    /// counting this run as an attempt.
    Defer { error: String, wait: StdDuration },
}

/// Exponential backoff from 5 s, doubling per attempt up to an hour, with ±25 % jitter so that
/// failures from one outage do not retry in lockstep.
pub fn backoff(attempts: i32) -> StdDuration {
    let base = 5.0 * 2f64.powi(attempts.clamp(1, 20) - 1);
    let jitter = rand::thread_rng().gen_range(0.75..1.25);
    StdDuration::from_secs_f64(base.min(3_600.0) * jitter)
}

/// What becomes of a job after a run.
#[derive(Debug, PartialEq)]
enum Step {
    Done,
    Retry { error: String, wait: StdDuration },
    Defer { error: String, wait: StdDuration },
    Bury { error: String },
}

/// A failed job is retried until it has been claimed `max_attempts` times; a permanent failure
/// is dead-lettered at once.
fn next_step(attempts: i32, max_attempts: i32, outcome: Result<(), JobError>) -> Step {
    match outcome {
        Ok(()) => Step::Done,
        Err(JobError::Retry(error)) if attempts < max_attempts => Step::Retry {
            error,
            wait: backoff(attempts),
        },
        Err(JobError::Defer { error, wait }) => Step::Defer { error, wait },
        Err(JobError::Retry(error) | JobError::Permanent(error)) => Step::Bury { error },
    }
}

impl App {
    pub(crate) async fn enqueue<P: Serialize>(
        &self,
        tx: &mut dyn Tx,
        kind: &str,
        org_id: Option<OrgId>,
        payload: &P,
        dedupe_key: Option<String>,
    ) -> AppResult<bool> {
        self.enqueue_at(tx, kind, org_id, payload, dedupe_key, OffsetDateTime::now_utc())
            .await
    }

    /// Like [`App::enqueue`], due at `run_at`.
    pub(crate) async fn enqueue_at<P: Serialize>(
        &self,
        tx: &mut dyn Tx,
        kind: &str,
        org_id: Option<OrgId>,
        payload: &P,
        dedupe_key: Option<String>,
        run_at: OffsetDateTime,
    ) -> AppResult<bool> {
        let attempts = self.config().job_max_attempts;
        enqueue_in(tx, kind, org_id, payload, dedupe_key, run_at, attempts).await
    }

    /// Claims the due jobs (up to `limit`) and runs them one by one; answers how many ran.
    pub async fn run_due_jobs(&self, limit: i64) -> AppResult<usize> {
        let now = OffsetDateTime::now_utc();
        let jobs = {
            let mut tx = self.store().write().await?;
            let jobs = tx.claim_jobs(now, now + LEASE, limit).await?;
            tx.commit().await?;
            jobs
        };
        for job in &jobs {
            let outcome = self.run_job(job).await;
            let mut tx = self.store().write().await?;
            match next_step(job.attempts, job.max_attempts, outcome) {
                Step::Done => {
                    tx.complete_job(job.id).await?;
                }
                Step::Retry { error, wait } => {
                    tracing::warn!(job.id = %job.id, job.kind = %job.kind, job.attempts = job.attempts, retry_in_s = wait.as_secs(), %error, "job failed; will retry");
                    tx.retry_job(job.id, OffsetDateTime::now_utc() + wait, &error).await?;
                }
                Step::Defer { error, wait } => {
                    tracing::info!(job.id = %job.id, job.kind = %job.kind, retry_in_s = wait.as_secs(), %error, "job deferred");
                    tx.defer_job(job.id, OffsetDateTime::now_utc() + wait, &error).await?;
                }
                Step::Bury { error } => {
                    tracing::error!(job.id = %job.id, job.kind = %job.kind, job.attempts = job.attempts, %error, "job dead-lettered");
                    tx.bury_job(job.id, &error).await?;
                }
            }
            tx.commit().await?;
        }
        Ok(jobs.len())
    }

    async fn run_job(&self, job: &Job) -> Result<(), JobError> {
        match job.kind.as_str() {
            crate::mail::JOB_KIND => {
                let email = serde_json::from_value(job.payload.clone())
                    .map_err(|e| JobError::Permanent(format!("malformed email job: {e}")))?;
                self.deliver_email(&email).await
            }
            crate::crm::JOB_KIND => self.run_crm_sync(job).await,
            crate::imports::IMPORT_MAIL_JOB => self.run_import_mail(job).await,
            crate::money::PAYPAL_SEND_JOB => self.run_paypal_send(job).await,
            crate::money::PAYPAL_POLL_JOB => self.run_paypal_poll(job).await,
            crate::money::STRIPE_TRANSFER_JOB => self.run_stripe_transfer(job).await,
            other => Err(JobError::Permanent(format!("unknown job kind {other:?}"))),
        }
    }

    pub async fn job_counts(&self) -> AppResult<JobCounts> {
        Ok(self.store().read().await?.job_counts().await?)
    }

    pub async fn dead_jobs(&self, limit: i64) -> AppResult<Vec<Job>> {
        Ok(self.store().read().await?.list_dead_jobs(limit).await?)
    }
}

/// Queues a job in `tx` with `max_attempts`: [`App::enqueue_at`], for code that holds only a
/// transaction (the S2S writer records commissions with the store alone).
pub(crate) async fn enqueue_in<P: Serialize>(
    tx: &mut dyn Tx,
    kind: &str,
    org_id: Option<OrgId>,
    payload: &P,
    dedupe_key: Option<String>,
    run_at: OffsetDateTime,
    max_attempts: i32,
) -> AppResult<bool> {
    let job = NewJob {
        id: JobId::new(),
        kind: kind.to_owned(),
        org_id,
        payload: serde_json::to_value(payload).map_err(anyhow::Error::from)?,
        dedupe_key,
        run_at,
        max_attempts,
    };
    Ok(tx.enqueue_job(&job).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_jobs_retry_until_their_attempts_run_out() {
        assert_eq!(next_step(1, 3, Ok(())), Step::Done);
        assert!(matches!(
            next_step(1, 3, Err(JobError::Retry("busy".into()))),
            Step::Retry { .. }
        ));
        assert!(matches!(
            next_step(2, 3, Err(JobError::Retry("busy".into()))),
            Step::Retry { .. }
        ));
        assert_eq!(
            next_step(3, 3, Err(JobError::Retry("busy".into()))),
            Step::Bury { error: "busy".into() }
        );
        assert_eq!(
            next_step(1, 3, Err(JobError::Permanent("bad".into()))),
            Step::Bury { error: "bad".into() }
        );
        let wait = StdDuration::from_secs(7);
        assert_eq!(
            next_step(
                3,
                3,
                Err(JobError::Defer {
                    error: "429".into(),
                    wait
                })
            ),
            Step::Defer {
                error: "429".into(),
                wait
            }
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        for _ in 0..50 {
            let first = backoff(1).as_secs_f64();
            assert!((3.75..=6.25).contains(&first), "{first}");
            let fourth = backoff(4).as_secs_f64();
            assert!((30.0..=50.0).contains(&fourth), "{fourth}");
            assert!(backoff(30).as_secs_f64() <= 4_500.0);
        }
    }
}
