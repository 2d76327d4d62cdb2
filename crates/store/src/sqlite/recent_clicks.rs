//! On SQLite, the once-per-visitor-per-link-per-hour rule is kept in memory instead of by a
//! unique index: an index keyed on a random visitor hash costs about five times the rest of a
//! click's insert (every commit dirties random index pages). One process writes an SQLite file,
//! so it can know every click of the current and previous hour; they are loaded at open, and a
//! batch's clicks join the set only once it commits.

use std::collections::HashMap;

use afflux_domain::{AffiliateId, CampaignId, ClickId};
use rusqlite::Connection;
use rustc_hash::FxBuildHasher;
use uuid::Uuid;

use crate::{StoreError, StoreResult};

/// Bytes of the visitor hash a key keeps: 128 bits of an HMAC tell visitors apart as surely
/// as all 256, and a fixed-size key needs no allocation per click.
const VISITOR_BYTES: usize = 16;

/// What makes two clicks the same: link (affiliate and campaign), visitor and clock hour.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct ClickKey {
    pub affiliate: Uuid,
    pub campaign: Uuid,
    pub visitor: [u8; VISITOR_BYTES],
    pub hour: i64,
}

impl ClickKey {
    pub(super) fn new(affiliate: AffiliateId, campaign: CampaignId, visitor_hash: &[u8], hour: i64) -> Self {
        let mut visitor = [0; VISITOR_BYTES];
        let n = visitor_hash.len().min(VISITOR_BYTES);
        visitor[..n].copy_from_slice(&visitor_hash[..n]);
        Self {
            affiliate: affiliate.0,
            campaign: campaign.0,
            visitor,
            hour,
        }
    }
}

/// The keys hold keyed-HMAC output that a visitor cannot steer, so a fast non-keyed hasher is
/// safe here (no hash-flooding).
#[derive(Default)]
pub(super) struct RecentClicks {
    by_key: HashMap<ClickKey, Uuid, FxBuildHasher>,
    latest_hour: i64,
    /// The newest hour when older ones were last forgotten.
    pruned_at_hour: i64,
}

impl RecentClicks {
    /// The clicks of the newest stored hour and the one before it.
    pub(super) fn load(conn: &Connection) -> StoreResult<Self> {
        let mut query = conn.prepare(
            "SELECT affiliate_id, campaign_id, visitor_hash, hour, id FROM clicks
             WHERE hour >= (SELECT COALESCE(MAX(hour), 0) - 1 FROM clicks)",
        )?;
        let uuid = |bytes: Vec<u8>| Uuid::from_slice(&bytes).map_err(|e| StoreError::Corrupt(format!("click id: {e}")));
        let mut rows = query.query([])?;
        let mut clicks = Vec::new();
        while let Some(row) = rows.next()? {
            let visitor_hash: Vec<u8> = row.get(2)?;
            let key = ClickKey::new(
                AffiliateId(uuid(row.get(0)?)?),
                CampaignId(uuid(row.get(1)?)?),
                &visitor_hash,
                row.get(3)?,
            );
            clicks.push((key, uuid(row.get(4)?)?));
        }
        let mut recent = RecentClicks::default();
        recent.remember(clicks);
        Ok(recent)
    }

    pub(super) fn get(&self, key: &ClickKey) -> Option<ClickId> {
        self.by_key.get(key).copied().map(ClickId)
    }

    /// Adds committed clicks, then forgets hours older than the one before the newest.
    pub(super) fn remember(&mut self, clicks: impl IntoIterator<Item = (ClickKey, Uuid)>) {
        for (key, id) in clicks {
            self.latest_hour = self.latest_hour.max(key.hour);
            self.by_key.entry(key).or_insert(id);
        }
        if self.latest_hour > self.pruned_at_hour {
            let keep_from = self.latest_hour - 1;
            self.by_key.retain(|k, _| k.hour >= keep_from);
            self.pruned_at_hour = self.latest_hour;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(hour: i64, visitor: u8) -> ClickKey {
        ClickKey::new(AffiliateId(Uuid::nil()), CampaignId(Uuid::nil()), &[visitor; 32], hour)
    }

    #[test]
    fn keeps_the_newest_two_hours_and_the_first_click_of_each_key() {
        let mut recent = RecentClicks::default();
        let (first, second) = (Uuid::now_v7(), Uuid::now_v7());
        recent.remember([(key(10, 1), first), (key(10, 1), second), (key(11, 2), second)]);
        assert_eq!(recent.get(&key(10, 1)), Some(ClickId(first)));
        recent.remember([(key(12, 3), first)]);
        assert_eq!(recent.get(&key(10, 1)), None, "hour 10 is older than the one before 12");
        assert_eq!(recent.get(&key(11, 2)), Some(ClickId(second)));
    }
}
