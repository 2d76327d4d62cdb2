use std::collections::{BTreeMap, HashSet};

use afflux_domain::{AffiliateId, CampaignId, ClickId, OrgId};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};
use uuid::Uuid;

use super::row::{get_id, get_parsed};
use crate::{Click, ClickOutcome, NewClick, StoreResult};

fn click(row: &PgRow) -> StoreResult<Click> {
    Ok(Click {
        id: get_id(row, "id")?,
        org_id: get_id(row, "org_id")?,
        campaign_id: get_id(row, "campaign_id")?,
        affiliate_id: get_id(row, "affiliate_id")?,
        visitor_hash: row.try_get("visitor_hash")?,
        referrer_domain: row.try_get("referrer_domain")?,
        source: get_parsed(row, "source")?,
        at: row.try_get("created_at")?,
    })
}

/// Rows per INSERT statement: 9 parameters each stays far below PostgreSQL's 65,535.
const ROWS_PER_STATEMENT: usize = 1_000;

pub(super) async fn insert(c: &mut PgConnection, clicks: &[NewClick]) -> StoreResult<Vec<ClickOutcome>> {
    // One multi-row statement per chunk: the click writer hands over hundreds of clicks at a
    // time, and a statement per click would make the round trips, not SQLite, the limit.
    // Rows go in their batch order, so of two repeats in one batch the first is stored.
    let mut inserted: HashSet<Uuid> = HashSet::with_capacity(clicks.len());
    for chunk in clicks.chunks(ROWS_PER_STATEMENT) {
        let mut query = QueryBuilder::<Postgres>::new(
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
                .push_bind(k.at);
        });
        query.push(" ON CONFLICT (affiliate_id, campaign_id, visitor_hash, hour) DO NOTHING RETURNING id");
        let ids: Vec<Uuid> = query.build_query_scalar().fetch_all(&mut *c).await?;
        inserted.extend(ids);
    }

    let mut outcomes = Vec::with_capacity(clicks.len());
    let mut counts: BTreeMap<(Uuid, Uuid, Uuid, i64), i64> = BTreeMap::new();
    let mut referred: BTreeMap<(Uuid, i64, Uuid, &str), i64> = BTreeMap::new();
    for k in clicks {
        if inserted.contains(&k.id.0) {
            let day = k.at.unix_timestamp().div_euclid(86_400);
            *counts
                .entry((k.affiliate_id.0, k.campaign_id.0, k.org_id.0, day))
                .or_default() += 1;
            let domain = k.referrer_domain.as_deref().unwrap_or_default();
            *referred.entry((k.org_id.0, day, k.campaign_id.0, domain)).or_default() += 1;
            outcomes.push(ClickOutcome {
                id: k.id,
                recorded: true,
            });
        } else {
            let id: Uuid = sqlx::query_scalar(
                "SELECT id FROM clicks WHERE affiliate_id = $1 AND campaign_id = $2 AND visitor_hash = $3 AND hour = $4",
            )
            .bind(k.affiliate_id.0)
            .bind(k.campaign_id.0)
            .bind(&k.visitor_hash)
            .bind(k.at.unix_timestamp().div_euclid(3_600))
            .fetch_one(&mut *c)
            .await?;
            outcomes.push(ClickOutcome {
                id: ClickId(id),
                recorded: false,
            });
        }
    }
    // One counter write per link and day, however many clicks the batch holds.
    for ((affiliate, campaign, org, day), n) in counts {
        sqlx::query(
            "INSERT INTO click_counts (org_id, affiliate_id, campaign_id, day, clicks) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (affiliate_id, campaign_id, day) DO UPDATE SET clicks = click_counts.clicks + excluded.clicks",
        )
        .bind(org)
        .bind(affiliate)
        .bind(campaign)
        .bind(day)
        .bind(n)
        .execute(&mut *c)
        .await?;
    }
    // Traffic sources for reports (see migration 0006): one statement, rows in key order.
    let referred: Vec<_> = referred.into_iter().collect();
    for chunk in referred.chunks(ROWS_PER_STATEMENT) {
        let mut query = QueryBuilder::<Postgres>::new(
            "INSERT INTO referrer_daily (org_id, day, campaign_id, referrer_domain, clicks) ",
        );
        query.push_values(chunk, |mut row, ((org, day, campaign, domain), n)| {
            row.push_bind(*org)
                .push_bind(*day)
                .push_bind(*campaign)
                .push_bind(*domain)
                .push_bind(*n);
        });
        query.push(
            " ON CONFLICT (org_id, day, campaign_id, referrer_domain)
             DO UPDATE SET clicks = referrer_daily.clicks + excluded.clicks",
        );
        query.build().execute(&mut *c).await?;
    }
    Ok(outcomes)
}

pub(super) async fn get(c: &mut PgConnection, id: ClickId) -> StoreResult<Option<Click>> {
    sqlx::query("SELECT * FROM clicks WHERE id = $1")
        .bind(id.0)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(click)
        .transpose()
}

pub(super) async fn count(
    c: &mut PgConnection,
    org: OrgId,
    affiliate: AffiliateId,
    campaign: Option<CampaignId>,
) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COALESCE(SUM(clicks), 0)::bigint FROM click_counts
         WHERE org_id = $1 AND affiliate_id = $2 AND ($3::uuid IS NULL OR campaign_id = $3)",
    )
    .bind(org.0)
    .bind(affiliate.0)
    .bind(campaign.map(|c| c.0))
    .fetch_one(c)
    .await?)
}
