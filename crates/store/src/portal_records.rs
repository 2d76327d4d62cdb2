//! What the affiliate portal keeps: emailed sign-in links, sessions keyed by an email address
//! (one person across every organization), each affiliate's portal choices, and the sums the
//! portal home shows.

use afflux_domain::{AffiliateId, CommissionStatus, Currency, OrgId, PayoutRail};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// A single-use sign-in link. Only the SHA-256 of its token is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct PortalSignIn {
    pub id: Uuid,
    pub token_hash: Vec<u8>,
    pub email_key: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub used_at: Option<OffsetDateTime>,
}

/// A signed-in portal browser: the person behind an email address, in every organization.
#[derive(Debug, Clone, PartialEq)]
pub struct PortalSession {
    pub token_hash: Vec<u8>,
    pub email_key: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// An affiliate's own portal choices. `slug_changed_at` is set once, by the one slug change
/// the portal allows.
#[derive(Debug, Clone, PartialEq)]
pub struct PortalPrefs {
    pub org_id: OrgId,
    pub affiliate_id: AffiliateId,
    pub payout_method: Option<PayoutRail>,
    pub previous_slug: Option<String>,
    pub slug_changed_at: Option<OffsetDateTime>,
}

/// An affiliate's commissions summed by currency and status; `on_hold` splits Pending ones
/// whose hold has not ended yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarningsTotal {
    pub currency: Currency,
    pub status: CommissionStatus,
    pub on_hold: bool,
    pub amount_minor: i64,
    pub count: i64,
}

/// One day of an affiliate's activity (days without any are not answered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityDay {
    pub day: Date,
    pub clicks: i64,
    /// Sales and leads (not renewals), as the daily rollups count them.
    pub conversions: i64,
}
