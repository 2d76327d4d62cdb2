//! Rows kept for conversions besides the conversions themselves: customer bindings, processed
//! inbound events and encrypted organization secrets.

use afflux_domain::{AffiliateId, CampaignId, CommissionStatus, ConversionId, ConversionSource, ConversionType, OrgId};
use serde_json::Value;
use time::OffsetDateTime;

/// A customer attributed once: later conversions of the same customer match this affiliate.
/// Keys name the customer at its source: `stripe:cus_…`, `ext:<S2S customerId>`,
/// `email:<lower-cased address>`. The first binding of a key wins.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerBinding {
    pub org_id: OrgId,
    pub customer_key: String,
    pub affiliate_id: AffiliateId,
    pub campaign_id: CampaignId,
    /// The conversion that bound the customer.
    pub conversion_id: Option<ConversionId>,
    pub created_at: OffsetDateTime,
}

/// An inbound event (a Stripe event, an S2S call) taken for processing, with the answer it got:
/// a repeated delivery is answered from here and changes nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessedEvent {
    pub org_id: OrgId,
    pub provider: String,
    pub event_id: String,
    /// SHA-256 of the request body, where a replay must carry the same payload (S2S).
    pub request_hash: Option<Vec<u8>>,
    /// The answer given; None only inside the transaction that is processing the event.
    pub result: Option<Value>,
    pub created_at: OffsetDateTime,
}

/// Filters of the conversions list; all optional.
#[derive(Debug, Clone, Default)]
pub struct ConversionFilter {
    pub affiliate_id: Option<AffiliateId>,
    pub campaign_id: Option<CampaignId>,
    pub kind: Option<ConversionType>,
    pub source: Option<ConversionSource>,
    pub status: Option<CommissionStatus>,
    pub subscription_id: Option<String>,
    pub customer_id: Option<String>,
}

/// The payment identifiers a refund may name; a conversion matching any of them is the one
/// refunded.
#[derive(Debug, Clone, Default)]
pub struct PaymentRef {
    pub charge_id: Option<String>,
    pub payment_intent_id: Option<String>,
    pub invoice_id: Option<String>,
}

/// A secret of one organization (a vendor credential), stored encrypted by the app.
#[derive(Debug, Clone, PartialEq)]
pub struct OrgSecret {
    pub org_id: OrgId,
    pub name: String,
    pub ciphertext: Vec<u8>,
    pub updated_at: OffsetDateTime,
}

/// An affiliate's membership in a campaign, with what attribution and the commission need of
/// the affiliate, the membership and the campaign: read in one query.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributionTarget {
    pub org_id: OrgId,
    pub affiliate_id: AffiliateId,
    pub affiliate_email_key: String,
    pub campaign_id: CampaignId,
    /// The affiliate's standing in this campaign.
    pub status: afflux_domain::AffiliateStatus,
    pub commission_override: Option<afflux_domain::CommissionValue>,
    pub commission: afflux_domain::CommissionValue,
    pub currency: afflux_domain::Currency,
    pub commission_model: afflux_domain::CommissionModel,
    pub cookie_window_days: i32,
    pub attribution_model: afflux_domain::AttributionModel,
    /// The campaign's rules beyond its default rate (tiers, products, renewals, hold, two-tier).
    pub rules: afflux_domain::CampaignRules,
    /// Who recruited the affiliate into this campaign (two-tier programs).
    pub recruited_by: Option<AffiliateId>,
}
