//! The only place SQL lives. [`Store`] is the one API; `sqlite` and `postgres` each implement it
//! in full with their own SQL and migrations, and `tests/conformance.rs` runs on both.

mod api;
mod conversion_records;
mod crm_records;
mod error;
mod import_records;
mod money_records;
mod portal_records;
mod postgres;
mod records;
mod report_records;
mod sqlite;
mod tax_records;
// --- partner emails
mod partner_email_records;
pub use partner_email_records::DueTotal;
pub mod test_db;

use std::sync::Arc;

pub use api::{Store, Tx};
pub use conversion_records::*;
pub use crm_records::*;
pub use error::{StoreError, StoreResult};
pub use import_records::RevertCounts;
pub use money_records::*;
pub use portal_records::*;
pub use records::*;
pub use report_records::*;
pub use tax_records::{TaxDocument, TaxDocumentInfo, TaxForm};

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Opens the database named by `url` (`sqlite://path` or `postgres://…`) and applies its
/// migrations.
pub async fn connect(url: &str) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::open(url).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(postgres::PgStore::open(url).await?))
    } else {
        Err(StoreError::Config(format!(
            "unsupported database URL scheme in {:?}: use sqlite://… or postgres://…",
            url.split(':').next().unwrap_or_default()
        )))
    }
}
