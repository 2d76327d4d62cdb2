use std::future::Future;
use std::time::Duration;

use crate::App;

/// Runs jobs until `shutdown` resolves: whenever a verb of this process commits jobs, and every
/// `poll` otherwise (jobs from other nodes, retries coming due). Several workers, in this
/// process or others, can share one database.
pub async fn run_worker(app: App, poll: Duration, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
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
