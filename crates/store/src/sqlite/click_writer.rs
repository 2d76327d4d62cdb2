//! Clicks have a SQLite connection of their own, outside sqlx: each statement through sqlx's
//! SQLite driver is a round trip to its connection thread, and a click batch (begin, insert,
//! commit) spent most of its time in those round trips. Here a batch is one synchronous
//! transaction with a cached statement. Its `BEGIN IMMEDIATE` takes turns with the sqlx writer
//! through SQLite's own lock. WAL checkpoints run on a thread of their own (see wal_checkpoint.rs).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use afflux_domain::ClickId;
use rusqlite::{Connection, TransactionBehavior, params};
use rustc_hash::FxBuildHasher;

use super::recent_clicks::{ClickKey, RecentClicks};
use super::row::ts;
use super::wal_checkpoint::{self, Checkpointer};
use crate::{ClickOutcome, NewClick, StoreResult};

pub(super) struct ClickWriter {
    state: Mutex<State>,
    _checkpoints: Checkpointer,
}

struct State {
    conn: Connection,
    recent: RecentClicks,
}

impl ClickWriter {
    /// Opens the database file (already created and migrated by the sqlx pool) and loads the
    /// clicks of the last two hours.
    pub(super) fn open(path: &Path) -> StoreResult<Self> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Checkpoints are the checkpointer's, not the commits'.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        let checkpoints = Checkpointer::start(path, wal_checkpoint::EVERY)?;
        let recent = RecentClicks::load(&conn)?;
        Ok(Self {
            state: Mutex::new(State { conn, recent }),
            _checkpoints: checkpoints,
        })
    }

    /// Commits the batch's new clicks in one transaction; only then are they remembered.
    pub(super) fn record(&self, clicks: &[NewClick]) -> StoreResult<Vec<ClickOutcome>> {
        let mut state = self.state.lock().expect("click writer lock");
        let State { conn, recent } = &mut *state;
        let mut outcomes = Vec::with_capacity(clicks.len());
        let mut fresh: Vec<(ClickKey, &NewClick)> = Vec::with_capacity(clicks.len());
        let mut in_batch: HashMap<ClickKey, ClickId, FxBuildHasher> =
            HashMap::with_capacity_and_hasher(clicks.len(), FxBuildHasher);
        for k in clicks {
            let key = ClickKey::new(k.affiliate_id, k.campaign_id, &k.visitor_hash, hour_of(k));
            match recent.get(&key).or_else(|| in_batch.get(&key).copied()) {
                Some(id) => outcomes.push(ClickOutcome { id, recorded: false }),
                None => {
                    outcomes.push(ClickOutcome {
                        id: k.id,
                        recorded: true,
                    });
                    in_batch.insert(key.clone(), k.id);
                    fresh.push((key, k));
                }
            }
        }
        if fresh.is_empty() {
            return Ok(outcomes);
        }
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            // The clicks_counted trigger keeps the per-day counters.
            let mut insert = tx.prepare_cached(
                "INSERT INTO clicks (id, org_id, campaign_id, affiliate_id, visitor_hash, hour, referrer_domain, source, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            for (_, k) in &fresh {
                insert.execute(params![
                    k.id.0.as_bytes(),
                    k.org_id.0.as_bytes(),
                    k.campaign_id.0.as_bytes(),
                    k.affiliate_id.0.as_bytes(),
                    k.visitor_hash,
                    hour_of(k),
                    k.referrer_domain,
                    k.source.as_str(),
                    ts(k.at),
                ])?;
            }
        }
        tx.commit()?;
        recent.remember(fresh.into_iter().map(|(key, k)| (key, k.id.0)));
        Ok(outcomes)
    }
}

fn hour_of(click: &NewClick) -> i64 {
    click.at.unix_timestamp().div_euclid(3_600)
}
