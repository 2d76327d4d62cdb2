use serde::Serialize;
use time::OffsetDateTime;

use crate::named::named_enum;
use crate::{Currency, Email, OrgId};

named_enum!(
    /// The commercial tier of an organization. Ordered: a higher tier includes the lower ones.
    PlanTier { Starter, Growth, Pro, Enterprise }
);

named_enum!(
    /// Where the organization's subscription stands, as the operator records it.
    SubscriptionStatus { Trialing, Active, PastDue, Canceled }
);

/// A tenant: every campaign, affiliate, key and job belongs to exactly one.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    pub id: OrgId,
    pub name: String,
    pub plan: PlanTier,
    pub subscription_status: SubscriptionStatus,
    pub home_currency: Currency,
    /// Display name of the sender of this organization's emails (defaults to the org name).
    pub sender_name: Option<String>,
    /// Reply-To of this organization's emails.
    pub reply_to: Option<Email>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Why a plan gate refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanGate {
    pub required: PlanTier,
    pub status: SubscriptionStatus,
}

impl Organization {
    /// Tier-gated features are open to Trialing and Active (and PastDue, a grace period) orgs
    /// on `required` or higher; a canceled org passes no gate.
    pub fn require_tier(&self, required: PlanTier) -> Result<(), PlanGate> {
        let in_good_standing = self.subscription_status != SubscriptionStatus::Canceled;
        if in_good_standing && self.plan >= required {
            Ok(())
        } else {
            Err(PlanGate {
                required,
                status: self.subscription_status,
            })
        }
    }

    /// How many non-archived campaigns the plan allows (None = unlimited).
    pub fn max_active_campaigns(&self) -> Option<u64> {
        (self.plan == PlanTier::Starter).then_some(1)
    }

    /// How many team seats, Owner included, the plan allows (None = unlimited).
    pub fn max_seats(&self) -> Option<u64> {
        (self.plan == PlanTier::Starter).then_some(2)
    }

    pub fn sender_display_name(&self) -> &str {
        self.sender_name.as_deref().unwrap_or(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(plan: PlanTier, status: SubscriptionStatus) -> Organization {
        Organization {
            id: OrgId::new(),
            name: "Acme".into(),
            plan,
            subscription_status: status,
            home_currency: Currency::USD,
            sender_name: None,
            reply_to: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn tiers_are_ordered_and_gated() {
        assert!(PlanTier::Starter < PlanTier::Growth && PlanTier::Pro < PlanTier::Enterprise);
        assert!(
            org(PlanTier::Growth, SubscriptionStatus::Trialing)
                .require_tier(PlanTier::Growth)
                .is_ok()
        );
        let gate = org(PlanTier::Starter, SubscriptionStatus::Active)
            .require_tier(PlanTier::Growth)
            .unwrap_err();
        assert_eq!(gate.required, PlanTier::Growth);
        assert!(
            org(PlanTier::Enterprise, SubscriptionStatus::Canceled)
                .require_tier(PlanTier::Starter)
                .is_err()
        );
    }

    #[test]
    fn starter_limits() {
        let starter = org(PlanTier::Starter, SubscriptionStatus::Active);
        assert_eq!(starter.max_active_campaigns(), Some(1));
        assert_eq!(starter.max_seats(), Some(2));
        assert_eq!(org(PlanTier::Growth, SubscriptionStatus::Active).max_seats(), None);
    }

    #[test]
    fn names_parse_case_insensitively() {
        assert_eq!(PlanTier::parse("plan", "growth").unwrap(), PlanTier::Growth);
        assert_eq!(
            "pastdue".parse::<SubscriptionStatus>().unwrap(),
            SubscriptionStatus::PastDue
        );
        let err = PlanTier::parse("plan", "Free").unwrap_err();
        assert!(err.message.contains("Starter, Growth, Pro, Enterprise"));
    }
}
