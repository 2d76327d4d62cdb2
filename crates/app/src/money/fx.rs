//! Exchange rates: the operator loads the ECB's reference rates (`afflux fx import`), and
//! reports read them to show amounts in an organization's home currency.

use afflux_domain::{Currency, FxRate, Money, convert, parse_ecb_csv};
use time::Date;

use crate::{App, AppError, AppResult};

/// What an import stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FxImport {
    pub rates: usize,
    pub first_date: Option<Date>,
    pub last_date: Option<Date>,
}

impl App {
    /// Loads an ECB reference-rate CSV (daily or history file); rates already stored for a
    /// date and currency are replaced. All or nothing: a malformed line stores nothing.
    pub async fn import_fx_rates(&self, csv: &str) -> AppResult<FxImport> {
        let rates = parse_ecb_csv(csv)?;
        let mut tx = self.store().write().await?;
        for chunk in rates.chunks(1_000) {
            tx.put_fx_rates(chunk).await?;
        }
        tx.commit().await?;
        Ok(FxImport {
            rates: rates.len(),
            first_date: rates.iter().map(|r| r.date).min(),
            last_date: rates.iter().map(|r| r.date).max(),
        })
    }

    /// The newest date with rates, and how many currencies it has.
    pub async fn latest_fx_date(&self) -> AppResult<Option<(Date, i64)>> {
        Ok(self.store().read().await?.latest_fx_date().await?)
    }

    /// `amount` in `to` at the rates of `date` (or the newest before it). A missing rate is
    /// refused with `fx_rate_missing` naming the currency.
    pub async fn convert_money(&self, amount: Money, to: Currency, date: Date) -> AppResult<Money> {
        if amount.currency == to {
            return Ok(amount);
        }
        let mut tx = self.store().read().await?;
        convert_in(tx.as_mut(), amount, to, date).await
    }
}

/// [`App::convert_money`] inside the caller's transaction.
pub(crate) async fn convert_in(
    tx: &mut dyn afflux_store::Tx,
    amount: Money,
    to: Currency,
    date: Date,
) -> AppResult<Money> {
    if amount.currency == to {
        return Ok(amount);
    }
    let from_rate = rate(tx, amount.currency, date).await?;
    let to_rate = rate(tx, to, date).await?;
    Ok(convert(amount, to, &from_rate, &to_rate))
}

async fn rate(tx: &mut dyn afflux_store::Tx, currency: Currency, date: Date) -> AppResult<FxRate> {
    tx.fx_rate(currency, date).await?.ok_or_else(|| {
        AppError::conflict(
            "fx_rate_missing",
            Some("currency"),
            format!(
                "no exchange rate for {} on or before {date}: load the ECB rates (afflux fx import)",
                currency.code()
            ),
        )
    })
}
