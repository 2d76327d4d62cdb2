use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! define_id {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        #[schema(value_type = String, format = Uuid)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new time-ordered (v7) id: index-friendly on both databases.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    )*};
}

define_id!(
    /// An organization: the tenant every other object belongs to.
    OrgId,
    UserId,
    SessionId,
    CampaignId,
    AffiliateId,
    MembershipId,
    ApiKeyId,
    InviteId,
    JobId,
    ClickId,
    ConversionId,
    CouponId,
    /// A connected CRM or email tool of an organization.
    IntegrationId,
    CommissionId,
    LedgerEntryId,
    PayoutRunId,
    PayoutItemId,
    /// A banner, email swipe or text link of a campaign's promo tools.
    PromoAssetId,
    /// A roster or history import from another platform.
    ImportId,
);
