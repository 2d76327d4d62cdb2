//! The affiliate portal: sign-in links, sessions, portal choices and the home page's sums.

use afflux_domain::{Affiliate, AffiliateId, Email, OrgId, PayoutRail};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::row::{get_id, get_opt_parsed, get_parsed};
use crate::{ActivityDay, EarningsTotal, PortalPrefs, PortalSession, PortalSignIn, StoreError, StoreResult};

const UNIX_EPOCH_JULIAN_DAY: i32 = 2_440_588;

/// Days are counted from 1970-01-01 (as `click_counts.day`).
fn day(d: Date) -> i64 {
    i64::from(d.to_julian_day() - UNIX_EPOCH_JULIAN_DAY)
}

fn get_day(row: &PgRow, col: &str) -> StoreResult<Date> {
    let v: i64 = row.try_get(col)?;
    i32::try_from(v)
        .ok()
        .and_then(|d| d.checked_add(UNIX_EPOCH_JULIAN_DAY))
        .and_then(|j| Date::from_julian_day(j).ok())
        .ok_or_else(|| StoreError::Corrupt(format!("{col} = {v}: not a day")))
}

fn sign_in(row: &PgRow) -> StoreResult<PortalSignIn> {
    Ok(PortalSignIn {
        id: row.try_get("id")?,
        token_hash: row.try_get("token_hash")?,
        email_key: row.try_get("email_key")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        used_at: row.try_get("used_at")?,
    })
}

pub(super) async fn insert_sign_in(c: &mut PgConnection, s: &PortalSignIn) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO portal_sign_ins (id, token_hash, email_key, created_at, expires_at, used_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(s.id)
    .bind(&s.token_hash)
    .bind(&s.email_key)
    .bind(s.created_at)
    .bind(s.expires_at)
    .bind(s.used_at)
    .execute(c)
    .await?;
    Ok(())
}

pub(super) async fn get_sign_in(c: &mut PgConnection, id: Uuid) -> StoreResult<Option<PortalSignIn>> {
    sqlx::query("SELECT * FROM portal_sign_ins WHERE id = $1")
        .bind(id)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(sign_in)
        .transpose()
}

pub(super) async fn get_sign_in_by_hash(c: &mut PgConnection, token_hash: &[u8]) -> StoreResult<Option<PortalSignIn>> {
    sqlx::query("SELECT * FROM portal_sign_ins WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(sign_in)
        .transpose()
}

pub(super) async fn use_sign_in(c: &mut PgConnection, id: Uuid, at: OffsetDateTime) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE portal_sign_ins SET used_at = $2 WHERE id = $1 AND used_at IS NULL")
        .bind(id)
        .bind(at)
        .execute(c)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn count_sign_ins(c: &mut PgConnection, email_key: &str, since: OffsetDateTime) -> StoreResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM portal_sign_ins WHERE email_key = $1 AND created_at >= $2")
            .bind(email_key)
            .bind(since)
            .fetch_one(c)
            .await?,
    )
}

pub(super) async fn insert_session(c: &mut PgConnection, s: &PortalSession) -> StoreResult<()> {
    sqlx::query("INSERT INTO portal_sessions (token_hash, email_key, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(&s.token_hash)
        .bind(&s.email_key)
        .bind(s.created_at)
        .bind(s.expires_at)
        .execute(c)
        .await?;
    Ok(())
}

pub(super) async fn get_session(c: &mut PgConnection, token_hash: &[u8]) -> StoreResult<Option<PortalSession>> {
    let Some(row) = sqlx::query("SELECT * FROM portal_sessions WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(c)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(PortalSession {
        token_hash: row.try_get("token_hash")?,
        email_key: row.try_get("email_key")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
    }))
}

pub(super) async fn delete_session(c: &mut PgConnection, token_hash: &[u8]) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM portal_sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(c)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn affiliates_by_email(c: &mut PgConnection, email_key: &str) -> StoreResult<Vec<Affiliate>> {
    let rows = sqlx::query("SELECT * FROM affiliates WHERE email_key = $1 ORDER BY created_at, id")
        .bind(email_key)
        .fetch_all(c)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Affiliate {
                id: get_id(row, "id")?,
                org_id: get_id(row, "org_id")?,
                email: get_parsed(row, "email")?,
                name: row.try_get("name")?,
                paypal_email: get_opt_parsed(row, "paypal_email")?,
                stripe_account_id: get_opt_parsed(row, "stripe_account_id")?,
                slug: get_parsed(row, "slug")?,
                created_at: row.try_get("created_at")?,
            })
        })
        .collect()
}

pub(super) async fn update_profile(
    c: &mut PgConnection,
    org: OrgId,
    id: AffiliateId,
    name: Option<&str>,
    paypal_email: Option<&Email>,
) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE affiliates SET name = $3, paypal_email = $4 WHERE org_id = $1 AND id = $2")
        .bind(org.0)
        .bind(id.0)
        .bind(name)
        .bind(paypal_email.map(Email::as_str))
        .execute(c)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn get_prefs(c: &mut PgConnection, org: OrgId, id: AffiliateId) -> StoreResult<Option<PortalPrefs>> {
    let Some(row) = sqlx::query("SELECT * FROM portal_prefs WHERE org_id = $1 AND affiliate_id = $2")
        .bind(org.0)
        .bind(id.0)
        .fetch_optional(c)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(PortalPrefs {
        org_id: get_id(&row, "org_id")?,
        affiliate_id: get_id(&row, "affiliate_id")?,
        payout_method: get_opt_parsed(&row, "payout_method")?,
        previous_slug: row.try_get("previous_slug")?,
        slug_changed_at: row.try_get("slug_changed_at")?,
    }))
}

/// Writes only for an affiliate of `org`.
pub(super) async fn set_payout_method(
    c: &mut PgConnection,
    org: OrgId,
    id: AffiliateId,
    method: PayoutRail,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO portal_prefs (affiliate_id, org_id, payout_method)
         SELECT id, org_id, $3 FROM affiliates WHERE org_id = $1 AND id = $2
         ON CONFLICT (affiliate_id) DO UPDATE SET payout_method = excluded.payout_method",
    )
    .bind(org.0)
    .bind(id.0)
    .bind(method.to_string())
    .execute(c)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn mark_slug_changed(
    c: &mut PgConnection,
    org: OrgId,
    id: AffiliateId,
    previous_slug: &str,
    at: OffsetDateTime,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO portal_prefs (affiliate_id, org_id, previous_slug, slug_changed_at)
         SELECT id, org_id, $3, $4 FROM affiliates WHERE org_id = $1 AND id = $2
         ON CONFLICT (affiliate_id) DO UPDATE SET previous_slug = excluded.previous_slug,
             slug_changed_at = excluded.slug_changed_at
         WHERE portal_prefs.slug_changed_at IS NULL",
    )
    .bind(org.0)
    .bind(id.0)
    .bind(previous_slug)
    .bind(at)
    .execute(c)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn unsuppress(c: &mut PgConnection, email_key: &str) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM email_suppressions WHERE email_key = $1")
        .bind(email_key)
        .execute(c)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn earnings(
    c: &mut PgConnection,
    org: OrgId,
    id: AffiliateId,
    now: OffsetDateTime,
) -> StoreResult<Vec<EarningsTotal>> {
    let rows = sqlx::query(
        "SELECT currency, status, status = 'Pending' AND hold_until > $3 AS on_hold,
                SUM(amount_minor)::bigint AS amount, COUNT(*) AS n
         FROM commissions WHERE org_id = $1 AND affiliate_id = $2
         GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    )
    .bind(org.0)
    .bind(id.0)
    .bind(now)
    .fetch_all(c)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(EarningsTotal {
                currency: get_parsed(row, "currency")?,
                status: get_parsed(row, "status")?,
                on_hold: row.try_get("on_hold")?,
                amount_minor: row.try_get("amount")?,
                count: row.try_get("n")?,
            })
        })
        .collect()
}

pub(super) async fn activity(
    c: &mut PgConnection,
    org: OrgId,
    id: AffiliateId,
    from: Date,
    to: Date,
) -> StoreResult<Vec<ActivityDay>> {
    let rows = sqlx::query(
        "SELECT day, SUM(clicks)::bigint AS clicks, SUM(conversions)::bigint AS conversions FROM (
             SELECT day, clicks, 0::bigint AS conversions FROM click_counts
             WHERE org_id = $1 AND affiliate_id = $2 AND day BETWEEN $3 AND $4
             UNION ALL
             SELECT day, 0::bigint, sales + leads FROM conversion_daily
             WHERE org_id = $1 AND affiliate_id = $2 AND day BETWEEN $3 AND $4
         ) AS a GROUP BY day ORDER BY day",
    )
    .bind(org.0)
    .bind(id.0)
    .bind(day(from))
    .bind(day(to))
    .fetch_all(c)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(ActivityDay {
                day: get_day(row, "day")?,
                clicks: row.try_get("clicks")?,
                conversions: row.try_get("conversions")?,
            })
        })
        .collect()
}

pub(super) async fn conversion_count(c: &mut PgConnection, org: OrgId, id: AffiliateId) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COALESCE(SUM(sales + leads), 0)::bigint FROM conversion_daily WHERE org_id = $1 AND affiliate_id = $2",
    )
    .bind(org.0)
    .bind(id.0)
    .fetch_one(c)
    .await?)
}
