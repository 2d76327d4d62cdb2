//! The JSON rows of the import API: the same rules as the CSV parsers, without a file.

use serde::{Deserialize, Serialize};

use crate::history::{Amount, HistoryFields};
use crate::roster::RosterFields;
use crate::{HistoryRow, Parsed, RosterRow, Source};

/// One affiliate of `POST /api/v1/affiliates/import`, read with the custom roster's rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CanonicalAffiliate {
    pub email: Option<String>,
    pub name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub status: Option<String>,
    pub slug: Option<String>,
    pub paypal_email: Option<String>,
}

/// Trimmed, `None` when blank: what a CSV cell reader gives.
fn text(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl CanonicalAffiliate {
    /// `line` is the row's 1-based position in the request.
    pub fn parse(&self, line: u64) -> Parsed<RosterRow> {
        RosterFields {
            email: text(&self.email),
            name: text(&self.name),
            first_name: text(&self.first_name),
            last_name: text(&self.last_name),
            status: text(&self.status),
            slug: text(&self.slug),
            paypal_email: text(&self.paypal_email),
        }
        .into_row(Source::Custom, line)
    }
}

/// One commission of `POST /api/v1/conversions/import`, read with the canonical CSV's rules:
/// `status` is one of paid, unpaid, pending, approved, due, voided, refunded, fraud, lead;
/// dates are RFC 3339, `YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS` (UTC).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CanonicalConversion {
    pub external_id: Option<String>,
    pub affiliate_email: Option<String>,
    pub affiliate_slug: Option<String>,
    pub sale_amount_minor: Option<i64>,
    pub commission_minor: i64,
    pub currency: String,
    pub status: String,
    pub occurred_at: String,
    pub paid_at: Option<String>,
    pub stripe_customer_id: Option<String>,
    pub stripe_subscription_id: Option<String>,
}

impl CanonicalConversion {
    /// `line` is the row's 1-based position in the request.
    pub fn parse(&self, line: u64) -> Parsed<HistoryRow> {
        let status = Some(self.status.trim()).filter(|s| !s.is_empty());
        HistoryFields {
            verdict: crate::history::classify(status),
            external_id: text(&self.external_id),
            email: text(&self.affiliate_email),
            slug: text(&self.affiliate_slug),
            sale: self.sale_amount_minor.map_or(Amount::Blank, Amount::Minor),
            commission: Amount::Minor(self.commission_minor),
            // A blank currency is an error here, not USD: the JSON field is required.
            currency: Some(self.currency.trim()),
            occurred_at: Some(self.occurred_at.trim()).filter(|s| !s.is_empty()),
            paid_at: text(&self.paid_at),
            customer: text(&self.stripe_customer_id),
            subscription: text(&self.stripe_subscription_id),
        }
        .into_row(line)
    }
}
