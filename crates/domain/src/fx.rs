//! Exchange rates for reports: the ECB's daily reference rates, euro-based, loaded by the
//! operator. Amounts keep their own currency everywhere else.

use serde::Serialize;
use time::{Date, Month};

use crate::{Currency, Money, ValidationError, round_div};

/// Units of `currency` one euro bought on `date`, as a decimal with up to 6 places, kept as
/// millionths so that conversion is exact integer arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FxRate {
    pub date: Date,
    pub currency: Currency,
    pub per_eur_micros: i64,
}

const EUR_MICROS: i64 = 1_000_000;

/// Parses the ECB reference-rate CSVs: the daily `eurofxref.csv` (`Date, USD, …` then
/// `21 November 2026, 1.0412, …`) and the history `eurofxref-hist.csv` (`Date,USD,…` then
/// `2026-11-21,1.0412,…`, `N/A` where a currency has no rate, a trailing empty column).
///
/// Currencies Afflux does not know are skipped; EUR is added at 1 for every date. Rates with
/// more than 6 decimals are rounded by the one rule. A malformed date or rate is an error
/// naming its line.
pub fn parse_ecb_csv(text: &str) -> Result<Vec<FxRate>, ValidationError> {
    let mut lines = text
        .trim_start_matches('\u{feff}')
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line))
        .filter(|(_, line)| !line.trim().is_empty());
    let (n, header) = lines
        .next()
        .ok_or_else(|| ValidationError::new("csv", "the file is empty"))?;
    let mut header = header.split(',').map(str::trim);
    if !header.next().is_some_and(|first| first.eq_ignore_ascii_case("date")) {
        return Err(ValidationError::new(
            "csv",
            format!("line {n}: the header must start with Date"),
        ));
    }
    // EUR is implied; a column of it would only repeat 1.
    let columns: Vec<Option<Currency>> = header
        .map(|code| Currency::parse(code).ok().filter(|c| *c != Currency::EUR))
        .collect();

    let mut rates = Vec::new();
    for (n, line) in lines {
        let invalid = |what: String| ValidationError::new("csv", format!("line {n}: {what}"));
        let mut fields = line.split(',').map(str::trim);
        let date_field = fields.next().unwrap_or_default();
        let date = parse_date(date_field).ok_or_else(|| invalid(format!("`{date_field}` is not a date")))?;
        rates.push(FxRate {
            date,
            currency: Currency::EUR,
            per_eur_micros: EUR_MICROS,
        });
        for (i, value) in fields.enumerate() {
            if value.is_empty() || value.eq_ignore_ascii_case("N/A") {
                continue;
            }
            let column = columns
                .get(i)
                .ok_or_else(|| invalid("more values than the header has columns".into()))?;
            let Some(currency) = *column else { continue };
            let per_eur_micros = parse_micros(value)
                .ok_or_else(|| invalid(format!("`{value}` is not a positive rate for {currency}")))?;
            rates.push(FxRate {
                date,
                currency,
                per_eur_micros,
            });
        }
    }
    Ok(rates)
}

/// `2026-11-21` or `21 November 2026`.
fn parse_date(s: &str) -> Option<Date> {
    let (year, month, day) = if let [y, m, d] = s.split('-').collect::<Vec<_>>()[..] {
        (y, Month::try_from(u8::try_from(number(m)?).ok()?).ok()?, d)
    } else if let [d, m, y] = s.split_whitespace().collect::<Vec<_>>()[..] {
        let month = (1..=12)
            .filter_map(|i| Month::try_from(i).ok())
            .find(|month| month.to_string().eq_ignore_ascii_case(m))?;
        (y, month, d)
    } else {
        return None;
    };
    Date::from_calendar_date(
        i32::try_from(number(year)?).ok()?,
        month,
        u8::try_from(number(day)?).ok()?,
    )
    .ok()
}

/// A short run of ASCII digits.
fn number(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// An exact positive decimal in millionths, more than 6 decimals rounded by the one rule
/// (the ECB file's rates, and those given to the API).
pub fn parse_micros(s: &str) -> Option<i64> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |p: &str, max: usize| p.len() <= max && p.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole, 12) || !digits(frac, 18) || (s.contains('.') && frac.is_empty()) {
        return None;
    }
    let scale = 10_i128.pow(frac.len() as u32);
    let value = format!("{whole}{frac}").parse::<i128>().ok()?;
    let micros = i64::try_from(round_div(value * i128::from(EUR_MICROS), scale)).ok()?;
    (micros > 0).then_some(micros)
}

/// `amount` in `to`, through the euro: amount × to_rate / from_rate, scaled between the
/// currencies' decimals, rounded once by the one rule. `from_rate` is the rate of the
/// amount's currency and `to_rate` that of `to`. The same currency is returned unchanged.
/// Rates are positive, as parsed. A result beyond i64 (no real amount) saturates.
pub fn convert(amount: Money, to: Currency, from_rate: &FxRate, to_rate: &FxRate) -> Money {
    debug_assert_eq!((from_rate.currency, to_rate.currency), (amount.currency, to));
    if amount.currency == to {
        return amount;
    }
    let numerator = i128::from(amount.minor) * i128::from(to_rate.per_eur_micros) * i128::from(to.minor_per_major());
    let denominator = i128::from(from_rate.per_eur_micros) * i128::from(amount.currency.minor_per_major());
    let minor = round_div(numerator, denominator);
    Money::new(
        i64::try_from(minor).unwrap_or(if minor < 0 { i64::MIN } else { i64::MAX }),
        to,
    )
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::macros::date;

    use super::*;

    fn rate(currency: Currency, per_eur_micros: i64) -> FxRate {
        FxRate {
            date: date!(2026 - 11 - 21),
            currency,
            per_eur_micros,
        }
    }

    fn micros_of(rates: &[FxRate], d: Date, currency: Currency) -> Option<i64> {
        rates
            .iter()
            .find(|r| r.date == d && r.currency == currency)
            .map(|r| r.per_eur_micros)
    }

    #[test]
    fn parses_the_daily_file() {
        let text = "Date, USD, JPY, BGN, GBP, \r\n21 November 2026, 1.0412, 161.52, 1.9558, 0.83245, \r\n";
        let rates = parse_ecb_csv(text).unwrap();
        let d = date!(2026 - 11 - 21);
        assert_eq!(rates.len(), 4, "BGN is skipped, EUR added");
        assert_eq!(micros_of(&rates, d, Currency::EUR), Some(1_000_000));
        assert_eq!(micros_of(&rates, d, Currency::USD), Some(1_041_200));
        assert_eq!(micros_of(&rates, d, Currency::JPY), Some(161_520_000));
        assert_eq!(micros_of(&rates, d, Currency::GBP), Some(832_450));
        let single_digit_day = parse_ecb_csv("Date, USD\n3 march 2025, 1.0465\n").unwrap();
        assert_eq!(single_digit_day[0].date, date!(2025 - 03 - 03));
    }

    #[test]
    fn parses_the_history_file() {
        let text = "\u{feff}Date,USD,JPY,CYP,IDR,\n2026-11-21,1.0412,161.52,N/A,17500.123456789,\n\n2026-11-20,1.04,N/A,N/A,,\n";
        let rates = parse_ecb_csv(text).unwrap();
        let (d1, d2) = (date!(2026 - 11 - 21), date!(2026 - 11 - 20));
        assert_eq!(rates.len(), 4 + 2);
        assert_eq!(micros_of(&rates, d1, Currency::IDR), Some(17_500_123_457));
        assert_eq!(micros_of(&rates, d2, Currency::EUR), Some(1_000_000));
        assert_eq!(micros_of(&rates, d2, Currency::USD), Some(1_040_000));
        assert_eq!(micros_of(&rates, d2, Currency::JPY), None);
        assert_eq!(parse_ecb_csv("Date,USD,\n").unwrap(), []);
    }

    #[test]
    fn malformed_lines_are_named() {
        let message = |text: &str| parse_ecb_csv(text).unwrap_err().message;
        assert!(message("Date,USD\n2026-11-21,1.04\n\n2026-11-20,1,04x\n").starts_with("line 4:"));
        assert!(message("Date,USD\n2026-02-30,1.04\n").starts_with("line 2:"));
        assert!(message("Date,USD\n21 Novembre 2026,1.04\n").starts_with("line 2:"));
        for bad in ["-1.04", "0", "0.0000004", "1.", ".5", "1e3", "1.2.3"] {
            assert!(
                message(&format!("Date,USD\n2026-11-21,{bad}\n")).starts_with("line 2:"),
                "{bad}"
            );
        }
        assert!(message("").contains("empty"));
        assert!(message("\nUSD,JPY\n").starts_with("line 2:"));
        assert!(
            parse_ecb_csv("Date,USD\n2026-11-21,1.04,\n").is_ok(),
            "a trailing empty value is no column"
        );
    }

    #[test]
    fn converts_through_the_euro_with_decimals() {
        let (eur, usd, jpy) = (
            rate(Currency::EUR, 1_000_000),
            rate(Currency::USD, 1_041_200),
            rate(Currency::JPY, 161_520_000),
        );
        // 100.00 EUR = 104.12 USD; 100.00 USD = 15513 JPY (15512.87…); 1000 JPY = 6.45 USD (6.4463…).
        assert_eq!(
            convert(Money::new(10_000, Currency::EUR), Currency::USD, &eur, &usd),
            Money::new(10_412, Currency::USD)
        );
        assert_eq!(
            convert(Money::new(10_000, Currency::USD), Currency::JPY, &usd, &jpy),
            Money::new(15_513, Currency::JPY)
        );
        assert_eq!(
            convert(Money::new(1_000, Currency::JPY), Currency::USD, &jpy, &usd),
            Money::new(645, Currency::USD)
        );
        assert_eq!(
            convert(Money::new(-10_000, Currency::EUR), Currency::USD, &eur, &usd).minor,
            -10_412
        );
    }

    proptest! {
        #[test]
        fn euro_round_trips_within_one_minor_unit(
            minor in -1_000_000_000_000i64..1_000_000_000_000,
            micros in 500_000i64..20_000_000_000,
            c in 0usize..Currency::ALL.len(),
        ) {
            let to = Currency::ALL[c];
            prop_assume!(to != Currency::EUR && to.decimals() == 2);
            let (eur, other) = (rate(Currency::EUR, EUR_MICROS), rate(to, micros));
            let there = convert(Money::new(minor, Currency::EUR), to, &eur, &other);
            let back = convert(there, Currency::EUR, &other, &eur);
            prop_assert!((back.minor - minor).abs() <= 1);
        }

        #[test]
        fn the_same_currency_is_identity(minor in any::<i64>(), micros in 1i64..1_000_000_000_000, c in 0usize..Currency::ALL.len()) {
            let currency = Currency::ALL[c];
            let r = rate(currency, micros);
            prop_assert_eq!(convert(Money::new(minor, currency), currency, &r, &r), Money::new(minor, currency));
        }

        #[test]
        fn rates_parse_exactly(whole in 0i64..1_000_000, frac in 0i64..1_000_000) {
            let text = format!("Date,USD\n2026-11-21,{whole}.{frac:06}\n");
            let expected = whole * 1_000_000 + frac;
            let parsed = parse_ecb_csv(&text);
            if expected == 0 {
                prop_assert!(parsed.is_err());
            } else {
                prop_assert_eq!(parsed.unwrap()[1].per_eur_micros, expected);
            }
        }
    }
}
