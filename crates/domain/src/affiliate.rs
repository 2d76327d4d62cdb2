use serde::Serialize;
use time::OffsetDateTime;

use crate::named::named_enum;
use crate::{AffiliateId, CampaignId, CommissionValue, Email, MembershipId, OrgId, Slug, ValidationError};

named_enum!(
    /// An affiliate's standing in one campaign.
    AffiliateStatus { Pending, Approved, Paused, Rejected, Banned }
);

/// A decision a brand takes on a membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusAction {
    Approve,
    Reject,
    Pause,
    Ban,
}

impl StatusAction {
    pub fn verb(self) -> &'static str {
        match self {
            StatusAction::Approve => "approve",
            StatusAction::Reject => "reject",
            StatusAction::Pause => "pause",
            StatusAction::Ban => "ban",
        }
    }
}

impl AffiliateStatus {
    /// The state machine: approve a pending, rejected or paused affiliate (resume); reject a
    /// pending one; pause an approved one; ban anyone not yet banned. Banned is final.
    pub fn apply(self, action: StatusAction) -> Result<AffiliateStatus, ValidationError> {
        use AffiliateStatus::*;
        let next = match (self, action) {
            (Pending | Rejected | Paused, StatusAction::Approve) => Approved,
            (Pending, StatusAction::Reject) => Rejected,
            (Approved, StatusAction::Pause) => Paused,
            (Pending | Approved | Paused | Rejected, StatusAction::Ban) => Banned,
            _ => {
                return Err(ValidationError::with_code(
                    "status",
                    "invalid_status_transition",
                    format!("cannot {} an affiliate who is {}", action.verb(), self),
                ));
            }
        };
        Ok(next)
    }

    /// Only approved affiliates earn on new activity.
    pub fn earns(self) -> bool {
        self == AffiliateStatus::Approved
    }
}

/// A person promoting an organization's campaigns. One referral slug across all campaigns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Affiliate {
    pub id: AffiliateId,
    pub org_id: OrgId,
    pub email: Email,
    pub name: Option<String>,
    pub paypal_email: Option<Email>,
    /// The affiliate's Stripe connected account (`acct_…`), where Stripe Connect payouts go.
    pub stripe_account_id: Option<StripeAccountId>,
    pub slug: Slug,
    pub created_at: OffsetDateTime,
}

/// A Stripe connected account id: `acct_` and letters or digits, as Stripe issues them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct StripeAccountId(String);

impl StripeAccountId {
    pub fn parse(field: &str, input: &str) -> Result<Self, ValidationError> {
        let id = input.trim();
        let well_formed = id
            .strip_prefix("acct_")
            .is_some_and(|rest| (1..=64).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_alphanumeric()));
        if well_formed {
            Ok(Self(id.to_owned()))
        } else {
            Err(ValidationError::new(
                field,
                "must be a Stripe connected account id, acct_ followed by letters and digits",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for StripeAccountId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for StripeAccountId {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse("stripeAccountId", s)
    }
}

/// An affiliate's membership in one campaign.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Membership {
    pub id: MembershipId,
    pub org_id: OrgId,
    pub affiliate_id: AffiliateId,
    pub campaign_id: CampaignId,
    pub status: AffiliateStatus,
    pub commission_override: Option<CommissionValue>,
    pub recruited_by: Option<AffiliateId>,
    /// The reason given when the membership was last rejected, paused or banned.
    pub status_reason: Option<String>,
    pub created_at: OffsetDateTime,
    pub status_changed_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;
    use AffiliateStatus::*;

    #[test]
    fn transitions() {
        assert_eq!(Pending.apply(StatusAction::Approve).unwrap(), Approved);
        assert_eq!(Pending.apply(StatusAction::Reject).unwrap(), Rejected);
        assert_eq!(Approved.apply(StatusAction::Pause).unwrap(), Paused);
        assert_eq!(Paused.apply(StatusAction::Approve).unwrap(), Approved);
        assert_eq!(Approved.apply(StatusAction::Ban).unwrap(), Banned);
        let err = Banned.apply(StatusAction::Approve).unwrap_err();
        assert_eq!(err.code, "invalid_status_transition");
        assert!(Approved.apply(StatusAction::Approve).is_err());
        assert!(Approved.apply(StatusAction::Reject).is_err());
        assert!(Pending.apply(StatusAction::Pause).is_err());
        assert!(Approved.earns() && !Paused.earns() && !Banned.earns());
    }

    #[test]
    fn stripe_account_ids_are_acct_and_alphanumerics() {
        assert_eq!(
            StripeAccountId::parse("f", " acct_1Nv0FGQ9RKHgCVdK ").unwrap().as_str(),
            "acct_1Nv0FGQ9RKHgCVdK"
        );
        for bad in [
            "",
            "acct_",
            "cus_123",
            "acct_1/../balance",
            "acct_1 2",
            "jane@brand.test",
        ] {
            assert_eq!(StripeAccountId::parse("f", bad).unwrap_err().field, "f", "{bad}");
        }
        assert!(StripeAccountId::parse("f", &format!("acct_{}", "a".repeat(65))).is_err());
    }
}
