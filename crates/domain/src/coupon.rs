//! Coupons: a campaign coupon (the discount, mirrored from a Stripe coupon) and the affiliate
//! promotion codes that point at it and credit their affiliate when a customer redeems them.

use serde::Serialize;
use time::OffsetDateTime;

use crate::{AffiliateId, CampaignId, CouponId, OrgId, ValidationError};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coupon {
    pub id: CouponId,
    pub org_id: OrgId,
    pub campaign_id: CampaignId,
    /// The affiliate a promotion code credits; None for a campaign coupon.
    pub affiliate_id: Option<AffiliateId>,
    /// The campaign coupon a promotion code belongs to, if it was named.
    pub parent_id: Option<CouponId>,
    pub code: CouponCode,
    pub stripe_coupon_id: Option<String>,
    pub stripe_promotion_code_id: Option<String>,
    /// Whether the code beats a tracked click to another affiliate (default true).
    pub overrides_click: bool,
    pub created_at: OffsetDateTime,
}

/// A code customers type at checkout: 2–64 letters, digits, `-` or `_`, matched
/// case-insensitively as Stripe does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct CouponCode(String);

impl CouponCode {
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let s = input.trim();
        if !(2..=64).contains(&s.len()) || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(ValidationError::new(
                "code",
                "must be 2 to 64 letters, digits, hyphens or underscores",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The identity of the code: upper-cased.
    pub fn key(&self) -> String {
        Self::key_of(&self.0)
    }

    /// The key a typed or reported code is looked up by.
    pub fn key_of(raw: &str) -> String {
        raw.trim().to_ascii_uppercase()
    }
}

impl std::fmt::Display for CouponCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for CouponCode {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_matched_case_insensitively() {
        let code = CouponCode::parse(" sarah20 ").unwrap();
        assert_eq!(code.as_str(), "sarah20");
        assert_eq!(code.key(), "SARAH20");
        assert_eq!(CouponCode::key_of("Sarah20"), "SARAH20");
        assert!(CouponCode::parse("x").is_err());
        assert!(CouponCode::parse("has space").is_err());
        assert!(CouponCode::parse(&"A".repeat(65)).is_err());
    }
}
