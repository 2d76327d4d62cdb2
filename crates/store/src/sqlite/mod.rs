//! The embedded backend: one SQLite file in WAL mode, one writer connection whose transactions
//! open with `BEGIN IMMEDIATE`, and a pool of read-only readers.

mod affiliates;
mod audit;
mod audit_batch;
mod auth;
mod campaigns;
mod clicks;
mod conversions;
mod coupons;
mod customers;
mod events;
mod jobs;
mod orgs;
mod recent_clicks;
mod row;
mod secrets;
mod suppressions;
mod targets;
mod tx;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

use recent_clicks::{ClickKey, RecentClicks, SharedRecentClicks};
use uuid::Uuid;

use crate::{Backend, Store, StoreResult, Tx};

pub(crate) struct SqliteStore {
    writer: SqlitePool,
    readers: SqlitePool,
    recent_clicks: SharedRecentClicks,
}

pub(crate) struct SqliteTx {
    tx: Transaction<'static, Sqlite>,
    /// The clicks of the last two hours (write transactions only).
    recent_clicks: Option<SharedRecentClicks>,
    /// Clicks this transaction inserted: remembered in `recent_clicks` once it commits.
    pending_clicks: Vec<(ClickKey, Uuid)>,
}

impl SqliteStore {
    pub(crate) async fn open(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        // A connection to a local file does not go stale: skipping the ping before each
        // acquire saves a round trip to the connection's thread on every write (the click
        // writer commits hundreds of batches a second).
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&writer).await?;
        let readers = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await?;
        let recent_clicks = RecentClicks::load(&writer).await?;
        Ok(Self {
            writer,
            readers,
            recent_clicks,
        })
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn write(&self) -> StoreResult<Box<dyn Tx>> {
        // IMMEDIATE takes the write lock up front, so a transaction never fails to upgrade.
        let tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        Ok(Box::new(SqliteTx {
            tx,
            recent_clicks: Some(self.recent_clicks.clone()),
            pending_clicks: Vec::new(),
        }))
    }

    async fn read(&self) -> StoreResult<Box<dyn Tx>> {
        let tx = self.readers.begin().await?;
        Ok(Box::new(SqliteTx {
            tx,
            recent_clicks: None,
            pending_clicks: Vec::new(),
        }))
    }

    async fn close(&self) {
        self.readers.close().await;
        self.writer.close().await;
    }
}
