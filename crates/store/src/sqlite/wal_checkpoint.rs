//! WAL checkpoints off the commit path. By default SQLite checkpoints inside the commit that
//! takes the WAL past 1,000 pages: it copies the pages into the database file and syncs both
//! files, which on the click connection cost more than the commits themselves (measured on the
//! development machine: about 170 µs a small click commit with it, 65 µs without; the redirect
//! bench went from about 20k to 33k clicks/s). Here a thread of its own checkpoints every 50 ms
//! instead, in PASSIVE mode (it never waits for or blocks writers and readers), and the click
//! connection's auto-checkpoint is off. The sqlx connections keep theirs as a backstop, which
//! the WAL rarely reaches now. Committed transactions are in the WAL either way: where
//! checkpoints run changes nothing of durability.

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use rusqlite::Connection;

use crate::StoreResult;

/// How often the WAL is copied back: a few hundred pages at the busiest click rate measured,
/// below the 1,000 SQLite's own auto-checkpoint works at.
pub(super) const EVERY: Duration = Duration::from_millis(50);

/// Runs checkpoints until dropped.
pub(super) struct Checkpointer {
    /// Dropping it wakes the thread, which then ends.
    _stop: mpsc::Sender<()>,
}

impl Checkpointer {
    pub(super) fn start(path: &Path, every: Duration) -> StoreResult<Self> {
        let conn = Connection::open(path)?;
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("afflux-wal-checkpoint".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                    // Answers (busy, pages in the WAL, pages copied); a busy or partial
                    // checkpoint is simply taken up again next time.
                    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                        tracing::warn!(error = %e, "WAL checkpoint failed");
                    }
                }
            })
            .map_err(|e| crate::StoreError::Config(format!("starting the WAL checkpoint thread: {e}")))?;
        Ok(Self { _stop: stop })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_without_auto_checkpoint_reach_the_database_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        conn.execute_batch("CREATE TABLE t (v BLOB)").unwrap();
        for _ in 0..200 {
            conn.execute("INSERT INTO t VALUES (zeroblob(1000))", []).unwrap();
        }
        let size = || std::fs::metadata(&path).unwrap().len();
        let before = size();
        assert!(before < 100_000, "the rows are still only in the WAL ({before} bytes)");

        let checkpoints = Checkpointer::start(&path, Duration::from_millis(1)).unwrap();
        // Waits for the thread's first pass (not for a time): the file grows once it ran.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while size() < 200_000 {
            assert!(std::time::Instant::now() < deadline, "no checkpoint ran");
            std::thread::sleep(Duration::from_millis(5));
        }
        drop(checkpoints);
        let rows: i64 = conn.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(rows, 200);
    }
}
