//! The click writer: one task that commits clicks in batches (group commit). Each request hands
//! its click over and waits; the task gathers whatever else arrives for a moment, commits the
//! lot in one transaction and only then answers every waiter. So a redirect is sent only for a
//! committed click, and a thousand concurrent clicks cost a handful of commits, not a thousand.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use afflux_store::{ClickOutcome, NewClick, Store, StoreResult};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::{AppError, AppResult};

/// How the writer batches.
#[derive(Debug, Clone, Copy)]
pub struct WriterConfig {
    /// The most clicks one transaction holds.
    pub max_batch: usize,
    /// How long the writer waits for more clicks after the first of a batch. Zero (the
    /// default) commits at once whatever is queued: clicks that arrive while a commit runs form
    /// the next batch, so batches grow with the load by themselves. Measured with the bench, a
    /// 2 ms wait halved throughput and doubled latency: under a closed loop every waiter
    /// also waits out the timer.
    pub max_wait: Duration,
    /// Clicks waiting for the writer; past this, requests wait to hand theirs over.
    pub queue: usize,
}

impl Default for WriterConfig {
    fn default() -> Self {
        Self {
            max_batch: 512,
            max_wait: Duration::ZERO,
            queue: 8_192,
        }
    }
}

/// Commits so far: how many transactions and how many clicks they held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterStats {
    pub batches: u64,
    pub clicks: u64,
    /// Time spent in transactions, in microseconds: how busy the writer is.
    pub busy_us: u64,
}

type Reply = Result<ClickOutcome, String>;

struct Pending {
    click: NewClick,
    reply: oneshot::Sender<Reply>,
}

#[derive(Default)]
struct Counters {
    batches: AtomicU64,
    clicks: AtomicU64,
    busy_us: AtomicU64,
}

pub(crate) struct ClickWriter {
    sender: mpsc::Sender<Pending>,
    counters: Arc<Counters>,
}

impl ClickWriter {
    /// Starts the writer on a thread of its own; it ends when the writer is dropped and its
    /// queue drained. Not a task on the shared runtime: a batch takes several round trips to
    /// the database, and under load each wake-up would queue behind hundreds of request tasks,
    /// turning a sub-millisecond commit into several milliseconds of waiting. (On PostgreSQL,
    /// pool connections this thread opens are driven by its runtime, which lives as long as
    /// the app; they serve other verbs just as well.)
    pub(crate) fn start(store: Arc<dyn Store>, config: WriterConfig) -> Self {
        let (sender, receiver) = mpsc::channel(config.queue.max(1));
        let counters = Arc::new(Counters::default());
        let task = run(store, receiver, config, counters.clone());
        std::thread::Builder::new()
            .name("afflux-click-writer".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("the click writer's runtime");
                runtime.block_on(task);
            })
            .expect("starting the click writer thread");
        Self { sender, counters }
    }

    /// Hands a click to the writer and waits until the transaction holding it is committed.
    pub(crate) async fn record(&self, click: NewClick) -> AppResult<ClickOutcome> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(Pending { click, reply })
            .await
            .map_err(|_| internal("the click writer has stopped"))?;
        answer
            .await
            .map_err(|_| internal("the click writer dropped a click"))?
            .map_err(|e| internal(&e))
    }

    pub(crate) fn stats(&self) -> WriterStats {
        WriterStats {
            batches: self.counters.batches.load(Ordering::Relaxed),
            clicks: self.counters.clicks.load(Ordering::Relaxed),
            busy_us: self.counters.busy_us.load(Ordering::Relaxed),
        }
    }
}

fn internal(message: &str) -> AppError {
    AppError::Internal(anyhow::anyhow!("recording a click: {message}"))
}

async fn run(
    store: Arc<dyn Store>,
    mut receiver: mpsc::Receiver<Pending>,
    config: WriterConfig,
    counters: Arc<Counters>,
) {
    let max = config.max_batch.max(1);
    let mut batch = Vec::with_capacity(max);
    while let Some(first) = receiver.recv().await {
        batch.push(first);
        gather(&mut receiver, &mut batch, max, config.max_wait).await;
        commit(store.as_ref(), &mut batch, &counters).await;
    }
}

/// Adds to `batch` what is queued, then what arrives before `max_wait` runs out.
async fn gather(receiver: &mut mpsc::Receiver<Pending>, batch: &mut Vec<Pending>, max: usize, max_wait: Duration) {
    while batch.len() < max {
        match receiver.try_recv() {
            Ok(p) => batch.push(p),
            Err(_) => break,
        }
    }
    let deadline = Instant::now() + max_wait;
    while batch.len() < max && !max_wait.is_zero() {
        match tokio::time::timeout_at(deadline, receiver.recv()).await {
            Ok(Some(p)) => batch.push(p),
            Ok(None) | Err(_) => break,
        }
    }
}

/// Commits the batch and answers its waiters. If the batch fails, each click is retried in a
/// transaction of its own, so one bad click cannot fail its neighbours.
async fn commit(store: &dyn Store, batch: &mut Vec<Pending>, counters: &Counters) {
    let clicks: Vec<NewClick> = batch.iter().map(|p| p.click.clone()).collect();
    let started = Instant::now();
    let result = write(store, &clicks).await;
    let busy = started.elapsed().as_micros().try_into().unwrap_or(u64::MAX);
    counters.busy_us.fetch_add(busy, Ordering::Relaxed);
    counters.batches.fetch_add(1, Ordering::Relaxed);
    match result {
        Ok(outcomes) => {
            counters.clicks.fetch_add(clicks.len() as u64, Ordering::Relaxed);
            for (pending, outcome) in batch.drain(..).zip(outcomes) {
                // A waiter that went away (client disconnected) still had its click committed.
                let _ = pending.reply.send(Ok(outcome));
            }
        }
        Err(e) if batch.len() == 1 => {
            tracing::error!(error = %e, "committing a click failed");
            let pending = batch.pop().expect("one click");
            let _ = pending.reply.send(Err(e.to_string()));
        }
        Err(e) => {
            tracing::warn!(error = %e, clicks = batch.len(), "committing a batch of clicks failed; retrying one by one");
            for pending in batch.drain(..) {
                let single = write(store, std::slice::from_ref(&pending.click)).await;
                counters.batches.fetch_add(1, Ordering::Relaxed);
                let reply = match single {
                    Ok(mut outcomes) if outcomes.len() == 1 => {
                        counters.clicks.fetch_add(1, Ordering::Relaxed);
                        Ok(outcomes.remove(0))
                    }
                    Ok(_) => Err("the store answered no outcome".to_owned()),
                    Err(e) => {
                        tracing::error!(error = %e, "committing a click failed");
                        Err(e.to_string())
                    }
                };
                let _ = pending.reply.send(reply);
            }
        }
    }
}

async fn write(store: &dyn Store, clicks: &[NewClick]) -> StoreResult<Vec<ClickOutcome>> {
    store.record_clicks(clicks).await
}
