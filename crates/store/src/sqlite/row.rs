//! Conversions between SQLite columns and domain values.

use std::str::FromStr;

use afflux_domain::CampaignRules;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::{StoreError, StoreResult};

/// Times are stored as Unix microseconds.
pub(super) fn ts(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000).expect("timestamps fit in i64 microseconds")
}

pub(super) fn opt_ts(t: Option<OffsetDateTime>) -> Option<i64> {
    t.map(ts)
}

fn from_micros(v: i64) -> StoreResult<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(v) * 1_000)
        .map_err(|e| StoreError::Corrupt(format!("timestamp {v}: {e}")))
}

pub(super) fn get_ts(row: &SqliteRow, col: &str) -> StoreResult<OffsetDateTime> {
    from_micros(row.try_get(col)?)
}

pub(super) fn get_opt_ts(row: &SqliteRow, col: &str) -> StoreResult<Option<OffsetDateTime>> {
    row.try_get::<Option<i64>, _>(col)?.map(from_micros).transpose()
}

pub(super) fn get_id<T: From<Uuid>>(row: &SqliteRow, col: &str) -> StoreResult<T> {
    Ok(T::from(row.try_get::<Uuid, _>(col)?))
}

pub(super) fn get_opt_id<T: From<Uuid>>(row: &SqliteRow, col: &str) -> StoreResult<Option<T>> {
    Ok(row.try_get::<Option<Uuid>, _>(col)?.map(T::from))
}

/// A text column parsed into a domain type.
pub(super) fn get_parsed<T: FromStr>(row: &SqliteRow, col: &str) -> StoreResult<T>
where
    T::Err: std::fmt::Display,
{
    let s: String = row.try_get(col)?;
    s.parse()
        .map_err(|e: T::Err| StoreError::Corrupt(format!("{col} = {s:?}: {e}")))
}

pub(super) fn get_opt_parsed<T: FromStr>(row: &SqliteRow, col: &str) -> StoreResult<Option<T>>
where
    T::Err: std::fmt::Display,
{
    match row.try_get::<Option<String>, _>(col)? {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|e: T::Err| StoreError::Corrupt(format!("{col} = {s:?}: {e}"))),
    }
}

pub(super) fn get_json(row: &SqliteRow, col: &str) -> StoreResult<Option<serde_json::Value>> {
    match row.try_get::<Option<String>, _>(col)? {
        None => Ok(None),
        Some(s) => serde_json::from_str(&s)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("{col}: {e}"))),
    }
}

/// Dates are stored as days since 1970-01-01 (as `click_counts.day`).
pub(super) fn day(d: Date) -> i64 {
    i64::from(d.to_julian_day() - UNIX_EPOCH_JULIAN_DAY)
}

const UNIX_EPOCH_JULIAN_DAY: i32 = 2_440_588;

pub(super) fn get_day(row: &SqliteRow, col: &str) -> StoreResult<Date> {
    let v: i64 = row.try_get(col)?;
    i32::try_from(v)
        .ok()
        .and_then(|d| d.checked_add(UNIX_EPOCH_JULIAN_DAY))
        .and_then(|j| Date::from_julian_day(j).ok())
        .ok_or_else(|| StoreError::Corrupt(format!("{col} = {v}: not a day")))
}

/// A campaign's rules document (JSON text; missing fields read as their defaults).
pub(super) fn get_rules(row: &SqliteRow, col: &str) -> StoreResult<CampaignRules> {
    let s: String = row.try_get(col)?;
    serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

pub(super) fn rules_json(rules: &CampaignRules) -> StoreResult<String> {
    serde_json::to_string(rules).map_err(|e| StoreError::Corrupt(format!("campaign rules: {e}")))
}
