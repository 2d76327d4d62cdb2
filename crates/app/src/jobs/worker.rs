use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::App;

/// How often the worker approves commissions whose hold has ended.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Runs jobs until `shutdown` resolves (and, once a minute, approves commissions whose hold
/// ended and rolls up pay-per-click hours): whenever a verb of this process commits jobs, and every
/// `poll` otherwise (jobs from other nodes, retries coming due). Several workers, in this
/// process or others, can share one database.
pub async fn run_worker(app: App, poll: Duration, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    let mut next_sweep = Instant::now();
    loop {
        if Instant::now() >= next_sweep {
            // Commissions whose hold ended become payable; a minute late at most.
            match app.approve_due_commissions().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(approved = n, "commissions approved after their hold"),
                Err(e) => tracing::error!(error = %e, "approving commissions failed"),
            }
            // Pay-per-click: each complete hour's clicks become commissions.
            match app.roll_up_cpc_clicks(time::OffsetDateTime::now_utc()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(conversions = n, "pay-per-click hours rolled up"),
                Err(e) => tracing::error!(error = %e, "rolling up pay-per-click clicks failed"),
            }
            // Once a month, Owners and Admins hear of approved commissions waiting for a payout.
            match app.remind_commissions_due(time::OffsetDateTime::now_utc()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(organizations = n, "commissions due reminders queued"),
                Err(e) => tracing::error!(error = %e, "queueing commissions due reminders failed"),
            }
            // Imports whose process died are marked Failed and the team is told.
            match app.fail_stale_imports().await {
                Ok(0) => {}
                Ok(n) => tracing::warn!(imports = n, "stale imports marked failed"),
                Err(e) => tracing::error!(error = %e, "sweeping stale imports failed"),
            }
            next_sweep = Instant::now() + SWEEP_EVERY;
        }
        let ran = match app.run_due_jobs(16).await {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(error = %e, "job worker pass failed");
                0
            }
        };
        if ran > 0 {
            continue;
        }
        tokio::select! {
            _ = &mut shutdown => return,
            _ = app.inner.jobs_ready.notified() => {}
            _ = tokio::time::sleep(poll) => {}
        }
    }
}
