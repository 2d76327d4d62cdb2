//! Step 2 of a migration: past commissions, taken verbatim (never recomputed).

mod columns;
mod status;

use std::io::Read;

use afflux_domain::{Currency, Email, Money};
use csv::StringRecord;
use time::OffsetDateTime;

use self::columns::{Columns, Unit};
pub(crate) use self::status::{Verdict, classify};
use crate::date::parse_date;
use crate::fields::{cell, email, flag, slug_from_link};
use crate::header::matches;
use crate::reader::{Next, Records};
use crate::{FileError, Parsed, Skip, SkipReason, Source};

/// Whether the old platform already paid the commission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryState {
    Paid,
    Unpaid,
}

/// One past commission to import. The app matches it to an affiliate by email, else slug.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRow {
    pub line: u64,
    /// The source's commission id, for re-run deduplication.
    pub external_id: Option<String>,
    pub affiliate_email: Option<Email>,
    pub affiliate_slug: Option<String>,
    pub sale_amount_minor: Option<i64>,
    pub commission_minor: i64,
    pub currency: Currency,
    pub state: HistoryState,
    pub occurred_at: OffsetDateTime,
    pub paid_at: Option<OffsetDateTime>,
    /// Kept only when it looks like a Stripe id (`cus_…`, `sub_…`): it seeds recurring attribution.
    pub stripe_customer_id: Option<String>,
    pub stripe_subscription_id: Option<String>,
}

/// Opens a commission export; `Source::Custom` reads the canonical CSV format.
pub fn history<R: Read>(source: Source, input: R) -> Result<HistoryReader<R>, FileError> {
    let (records, header) = Records::open(input)?;
    let columns = Columns::resolve(source, &header)?;
    Ok(HistoryReader {
        source,
        records,
        columns,
    })
}

/// The rows of a commission export, one per record, read as they are asked for.
pub struct HistoryReader<R: Read> {
    source: Source,
    records: Records<R>,
    columns: Columns,
}

impl<R: Read> Iterator for HistoryReader<R> {
    type Item = Parsed<HistoryRow>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.records.next() {
            Next::Record(line, record) => Some(row(self.source, &self.columns, line, record)),
            Next::Skip(skip) => Some(Parsed::Skip(skip)),
            Next::End => None,
        }
    }
}

fn verdict(source: Source, c: &Columns, record: &StringRecord) -> Result<Verdict, String> {
    // Tolt writes a refund as its own row of type `refund` (with a negative amount). Lead and
    // click rows are not skipped by type: pay-per-lead and per-click commissions are money, and
    // one without an amount is lead-only like any other row.
    if cell(record, c.kind).is_some_and(|k| matches(k, "refund")) {
        return Ok(Verdict::Skip(SkipReason::Refunded));
    }
    if let Some(unit) = cell(record, c.unit).filter(|u| !matches(u, "cash")) {
        return Err(format!("unit: {unit:?} rewards are not money"));
    }
    let verdict = match c.status {
        Some(_) => classify(cell(record, c.status))?,
        None => status::tapfiliate_approved(cell(record, c.approved))?,
    };
    let flagged = cell(record, c.paid_flag).and_then(flag) == Some(true);
    let tapfiliate_paid = source == Source::Tapfiliate && cell(record, c.paid_at).is_some();
    Ok(status::with_paid_signal(verdict, flagged || tapfiliate_paid))
}

fn amount<'a>(record: &'a StringRecord, at: Option<(usize, Unit)>) -> Amount<'a> {
    match at.and_then(|(i, unit)| cell(record, Some(i)).map(|s| (s, unit))) {
        Some((s, unit)) => Amount::Text(s, unit),
        None => Amount::Blank,
    }
}

fn row(source: Source, c: &Columns, line: u64, record: &StringRecord) -> Parsed<HistoryRow> {
    let link_slug = || {
        let (params, path) = source.link_slug_rule();
        cell(record, c.link).and_then(|l| slug_from_link(l, params, path))
    };
    HistoryFields {
        verdict: verdict(source, c, record),
        external_id: cell(record, c.id),
        email: cell(record, c.email),
        slug: cell(record, c.slug).or_else(link_slug),
        sale: amount(record, c.sale),
        commission: amount(record, Some(c.commission)),
        currency: cell(record, c.currency),
        occurred_at: cell(record, Some(c.created)),
        paid_at: cell(record, c.paid_at),
        customer: cell(record, c.customer),
        subscription: cell(record, c.subscription),
    }
    .into_row(line)
}

/// An amount as given: text in a known unit, or already minor units (JSON).
pub(crate) enum Amount<'a> {
    Blank,
    Text(&'a str, Unit),
    Minor(i64),
}

impl Amount<'_> {
    fn minor(&self, field: &str, currency: Currency) -> Result<Option<i64>, String> {
        let minor = match *self {
            Amount::Blank => return Ok(None),
            Amount::Minor(m) => m,
            Amount::Text(s, Unit::Minor) => s
                .parse::<i64>()
                .map_err(|_| format!("{field}: must be a whole number of minor units (cents)"))?,
            Amount::Text(s, Unit::Major) => {
                Money::parse_major(field, s, currency)
                    .map_err(|e| format!("{field}: {}", e.message))?
                    .minor
            }
        };
        if minor < 0 {
            return Err(format!("{field}: must not be negative"));
        }
        Ok(Some(minor))
    }
}

/// One commission's raw, trimmed, non-blank values, from a CSV record or a JSON row.
pub(crate) struct HistoryFields<'a> {
    pub verdict: Result<Verdict, String>,
    pub external_id: Option<&'a str>,
    pub email: Option<&'a str>,
    pub slug: Option<&'a str>,
    pub sale: Amount<'a>,
    pub commission: Amount<'a>,
    pub currency: Option<&'a str>,
    pub occurred_at: Option<&'a str>,
    pub paid_at: Option<&'a str>,
    pub customer: Option<&'a str>,
    pub subscription: Option<&'a str>,
}

impl HistoryFields<'_> {
    /// Skips come first (a voided row is voided whatever else it holds), then the values are
    /// checked in the order a person would fix them.
    pub(crate) fn into_row(self, line: u64) -> Parsed<HistoryRow> {
        match self.parse(line) {
            Ok(row) => Parsed::Row(row),
            Err((reason, detail)) => Parsed::Skip(Skip::new(line, reason, detail)),
        }
    }

    fn parse(self, line: u64) -> Result<HistoryRow, (SkipReason, String)> {
        let failed = |detail: String| (SkipReason::RowParseFailed, detail);
        let state = match self.verdict.map_err(failed)? {
            Verdict::Paid => HistoryState::Paid,
            Verdict::Unpaid => HistoryState::Unpaid,
            Verdict::Skip(reason) => return Err((reason, format!("status: {}", reason.code()))),
        };
        let currency = match self.currency {
            Some(c) => Currency::parse(c).map_err(|e| failed(format!("currency: {}", e.message)))?,
            None => Currency::USD,
        };
        let commission = self.commission.minor("commission", currency).map_err(failed)?;
        let sale = self.sale.minor("saleAmount", currency).map_err(failed)?;
        let commission = commission.unwrap_or(0);
        if commission == 0 && sale.unwrap_or(0) == 0 {
            return Err((SkipReason::LeadOnly, "no commission and no sale amount".into()));
        }
        let affiliate_email = self
            .email
            .map(|e| email("affiliateEmail", e))
            .transpose()
            .map_err(failed)?;
        if affiliate_email.is_none() && self.slug.is_none() {
            return Err(failed("neither an affiliate email nor a slug".into()));
        }
        let occurred_at = parse_date(
            "occurredAt",
            self.occurred_at.ok_or_else(|| failed("occurredAt: blank".into()))?,
        )
        .map_err(failed)?;
        let paid_at = self
            .paid_at
            .map(|p| parse_date("paidAt", p))
            .transpose()
            .map_err(failed)?;
        Ok(HistoryRow {
            line,
            external_id: self.external_id.map(str::to_owned),
            affiliate_email,
            affiliate_slug: self.slug.map(str::to_owned),
            sale_amount_minor: sale,
            commission_minor: commission,
            currency,
            state,
            occurred_at,
            paid_at,
            stripe_customer_id: self.customer.filter(|c| c.starts_with("cus_")).map(str::to_owned),
            stripe_subscription_id: self.subscription.filter(|s| s.starts_with("sub_")).map(str::to_owned),
        })
    }
}
