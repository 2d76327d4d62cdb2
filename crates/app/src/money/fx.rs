//! Exchange rates: the operator loads the ECB's reference rates (`afflux fx import`), and
//! reports read them to show amounts in an organization's home currency.

use afflux_domain::{Currency, FxRate, Money, Permission, ValidationError, convert, parse_ecb_csv, parse_micros};
use serde::Deserialize;
use time::Date;
use time::macros::format_description;

use crate::{Actor, ActorKind, App, AppError, AppResult, audit};

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
        self.store_fx_rates(None, &rates).await
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

// --- FX writes through the API
/// How many rates one API request may carry (the ECB history file has about 200,000).
pub const MAX_FX_RATES_PER_REQUEST: usize = 10_000;

/// `POST /api/v1/fx/rates` as JSON: rates as the ECB publishes them, units of `quote` per one
/// `base` (always EUR) on `date`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FxRatesInput {
    pub rates: Vec<FxRateInput>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FxRateInput {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `EUR`: rates are kept per euro, as the ECB publishes them.
    pub base: String,
    /// A currency Afflux supports, other than EUR.
    pub quote: String,
    /// A positive decimal as text (`"1.0712"`); more than 6 decimals are rounded.
    pub rate: String,
}

impl FxRatesInput {
    /// The rates to store, every field checked and named (`rates[2].rate`), EUR added at 1 for
    /// each date as the CSV import does.
    fn parse(&self) -> Result<Vec<FxRate>, ValidationError> {
        if self.rates.is_empty() {
            return Err(ValidationError::new("rates", "must hold at least one rate"));
        }
        if self.rates.len() > MAX_FX_RATES_PER_REQUEST {
            return Err(ValidationError::new(
                "rates",
                format!("must hold at most {MAX_FX_RATES_PER_REQUEST} rates per request"),
            ));
        }
        let mut out = Vec::with_capacity(self.rates.len() * 2);
        let mut dates = std::collections::BTreeSet::new();
        for (i, r) in self.rates.iter().enumerate() {
            let at = |field: &str| format!("rates[{i}].{field}");
            let date = Date::parse(r.date.trim(), format_description!("[year]-[month]-[day]"))
                .map_err(|_| ValidationError::new(at("date"), "must be a date: YYYY-MM-DD"))?;
            let base = Currency::parse(&r.base).map_err(|e| e.at(at("base")))?;
            if base != Currency::EUR {
                return Err(ValidationError::with_code(
                    at("base"),
                    "fx_base_must_be_eur",
                    "must be EUR: rates are kept per euro, as the ECB publishes them",
                ));
            }
            let quote = Currency::parse(&r.quote).map_err(|e| e.at(at("quote")))?;
            if quote == Currency::EUR {
                return Err(ValidationError::new(at("quote"), "must not be EUR: a euro is one euro"));
            }
            let per_eur_micros = parse_micros(r.rate.trim()).ok_or_else(|| {
                ValidationError::with_code(
                    at("rate"),
                    "invalid_fx_rate",
                    format!("must be a positive decimal such as 1.0712, not `{}`", r.rate),
                )
            })?;
            dates.insert(date);
            out.push(FxRate {
                date,
                currency: quote,
                per_eur_micros,
            });
        }
        out.extend(dates.into_iter().map(|date| FxRate {
            date,
            currency: Currency::EUR,
            per_eur_micros: 1_000_000,
        }));
        Ok(out)
    }
}

impl App {
    /// Rates are shared by every organization on the instance, so through the API only an
    /// Owner may load them, and only on an instance holding their organization alone (a
    /// self-hosted brand, whose Owner is the operator). Elsewhere the operator uses
    /// `afflux fx import`.
    async fn authorize_fx_write(&self, actor: &Actor) -> AppResult<()> {
        actor.authorize(Permission::ManageBilling, true)?;
        if actor.kind != ActorKind::Operator && self.store().read().await?.count_orgs().await? > 1 {
            return Err(AppError::forbidden(
                "exchange rates are shared by every organization on this instance: with several organizations only the operator loads them (afflux fx import)",
            ));
        }
        Ok(())
    }

    /// Whether `actor` may load rates (the dashboard offers its upload form only then).
    pub async fn may_load_fx_rates(&self, actor: &Actor) -> AppResult<bool> {
        match self.authorize_fx_write(actor).await {
            Ok(()) => Ok(true),
            Err(AppError::Forbidden(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `POST /api/v1/fx/rates` with JSON rows: all or nothing.
    pub async fn put_fx_rates(&self, actor: &Actor, input: &FxRatesInput) -> AppResult<FxImport> {
        self.authorize_fx_write(actor).await?;
        let rates = input.parse()?;
        self.store_fx_rates(Some(actor), &rates).await
    }

    /// `POST /api/v1/fx/rates` with an ECB CSV: [`App::import_fx_rates`] for an authorized actor.
    pub async fn import_fx_rates_as(&self, actor: &Actor, csv: &str) -> AppResult<FxImport> {
        self.authorize_fx_write(actor).await?;
        let rates = parse_ecb_csv(csv)?;
        self.store_fx_rates(Some(actor), &rates).await
    }

    /// Stores `rates` in one transaction; a team member's load is audited in their organization.
    async fn store_fx_rates(&self, actor: Option<&Actor>, rates: &[FxRate]) -> AppResult<FxImport> {
        let imported = FxImport {
            rates: rates.len(),
            first_date: rates.iter().map(|r| r.date).min(),
            last_date: rates.iter().map(|r| r.date).max(),
        };
        let mut tx = self.store().write().await?;
        for chunk in rates.chunks(1_000) {
            tx.put_fx_rates(chunk).await?;
        }
        if let Some(actor) = actor {
            let after = serde_json::json!({
                "rates": imported.rates,
                "firstDate": imported.first_date.map(|d| d.to_string()),
                "lastDate": imported.last_date.map(|d| d.to_string()),
            });
            audit::record(
                tx.as_mut(),
                actor.org_id,
                &actor.audit_name(),
                "fx_rates.loaded",
                ("fx_rates", &"instance"),
                None::<&()>,
                Some(&after),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(imported)
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
