//! What reports read: totals, daily series, the leaderboard and traffic sources, all summed from
//! the daily rollups (`conversion_daily`, `referrer_daily`, `click_counts`), and the windows
//! CSV exports page through.

use afflux_domain::{AffiliateId, CampaignId, Currency, OrgId};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// The window of a report: one organization, optionally one campaign, UTC days `from` to `to`
/// inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportScope {
    pub org_id: OrgId,
    pub campaign_id: Option<CampaignId>,
    pub from: Date,
    pub to: Date,
}

/// Conversions in one currency. Sales count first sales (type Sale) and leads count leads;
/// renewals add revenue and commission but no sale. Revenue is in this currency, less refunds;
/// commission is what commissions written in this currency stand at (after refunds, denials
/// excluded). Denied conversions count nowhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrencyTotals {
    pub currency: Currency,
    pub sales: i64,
    pub leads: i64,
    pub revenue_minor: i64,
    pub commission_minor: i64,
}

/// A report window's totals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportTotals {
    pub clicks: i64,
    /// Ordered by currency code.
    pub currencies: Vec<CurrencyTotals>,
    /// Distinct affiliates with a click or a counted conversion or commission in the window.
    pub active_affiliates: i64,
}

/// One day of a report's series: only days with clicks or conversions are answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportDay {
    pub day: Date,
    pub clicks: i64,
    /// Ordered by currency code.
    pub currencies: Vec<CurrencyTotals>,
}

/// One affiliate on the leaderboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaderboardRow {
    pub affiliate_id: AffiliateId,
    pub clicks: i64,
    /// Ordered by currency code.
    pub currencies: Vec<CurrencyTotals>,
}

impl LeaderboardRow {
    pub fn sales(&self) -> i64 {
        self.currencies.iter().map(|c| c.sales).sum()
    }

    pub fn leads(&self) -> i64 {
        self.currencies.iter().map(|c| c.leads).sum()
    }
}

/// Clicks from one referring site (`None`: no referrer, or one that named no site).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRow {
    pub referrer_domain: Option<String>,
    pub clicks: i64,
}

/// A page of an export: the organization's rows with their time in `[from, to)`, after the
/// cursor `(time, id)` (the last row of the previous page), in (time, id) order, at most `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportWindow {
    pub org_id: OrgId,
    pub from: OffsetDateTime,
    pub to: OffsetDateTime,
    pub after: Option<(OffsetDateTime, Uuid)>,
    pub limit: i64,
}

impl ExportWindow {
    /// Where the page starts: after the cursor, or at `from` (no id is below the nil id).
    pub fn start(&self) -> (OffsetDateTime, Uuid) {
        self.after.unwrap_or((self.from, Uuid::nil()))
    }
}
