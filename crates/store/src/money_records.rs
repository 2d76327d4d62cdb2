//! What the money side keeps beyond the domain records: filters, balances, what a payout run took.

use afflux_domain::{
    AffiliateId, CampaignId, CommissionStatus, ConversionId, Currency, PayoutItemId, PayoutRunId, PayoutStatus,
};

/// Filters of the commissions list; all optional.
#[derive(Debug, Clone, Default)]
pub struct CommissionFilter {
    pub affiliate_id: Option<AffiliateId>,
    pub campaign_id: Option<CampaignId>,
    pub conversion_id: Option<ConversionId>,
    pub status: Option<CommissionStatus>,
    pub currency: Option<Currency>,
}

/// Filters of the payout items list; all optional.
#[derive(Debug, Clone, Default)]
pub struct PayoutItemFilter {
    pub run_id: Option<PayoutRunId>,
    pub affiliate_id: Option<AffiliateId>,
    pub status: Option<PayoutStatus>,
}

/// What one payout item of a run took: how many commissions, and their sum (minor units).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssignedCommissions {
    pub item: PayoutItemId,
    pub commissions: i64,
    pub total_minor: i64,
}

/// One affiliate's ledger in one currency, summed by kind (minor units, signed as written).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Balance {
    pub affiliate_id: Option<AffiliateId>,
    pub currency: Option<Currency>,
    pub earned: i64,
    pub reversed: i64,
    pub clawback: i64,
    pub payout: i64,
    pub adjustment: i64,
}

impl Balance {
    /// What the affiliate is owed: everything earned, less what was reversed, clawed back
    /// and paid.
    pub fn net(&self) -> i64 {
        self.earned + self.reversed + self.clawback + self.payout + self.adjustment
    }
}

/// An approved direct sale's weight for performance tiers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TierStats {
    /// Approved or paid direct commissions of the affiliate in the campaign.
    pub sales: i64,
    /// The sale amounts behind them, minor units, in the campaign currency only.
    pub revenue_minor: i64,
}
