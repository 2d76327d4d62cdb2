//! What the partner emails read: approved commissions waiting for a payout, per currency.

use afflux_domain::Money;

/// Approved commissions of an organization no payout item holds yet, in one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueTotal {
    pub amount: Money,
    pub commissions: i64,
    /// Distinct affiliates owed.
    pub affiliates: i64,
}
