use std::collections::HashMap;

use afflux_domain::{AffiliateId, CampaignId, ClickId, OrgId};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use uuid::Uuid;

use super::recent_clicks::{ClickKey, SharedRecentClicks};
use super::row::{get_id, get_parsed, get_ts, ts};
use crate::{Click, ClickOutcome, NewClick, StoreResult};

fn click(row: &SqliteRow) -> StoreResult<Click> {
    Ok(Click {
        id: get_id(row, "id")?,
        org_id: get_id(row, "org_id")?,
        campaign_id: get_id(row, "campaign_id")?,
        affiliate_id: get_id(row, "affiliate_id")?,
        visitor_hash: row.try_get("visitor_hash")?,
        referrer_domain: row.try_get("referrer_domain")?,
        source: get_parsed(row, "source")?,
        at: get_ts(row, "created_at")?,
    })
}

/// Rows per INSERT statement: 9 parameters each stays far below SQLite's 32,766.
const ROWS_PER_STATEMENT: usize = 1_000;

/// Records the clicks no one has counted this hour (see `recent_clicks`): the recent ones
/// committed before, and those earlier in this transaction, are repeats.
pub(super) async fn insert(
    c: &mut SqliteConnection,
    recent: Option<&SharedRecentClicks>,
    pending: &mut Vec<(ClickKey, Uuid)>,
    clicks: &[NewClick],
) -> StoreResult<Vec<ClickOutcome>> {
    let mut outcomes = Vec::with_capacity(clicks.len());
    let mut fresh: Vec<&NewClick> = Vec::with_capacity(clicks.len());
    {
        let recent = recent.map(|r| r.lock().expect("recent clicks lock"));
        let mut in_tx: HashMap<ClickKey, Uuid> = pending.iter().cloned().collect();
        for k in clicks {
            let key = ClickKey::new(
                k.affiliate_id,
                k.campaign_id,
                &k.visitor_hash,
                k.at.unix_timestamp().div_euclid(3_600),
            );
            let seen = recent
                .as_ref()
                .and_then(|r| r.get(&key))
                .or_else(|| in_tx.get(&key).copied().map(ClickId));
            match seen {
                Some(id) => outcomes.push(ClickOutcome { id, recorded: false }),
                None => {
                    in_tx.insert(key.clone(), k.id.0);
                    pending.push((key, k.id.0));
                    fresh.push(k);
                    outcomes.push(ClickOutcome {
                        id: k.id,
                        recorded: true,
                    });
                }
            }
        }
    }
    // One multi-row statement per chunk: the click writer hands over hundreds of clicks at a
    // time, and a statement per click would make the round trips, not SQLite, the limit.
    for chunk in fresh.chunks(ROWS_PER_STATEMENT) {
        let mut query = QueryBuilder::<Sqlite>::new(
            "INSERT INTO clicks (id, org_id, campaign_id, affiliate_id, visitor_hash, hour, referrer_domain, source, created_at) ",
        );
        query.push_values(chunk, |mut row, k| {
            row.push_bind(k.id.0)
                .push_bind(k.org_id.0)
                .push_bind(k.campaign_id.0)
                .push_bind(k.affiliate_id.0)
                .push_bind(&k.visitor_hash)
                .push_bind(k.at.unix_timestamp().div_euclid(3_600))
                .push_bind(&k.referrer_domain)
                .push_bind(k.source.as_str())
                .push_bind(ts(k.at));
        });
        query.build().execute(&mut *c).await?;
    }

    // The clicks_counted trigger keeps the per-day counters.
    Ok(outcomes)
}

pub(super) async fn get(c: &mut SqliteConnection, id: ClickId) -> StoreResult<Option<Click>> {
    sqlx::query("SELECT * FROM clicks WHERE id = $1")
        .bind(id.0)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(click)
        .transpose()
}

pub(super) async fn count(
    c: &mut SqliteConnection,
    org: OrgId,
    affiliate: AffiliateId,
    campaign: Option<CampaignId>,
) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COALESCE(SUM(clicks), 0) FROM click_counts
         WHERE org_id = $1 AND affiliate_id = $2 AND ($3 IS NULL OR campaign_id = $3)",
    )
    .bind(org.0)
    .bind(affiliate.0)
    .bind(campaign.map(|c| c.0))
    .fetch_one(c)
    .await?)
}
