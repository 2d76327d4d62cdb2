use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ValidationError;

macro_rules! currencies {
    ($($code:ident => $decimals:expr),* $(,)?) => {
        /// The ISO-4217 currencies Afflux accepts (the 31 codes of the reference product's v1).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, utoipa::ToSchema)]
        pub enum Currency { $($code),* }

        impl Currency {
            pub const ALL: &'static [Currency] = &[$(Currency::$code),*];

            pub fn code(self) -> &'static str {
                match self { $(Currency::$code => stringify!($code)),* }
            }

            /// Digits after the decimal point in the currency's minor unit (ISO 4217).
            pub fn decimals(self) -> u32 {
                match self { $(Currency::$code => $decimals),* }
            }

            fn from_code(code: &str) -> Option<Self> {
                match code { $(stringify!($code) => Some(Currency::$code),)* _ => None }
            }
        }
    };
}

currencies! {
    USD => 2, EUR => 2, GBP => 2, CAD => 2, AUD => 2, JPY => 0, CHF => 2, SEK => 2, NOK => 2,
    DKK => 2, NZD => 2, SGD => 2, HKD => 2, MXN => 2, BRL => 2, INR => 2, ZAR => 2, PLN => 2,
    CZK => 2, HUF => 2, RON => 2, ILS => 2, TRY => 2, KRW => 0, PHP => 2, THB => 2, MYR => 2,
    IDR => 2, AED => 2, SAR => 2, CNY => 2,
}

impl Currency {
    /// Parses a code case-insensitively after trimming. A well-formed but unknown code is
    /// `unsupported_currency`; anything not three letters is `currency_must_be_3_letters`.
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let code = input.trim();
        if code.len() != 3 || !code.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(ValidationError::with_code(
                "currency",
                "currency_must_be_3_letters",
                "currency must be a three-letter ISO 4217 code",
            ));
        }
        let upper = code.to_ascii_uppercase();
        Self::from_code(&upper).ok_or_else(|| {
            ValidationError::with_code(
                "currency",
                "unsupported_currency",
                format!("currency {upper} is not supported"),
            )
        })
    }

    /// 10^decimals: the number of minor units in one major unit.
    pub fn minor_per_major(self) -> i64 {
        10_i64.pow(self.decimals())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Currency::parse(&s).map_err(|e| serde::de::Error::custom(e.message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_one_codes() {
        assert_eq!(Currency::ALL.len(), 31);
    }

    #[test]
    fn parses_case_insensitively() {
        assert_eq!(Currency::parse(" usd ").unwrap(), Currency::USD);
        assert_eq!(Currency::parse("jpy").unwrap().decimals(), 0);
        assert_eq!(Currency::KRW.minor_per_major(), 1);
        assert_eq!(Currency::EUR.minor_per_major(), 100);
    }

    #[test]
    fn errors_have_the_documented_codes() {
        assert_eq!(Currency::parse("XBT").unwrap_err().code, "unsupported_currency");
        assert_eq!(Currency::parse("US").unwrap_err().code, "currency_must_be_3_letters");
        assert_eq!(Currency::parse("U5D").unwrap_err().code, "currency_must_be_3_letters");
        assert_eq!(Currency::parse("   ").unwrap_err().code, "currency_must_be_3_letters");
    }
}
