//! Pure types and rules of Afflux. No I/O, no async: everything here can be unit- and
//! property-tested on its own, and everything that crosses an edge is parsed into these types.

mod affiliate;
mod attribution;
mod campaign;
mod commission;
mod conversion;
mod countries;
mod coupon;
mod crm;
mod csv;
mod currency;
mod email;
mod error;
mod form;
mod fx;
mod ids;
mod import;
mod leads;
mod ledger;
mod merge;
mod money;
mod named;
mod notification_prefs;
mod org;
mod org_profile;
mod payout;
mod promo;
mod rules;
mod slug;
mod tax;
mod team;
mod text;
mod tracking;
mod welcome;
// --- partner emails
mod milestones;
mod partner_emails;

pub use affiliate::{Affiliate, AffiliateStatus, Membership, StatusAction, StripeAccountId};
pub use attribution::{Attribution, AttributionContext, Signal, SignalKind, Unattributed, attribute};
pub use campaign::{AttributionModel, Campaign, CommissionModel, CommissionType, CommissionValue};
pub use commission::{commission_after_refund, commission_for};
pub use conversion::{CommissionStatus, Conversion, ConversionProvider, ConversionSource, ConversionType};
pub use countries::COUNTRIES;
pub use coupon::{Coupon, CouponCode};
pub use crm::{
    CampaignOverride, CredentialField, CrmVendor, DEFAULT_SYSTEM_TAG, Destination, Integration, IntegrationSettings,
    OrttoRegion, SyncStatus, contact_tags, parse_tags, person_status, split_name,
};
pub use csv::{csv_cell, push_csv_row};
pub use currency::Currency;
pub use email::Email;
pub use error::ValidationError;
pub use form::{
    ADDRESS_PARTS, ALIAS_KEY, AnswerValue, Answers, ApplicationForm, EMAIL_KEY, FieldError, FieldInput, FieldType,
    FormField, NAME_KEY,
};
pub use fx::{FxRate, convert, parse_ecb_csv, parse_micros};
pub use ids::ImportId;
pub use ids::PromoAssetId;
pub use ids::{
    AffiliateId, ApiKeyId, CampaignId, ClickId, CommissionId, ConversionId, CouponId, IntegrationId, InviteId, JobId,
    LedgerEntryId, MembershipId, OrgId, PayoutItemId, PayoutRunId, SessionId, UserId,
};
pub use import::{Import, ImportKind, ImportStatus};
pub use leads::lead_disqualification;
pub use ledger::{Commission, CommissionKind, LedgerEntry, LedgerKind};
pub use merge::{MergeSource, html_escape, render_html, render_text};
pub use money::{Money, round_div};
pub use notification_prefs::NotificationEvent;
pub use org::{Organization, PlanGate, PlanTier, SubscriptionStatus};
pub use org_profile::{
    DEFAULT_BRAND_COLOR, OrgProfile, handle_from_name, parse_brand_color, parse_handle, text_color_on,
};
pub use payout::{
    PayableTotal, PayoutItem, PayoutRail, PayoutRun, PayoutStatus, PaypalRow, PlannedItem, paypal_mass_payment_csv,
    plan_payouts,
};
pub use promo::{
    MAX_PROMO_IMAGE_BYTES, PROMO_BODY_MAX, PROMO_TITLE_MAX, PromoAsset, PromoImage, PromoKind, PromoMove,
    inspect_promo_image, promo_body, promo_title, render_promo,
};
pub use rules::{
    CampaignRules, DEFAULT_HOLD_DAYS, ProductRule, RateSource, RecurringDuration, ResolvedRate, TierProgress, TierRule,
    TierThreshold, override_minor, renewal_earns, resolve_rate,
};
pub use slug::Slug;
pub use tax::{
    MAX_TAX_DOCUMENT_BYTES, TAX_REMINDER_THRESHOLD_USD_MINOR, TAX_REPORTING_THRESHOLD_USD_MINOR, TaxAssessment,
    TaxFormStatus, assess_tax, document_file_name, tax_document_type,
};
pub use team::{ApiScope, Permission, Role};
pub use text::{bounded_text, optional_text, web_url};
pub use tracking::ClickSource;
pub use welcome::{MERGE_FIELDS, MergeValues, WelcomeSequence, WelcomeStep};
// --- partner emails
pub use milestones::{
    MAX_MILESTONES, MILESTONE_BODY, MILESTONE_SUBJECT, Milestone, MilestoneThreshold, NewlyReached, SalesTotals,
    newly_reached, validate_milestones,
};
pub use partner_emails::{PARTNER_MERGE_FIELDS, PartnerValues, THANK_YOU_BODY, THANK_YOU_SUBJECT, ThankYouEmail};
