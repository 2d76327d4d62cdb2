//! Throwaway databases for tests, shared by every crate's test suite.
//!
//! [`TestDb::new`] gives a fresh, empty, migrated database and removes it when dropped. The
//! backend is chosen by the environment: with `AFFLUX_TEST_DATABASE_URL` set to a `postgres://…`
//! URL of an administrative database (`postgres://postgres@127.0.0.1:5432/postgres`), each
//! `TestDb` is a new database `afflux_test_<uuid>` on that server; otherwise it is a SQLite file
//! in a new temporary directory.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use crate::{Backend, Store, StoreResult};

/// The variable naming the PostgreSQL server to test against.
pub const TEST_DATABASE_URL_VAR: &str = "AFFLUX_TEST_DATABASE_URL";

/// A fresh database, migrated and connected; dropped with the value.
pub struct TestDb {
    url: String,
    store: Arc<dyn Store>,
    cleanup: Cleanup,
}

enum Cleanup {
    /// The temporary directory holding the SQLite file.
    Directory(PathBuf),
    /// The database created on the PostgreSQL server reached through `admin_url`.
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    /// Creates the database and connects to it. Panics when that fails: it is a test fixture.
    pub async fn new() -> TestDb {
        match std::env::var(TEST_DATABASE_URL_VAR) {
            Ok(admin_url) if !admin_url.trim().is_empty() => Self::postgres(admin_url.trim()).await,
            _ => Self::sqlite().await,
        }
    }

    async fn sqlite() -> TestDb {
        let dir = std::env::temp_dir().join(format!("afflux-test-{}", Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
        let url = format!("sqlite://{}", dir.join("afflux.db").display());
        // Owning the cleanup before connecting removes the directory even if connecting fails.
        let cleanup = Cleanup::Directory(dir);
        let store = crate::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("opening {url}: {e}"));
        TestDb { url, store, cleanup }
    }

    async fn postgres(admin_url: &str) -> TestDb {
        assert!(
            admin_url.starts_with("postgres:") || admin_url.starts_with("postgresql:"),
            "{TEST_DATABASE_URL_VAR} must be a postgres:// URL"
        );
        let name = format!("afflux_test_{}", Uuid::now_v7().simple());
        create_database(admin_url, &name)
            .await
            .unwrap_or_else(|e| panic!("creating database {name} through {TEST_DATABASE_URL_VAR}: {e}"));
        let url = with_database(admin_url, &name);
        let cleanup = Cleanup::Postgres {
            admin_url: admin_url.to_owned(),
            name,
        };
        let store = crate::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("opening {url}: {e}"));
        TestDb { url, store, cleanup }
    }

    /// The URL of this database, for [`crate::connect`] or a configuration file.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The store connected to this database, migrations applied.
    pub fn store(&self) -> Arc<dyn Store> {
        Arc::clone(&self.store)
    }

    pub fn backend(&self) -> Backend {
        self.store.backend()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Directory(dir) => {
                if let Err(e) = std::fs::remove_dir_all(dir) {
                    eprintln!(
                        "warning: could not remove test database directory {}: {e}",
                        dir.display()
                    );
                }
            }
            Cleanup::Postgres { admin_url, name } => {
                // Drop cannot await, and may run inside a runtime that must not be blocked on
                // itself: the database is dropped from a thread with a runtime of its own.
                let (admin_url, db_name) = (admin_url.clone(), name.clone());
                let dropped = std::thread::spawn(move || -> Result<(), String> {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| e.to_string())?;
                    runtime
                        .block_on(drop_database(&admin_url, &db_name))
                        .map_err(|e| e.to_string())
                })
                .join();
                match dropped {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => eprintln!("warning: could not drop test database {name}: {e}"),
                    Err(_) => eprintln!("warning: dropping test database {name} panicked"),
                }
            }
        }
    }
}

async fn create_database(admin_url: &str, name: &str) -> StoreResult<()> {
    let mut conn = PgConnection::connect(admin_url).await?;
    let sql = format!("CREATE DATABASE \"{name}\"");
    // Concurrent creations can collide on the template database; they succeed when retried.
    let mut attempt: u64 = 0;
    loop {
        attempt += 1;
        match sqlx::query(&sql).execute(&mut conn).await {
            Ok(_) => break,
            Err(e) if attempt < 10 && is_template_busy(&e) => {
                tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    conn.close().await?;
    Ok(())
}

fn is_template_busy(e: &sqlx::Error) -> bool {
    // 55006 object_in_use: "source database "template1" is being accessed by other users".
    matches!(e, sqlx::Error::Database(db) if db.code().as_deref() == Some("55006"))
}

async fn drop_database(admin_url: &str, name: &str) -> StoreResult<()> {
    let mut conn = PgConnection::connect(admin_url).await?;
    // FORCE (PostgreSQL 13+) ends the store's pooled connections, possibly still open.
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(())
}

/// `url` with its database (the path) replaced by `name`, the query string kept.
fn with_database(url: &str, name: &str) -> String {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let (head, query) = match url[authority_start..].find('?') {
        Some(i) => url.split_at(authority_start + i),
        None => (url, ""),
    };
    let server = match head[authority_start..].find('/') {
        Some(i) => &head[..authority_start + i],
        None => head,
    };
    format!("{server}/{name}{query}")
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_the_database_of_a_url() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "afflux_test_1"),
            "postgres://postgres@127.0.0.1:5432/afflux_test_1"
        );
        assert_eq!(
            with_database("postgres://u:p@db/admin?sslmode=disable", "t"),
            "postgres://u:p@db/t?sslmode=disable"
        );
        assert_eq!(with_database("postgresql://localhost", "t"), "postgresql://localhost/t");
        assert_eq!(
            with_database("postgres://localhost?sslmode=prefer", "t"),
            "postgres://localhost/t?sslmode=prefer"
        );
    }
}
