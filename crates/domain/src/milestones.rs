//! Sales milestones (seed 003): a campaign congratulates an affiliate by email when their
//! number of sales, or their total sales amount in one currency, reaches a threshold. Each
//! milestone fires once per affiliate, ever (refunds never take it back); when one sale
//! reaches several at once, only the highest of each kind is announced, so an affiliate gets
//! one email at a time and the lower ones are simply passed.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::partner_emails::{check_subject, check_template};
use crate::{Currency, Money, ValidationError};

pub const MAX_MILESTONES: usize = 20;

pub const MILESTONE_SUBJECT: &str = "You reached {{milestone.name}} with {{campaign.name}}";
pub const MILESTONE_BODY: &str = "Congratulations {{affiliate.name}}! You reached {{milestone.name}} in \
{{campaign.name}}: {{number_of_sales}} sales, {{total_sales}} in total.\n\nThank you for your work. Your referral \
link: {{referral_link}}";

/// What a milestone counts: the affiliate's sales in the campaign, or the amount of those
/// sales in one currency (minor units).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "PascalCase")]
pub enum MilestoneThreshold {
    SalesCount { count: i64 },
    SalesTotal { minor: i64, currency: Currency },
}

/// One milestone of a campaign, with the email that announces it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Milestone {
    pub name: String,
    pub threshold: MilestoneThreshold,
    pub subject: String,
    pub body: String,
}

/// An affiliate's sales in a campaign: commission-earning sales and renewals not denied or
/// fully refunded, and their amounts net of refunds, per currency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesTotals {
    pub count: i64,
    /// One entry per currency, by currency code.
    pub amounts: Vec<Money>,
}

impl SalesTotals {
    pub fn amount_in(&self, currency: Currency) -> Money {
        self.amounts
            .iter()
            .find(|m| m.currency == currency)
            .copied()
            .unwrap_or(Money::zero(currency))
    }

    /// "120.00 USD + 35.00 EUR", or zero in `fallback` when there is nothing yet.
    pub fn display(&self, fallback: Currency) -> String {
        if self.amounts.is_empty() {
            return Money::zero(fallback).to_string();
        }
        self.amounts
            .iter()
            .map(Money::to_string)
            .collect::<Vec<_>>()
            .join(" + ")
    }
}

impl Milestone {
    /// Identifies the milestone by what it measures, so renaming it or rewording its email
    /// does not fire it again, and a changed threshold is a new milestone.
    pub fn key(&self) -> String {
        match self.threshold {
            MilestoneThreshold::SalesCount { count } => format!("count:{count}"),
            MilestoneThreshold::SalesTotal { minor, currency } => format!("total:{currency}:{minor}"),
        }
    }

    pub fn reached(&self, totals: &SalesTotals) -> bool {
        match self.threshold {
            MilestoneThreshold::SalesCount { count } => totals.count >= count,
            MilestoneThreshold::SalesTotal { minor, currency } => totals.amount_in(currency).minor >= minor,
        }
    }

    fn group(&self) -> Option<Currency> {
        match self.threshold {
            MilestoneThreshold::SalesCount { .. } => None,
            MilestoneThreshold::SalesTotal { currency, .. } => Some(currency),
        }
    }

    fn level(&self) -> i64 {
        match self.threshold {
            MilestoneThreshold::SalesCount { count } => count,
            MilestoneThreshold::SalesTotal { minor, .. } => minor,
        }
    }
}

/// The milestones reached now and not before (`fired` holds the keys already recorded), and
/// among them those to announce: the highest of each kind (sales count; total per currency).
#[derive(Debug, PartialEq)]
pub struct NewlyReached<'a> {
    pub reached: Vec<&'a Milestone>,
    pub announce: Vec<&'a Milestone>,
}

pub fn newly_reached<'a>(milestones: &'a [Milestone], totals: &SalesTotals, fired: &[String]) -> NewlyReached<'a> {
    let reached: Vec<&Milestone> = milestones
        .iter()
        .filter(|m| m.reached(totals) && !fired.contains(&m.key()))
        .collect();
    let mut announce: Vec<&Milestone> = vec![];
    for m in &reached {
        match announce.iter_mut().find(|a| a.group() == m.group()) {
            Some(best) if best.level() < m.level() => *best = m,
            Some(_) => {}
            None => announce.push(m),
        }
    }
    NewlyReached { reached, announce }
}

/// Checks a campaign's milestones; errors name the field as `rules.milestones[0].name`.
pub fn validate_milestones(milestones: &[Milestone]) -> Result<(), ValidationError> {
    if milestones.len() > MAX_MILESTONES {
        return Err(ValidationError::new(
            "rules.milestones",
            format!("a campaign has at most {MAX_MILESTONES} milestones"),
        ));
    }
    let mut keys = HashSet::new();
    for (i, m) in milestones.iter().enumerate() {
        let field = |name: &str| format!("rules.milestones[{i}].{name}");
        if m.name.trim().is_empty() || m.name.chars().count() > 100 {
            return Err(ValidationError::new(field("name"), "must be 1 to 100 characters"));
        }
        if m.level() <= 0 {
            return Err(ValidationError::new(field("threshold"), "must be above zero"));
        }
        if !keys.insert(m.key()) {
            return Err(ValidationError::new(
                field("threshold"),
                "another milestone has the same threshold",
            ));
        }
        check_subject(&field("subject"), &m.subject)?;
        check_template(&field("body"), &m.body, 10_000)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(name: &str, threshold: MilestoneThreshold) -> Milestone {
        Milestone {
            name: name.into(),
            threshold,
            subject: MILESTONE_SUBJECT.into(),
            body: MILESTONE_BODY.into(),
        }
    }

    fn count(n: i64) -> MilestoneThreshold {
        MilestoneThreshold::SalesCount { count: n }
    }

    fn total(minor: i64, currency: Currency) -> MilestoneThreshold {
        MilestoneThreshold::SalesTotal { minor, currency }
    }

    fn totals(count: i64, amounts: &[Money]) -> SalesTotals {
        SalesTotals {
            count,
            amounts: amounts.to_vec(),
        }
    }

    fn names(list: &[&Milestone]) -> Vec<String> {
        list.iter().map(|m| m.name.clone()).collect()
    }

    #[test]
    fn a_milestone_fires_when_reached_and_never_again() {
        let list = [ms("First sale", count(1)), ms("Ten sales", count(10))];
        let none = newly_reached(&list, &totals(0, &[]), &[]);
        assert!(none.reached.is_empty() && none.announce.is_empty());
        let first = newly_reached(&list, &totals(1, &[]), &[]);
        assert_eq!(names(&first.announce), ["First sale"]);
        // Recorded: two more sales do not fire it again.
        let fired = vec![list[0].key()];
        assert!(newly_reached(&list, &totals(3, &[]), &fired).reached.is_empty());
        let ten = newly_reached(&list, &totals(10, &[]), &fired);
        assert_eq!(names(&ten.announce), ["Ten sales"]);
    }

    #[test]
    fn only_the_highest_of_each_kind_is_announced_and_the_rest_are_passed() {
        let usd = Currency::USD;
        let list = [
            ms("USD 1k", total(100_000, usd)),
            ms("USD 5k", total(500_000, usd)),
            ms("EUR 1k", total(100_000, Currency::EUR)),
            ms("One sale", count(1)),
            ms("Two sales", count(2)),
        ];
        let big = newly_reached(
            &list,
            &totals(2, &[Money::new(600_000, usd), Money::new(99_999, Currency::EUR)]),
            &[],
        );
        assert_eq!(names(&big.reached), ["USD 1k", "USD 5k", "One sale", "Two sales"]);
        assert_eq!(names(&big.announce), ["USD 5k", "Two sales"]);
        // Exactly the threshold reaches it; amounts of another currency never count.
        let eur = newly_reached(&list, &totals(0, &[Money::new(100_000, Currency::EUR)]), &[]);
        assert_eq!(names(&eur.announce), ["EUR 1k"]);
    }

    #[test]
    fn keys_follow_the_threshold_not_the_name() {
        let a = ms("Bronze", count(5));
        let b = Milestone {
            name: "Renamed".into(),
            ..a.clone()
        };
        assert_eq!(a.key(), b.key());
        assert_eq!(ms("x", total(5_000, Currency::EUR)).key(), "total:EUR:5000");
    }

    #[test]
    fn milestones_are_checked() {
        assert!(validate_milestones(&[ms("One", count(1)), ms("USD", total(1, Currency::USD))]).is_ok());
        let err = |list: &[Milestone]| validate_milestones(list).unwrap_err().field;
        assert_eq!(err(&[ms(" ", count(1))]), "rules.milestones[0].name");
        assert_eq!(err(&[ms("a", count(0))]), "rules.milestones[0].threshold");
        assert_eq!(
            err(&[ms("a", count(3)), ms("b", count(3))]),
            "rules.milestones[1].threshold"
        );
        let bad_body = Milestone {
            body: "{{nope}}".into(),
            ..ms("a", count(1))
        };
        assert_eq!(err(&[bad_body]), "rules.milestones[0].body");
        let many: Vec<Milestone> = (1..=21).map(|n| ms("m", count(n))).collect();
        assert_eq!(err(&many), "rules.milestones");
    }

    #[test]
    fn totals_read_per_currency() {
        let t = totals(2, &[Money::new(1_050, Currency::USD), Money::new(20, Currency::EUR)]);
        assert_eq!(t.amount_in(Currency::USD).minor, 1_050);
        assert_eq!(t.amount_in(Currency::GBP), Money::zero(Currency::GBP));
        assert_eq!(t.display(Currency::USD), "10.50 USD + 0.20 EUR");
        assert_eq!(SalesTotals::default().display(Currency::EUR), "0.00 EUR");
    }
}
