//! Commission math: what a conversion earns, and what a refund takes back. Every derived amount
//! goes through the one rounding rule ([`crate::round_div`]).

use crate::{
    CommissionModel, CommissionType, CommissionValue, ConversionType, Currency, Money, ValidationError, round_div,
};

/// The commission a conversion earns under `rule` (the membership's override, else the
/// campaign default) in a campaign of `model` whose currency is `campaign_currency`.
///
/// - Pay per sale: Percentage is that share of the sale, in the sale's currency; Fixed is the
///   flat amount per paid sale or renewal, in the campaign currency even when the sale arrived
///   in another one (no exchange rate is applied when recording: the commission keeps the
///   currency its rule is written in, and reports convert for display). A lead earns nothing.
/// - Pay per lead: a lead earns the Fixed amount (a percentage of a free signup is nothing);
///   sales earn nothing.
/// - Pay per click: conversions earn nothing; clicks are paid by their own rollup.
///
/// The Money issue extends this function (tiers, per-product rules); callers go through it.
pub fn commission_for(
    model: CommissionModel,
    rule: CommissionValue,
    campaign_currency: Currency,
    kind: ConversionType,
    sale: Money,
) -> Money {
    let zero = Money::zero(sale.currency);
    let earns = match model {
        CommissionModel::Cps => matches!(kind, ConversionType::Sale | ConversionType::Recurring),
        CommissionModel::Cpl => kind == ConversionType::Lead,
        CommissionModel::Cpc => false,
    };
    if !earns {
        return zero;
    }
    match rule.kind {
        CommissionType::Percentage => sale.percent_bps(rule.value),
        CommissionType::Fixed => Money::new(rule.value, campaign_currency),
    }
}

/// The commission left once `refunded_total` (cumulative) of a sale of `amount` is refunded:
/// the initial commission reduced in proportion, by the one rounding rule. A full refund
/// leaves nothing. A refund above the sale is refused.
pub fn commission_after_refund(
    amount: i64,
    initial_commission: i64,
    refunded_total: i64,
) -> Result<i64, ValidationError> {
    if refunded_total < 0 {
        return Err(ValidationError::new("amountCents", "a refund cannot be negative"));
    }
    if refunded_total > amount {
        return Err(ValidationError::with_code(
            "amountCents",
            "refund_exceeds_sale",
            "the refunds would exceed the sale amount",
        ));
    }
    if amount == 0 {
        return Ok(initial_commission);
    }
    let kept = round_div(
        i128::from(initial_commission) * i128::from(amount - refunded_total),
        i128::from(amount),
    );
    Ok(i64::try_from(kept).expect("a share of an i64 commission fits in i64"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const PCT20: CommissionValue = CommissionValue {
        kind: CommissionType::Percentage,
        value: 2000,
    };
    const FIXED5: CommissionValue = CommissionValue {
        kind: CommissionType::Fixed,
        value: 500,
    };

    #[test]
    fn percentage_of_the_sale_in_its_currency() {
        let got = commission_for(
            CommissionModel::Cps,
            PCT20,
            Currency::USD,
            ConversionType::Sale,
            Money::new(8900, Currency::EUR),
        );
        assert_eq!(got, Money::new(1780, Currency::EUR));
        let renewal = commission_for(
            CommissionModel::Cps,
            PCT20,
            Currency::USD,
            ConversionType::Recurring,
            Money::new(999, Currency::USD),
        );
        assert_eq!(renewal, Money::new(200, Currency::USD));
    }

    #[test]
    fn fixed_stays_in_the_campaign_currency() {
        let got = commission_for(
            CommissionModel::Cps,
            FIXED5,
            Currency::USD,
            ConversionType::Sale,
            Money::new(1500, Currency::JPY),
        );
        assert_eq!(got, Money::new(500, Currency::USD));
    }

    #[test]
    fn leads_earn_only_in_pay_per_lead_campaigns() {
        let free = Money::zero(Currency::USD);
        assert_eq!(
            commission_for(CommissionModel::Cps, FIXED5, Currency::USD, ConversionType::Lead, free).minor,
            0
        );
        assert_eq!(
            commission_for(CommissionModel::Cpl, FIXED5, Currency::USD, ConversionType::Lead, free).minor,
            500
        );
        let sale = Money::new(9900, Currency::USD);
        assert_eq!(
            commission_for(CommissionModel::Cpl, FIXED5, Currency::USD, ConversionType::Sale, sale).minor,
            0
        );
        assert_eq!(
            commission_for(CommissionModel::Cpc, PCT20, Currency::USD, ConversionType::Sale, sale).minor,
            0
        );
    }

    #[test]
    fn refunds_reduce_in_proportion() {
        assert_eq!(commission_after_refund(10_000, 2_000, 0).unwrap(), 2_000);
        assert_eq!(commission_after_refund(10_000, 2_000, 2_500).unwrap(), 1_500);
        assert_eq!(commission_after_refund(10_000, 2_000, 10_000).unwrap(), 0);
        // 1/3 of 100 kept: 33.33 rounds to 33.
        assert_eq!(commission_after_refund(300, 100, 200).unwrap(), 33);
        let err = commission_after_refund(10_000, 2_000, 10_001).unwrap_err();
        assert_eq!(err.code, "refund_exceeds_sale");
        assert!(commission_after_refund(10_000, 2_000, -1).is_err());
    }

    proptest! {
        #[test]
        fn refunded_commission_stays_between_zero_and_the_initial(
            amount in 1i64..1_000_000_000, bps in 0i64..=10_000, share in 0.0f64..=1.0
        ) {
            let initial = Money::new(amount, Currency::USD).percent_bps(bps).minor;
            let refunded = ((amount as f64) * share) as i64;
            let kept = commission_after_refund(amount, initial, refunded).unwrap();
            prop_assert!((0..=initial).contains(&kept));
            prop_assert_eq!(commission_after_refund(amount, initial, amount).unwrap(), 0);
            // More refunded never leaves more commission.
            if refunded < amount {
                prop_assert!(commission_after_refund(amount, initial, refunded + 1).unwrap() <= kept);
            }
        }
    }
}
