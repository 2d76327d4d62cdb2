//! Reports, read from the daily rollups migration 0006 keeps (`referrer_daily`,
//! `campaign_daily` for totals and series, `conversion_daily` per affiliate) and from
//! `click_counts`; the pay-per-click rollup's reads; CSV export pages.

use std::collections::{BTreeMap, HashMap};

use afflux_domain::{AffiliateId, CampaignId, Commission, Conversion, OrgId, PayoutItem};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::{PgConnection, Postgres, Row};
use time::Date;
use uuid::Uuid;

use super::commissions::commission;
use super::conversions::conversion;
use super::payouts::item;
use super::row::{get_id, get_parsed};
use crate::{
    CurrencyTotals, ExportWindow, LeaderboardRow, ReportDay, ReportScope, ReportTotals, SourceRow, StoreError,
    StoreResult,
};

/// The filter every report query shares: organization, day range, optional campaign ($1–$4).
const SCOPE: &str = "org_id = $1 AND day BETWEEN $2 AND $3 AND ($4::uuid IS NULL OR campaign_id = $4)";

/// Affiliates active in the window: per membership (clicks and conversions always belong to
/// one), a probe of its first row in the window, by key, rather than a distinct over every
/// affiliate-day (a lateral join: the planner cannot turn it into a scan of the whole window,
/// as it may an `EXISTS` before the table's statistics are in). Every click_counts row has at
/// least one click; a conversion_daily row may have summed to nothing (a sale, then its denial).
const ACTIVE: &str = "SELECT COUNT(DISTINCT m.affiliate_id) AS n FROM memberships m
    CROSS JOIN LATERAL (
        SELECT 1 FROM (
            (SELECT 1 FROM click_counts k
             WHERE k.affiliate_id = m.affiliate_id AND k.campaign_id = m.campaign_id AND k.day BETWEEN $2 AND $3
             LIMIT 1)
            UNION ALL
            (SELECT 1 FROM conversion_daily d
             WHERE d.org_id = $1 AND d.affiliate_id = m.affiliate_id AND d.campaign_id = m.campaign_id
               AND d.day BETWEEN $2 AND $3
               AND (d.sales <> 0 OR d.leads <> 0 OR d.revenue_minor <> 0 OR d.commission_minor <> 0)
             LIMIT 1)
        ) AS found LIMIT 1
    ) AS active
    WHERE m.org_id = $1 AND ($4::uuid IS NULL OR m.campaign_id = $4)";

const SUMS: &str = "SUM(sales)::bigint AS sales, SUM(leads)::bigint AS leads,
    SUM(revenue_minor)::bigint AS revenue_minor, SUM(commission_minor)::bigint AS commission_minor";

/// Days since 1970-01-01 (as `click_counts.day`).
fn day(d: Date) -> i64 {
    i64::from(d.to_julian_day() - UNIX_EPOCH_JULIAN_DAY)
}

const UNIX_EPOCH_JULIAN_DAY: i32 = 2_440_588;

fn get_day(row: &PgRow, col: &str) -> StoreResult<Date> {
    let v: i64 = row.try_get(col)?;
    i32::try_from(v)
        .ok()
        .and_then(|d| d.checked_add(UNIX_EPOCH_JULIAN_DAY))
        .and_then(|j| Date::from_julian_day(j).ok())
        .ok_or_else(|| StoreError::Corrupt(format!("{col} = {v}: not a day")))
}

fn scoped<'q>(sql: &'q str, s: &ReportScope) -> Query<'q, Postgres, PgArguments> {
    sqlx::query(sql)
        .bind(s.org_id.0)
        .bind(day(s.from))
        .bind(day(s.to))
        .bind(s.campaign_id.map(|c| c.0))
}

fn totals(row: &PgRow) -> StoreResult<CurrencyTotals> {
    Ok(CurrencyTotals {
        currency: get_parsed(row, "currency")?,
        sales: row.try_get("sales")?,
        leads: row.try_get("leads")?,
        revenue_minor: row.try_get("revenue_minor")?,
        commission_minor: row.try_get("commission_minor")?,
    })
}

pub(super) async fn totals_of(c: &mut PgConnection, s: &ReportScope) -> StoreResult<ReportTotals> {
    let clicks: i64 = scoped(
        &format!("SELECT COALESCE(SUM(clicks), 0)::bigint AS n FROM referrer_daily WHERE {SCOPE}"),
        s,
    )
    .fetch_one(&mut *c)
    .await?
    .try_get("n")?;
    let rows = scoped(
        &format!("SELECT currency, {SUMS} FROM campaign_daily WHERE {SCOPE} GROUP BY currency ORDER BY currency"),
        s,
    )
    .fetch_all(&mut *c)
    .await?;
    let currencies = rows.iter().map(totals).collect::<StoreResult<Vec<_>>>()?;
    let active_affiliates: i64 = scoped(ACTIVE, s).fetch_one(&mut *c).await?.try_get("n")?;
    Ok(ReportTotals {
        clicks,
        currencies,
        active_affiliates,
    })
}

fn day_entry(days: &mut BTreeMap<Date, ReportDay>, d: Date) -> &mut ReportDay {
    days.entry(d).or_insert_with(|| ReportDay {
        day: d,
        clicks: 0,
        currencies: vec![],
    })
}

pub(super) async fn daily(c: &mut PgConnection, s: &ReportScope) -> StoreResult<Vec<ReportDay>> {
    let mut days: BTreeMap<Date, ReportDay> = BTreeMap::new();
    for row in scoped(
        &format!("SELECT day, SUM(clicks)::bigint AS n FROM referrer_daily WHERE {SCOPE} GROUP BY day"),
        s,
    )
    .fetch_all(&mut *c)
    .await?
    {
        let d = get_day(&row, "day")?;
        day_entry(&mut days, d).clicks = row.try_get("n")?;
    }
    for row in scoped(
        &format!(
            "SELECT day, currency, {SUMS} FROM campaign_daily WHERE {SCOPE}
             GROUP BY day, currency ORDER BY day, currency"
        ),
        s,
    )
    .fetch_all(&mut *c)
    .await?
    {
        let d = get_day(&row, "day")?;
        day_entry(&mut days, d).currencies.push(totals(&row)?);
    }
    Ok(days.into_values().collect())
}

pub(super) async fn leaderboard(c: &mut PgConnection, s: &ReportScope, limit: i64) -> StoreResult<Vec<LeaderboardRow>> {
    // Amounts in different currencies do not add up: revenue and commission summed across
    // currencies only break ties between equal sales counts.
    let ranked: Vec<Uuid> = scoped(
        &format!(
            "SELECT affiliate_id FROM conversion_daily WHERE {SCOPE}
             GROUP BY affiliate_id
             HAVING SUM(sales) <> 0 OR SUM(revenue_minor) <> 0 OR SUM(leads) <> 0 OR SUM(commission_minor) <> 0
             ORDER BY SUM(sales) DESC, SUM(revenue_minor) DESC, SUM(leads) DESC, SUM(commission_minor) DESC,
                affiliate_id
             LIMIT $5"
        ),
        s,
    )
    .bind(limit)
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(|r| r.try_get("affiliate_id"))
    .collect::<Result<_, _>>()?;
    if ranked.is_empty() {
        return Ok(vec![]);
    }
    let mut rows: Vec<LeaderboardRow> = ranked
        .iter()
        .map(|id| LeaderboardRow {
            affiliate_id: AffiliateId(*id),
            clicks: 0,
            currencies: vec![],
        })
        .collect();
    let at: HashMap<Uuid, usize> = ranked.iter().enumerate().map(|(i, id)| (*id, i)).collect();

    for row in scoped(
        &format!(
            "SELECT affiliate_id, currency, {SUMS} FROM conversion_daily WHERE {SCOPE} AND affiliate_id = ANY($5)
             GROUP BY affiliate_id, currency ORDER BY affiliate_id, currency"
        ),
        s,
    )
    .bind(&ranked)
    .fetch_all(&mut *c)
    .await?
    {
        let id: Uuid = row.try_get("affiliate_id")?;
        rows[at[&id]].currencies.push(totals(&row)?);
    }
    for row in scoped(
        &format!(
            "SELECT affiliate_id, SUM(clicks)::bigint AS n FROM click_counts WHERE {SCOPE} AND affiliate_id = ANY($5)
             GROUP BY affiliate_id"
        ),
        s,
    )
    .bind(&ranked)
    .fetch_all(&mut *c)
    .await?
    {
        let id: Uuid = row.try_get("affiliate_id")?;
        rows[at[&id]].clicks = row.try_get("n")?;
    }
    Ok(rows)
}

pub(super) async fn sources(c: &mut PgConnection, s: &ReportScope, limit: i64) -> StoreResult<Vec<SourceRow>> {
    scoped(
        &format!(
            "SELECT referrer_domain, SUM(clicks)::bigint AS n FROM referrer_daily WHERE {SCOPE}
             GROUP BY referrer_domain ORDER BY n DESC, referrer_domain LIMIT $5"
        ),
        s,
    )
    .bind(limit)
    .fetch_all(c)
    .await?
    .iter()
    .map(|row| {
        let domain: String = row.try_get("referrer_domain")?;
        Ok(SourceRow {
            referrer_domain: (!domain.is_empty()).then_some(domain),
            clicks: row.try_get("n")?,
        })
    })
    .collect()
}

pub(super) async fn hourly_click_counts(
    c: &mut PgConnection,
    hour: i64,
) -> StoreResult<Vec<(OrgId, AffiliateId, CampaignId, i64)>> {
    sqlx::query(
        "SELECT k.org_id, k.affiliate_id, k.campaign_id, COUNT(*) AS n
         FROM clicks k JOIN campaigns p ON p.id = k.campaign_id AND p.org_id = k.org_id
         WHERE k.hour = $1 AND p.commission_model = 'Cpc'
         GROUP BY k.org_id, k.campaign_id, k.affiliate_id
         ORDER BY k.org_id, k.campaign_id, k.affiliate_id",
    )
    .bind(hour)
    .fetch_all(c)
    .await?
    .iter()
    .map(|row| {
        Ok((
            get_id(row, "org_id")?,
            get_id(row, "affiliate_id")?,
            get_id(row, "campaign_id")?,
            row.try_get("n")?,
        ))
    })
    .collect()
}

pub(super) async fn cpc_spent(c: &mut PgConnection, org: OrgId, campaign: CampaignId) -> StoreResult<i64> {
    // `source = 'Click'` written out: the partial index conversions_cpc matches a literal.
    Ok(sqlx::query_scalar(
        "SELECT COALESCE(SUM(commission_minor), 0)::bigint FROM conversions
         WHERE org_id = $1 AND campaign_id = $2 AND source = 'Click' AND status <> 'Denied'",
    )
    .bind(org.0)
    .bind(campaign.0)
    .fetch_one(c)
    .await?)
}

pub(super) async fn export_conversions(c: &mut PgConnection, w: &ExportWindow) -> StoreResult<Vec<Conversion>> {
    let (at, id) = w.start();
    sqlx::query(
        "SELECT * FROM conversions
         WHERE org_id = $1 AND (occurred_at, id) > ($2, $3) AND occurred_at < $4
         ORDER BY occurred_at, id LIMIT $5",
    )
    .bind(w.org_id.0)
    .bind(at)
    .bind(id)
    .bind(w.to)
    .bind(w.limit)
    .fetch_all(c)
    .await?
    .iter()
    .map(conversion)
    .collect()
}

pub(super) async fn export_commissions(c: &mut PgConnection, w: &ExportWindow) -> StoreResult<Vec<Commission>> {
    let (at, id) = w.start();
    sqlx::query(
        "SELECT * FROM commissions
         WHERE org_id = $1 AND (created_at, id) > ($2, $3) AND created_at < $4
         ORDER BY created_at, id LIMIT $5",
    )
    .bind(w.org_id.0)
    .bind(at)
    .bind(id)
    .bind(w.to)
    .bind(w.limit)
    .fetch_all(c)
    .await?
    .iter()
    .map(commission)
    .collect()
}

pub(super) async fn export_payout_items(c: &mut PgConnection, w: &ExportWindow) -> StoreResult<Vec<PayoutItem>> {
    let (at, id) = w.start();
    sqlx::query(
        "SELECT * FROM payout_items
         WHERE org_id = $1 AND (created_at, id) > ($2, $3) AND created_at < $4
         ORDER BY created_at, id LIMIT $5",
    )
    .bind(w.org_id.0)
    .bind(at)
    .bind(id)
    .bind(w.to)
    .bind(w.limit)
    .fetch_all(c)
    .await?
    .iter()
    .map(item)
    .collect()
}
