use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Currency, ValidationError};

/// An exact amount: integer minor units of one currency. Never a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

/// The one rounding rule of Afflux: integer division rounding half away from zero.
/// Every derived amount (percentages, proportions, conversions) goes through it.
pub fn round_div(numerator: i128, denominator: i128) -> i128 {
    assert!(denominator != 0, "division by zero");
    let (n, d) = if denominator < 0 {
        (-numerator, -denominator)
    } else {
        (numerator, denominator)
    };
    let q = n / d;
    let r = n % d;
    if 2 * r.abs() >= d { q + n.signum() } else { q }
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    pub fn zero(currency: Currency) -> Self {
        Self::new(0, currency)
    }

    /// Parses a decimal amount in major units ("10", "10.5", "10.50"), refusing more decimals
    /// than the currency has and negative amounts.
    pub fn parse_major(field: &str, input: &str, currency: Currency) -> Result<Self, ValidationError> {
        let minor = parse_fixed_point(field, input, currency.decimals())?;
        Ok(Self::new(minor, currency))
    }

    /// `basis_points` (1/100 of a percent) of this amount, by the one rounding rule.
    pub fn percent_bps(self, basis_points: i64) -> Self {
        let minor = round_div(i128::from(self.minor) * i128::from(basis_points), 10_000);
        Self::new(
            i64::try_from(minor).expect("a percentage of an i64 amount fits in i64"),
            self.currency,
        )
    }

    pub fn checked_add(self, other: Self) -> Option<Self> {
        if self.currency != other.currency {
            return None;
        }
        self.minor.checked_add(other.minor).map(|m| Self::new(m, self.currency))
    }

    /// The amount in major units with exactly the currency's decimals ("10.50", "1000").
    pub fn major_string(self) -> String {
        format_fixed_point(self.minor, self.currency.decimals())
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.major_string(), self.currency)
    }
}

/// Parses a non-negative decimal into an integer scaled by 10^decimals, exactly.
pub(crate) fn parse_fixed_point(field: &str, input: &str, decimals: u32) -> Result<i64, ValidationError> {
    let s = input.trim();
    let invalid = || {
        ValidationError::new(
            field,
            format!("must be a non-negative number with at most {decimals} decimals"),
        )
    };
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() || whole.len() > 15 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    if frac.len() > decimals as usize
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || (s.contains('.') && frac.is_empty())
    {
        return Err(invalid());
    }
    let scale = 10_i64.pow(decimals);
    let whole: i64 = whole.parse().map_err(|_| invalid())?;
    let frac_scaled: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse::<i64>().map_err(|_| invalid())? * 10_i64.pow(decimals - frac.len() as u32)
    };
    whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(frac_scaled))
        .ok_or_else(invalid)
}

pub(crate) fn format_fixed_point(value: i64, decimals: u32) -> String {
    if decimals == 0 {
        return value.to_string();
    }
    let scale = 10_i128.pow(decimals);
    let v = i128::from(value);
    let sign = if v < 0 { "-" } else { "" };
    format!(
        "{sign}{}.{:0width$}",
        v.abs() / scale,
        v.abs() % scale,
        width = decimals as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round_div(5, 2), 3);
        assert_eq!(round_div(-5, 2), -3);
        assert_eq!(round_div(4, 3), 1);
        assert_eq!(round_div(5, 3), 2);
        assert_eq!(round_div(-4, 3), -1);
        assert_eq!(round_div(7, -2), -4);
    }

    #[test]
    fn percent_of_invoice() {
        // 25 % of $99.00 is $24.75; 33.33 % of $0.10 rounds to $0.03.
        assert_eq!(Money::new(9900, Currency::USD).percent_bps(2500).minor, 2475);
        assert_eq!(Money::new(10, Currency::USD).percent_bps(3333).minor, 3);
        assert_eq!(Money::new(1, Currency::USD).percent_bps(5000).minor, 1);
    }

    #[test]
    fn parses_major_units_exactly() {
        assert_eq!(Money::parse_major("a", "10.5", Currency::USD).unwrap().minor, 1050);
        assert_eq!(Money::parse_major("a", "0.50", Currency::USD).unwrap().minor, 50);
        assert_eq!(Money::parse_major("a", "1500", Currency::JPY).unwrap().minor, 1500);
        assert!(Money::parse_major("a", "15.5", Currency::JPY).is_err());
        assert!(Money::parse_major("a", "1.005", Currency::USD).is_err());
        assert!(Money::parse_major("a", "-1", Currency::USD).is_err());
        assert!(Money::parse_major("a", "1e3", Currency::USD).is_err());
        assert!(Money::parse_major("a", "1.", Currency::USD).is_err());
        assert!(Money::parse_major("a", "99999999999999999", Currency::USD).is_err());
    }

    #[test]
    fn formats_with_currency_decimals() {
        assert_eq!(Money::new(1050, Currency::USD).to_string(), "10.50 USD");
        assert_eq!(Money::new(-5, Currency::EUR).major_string(), "-0.05");
        assert_eq!(Money::new(1500, Currency::JPY).major_string(), "1500");
    }

    #[test]
    fn adding_other_currencies_is_refused() {
        assert!(
            Money::new(1, Currency::USD)
                .checked_add(Money::new(1, Currency::EUR))
                .is_none()
        );
    }

    proptest! {
        #[test]
        fn round_div_is_within_half_of_the_exact_quotient(n in -1_000_000_000_000i128..1_000_000_000_000, d in 1i128..1_000_000) {
            let q = round_div(n, d);
            // |n - q*d| <= d/2, and ties go away from zero.
            let err = n - q * d;
            prop_assert!(2 * err.abs() <= d);
            if 2 * err.abs() == d { prop_assert!(q.signum() == n.signum()); }
            prop_assert_eq!(round_div(-n, d), -q);
        }

        #[test]
        fn fixed_point_round_trips(v in 0i64..1_000_000_000_000, decimals in 0u32..3) {
            let s = format_fixed_point(v, decimals);
            prop_assert_eq!(parse_fixed_point("x", &s, decimals).unwrap(), v);
        }
    }
}
