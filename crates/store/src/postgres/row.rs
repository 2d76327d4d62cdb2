//! Conversions between PostgreSQL columns and domain values. Times, booleans, numbers and JSON
//! decode natively; ids come back as `Uuid` and enums as text.

use std::str::FromStr;

use afflux_domain::CampaignRules;
use sqlx::Row;
use sqlx::postgres::PgRow;
use uuid::Uuid;

use crate::{StoreError, StoreResult};

pub(super) fn get_id<T: From<Uuid>>(row: &PgRow, col: &str) -> StoreResult<T> {
    Ok(T::from(row.try_get::<Uuid, _>(col)?))
}

pub(super) fn get_opt_id<T: From<Uuid>>(row: &PgRow, col: &str) -> StoreResult<Option<T>> {
    Ok(row.try_get::<Option<Uuid>, _>(col)?.map(T::from))
}

/// A text column parsed into a domain type.
pub(super) fn get_parsed<T: FromStr>(row: &PgRow, col: &str) -> StoreResult<T>
where
    T::Err: std::fmt::Display,
{
    let s: String = row.try_get(col)?;
    s.parse()
        .map_err(|e: T::Err| StoreError::Corrupt(format!("{col} = {s:?}: {e}")))
}

pub(super) fn get_opt_parsed<T: FromStr>(row: &PgRow, col: &str) -> StoreResult<Option<T>>
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

/// A campaign's rules document (missing fields read as their defaults).
pub(super) fn get_rules(row: &PgRow, col: &str) -> StoreResult<CampaignRules> {
    let v: serde_json::Value = row.try_get(col)?;
    serde_json::from_value(v).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

pub(super) fn rules_json(rules: &CampaignRules) -> StoreResult<serde_json::Value> {
    serde_json::to_value(rules).map_err(|e| StoreError::Corrupt(format!("campaign rules: {e}")))
}
