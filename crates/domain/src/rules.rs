//! A campaign's commission rules beyond its default: per-product and per-tier rates, how long
//! renewals earn, the hold before commissions become payable, the minimum payout, the
//! two-tier override and the pay-per-click budget. Stored with the campaign as one document.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use time::{Date, Month, OffsetDateTime};

use crate::named::named_enum;
use crate::{CommissionType, CommissionValue, ValidationError, round_div};

/// How long a referred subscription's renewals earn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "PascalCase")]
pub enum RecurringDuration {
    /// Only the first payment earns.
    FirstPaymentOnly,
    /// Renewals earn for this many months after the first payment.
    Months { months: u16 },
    /// Every renewal earns, for as long as the customer pays.
    #[default]
    Lifetime,
}

/// What a performance tier's threshold counts: the affiliate's approved sales in the
/// campaign, or their approved revenue (minor units of the campaign currency).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "PascalCase")]
pub enum TierThreshold {
    Sales { count: i64 },
    Revenue { minor: i64 },
}

/// A performance tier: at or above its threshold, the affiliate earns its rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TierRule {
    pub name: String,
    pub threshold: TierThreshold,
    pub commission: CommissionValue,
}

/// A product's own rate (matched on the conversion's product id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductRule {
    pub product_id: String,
    pub commission: CommissionValue,
}

pub const DEFAULT_HOLD_DAYS: i32 = 30;

/// The rules document of a campaign. Every field has a default, so a campaign created before
/// a rule existed reads as if it had been created with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CampaignRules {
    /// Days from the sale until its commission becomes payable (Pending → Approved).
    pub hold_days: i32,
    /// The least an affiliate is paid in one payout, minor units of the campaign currency.
    pub minimum_payout_minor: i64,
    pub recurring: RecurringDuration,
    /// Highest threshold first is not required: the best tier reached wins.
    pub tiers: Vec<TierRule>,
    pub products: Vec<ProductRule>,
    /// Two-tier programs: the recruiter earns this percentage (0–100) of each commission of
    /// an affiliate they recruited. `None`: one-tier.
    pub two_tier_percent: Option<u8>,
    /// Pay per click: the most the campaign pays for clicks in all, minor units. `None`: no cap.
    pub cpc_budget_minor: Option<i64>,
    /// The "thank you" email for each commission earned (off by default).
    pub thank_you_email: crate::ThankYouEmail,
    /// Sales milestones, each announced by email once per affiliate.
    pub milestones: Vec<crate::Milestone>,
}

impl Default for CampaignRules {
    fn default() -> Self {
        Self {
            hold_days: DEFAULT_HOLD_DAYS,
            minimum_payout_minor: 0,
            recurring: RecurringDuration::Lifetime,
            tiers: Vec::new(),
            products: Vec::new(),
            two_tier_percent: None,
            cpc_budget_minor: None,
            thank_you_email: crate::ThankYouEmail::default(),
            milestones: Vec::new(),
        }
    }
}

impl CampaignRules {
    /// Checks the bounds of every rule; errors name the field as `rules.tiers[0].name`.
    /// Tier names are compared trimmed and case-insensitively (people tell them apart by
    /// reading them), product ids exactly (they are the processor's ids).
    pub fn validate(&self) -> Result<(), ValidationError> {
        let err = |field: String, message: &str| Err(ValidationError::new(field, message));
        if !(0..=365).contains(&self.hold_days) {
            return err("rules.holdDays".into(), "must be between 0 and 365 days");
        }
        if self.minimum_payout_minor < 0 {
            return err("rules.minimumPayoutMinor".into(), "cannot be negative");
        }
        if let RecurringDuration::Months { months } = self.recurring
            && !(1..=120).contains(&months)
        {
            return err("rules.recurring.months".into(), "must be between 1 and 120 months");
        }
        if self.two_tier_percent.is_some_and(|p| p > 100) {
            return err("rules.twoTierPercent".into(), "must be between 0 and 100");
        }
        if self.cpc_budget_minor.is_some_and(|b| b < 0) {
            return err("rules.cpcBudgetMinor".into(), "cannot be negative");
        }
        let mut names = HashSet::new();
        for (i, tier) in self.tiers.iter().enumerate() {
            let name = tier.name.trim();
            if name.is_empty() {
                return err(format!("rules.tiers[{i}].name"), "is required");
            }
            if !names.insert(name.to_lowercase()) {
                return err(format!("rules.tiers[{i}].name"), "is already the name of another tier");
            }
            let (TierThreshold::Sales { count: t } | TierThreshold::Revenue { minor: t }) = tier.threshold;
            if t < 0 {
                return err(format!("rules.tiers[{i}].threshold"), "cannot be negative");
            }
            validate_commission(format!("rules.tiers[{i}].commission"), tier.commission)?;
        }
        let mut ids = HashSet::new();
        for (i, product) in self.products.iter().enumerate() {
            if product.product_id.trim().is_empty() {
                return err(format!("rules.products[{i}].productId"), "is required");
            }
            if !ids.insert(product.product_id.as_str()) {
                return err(format!("rules.products[{i}].productId"), "already has a rate");
            }
            validate_commission(format!("rules.products[{i}].commission"), product.commission)?;
        }
        self.thank_you_email.validate()?;
        crate::validate_milestones(&self.milestones)?;
        Ok(())
    }
}

fn validate_commission(field: String, rule: CommissionValue) -> Result<(), ValidationError> {
    if rule.value < 0 {
        return Err(ValidationError::new(field, "cannot be negative"));
    }
    if rule.kind == CommissionType::Percentage && rule.value > 10_000 {
        return Err(ValidationError::new(field, "a percentage must be between 0 and 100"));
    }
    Ok(())
}

/// An affiliate's approved results in a campaign, measured against tier thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TierProgress {
    pub sales: i64,
    /// Minor units of the campaign currency.
    pub revenue_minor: i64,
}

named_enum!(
    /// Which rule set a commission's rate.
    RateSource { Default, Tier, Product, Affiliate }
);

/// The rate a conversion earns, where it came from, and the tier's name when a tier set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedRate {
    pub commission: CommissionValue,
    pub source: RateSource,
    pub tier: Option<String>,
}

/// The rate that applies, by precedence:
///
/// 1. the affiliate's own override: a deal made with a person beats every general rule;
/// 2. the product's rate, when the conversion names a product with one;
/// 3. the best tier reached: a tier is reached when the threshold of its kind is met. Rates of
///    different kinds (a percentage, a fixed amount) cannot be compared without an amount, so
///    within each threshold kind the tier with the highest threshold met wins (the later one
///    on a tie), and when both a sales and a revenue tier are reached, the one listed later
///    in `rules.tiers` wins: the brand orders its list;
/// 4. the campaign default.
pub fn resolve_rate(
    default: CommissionValue,
    affiliate_override: Option<CommissionValue>,
    rules: &CampaignRules,
    product_id: Option<&str>,
    stats: TierProgress,
) -> ResolvedRate {
    let resolved = |commission, source| ResolvedRate {
        commission,
        source,
        tier: None,
    };
    if let Some(commission) = affiliate_override {
        return resolved(commission, RateSource::Affiliate);
    }
    if let Some(rule) = product_id.and_then(|id| rules.products.iter().find(|p| p.product_id == id)) {
        return resolved(rule.commission, RateSource::Product);
    }
    match best_tier(&rules.tiers, stats) {
        Some(tier) => ResolvedRate {
            commission: tier.commission,
            source: RateSource::Tier,
            tier: Some(tier.name.clone()),
        },
        None => resolved(default, RateSource::Default),
    }
}

fn best_tier(tiers: &[TierRule], stats: TierProgress) -> Option<&TierRule> {
    // (index, threshold) of the best reached tier of each kind: sales, revenue.
    let mut best: [Option<(usize, i64)>; 2] = [None, None];
    for (i, tier) in tiers.iter().enumerate() {
        let (slot, threshold, reached) = match tier.threshold {
            TierThreshold::Sales { count } => (0, count, stats.sales >= count),
            TierThreshold::Revenue { minor } => (1, minor, stats.revenue_minor >= minor),
        };
        if reached && best[slot].is_none_or(|(_, t)| threshold >= t) {
            best[slot] = Some((i, threshold));
        }
    }
    best.iter().flatten().map(|&(i, _)| i).max().map(|i| &tiers[i])
}

/// Whether a renewal paid at `paid_at` earns, for a subscription first paid at
/// `first_payment_at`. `Months { n }` earns strictly before the same time of day, n calendar
/// months later, the day clamped to the month's length (31 January + 1 month: 28/29 February).
pub fn renewal_earns(duration: RecurringDuration, first_payment_at: OffsetDateTime, paid_at: OffsetDateTime) -> bool {
    match duration {
        RecurringDuration::FirstPaymentOnly => false,
        RecurringDuration::Lifetime => true,
        // Past the last representable date, the window never closes.
        RecurringDuration::Months { months } => {
            add_months(first_payment_at.date(), months).is_none_or(|end| paid_at < first_payment_at.replace_date(end))
        }
    }
}

fn add_months(date: Date, months: u16) -> Option<Date> {
    let index = i64::from(date.year()) * 12 + i64::from(u8::from(date.month()) - 1) + i64::from(months);
    let year = i32::try_from(index.div_euclid(12)).ok()?;
    let month = Month::try_from(u8::try_from(index.rem_euclid(12)).ok()? + 1).ok()?;
    Date::from_calendar_date(year, month, date.day().min(month.length(year))).ok()
}

/// A recruiter's two-tier override: `percent` (0–100; more counts as 100) of a commission,
/// by the one rounding rule.
pub fn override_minor(commission_minor: i64, percent: u8) -> i64 {
    let share = round_div(i128::from(commission_minor) * i128::from(percent.min(100)), 100);
    i64::try_from(share).expect("at most all of an i64 commission fits in i64")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    const DEFAULT: CommissionValue = pct(2000);

    const fn pct(value: i64) -> CommissionValue {
        CommissionValue {
            kind: CommissionType::Percentage,
            value,
        }
    }

    const fn fixed(value: i64) -> CommissionValue {
        CommissionValue {
            kind: CommissionType::Fixed,
            value,
        }
    }

    fn tier(name: &str, threshold: TierThreshold, commission: CommissionValue) -> TierRule {
        TierRule {
            name: name.into(),
            threshold,
            commission,
        }
    }

    fn rules() -> CampaignRules {
        CampaignRules {
            tiers: vec![
                tier("Silver", TierThreshold::Sales { count: 10 }, pct(2500)),
                tier("Gold", TierThreshold::Sales { count: 50 }, pct(3000)),
                tier("Whale", TierThreshold::Revenue { minor: 1_000_000 }, fixed(5000)),
                tier("Bronze", TierThreshold::Sales { count: 5 }, pct(2200)),
            ],
            products: vec![ProductRule {
                product_id: "prod_ebook".into(),
                commission: pct(5000),
            }],
            two_tier_percent: Some(10),
            cpc_budget_minor: Some(100_000),
            ..CampaignRules::default()
        }
    }

    fn field_of(rules: &CampaignRules) -> String {
        rules.validate().unwrap_err().field
    }

    #[test]
    fn defaults_and_a_full_document_are_valid() {
        assert!(CampaignRules::default().validate().is_ok());
        assert!(rules().validate().is_ok());
    }

    #[test]
    fn out_of_bounds_rules_name_their_field() {
        let mut r = rules();
        r.hold_days = 366;
        assert_eq!(field_of(&r), "rules.holdDays");
        let mut r = rules();
        r.minimum_payout_minor = -1;
        assert_eq!(field_of(&r), "rules.minimumPayoutMinor");
        for months in [0, 121] {
            let mut r = rules();
            r.recurring = RecurringDuration::Months { months };
            assert_eq!(field_of(&r), "rules.recurring.months");
        }
        let mut r = rules();
        r.two_tier_percent = Some(101);
        assert_eq!(field_of(&r), "rules.twoTierPercent");
        let mut r = rules();
        r.cpc_budget_minor = Some(-1);
        assert_eq!(field_of(&r), "rules.cpcBudgetMinor");
        let mut r = rules();
        r.tiers[1].name = "  ".into();
        assert_eq!(field_of(&r), "rules.tiers[1].name");
        let mut r = rules();
        r.tiers[2].name = " silver".into();
        assert_eq!(field_of(&r), "rules.tiers[2].name");
        let mut r = rules();
        r.tiers[0].threshold = TierThreshold::Revenue { minor: -1 };
        assert_eq!(field_of(&r), "rules.tiers[0].threshold");
        let mut r = rules();
        r.tiers[3].commission = pct(10_001);
        assert_eq!(field_of(&r), "rules.tiers[3].commission");
        let mut r = rules();
        r.products.push(r.products[0].clone());
        assert_eq!(field_of(&r), "rules.products[1].productId");
        let mut r = rules();
        r.products[0].product_id = String::new();
        assert_eq!(field_of(&r), "rules.products[0].productId");
        let mut r = rules();
        r.products[0].commission = fixed(-5);
        assert_eq!(field_of(&r), "rules.products[0].commission");
        let mut r = rules();
        r.products[0].commission = fixed(20_000);
        assert!(r.validate().is_ok(), "a fixed amount has no 100 % cap");
    }

    fn resolve(affiliate: Option<CommissionValue>, product: Option<&str>, sales: i64, revenue: i64) -> ResolvedRate {
        let stats = TierProgress {
            sales,
            revenue_minor: revenue,
        };
        resolve_rate(DEFAULT, affiliate, &rules(), product, stats)
    }

    #[test]
    fn affiliate_beats_product_beats_tier_beats_default() {
        let got = resolve(Some(fixed(700)), Some("prod_ebook"), 100, 2_000_000);
        assert_eq!(
            (got.commission, got.source, got.tier),
            (fixed(700), RateSource::Affiliate, None)
        );
        let got = resolve(None, Some("prod_ebook"), 100, 2_000_000);
        assert_eq!((got.commission, got.source), (pct(5000), RateSource::Product));
        let got = resolve(None, Some("prod_other"), 10, 0);
        assert_eq!((got.commission, got.source), (pct(2500), RateSource::Tier));
        assert_eq!(got.tier.as_deref(), Some("Silver"));
        let got = resolve(None, None, 4, 999_999);
        assert_eq!(
            (got.commission, got.source, got.tier),
            (DEFAULT, RateSource::Default, None)
        );
    }

    #[test]
    fn the_highest_threshold_met_wins_within_a_kind() {
        // Bronze is listed last but Gold's threshold is higher.
        assert_eq!(resolve(None, None, 60, 0).tier.as_deref(), Some("Gold"));
        assert_eq!(resolve(None, None, 49, 0).tier.as_deref(), Some("Silver"));
        assert_eq!(resolve(None, None, 5, 0).tier.as_deref(), Some("Bronze"));
    }

    #[test]
    fn across_kinds_the_tier_listed_later_wins() {
        // Whale (revenue, listed third) beats Gold (sales, listed second)...
        assert_eq!(resolve(None, None, 60, 1_000_000).tier.as_deref(), Some("Whale"));
        // ...and only a revenue tier reached is enough.
        assert_eq!(resolve(None, None, 0, 1_000_000).tier.as_deref(), Some("Whale"));
        let mut r = rules();
        r.tiers.swap(1, 2);
        let stats = TierProgress {
            sales: 60,
            revenue_minor: 1_000_000,
        };
        let got = resolve_rate(DEFAULT, None, &r, None, stats);
        assert_eq!(got.tier.as_deref(), Some("Gold"));
    }

    #[test]
    fn renewals_earn_within_calendar_months() {
        let first = datetime!(2026-01-31 10:00 UTC);
        let two_months = RecurringDuration::Months { months: 2 };
        assert!(renewal_earns(two_months, first, datetime!(2026-03-31 09:59:59 UTC)));
        assert!(!renewal_earns(two_months, first, datetime!(2026-03-31 10:00 UTC)));
        // 31 January + 1 month is clamped to the end of February.
        let one_month = RecurringDuration::Months { months: 1 };
        assert!(renewal_earns(one_month, first, datetime!(2026-02-28 09:00 UTC)));
        assert!(!renewal_earns(one_month, first, datetime!(2026-02-28 10:00 UTC)));
        let leap = datetime!(2028-01-31 10:00 UTC);
        assert!(renewal_earns(one_month, leap, datetime!(2028-02-29 09:00 UTC)));
        // Across a year, and compared as instants whatever the offsets.
        let twelve = RecurringDuration::Months { months: 12 };
        assert!(renewal_earns(twelve, first, datetime!(2027-01-31 10:59 +01:00)));
        assert!(!renewal_earns(twelve, first, datetime!(2027-01-31 11:00 +01:00)));
        assert!(!renewal_earns(RecurringDuration::FirstPaymentOnly, first, first));
        assert!(renewal_earns(
            RecurringDuration::Lifetime,
            first,
            datetime!(2099-01-01 0:00 UTC)
        ));
        let end_of_time = datetime!(9999-12-01 0:00 UTC);
        assert!(renewal_earns(one_month, end_of_time, datetime!(9999-12-31 0:00 UTC)));
    }

    #[test]
    fn overrides_round_half_away_from_zero() {
        assert_eq!(override_minor(2475, 10), 248);
        assert_eq!(override_minor(-2475, 10), -248);
        assert_eq!(override_minor(5, 10), 1);
        assert_eq!(override_minor(4, 10), 0);
        assert_eq!(override_minor(1234, 0), 0);
        assert_eq!(override_minor(1234, 100), 1234);
        assert_eq!(override_minor(1234, 255), 1234);
    }

    proptest! {
        #[test]
        fn an_override_is_a_share_of_the_commission(c in -1_000_000_000_000i64..1_000_000_000_000, p in 0u8..=100) {
            let o = override_minor(c, p);
            prop_assert!(o.abs() <= c.abs());
            prop_assert!(o.signum() * c.signum() >= 0);
            prop_assert!((i128::from(o) * 100 - i128::from(c) * i128::from(p)).abs() <= 50);
        }

        #[test]
        fn a_longer_window_never_earns_less(days in 0i64..4000, months in 1u16..=120) {
            let first = datetime!(2024-01-31 12:00 UTC);
            let paid = first + time::Duration::days(days);
            let shorter = renewal_earns(RecurringDuration::Months { months }, first, paid);
            let longer = renewal_earns(RecurringDuration::Months { months: months + 1 }, first, paid);
            prop_assert!(!shorter || longer);
            // n calendar months last between 28n and 31n days.
            if days < i64::from(months) * 28 { prop_assert!(shorter); }
            if days >= i64::from(months) * 31 { prop_assert!(!shorter); }
        }
    }
}
