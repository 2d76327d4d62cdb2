use thiserror::Error;

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, Error)]
pub enum StoreError {
    /// A unique constraint refused the write; `constraint` names which (see migrations).
    #[error("conflict on {constraint}")]
    Conflict { constraint: String },
    #[error("configuration: {0}")]
    Config(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Database(sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// From the SQLite connection that records clicks (outside sqlx: see sqlite/click_writer.rs).
    #[error(transparent)]
    Embedded(#[from] rusqlite::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e
            && db.is_unique_violation()
        {
            // PostgreSQL names the constraint; SQLite names the columns in its message
            // ("UNIQUE constraint failed: affiliates.org_id, affiliates.email_key").
            let constraint = db
                .constraint()
                .map(str::to_owned)
                .unwrap_or_else(|| db.message().trim_start_matches("UNIQUE constraint failed: ").to_owned());
            return StoreError::Conflict { constraint };
        }
        StoreError::Database(e)
    }
}

impl From<afflux_domain::ValidationError> for StoreError {
    fn from(e: afflux_domain::ValidationError) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

impl StoreError {
    /// Whether this is a unique violation mentioning `needle` (a constraint or column name).
    pub fn is_conflict_on(&self, needle: &str) -> bool {
        matches!(self, StoreError::Conflict { constraint } if constraint.contains(needle))
    }
}
