//! Conversions: a sale, renewal or lead credited to an affiliate, with the commission it earns.

use serde::Serialize;
use time::OffsetDateTime;

use crate::named::named_enum;
use crate::{AffiliateId, CampaignId, ClickId, ConversionId, Money, OrgId};

named_enum!(
    /// What happened: a first sale, a renewal of a referred subscription, a free signup, or an
    /// hour of a pay-per-click affiliate's clicks (recorded by the hourly rollup, never reported
    /// from outside; reports count it neither as a sale nor as a lead).
    ConversionType { Sale, Recurring, Lead, Click }
);

named_enum!(
    /// How the conversion found its affiliate. `Link` covers tracked clicks, the tracking cookie
    /// and processor referral metadata; `Server` an S2S call naming the referral; `Click` and
    /// `Override` are kept for pay-per-click rollups and sub-affiliate rows.
    ConversionSource { Coupon, Link, CustomerMatch, Click, Lead, Override, Server, Imported }
);

named_enum!(
    /// Where the commission stands: held (Pending), payable (Approved), paid out (Paid),
    /// reversed by a refund (Refunded) or refused by the brand (Denied).
    CommissionStatus { Pending, Approved, Paid, Refunded, Denied }
);

named_enum!(
    /// Which channel reported the conversion. External ids are unique per organization and
    /// provider: a Stripe invoice id and an S2S event id never collide.
    ConversionProvider { Server, Stripe, Script, Import }
);

/// A recorded conversion. Amounts keep the currency they arrived in; the commission is in the
/// currency its rule produced (see [`crate::commission_for`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conversion {
    pub id: ConversionId,
    pub org_id: OrgId,
    pub campaign_id: CampaignId,
    pub affiliate_id: AffiliateId,
    pub kind: ConversionType,
    pub source: ConversionSource,
    pub status: CommissionStatus,
    pub amount: Money,
    /// How much of `amount` was refunded so far (same currency).
    pub refunded_minor: i64,
    /// The commission now due: the initial one, less what refunds took back.
    pub commission: Money,
    /// The commission as first recorded; partial refunds are computed from it.
    pub initial_commission_minor: i64,
    pub provider: ConversionProvider,
    /// What identifies the sale at its provider (an S2S `externalEventId`, a Stripe invoice,
    /// payment intent or checkout session, a subscription for a trial lead): unique per
    /// organization and provider, so two events about one sale record it once.
    pub external_id: String,
    /// The delivery that recorded it (a Stripe event id, the S2S `externalEventId`).
    pub event_id: String,
    pub customer_id: Option<String>,
    /// The lower-cased customer email, for customer match and the self-referral check.
    pub customer_email_key: Option<String>,
    pub customer_name: Option<String>,
    pub subscription_id: Option<String>,
    pub invoice_id: Option<String>,
    pub charge_id: Option<String>,
    pub payment_intent_id: Option<String>,
    pub product_id: Option<String>,
    pub coupon_code: Option<String>,
    pub click_id: Option<ClickId>,
    /// The customer is the affiliate: recorded for the brand to see, earning nothing.
    pub self_referral: bool,
    /// When it happened at the provider (invoice paid, S2S call received).
    pub occurred_at: OffsetDateTime,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}
