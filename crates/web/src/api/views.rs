//! JSON shapes of the public API: camelCase fields, PascalCase enum values, RFC 3339 times.

use afflux_domain::{
    Affiliate, AffiliateId, AffiliateStatus, ApiKeyId, ApiScope, AttributionModel, Campaign, CampaignId,
    CommissionModel, CommissionType, CommissionValue, Currency, InviteId, Membership, MembershipId, OrgId,
    Organization, PlanTier, Role, SubscriptionStatus, UserId,
};
use afflux_store::{AffiliateRow, ApiKey, Invite, MemberView};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

/// RFC 3339 at the microsecond precision both databases store, so a fresh object and the same
/// object read back show the same times.
pub(super) fn rfc3339(t: OffsetDateTime) -> String {
    let t = t.replace_microsecond(t.microsecond()).unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// One page of a list. Ask for the next with `page + 1` while `hasMore` is true.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Paginated<T: ToSchema> {
    pub data: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    pub has_more: bool,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationView {
    pub id: OrgId,
    pub name: String,
    pub plan: PlanTier,
    pub subscription_status: SubscriptionStatus,
    pub home_currency: Currency,
    pub sender_name: Option<String>,
    pub reply_to: Option<String>,
    pub created_at: String,
}

impl From<Organization> for OrganizationView {
    fn from(o: Organization) -> Self {
        Self {
            id: o.id,
            name: o.name,
            plan: o.plan,
            subscription_status: o.subscription_status,
            home_currency: o.home_currency,
            sender_name: o.sender_name,
            reply_to: o.reply_to.map(|e| e.to_string()),
            created_at: rfc3339(o.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProgramView {
    pub id: CampaignId,
    pub name: String,
    pub slug: String,
    pub destination_url: String,
    pub default_commission_type: CommissionType,
    /// Percent for Percentage ("20" = 20 %), major units of `currency` for Fixed ("10.50").
    pub default_commission_value: String,
    pub currency: Currency,
    pub default_commission_model: CommissionModel,
    pub cookie_window_days: i32,
    pub attribution_model: AttributionModel,
    pub auto_approve: bool,
    pub description: Option<String>,
    pub terms_url: Option<String>,
    pub archived: bool,
    pub rules: afflux_app::RulesInput,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Campaign> for ProgramView {
    fn from(c: Campaign) -> Self {
        Self {
            id: c.id,
            name: c.name,
            slug: c.slug.to_string(),
            destination_url: c.destination_url,
            default_commission_type: c.commission.kind,
            default_commission_value: c.commission.display_value(c.currency),
            currency: c.currency,
            default_commission_model: c.commission_model,
            cookie_window_days: c.cookie_window_days,
            attribution_model: c.attribution_model,
            auto_approve: c.auto_approve,
            description: c.description,
            terms_url: c.terms_url,
            archived: c.archived,
            rules: afflux_app::RulesInput::from_rules(&c.rules, c.currency),
            created_at: rfc3339(c.created_at),
            updated_at: rfc3339(c.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommissionOverrideView {
    #[serde(rename = "type")]
    pub kind: CommissionType,
    pub value: i64,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MembershipView {
    pub id: MembershipId,
    pub program_id: CampaignId,
    pub status: AffiliateStatus,
    /// Basis points for Percentage, minor units for Fixed.
    pub commission_override: Option<CommissionOverrideView>,
    pub recruited_by: Option<AffiliateId>,
    pub status_reason: Option<String>,
    pub created_at: String,
    pub status_changed_at: String,
}

impl From<Membership> for MembershipView {
    fn from(m: Membership) -> Self {
        Self {
            id: m.id,
            program_id: m.campaign_id,
            status: m.status,
            commission_override: m
                .commission_override
                .map(|CommissionValue { kind, value }| CommissionOverrideView { kind, value }),
            recruited_by: m.recruited_by,
            status_reason: m.status_reason,
            created_at: rfc3339(m.created_at),
            status_changed_at: rfc3339(m.status_changed_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AffiliateView {
    pub id: AffiliateId,
    pub email: String,
    pub name: Option<String>,
    pub paypal_email: Option<String>,
    /// The Stripe connected account StripeConnect payouts go to.
    pub stripe_account_id: Option<String>,
    pub slug: String,
    pub created_at: String,
    pub memberships: Vec<MembershipView>,
}

impl AffiliateView {
    pub fn new(a: Affiliate, memberships: Vec<Membership>) -> Self {
        Self {
            id: a.id,
            email: a.email.to_string(),
            name: a.name,
            paypal_email: a.paypal_email.map(|e| e.to_string()),
            stripe_account_id: a.stripe_account_id.map(|s| s.to_string()),
            slug: a.slug.to_string(),
            created_at: rfc3339(a.created_at),
            memberships: memberships.into_iter().map(MembershipView::from).collect(),
        }
    }
}

impl From<AffiliateRow> for AffiliateView {
    fn from(row: AffiliateRow) -> Self {
        Self::new(row.affiliate, vec![row.membership])
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemberViewJson {
    pub user_id: UserId,
    pub email: String,
    pub name: Option<String>,
    pub role: Role,
    pub joined_at: String,
}

impl From<MemberView> for MemberViewJson {
    fn from(m: MemberView) -> Self {
        Self {
            user_id: m.member.user_id,
            email: m.email.to_string(),
            name: m.name,
            role: m.member.role,
            joined_at: rfc3339(m.member.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InviteView {
    pub id: InviteId,
    pub email: String,
    pub role: Role,
    pub expires_at: String,
}

impl From<Invite> for InviteView {
    fn from(i: Invite) -> Self {
        Self {
            id: i.id,
            email: i.email.to_string(),
            role: i.role,
            expires_at: rfc3339(i.expires_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TeamJson {
    pub members: Vec<MemberViewJson>,
    pub invites: Vec<InviteView>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyView {
    pub id: ApiKeyId,
    pub name: String,
    pub scope: ApiScope,
    /// The first characters of the key, to tell keys apart.
    pub prefix: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

impl From<ApiKey> for ApiKeyView {
    fn from(k: ApiKey) -> Self {
        Self {
            id: k.id,
            name: k.name,
            scope: k.scope,
            prefix: k.prefix,
            created_at: rfc3339(k.created_at),
            revoked_at: k.revoked_at.map(rfc3339),
        }
    }
}

/// A key as created or rotated: `key` is shown this once and never again.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedApiKeyView {
    pub key: String,
    #[serde(flatten)]
    pub api_key: ApiKeyView,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TeamInviteInput {
    pub email: String,
    pub role: Role,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleInput {
    pub role: Role,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SlugInput {
    pub slug: String,
}

/// A brand-entered application: the program and the applicant.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewAffiliateInput {
    pub program_id: CampaignId,
    pub email: String,
    pub name: Option<String>,
    pub paypal_email: Option<String>,
    pub slug: Option<String>,
    /// Two-tier programs: the referral slug of the affiliate who recruited this one.
    pub recruiter: Option<String>,
}
