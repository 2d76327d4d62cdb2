//! JSON shapes of conversions and coupons.

use super::views::rfc3339;
use afflux_domain::{
    AffiliateId, CampaignId, ClickId, CommissionStatus, Conversion, ConversionId, ConversionProvider, ConversionSource,
    ConversionType, Coupon, CouponId, Currency,
};
use serde::Serialize;
use utoipa::ToSchema;

/// A conversion (a sale in the dashboard): amounts in integer minor units of their currency.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConversionView {
    pub id: ConversionId,
    pub program_id: CampaignId,
    pub affiliate_id: AffiliateId,
    #[serde(rename = "type")]
    pub kind: ConversionType,
    pub source: ConversionSource,
    pub status: CommissionStatus,
    pub amount_cents: i64,
    pub currency: Currency,
    pub refunded_cents: i64,
    /// What is due now: the initial commission less what refunds took back.
    pub commission_cents: i64,
    pub commission_currency: Currency,
    pub provider: ConversionProvider,
    /// The sale at its provider (S2S `externalEventId`, Stripe invoice, payment intent,
    /// checkout session or, for a trial lead, subscription).
    pub external_id: String,
    /// The delivery that recorded it (Stripe event id, S2S `externalEventId`).
    pub event_id: String,
    pub customer_id: Option<String>,
    pub subscription_id: Option<String>,
    pub invoice_id: Option<String>,
    pub charge_id: Option<String>,
    pub payment_intent_id: Option<String>,
    pub product_id: Option<String>,
    pub coupon_code: Option<String>,
    pub click_id: Option<ClickId>,
    /// The customer is the affiliate: Denied, no commission.
    pub self_referral: bool,
    pub occurred_at: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Conversion> for ConversionView {
    fn from(c: Conversion) -> Self {
        Self {
            id: c.id,
            program_id: c.campaign_id,
            affiliate_id: c.affiliate_id,
            kind: c.kind,
            source: c.source,
            status: c.status,
            amount_cents: c.amount.minor,
            currency: c.amount.currency,
            refunded_cents: c.refunded_minor,
            commission_cents: c.commission.minor,
            commission_currency: c.commission.currency,
            provider: c.provider,
            external_id: c.external_id,
            event_id: c.event_id,
            customer_id: c.customer_id,
            subscription_id: c.subscription_id,
            invoice_id: c.invoice_id,
            charge_id: c.charge_id,
            payment_intent_id: c.payment_intent_id,
            product_id: c.product_id,
            coupon_code: c.coupon_code,
            click_id: c.click_id,
            self_referral: c.self_referral,
            occurred_at: rfc3339(c.occurred_at),
            created_at: rfc3339(c.created_at),
            updated_at: rfc3339(c.updated_at),
        }
    }
}

/// A campaign coupon (no `affiliateId`) or an affiliate's promotion code.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CouponView {
    pub id: CouponId,
    pub program_id: CampaignId,
    pub affiliate_id: Option<AffiliateId>,
    /// The campaign coupon a promotion code belongs to.
    pub coupon_id: Option<CouponId>,
    pub code: String,
    pub stripe_coupon_id: Option<String>,
    pub stripe_promotion_code_id: Option<String>,
    pub overrides_click_attribution: bool,
    pub created_at: String,
}

impl From<Coupon> for CouponView {
    fn from(c: Coupon) -> Self {
        Self {
            id: c.id,
            program_id: c.campaign_id,
            affiliate_id: c.affiliate_id,
            coupon_id: c.parent_id,
            code: c.code.to_string(),
            stripe_coupon_id: c.stripe_coupon_id,
            stripe_promotion_code_id: c.stripe_promotion_code_id,
            overrides_click_attribution: c.overrides_click,
            created_at: rfc3339(c.created_at),
        }
    }
}
