//! The scale-out backend: PostgreSQL, shared by several `afflux serve` and `afflux worker` nodes.
//! Writers are not serialized as on SQLite: transactions run at READ COMMITTED, and code that
//! checks then writes (team and plan limits) takes [`crate::Tx::lock_org`] first.

mod affiliates;
mod applications;
mod audit;
mod audit_batch;
mod auth;
mod campaigns;
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
mod reports;
mod row;
mod secrets;
mod suppressions;
mod targets;
mod tax;
// --- partner emails
mod partner_emails;
mod tx;

use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgArguments, PgPoolOptions, PgQueryResult, PgRow};
use sqlx::query::Query;
use sqlx::{Executor, PgConnection, PgPool, Postgres, Transaction};

use crate::{Backend, ClickOutcome, NewClick, Store, StoreResult, Tx};

pub(crate) struct PgStore {
    pool: PgPool,
}

pub(crate) struct PgTx {
    tx: Transaction<'static, Postgres>,
}

impl PgStore {
    pub(crate) async fn open(url: &str) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        // The migrator holds an advisory lock, so nodes starting together migrate once.
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(Self { pool })
    }
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn write(&self) -> StoreResult<Box<dyn Tx>> {
        let tx = self.pool.begin().await?;
        Ok(Box::new(PgTx { tx }))
    }

    async fn read(&self) -> StoreResult<Box<dyn Tx>> {
        // One snapshot for the whole read, as a SQLite WAL reader gets; a read-only transaction
        // never fails serialization at this level.
        let tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await?;
        Ok(Box::new(PgTx { tx }))
    }

    async fn record_clicks(&self, clicks: &[NewClick]) -> StoreResult<Vec<ClickOutcome>> {
        let mut tx = self.pool.begin().await?;
        let outcomes = clicks::insert(&mut tx, clicks).await?;
        tx.commit().await?;
        Ok(outcomes)
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

/// Runs a write that a unique constraint may refuse inside a savepoint. PostgreSQL aborts the
/// whole transaction on any error, SQLite only the statement; rolling back to the savepoint keeps
/// the SQLite behaviour, so a caller can react to a conflict (pick another slug) and go on.
async fn guarded(c: &mut PgConnection, query: Query<'_, Postgres, PgArguments>) -> StoreResult<PgQueryResult> {
    in_savepoint(c, async |c| query.execute(c).await).await
}

/// [`guarded`] for a statement answering rows.
async fn guarded_rows(c: &mut PgConnection, query: Query<'_, Postgres, PgArguments>) -> StoreResult<Vec<PgRow>> {
    in_savepoint(c, async |c| query.fetch_all(c).await).await
}

async fn in_savepoint<T>(
    c: &mut PgConnection,
    run: impl AsyncFnOnce(&mut PgConnection) -> Result<T, sqlx::Error>,
) -> StoreResult<T> {
    c.execute("SAVEPOINT afflux_guard").await?;
    match run(&mut *c).await {
        Ok(done) => {
            c.execute("RELEASE SAVEPOINT afflux_guard").await?;
            Ok(done)
        }
        Err(e) => {
            // If this fails too, the connection is gone and the first error says more.
            let _ = c
                .execute("ROLLBACK TO SAVEPOINT afflux_guard; RELEASE SAVEPOINT afflux_guard")
                .await;
            Err(e.into())
        }
    }
}
