//! The embedded backend: one SQLite file in WAL mode, one writer connection whose transactions
//! open with `BEGIN IMMEDIATE`, and a pool of read-only readers.

mod affiliates;
mod applications;
mod audit;
mod audit_batch;
mod auth;
mod campaigns;
mod click_writer;
mod clicks;
mod commissions;
mod conversions;
mod coupons;
mod crm;
mod customers;
mod events;
mod fx;
mod imports;
mod jobs;
mod orgs;
mod payouts;
mod portal;
mod promo;
mod recent_clicks;
mod reports;
mod row;
mod secrets;
mod suppressions;
mod targets;
mod tax;
// --- partner emails
mod partner_emails;
mod tx;
mod wal_checkpoint;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

use click_writer::ClickWriter;

use crate::{Backend, ClickOutcome, NewClick, Store, StoreResult, Tx};

pub(crate) struct SqliteStore {
    writer: SqlitePool,
    readers: SqlitePool,
    clicks: ClickWriter,
}

pub(crate) struct SqliteTx {
    tx: Transaction<'static, Sqlite>,
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
        // writer commits hundreds of batches a second). The one writer gets a 64 MiB page cache
        // (SQLite's default is 2 MiB): a payout run or an import touches every index of the
        // tables it writes, and re-reading evicted index pages cost more than the writes.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .test_before_acquire(false)
            .connect_with(options.clone().pragma("cache_size", "-65536"))
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&writer).await?;
        let readers = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.clone().read_only(true))
            .await?;
        let clicks = ClickWriter::open(options.get_filename())?;
        Ok(Self {
            writer,
            readers,
            clicks,
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
        Ok(Box::new(SqliteTx { tx }))
    }

    async fn read(&self) -> StoreResult<Box<dyn Tx>> {
        let tx = self.readers.begin().await?;
        Ok(Box::new(SqliteTx { tx }))
    }

    /// Runs on the calling thread: one short synchronous transaction (a fraction of a
    /// millisecond, longer only while another writer holds SQLite's lock). Its one caller, the
    /// click writer, has a thread of its own, and a hand-off to another thread and back would
    /// cost more than the transaction.
    async fn record_clicks(&self, clicks: &[NewClick]) -> StoreResult<Vec<ClickOutcome>> {
        self.clicks.record(clicks)
    }

    async fn close(&self) {
        self.readers.close().await;
        self.writer.close().await;
    }
}
