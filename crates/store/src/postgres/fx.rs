//! Exchange rates (instance-wide).

use std::collections::BTreeMap;

use afflux_domain::{Currency, FxRate};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};
use time::Date;

use super::row::get_parsed;
use crate::StoreResult;

/// Rows per statement: a history of daily rates is large, and statements bind at most 65,535
/// values.
const CHUNK: usize = 1_000;

fn rate(row: &PgRow) -> StoreResult<FxRate> {
    Ok(FxRate {
        date: row.try_get("date")?,
        currency: get_parsed(row, "currency")?,
        per_eur_micros: row.try_get("per_eur_micros")?,
    })
}

pub(super) async fn put(c: &mut PgConnection, rates: &[FxRate]) -> StoreResult<()> {
    // The last rate given for a date and currency wins, as it would one statement at a time.
    let rates: BTreeMap<(Date, Currency), i64> =
        rates.iter().map(|r| ((r.date, r.currency), r.per_eur_micros)).collect();
    let rates: Vec<_> = rates.into_iter().collect();
    for chunk in rates.chunks(CHUNK) {
        let mut q = QueryBuilder::<Postgres>::new("INSERT INTO fx_rates (date, currency, per_eur_micros) ");
        q.push_values(chunk, |mut b, ((date, currency), micros)| {
            b.push_bind(*date).push_bind(currency.code()).push_bind(*micros);
        });
        q.push(" ON CONFLICT (date, currency) DO UPDATE SET per_eur_micros = excluded.per_eur_micros");
        q.build().execute(&mut *c).await?;
    }
    Ok(())
}

pub(super) async fn get(c: &mut PgConnection, currency: Currency, date: Date) -> StoreResult<Option<FxRate>> {
    sqlx::query("SELECT * FROM fx_rates WHERE currency = $1 AND date <= $2 ORDER BY date DESC LIMIT 1")
        .bind(currency.code())
        .bind(date)
        .fetch_optional(c)
        .await?
        .as_ref()
        .map(rate)
        .transpose()
}

pub(super) async fn latest_date(c: &mut PgConnection) -> StoreResult<Option<(Date, i64)>> {
    let row = sqlx::query(
        "SELECT date, COUNT(*) AS currencies FROM fx_rates
         WHERE date = (SELECT MAX(date) FROM fx_rates) GROUP BY date",
    )
    .fetch_optional(c)
    .await?;
    row.map(|r| Ok((r.try_get("date")?, r.try_get("currencies")?)))
        .transpose()
}
