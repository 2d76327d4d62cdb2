use serde::Serialize;
use time::OffsetDateTime;

use crate::money::{format_fixed_point, parse_fixed_point};
use crate::named::named_enum;
use crate::{CampaignId, Currency, Money, OrgId, Slug, ValidationError};

named_enum!(
    /// The math of a commission: a share of the invoice, or a flat amount per paid invoice.
    CommissionType { Percentage, Fixed }
);

named_enum!(
    /// What triggers a commission: a sale, a click or a lead.
    CommissionModel { Cps, Cpc, Cpl }
);

named_enum!(
    /// Which referral wins when a visitor clicked several links.
    AttributionModel { FirstTouch, LastTouch }
);

/// A commission rule: basis points of the invoice for Percentage, minor units of the campaign
/// currency for Fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommissionValue {
    pub kind: CommissionType,
    pub value: i64,
}

impl CommissionValue {
    /// Parses a decimal as people write it: "20" is 20 % (or 20.00 in the currency), "0.50" is
    /// half a percent (or 50 cents).
    pub fn parse(field: &str, kind: CommissionType, input: &str, currency: Currency) -> Result<Self, ValidationError> {
        let value = match kind {
            CommissionType::Percentage => {
                let bps = parse_fixed_point(field, input, 2)?;
                if bps > 10_000 {
                    return Err(ValidationError::new(field, "a percentage must be between 0 and 100"));
                }
                bps
            }
            CommissionType::Fixed => Money::parse_major(field, input, currency)?.minor,
        };
        Ok(Self { kind, value })
    }

    /// The value as a decimal string, the inverse of [`CommissionValue::parse`].
    pub fn display_value(&self, currency: Currency) -> String {
        match self.kind {
            CommissionType::Percentage => {
                let s = format_fixed_point(self.value, 2);
                s.trim_end_matches('0').trim_end_matches('.').to_owned()
            }
            CommissionType::Fixed => Money::new(self.value, currency).major_string(),
        }
    }
}

/// A campaign (API name: program): what affiliates promote and how they are paid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Campaign {
    pub id: CampaignId,
    pub org_id: OrgId,
    pub name: String,
    pub slug: Slug,
    pub destination_url: String,
    pub commission: CommissionValue,
    pub currency: Currency,
    pub commission_model: CommissionModel,
    pub cookie_window_days: i32,
    pub attribution_model: AttributionModel,
    pub auto_approve: bool,
    pub description: Option<String>,
    pub terms_url: Option<String>,
    pub archived: bool,
    /// Tiers, product rates, renewals, hold, minimum payout, two-tier, click budget.
    pub rules: crate::CampaignRules,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl Serialize for CommissionValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (self.kind, self.value).serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for CommissionValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (kind, value) = <(CommissionType, i64)>::deserialize(d)?;
        Ok(Self { kind, value })
    }
}

impl Campaign {
    pub const DEFAULT_COOKIE_WINDOW_DAYS: i32 = 60;

    pub fn validate_cookie_window(days: i32) -> Result<i32, ValidationError> {
        if (1..=3650).contains(&days) {
            Ok(days)
        } else {
            Err(ValidationError::new(
                "cookieWindowDays",
                "must be between 1 and 3650 days",
            ))
        }
    }

    /// Pay-per-click and pay-per-lead campaigns are invite-only: no public applications, and
    /// never auto-approved.
    pub fn invite_only(&self) -> bool {
        self.commission_model != CommissionModel::Cps
    }

    pub fn accepts_applications(&self) -> bool {
        !self.archived && !self.invite_only()
    }

    pub fn approves_automatically(&self) -> bool {
        self.auto_approve && !self.invite_only()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commission_values_parse_and_display() {
        let p = CommissionValue::parse("v", CommissionType::Percentage, "20", Currency::USD).unwrap();
        assert_eq!(p.value, 2000);
        assert_eq!(p.display_value(Currency::USD), "20");
        let p = CommissionValue::parse("v", CommissionType::Percentage, "12.5", Currency::USD).unwrap();
        assert_eq!(p.display_value(Currency::USD), "12.5");
        assert!(CommissionValue::parse("v", CommissionType::Percentage, "100.01", Currency::USD).is_err());
        let f = CommissionValue::parse("v", CommissionType::Fixed, "0.50", Currency::USD).unwrap();
        assert_eq!(f.value, 50);
        assert_eq!(f.display_value(Currency::USD), "0.50");
        let f = CommissionValue::parse("v", CommissionType::Fixed, "500", Currency::JPY).unwrap();
        assert_eq!(f.value, 500);
    }

    #[test]
    fn cookie_window_bounds() {
        assert!(Campaign::validate_cookie_window(60).is_ok());
        assert!(Campaign::validate_cookie_window(0).is_err());
        assert!(Campaign::validate_cookie_window(4000).is_err());
    }
}
