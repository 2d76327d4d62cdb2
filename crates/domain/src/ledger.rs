//! Money that moved: commissions (what an affiliate earns from one conversion) and the
//! append-only ledger every movement is written to. Balances are sums over the ledger.

use serde::Serialize;
use time::OffsetDateTime;

use crate::named::named_enum;
use crate::{
    AffiliateId, CampaignId, CommissionId, CommissionStatus, ConversionId, LedgerEntryId, Money, OrgId, PayoutItemId,
};

named_enum!(
    /// Whose commission: the affiliate credited with the conversion, or the affiliate who
    /// recruited them (two-tier override).
    CommissionKind { Direct, Override }
);

named_enum!(
    /// A ledger movement: a commission earned (+), reversed while unpaid (−), clawed back
    /// after it was paid (−, carried into the next payout), paid out (−), or adjusted by a person.
    LedgerKind { Earned, Reversed, Clawback, Payout, Adjustment }
);

/// What one affiliate earns from one conversion. The amount is in the currency its rule
/// produced; refunds lower it in proportion (the ledger keeps each step).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Commission {
    pub id: CommissionId,
    pub org_id: OrgId,
    pub conversion_id: ConversionId,
    pub affiliate_id: AffiliateId,
    pub campaign_id: CampaignId,
    pub kind: CommissionKind,
    pub status: CommissionStatus,
    /// What is due now.
    pub amount: Money,
    /// As first earned; partial refunds are computed from it.
    pub initial_minor: i64,
    /// When the hold ends and a Pending commission becomes Approved.
    pub hold_until: OffsetDateTime,
    /// The payout item that pays it, once a run took it.
    pub payout_item_id: Option<PayoutItemId>,
    pub denied_reason: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// One movement of money for one affiliate, never changed once written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LedgerEntry {
    pub id: LedgerEntryId,
    pub org_id: OrgId,
    pub affiliate_id: AffiliateId,
    pub kind: LedgerKind,
    /// Signed: positive adds to what the affiliate is owed.
    pub amount: Money,
    pub commission_id: Option<CommissionId>,
    pub payout_item_id: Option<PayoutItemId>,
    /// Why, in words (a refund's id, the reason of an adjustment).
    pub memo: Option<String>,
    pub created_at: OffsetDateTime,
}
