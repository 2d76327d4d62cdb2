//! Conversions: the one verb that records them ([`record::record_conversions`]: attribution,
//! customer binding, commission, audit) and the channels that call it: signed S2S events,
//! Stripe webhooks and the tracking script's leads. Refunds, coupons, queries and the
//! organization's tracking secrets live beside it.

mod coupons;
mod cpc;
mod earn;
mod events;
mod leads;
mod queries;
mod record;
mod refunds;
mod s2s;
mod s2s_writer;
mod settings;
mod signals;
mod signature;
mod stripe;
mod stripe_hook;

use afflux_domain::{
    CampaignId, ClickId, Conversion, ConversionProvider, ConversionSource, ConversionType, Email, Money, OrgId,
    Unattributed,
};
use time::OffsetDateTime;

use crate::AppError;

pub use coupons::{NewCampaignCoupon, NewPromotionCode};
pub use events::HookReply;
pub use leads::{LeadInput, RecordedLead};
pub use s2s::{S2S_WINDOW_SECS, S2sEvent, S2sKind};
pub(crate) use s2s_writer::Ingest;
pub use settings::{StripeSettings, StripeWebhookSecret};
pub use signature::{SignatureError, s2s_signature, stripe_signature_header};

/// What a hook answers besides success: a refused signature (401) or any verb error.
#[derive(Debug)]
pub enum HookError {
    Signature(SignatureError),
    App(AppError),
}

impl From<AppError> for HookError {
    fn from(e: AppError) -> Self {
        HookError::App(e)
    }
}

impl From<SignatureError> for HookError {
    fn from(e: SignatureError) -> Self {
        HookError::Signature(e)
    }
}

impl From<afflux_store::StoreError> for HookError {
    fn from(e: afflux_store::StoreError) -> Self {
        HookError::App(e.into())
    }
}

/// A conversion as a channel reports it, before attribution.
#[derive(Debug, Clone)]
pub(crate) struct NewConversion {
    pub org_id: OrgId,
    pub provider: ConversionProvider,
    /// Identifies the sale at its provider; a second report of it records nothing.
    pub external_id: String,
    pub event_id: String,
    pub kind: ConversionType,
    pub amount: Money,
    pub occurred_at: OffsetDateTime,
    pub referral: Referral,
    pub customer: Customer,
    pub refs: ExternalRefs,
}

/// What names an affiliate, as reported; resolved against the store by `signals`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Referral {
    /// An affiliate's slug, and how it came (Server for S2S, Link for processor metadata).
    pub slug: Option<(String, ConversionSource)>,
    /// A tracked click, and how it came.
    pub click_id: Option<(ClickId, ConversionSource)>,
    pub coupons: Vec<CouponRef>,
    /// The campaign to credit when a slug's affiliate is in several.
    pub program_id: Option<CampaignId>,
}

/// A coupon as a conversion reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum CouponRef {
    /// The code the customer typed.
    Code(String),
    /// A Stripe promotion code id (`promo_…`).
    PromotionCode(String),
    /// A Stripe coupon id: credits an affiliate only when the coupon is theirs alone.
    StripeCoupon(String),
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Customer {
    /// The customer's id at the provider, as reported.
    pub id: Option<String>,
    /// Binding keys in match order (`stripe:cus_…`, `ext:…`, then `email:…`).
    pub keys: Vec<String>,
    pub email: Option<Email>,
    pub name: Option<String>,
}

impl Customer {
    /// A customer known by `prefix:id` and/or email.
    pub(crate) fn new(prefix: &str, id: Option<String>, email: Option<Email>, name: Option<String>) -> Self {
        let mut keys = vec![];
        if let Some(id) = &id {
            keys.push(format!("{prefix}:{id}"));
        }
        if let Some(email) = &email {
            keys.push(format!("email:{}", email.key()));
        }
        Self { id, keys, email, name }
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct ExternalRefs {
    pub subscription_id: Option<String>,
    pub invoice_id: Option<String>,
    pub charge_id: Option<String>,
    pub payment_intent_id: Option<String>,
    pub product_id: Option<String>,
    /// For a renewal: when the subscription's first payment was made (renewals earn for the
    /// campaign's recurring duration from then).
    pub first_payment_at: Option<OffsetDateTime>,
}

/// What became of a reported conversion.
#[derive(Debug, Clone)]
pub(crate) enum Recorded {
    New(Conversion),
    /// The sale was recorded before (another event about it): nothing changed.
    Existing(Conversion),
    Unattributed(Unattributed),
}

/// What the audit log keeps of a conversion: no customer email or name.
fn audit_view(c: &Conversion) -> serde_json::Value {
    serde_json::json!({
        "affiliateId": c.affiliate_id,
        "programId": c.campaign_id,
        "type": c.kind,
        "source": c.source,
        "status": c.status,
        "amountMinor": c.amount.minor,
        "refundedMinor": c.refunded_minor,
        "currency": c.amount.currency,
        "commissionMinor": c.commission.minor,
        "commissionCurrency": c.commission.currency,
        "provider": c.provider,
        "externalId": c.external_id,
        "selfReferral": c.self_referral,
    })
}
