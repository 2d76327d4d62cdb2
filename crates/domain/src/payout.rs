//! Payout runs: started by a person, never automatically. A run turns what each affiliate is
//! owed in one currency into one payout item, paid through one rail.

use std::collections::BTreeMap;

use serde::Serialize;
use time::OffsetDateTime;

use crate::named::named_enum;
use crate::{AffiliateId, Currency, LedgerEntryId, Money, OrgId, PayoutItemId, PayoutRunId, UserId, ValidationError};

named_enum!(
    /// How a run pays: PayPal (mass-payment CSV or the Payouts API), Stripe Connect transfers,
    /// or by hand (marked paid with a reference).
    PayoutRail { PayPal, StripeConnect, Manual }
);

named_enum!(
    /// Where a payout item stands.
    PayoutStatus { Pending, Paid, Failed }
);

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PayoutRun {
    pub id: PayoutRunId,
    pub org_id: OrgId,
    pub rail: PayoutRail,
    /// `None`: every currency with something payable.
    pub currency: Option<Currency>,
    pub created_by: Option<UserId>,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PayoutItem {
    pub id: PayoutItemId,
    pub org_id: OrgId,
    pub run_id: PayoutRunId,
    pub affiliate_id: AffiliateId,
    /// Approved commissions net of clawbacks carried in.
    pub amount: Money,
    pub status: PayoutStatus,
    /// The rail's reference once paid (PayPal item id, Stripe transfer id, a person's note).
    pub reference: Option<String>,
    pub failure_reason: Option<String>,
    pub attempts: i32,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// Approved commissions no payout item holds, of one affiliate in one currency from one
/// campaign: their sum and count, and that campaign's minimum payout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayableTotal {
    pub affiliate_id: AffiliateId,
    pub amount: Money,
    pub commissions: i64,
    pub minimum_payout_minor: i64,
}

/// What a run would pay one affiliate in one currency: every payable commission of theirs in
/// that currency (a run takes them all, so only their count and sum are planned) and the
/// clawbacks it nets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedItem {
    pub affiliate_id: AffiliateId,
    /// Commissions net of clawbacks.
    pub amount: Money,
    pub commissions: i64,
    /// The commissions' sum before netting.
    pub commissions_minor: i64,
    pub clawback_ids: Vec<LedgerEntryId>,
}

/// Plans one item per affiliate and currency from what is payable and the open clawbacks
/// `(affiliate, negative amount, ledger entry)`.
///
/// An item nets the affiliate's commissions with their clawbacks in the same currency; it is
/// planned only when that net is positive and at least the highest minimum among its
/// commissions' campaigns (the strictest campaign decides, so no campaign pays below its
/// minimum; the minimum is compared in the item's currency). Everything else stays open for a
/// later run: commissions under the minimum, clawbacks with nothing to net against. Items come
/// by affiliate, then currency code; clawback ids keep their input order.
pub fn plan_payouts(payable: &[PayableTotal], clawbacks: &[(AffiliateId, Money, LedgerEntryId)]) -> Vec<PlannedItem> {
    struct Group {
        currency: Currency,
        commissions: i64,
        commissions_minor: i128,
        clawbacks_minor: i128,
        minimum: i64,
        clawback_ids: Vec<LedgerEntryId>,
    }
    let mut groups: BTreeMap<(AffiliateId, &'static str), Group> = BTreeMap::new();
    for p in payable {
        let group = groups
            .entry((p.affiliate_id, p.amount.currency.code()))
            .or_insert_with(|| Group {
                currency: p.amount.currency,
                commissions: 0,
                commissions_minor: 0,
                clawbacks_minor: 0,
                minimum: p.minimum_payout_minor,
                clawback_ids: Vec::new(),
            });
        group.commissions += p.commissions;
        group.commissions_minor += i128::from(p.amount.minor);
        group.minimum = group.minimum.max(p.minimum_payout_minor);
    }
    for &(affiliate_id, amount, id) in clawbacks {
        if let Some(group) = groups.get_mut(&(affiliate_id, amount.currency.code())) {
            group.clawbacks_minor += i128::from(amount.minor);
            group.clawback_ids.push(id);
        }
    }
    groups
        .into_iter()
        .filter_map(|((affiliate_id, _), g)| {
            // A total beyond i64 cannot be paid as one amount: it stays open.
            let minor = i64::try_from(g.commissions_minor + g.clawbacks_minor).ok()?;
            let commissions_minor = i64::try_from(g.commissions_minor).ok()?;
            (minor > 0 && minor >= g.minimum).then(|| PlannedItem {
                affiliate_id,
                amount: Money::new(minor, g.currency),
                commissions: g.commissions,
                commissions_minor,
                clawback_ids: g.clawback_ids,
            })
        })
        .collect()
}

/// One line of a PayPal mass-payment file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaypalRow {
    /// The recipient's PayPal email.
    pub receiver: String,
    pub amount: Money,
    /// Our reference for the payment: at most 30 characters, no spaces; may be empty.
    pub customer_id: String,
    /// Shown to the recipient; at most 400 characters; may be empty.
    pub note: String,
}

const PAYPAL_MAX_ROWS: usize = 5_000;
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The header-less mass-payment CSV of PayPal Payouts Web: receiver, amount (dot decimal with
/// the currency's decimals), currency, customer id, note, `PAYPAL`, empty social-feed privacy;
/// RFC 4180 quoting and CRLF line ends.
///
/// Brands open these files in spreadsheets, so free text starting with a formula character
/// gets a leading `'`. Identifiers are refused instead of altered: a changed receiver would pay
/// someone else (or no one). One currency and at most 5,000 rows per file, positive amounts.
pub fn paypal_mass_payment_csv(rows: &[PaypalRow]) -> Result<String, ValidationError> {
    if rows.len() > PAYPAL_MAX_ROWS {
        return Err(ValidationError::with_code(
            "rows",
            "too_many_rows",
            format!("a PayPal file holds at most {PAYPAL_MAX_ROWS} payments; split the run"),
        ));
    }
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        let field = |name: &str| format!("rows[{i}].{name}");
        if row.amount.currency != rows[0].amount.currency {
            return Err(ValidationError::with_code(
                field("amount"),
                "mixed_currencies",
                "a PayPal file holds one currency",
            ));
        }
        if row.amount.minor <= 0 {
            return Err(ValidationError::new(field("amount"), "must be positive"));
        }
        if row.receiver.is_empty() {
            return Err(ValidationError::new(field("receiver"), "is required"));
        }
        check_identifier(field("receiver"), &row.receiver, 254)?;
        check_identifier(field("customerId"), &row.customer_id, 30)?;
        if row.note.chars().count() > 400 {
            return Err(ValidationError::new(field("note"), "must be at most 400 characters"));
        }
        push_field(&mut out, &row.receiver);
        out.push(',');
        out.push_str(&row.amount.major_string());
        out.push(',');
        out.push_str(row.amount.currency.code());
        out.push(',');
        push_field(&mut out, &row.customer_id);
        out.push(',');
        push_field(&mut out, &row.note);
        out.push_str(",PAYPAL,\r\n");
    }
    Ok(out)
}

fn check_identifier(field: String, value: &str, max_chars: usize) -> Result<(), ValidationError> {
    if value.chars().count() > max_chars {
        return Err(ValidationError::new(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ValidationError::new(field, "cannot contain spaces"));
    }
    if value.starts_with(FORMULA_STARTS) {
        return Err(ValidationError::new(
            field,
            "cannot start with a character spreadsheets read as a formula",
        ));
    }
    Ok(())
}

fn push_field(out: &mut String, value: &str) {
    let neutral = if value.starts_with(FORMULA_STARTS) { "'" } else { "" };
    if value.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(neutral);
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(neutral);
        out.push_str(value);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use proptest::prelude::*;
    use uuid::Uuid;

    use super::*;

    fn aff(n: u128) -> AffiliateId {
        AffiliateId(Uuid::from_u128(n))
    }

    fn lid(n: u128) -> LedgerEntryId {
        LedgerEntryId(Uuid::from_u128(n))
    }

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::USD)
    }

    fn total(affiliate: u128, amount: Money, commissions: i64, minimum: i64) -> PayableTotal {
        PayableTotal {
            affiliate_id: aff(affiliate),
            amount,
            commissions,
            minimum_payout_minor: minimum,
        }
    }

    #[test]
    fn nets_clawbacks_per_affiliate_and_currency() {
        let payable = [
            total(2, usd(3000), 2, 0),
            total(1, Money::new(500, Currency::EUR), 1, 0),
            total(1, usd(2000), 1, 0),
            total(2, usd(1000), 3, 0),
        ];
        let clawbacks = [
            (aff(2), usd(-1500), lid(1)),
            (aff(1), Money::new(-700, Currency::GBP), lid(2)),
        ];
        let plan = plan_payouts(&payable, &clawbacks);
        let got: Vec<_> = plan
            .iter()
            .map(|p| {
                (
                    p.affiliate_id,
                    p.amount,
                    p.commissions,
                    p.commissions_minor,
                    p.clawback_ids.clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (aff(1), Money::new(500, Currency::EUR), 1, 500, vec![]),
                (aff(1), usd(2000), 1, 2000, vec![]),
                (aff(2), usd(2500), 5, 4000, vec![lid(1)]),
            ]
        );
    }

    #[test]
    fn the_strictest_minimum_and_a_positive_net_are_required() {
        let payable = [total(1, usd(3000), 1, 1000), total(1, usd(500), 1, 5000)];
        assert!(plan_payouts(&payable, &[]).is_empty());
        assert_eq!(plan_payouts(&payable[..1], &[])[0].amount, usd(3000));
        let exactly = [total(1, usd(5000), 1, 5000)];
        assert_eq!(plan_payouts(&exactly, &[]).len(), 1);
        let wiped = [(aff(1), usd(-5000), lid(1))];
        assert!(plan_payouts(&exactly, &wiped).is_empty());
        let zero_minimum_zero_net = [total(1, usd(0), 1, 0)];
        assert!(plan_payouts(&zero_minimum_zero_net, &[]).is_empty());
    }

    const CURRENCIES: [Currency; 3] = [Currency::USD, Currency::EUR, Currency::JPY];

    proptest! {
        #[test]
        fn a_plan_accounts_for_every_amount_once(
            totals in prop::collection::vec((0u128..4, 0usize..3, 0i64..10_000, 1i64..50, 0i64..8_000), 0..40),
            claws in prop::collection::vec((0u128..4, 0usize..3, -10_000i64..0), 0..15),
        ) {
            let payable: Vec<_> = totals
                .iter()
                .map(|&(a, c, minor, n, min)| total(a, Money::new(minor, CURRENCIES[c]), n, min))
                .collect();
            let clawbacks: Vec<_> = claws
                .iter()
                .enumerate()
                .map(|(i, &(a, c, minor))| (aff(a), Money::new(minor, CURRENCIES[c]), lid(i as u128)))
                .collect();
            let plan = plan_payouts(&payable, &clawbacks);

            let mut seen_clawbacks = HashSet::new();
            for item in &plan {
                prop_assert!(item.amount.minor > 0);
                // The item takes every payable commission of its affiliate and currency.
                let mine: Vec<_> = payable
                    .iter()
                    .filter(|p| (p.affiliate_id, p.amount.currency) == (item.affiliate_id, item.amount.currency))
                    .collect();
                prop_assert_eq!(item.commissions, mine.iter().map(|p| p.commissions).sum::<i64>());
                prop_assert_eq!(item.commissions_minor, mine.iter().map(|p| p.amount.minor).sum::<i64>());
                for p in &mine {
                    prop_assert!(item.amount.minor >= p.minimum_payout_minor);
                }
                let mut sum = item.commissions_minor;
                for id in &item.clawback_ids {
                    prop_assert!(seen_clawbacks.insert(*id));
                    let (a, m, _) = clawbacks.iter().find(|c| c.2 == *id).unwrap();
                    prop_assert_eq!((*a, m.currency), (item.affiliate_id, item.amount.currency));
                    sum += m.minor;
                }
                prop_assert_eq!(sum, item.amount.minor);
            }
            let planned_key = |a: AffiliateId, c: Currency| plan.iter().any(|p| (p.affiliate_id, p.amount.currency) == (a, c));
            for currency in CURRENCIES {
                let input: i64 = payable.iter().map(|p| p.amount).chain(clawbacks.iter().map(|c| c.1))
                    .filter(|m| m.currency == currency).map(|m| m.minor).sum();
                let planned: i64 = plan.iter().filter(|p| p.amount.currency == currency).map(|p| p.amount.minor).sum();
                let open: i64 = payable.iter().filter(|p| !planned_key(p.affiliate_id, p.amount.currency)).map(|p| p.amount)
                    .chain(clawbacks.iter().filter(|c| !seen_clawbacks.contains(&c.2)).map(|c| c.1))
                    .filter(|m| m.currency == currency).map(|m| m.minor).sum();
                prop_assert_eq!(planned + open, input);
            }
            let keys: Vec<_> = plan.iter().map(|p| (p.affiliate_id, p.amount.currency.code())).collect();
            prop_assert!(keys.windows(2).all(|w| w[0] < w[1]), "sorted, one item per affiliate and currency");
        }
    }

    fn row(receiver: &str, minor: i64, customer_id: &str, note: &str) -> PaypalRow {
        PaypalRow {
            receiver: receiver.into(),
            amount: usd(minor),
            customer_id: customer_id.into(),
            note: note.into(),
        }
    }

    #[test]
    fn writes_the_seven_column_format() {
        let csv = paypal_mass_payment_csv(&[
            row("aff@example.com", 1250, "AFF001", "October commissions"),
            row("b@example.com", 7, "", ""),
        ])
        .unwrap();
        assert_eq!(
            csv,
            "aff@example.com,12.50,USD,AFF001,October commissions,PAYPAL,\r\nb@example.com,0.07,USD,,,PAYPAL,\r\n"
        );
        let yen = PaypalRow {
            amount: Money::new(1500, Currency::JPY),
            ..row("c@example.com", 1, "", "")
        };
        assert_eq!(
            paypal_mass_payment_csv(&[yen]).unwrap(),
            "c@example.com,1500,JPY,,,PAYPAL,\r\n"
        );
        assert_eq!(paypal_mass_payment_csv(&[]).unwrap(), "");
    }

    #[test]
    fn quotes_and_neutralizes_free_text() {
        let csv = |note: &str| paypal_mass_payment_csv(&[row("a@example.com", 100, "X1", note)]).unwrap();
        assert!(csv("Thanks, \"Jo\"").contains(",\"Thanks, \"\"Jo\"\"\",PAYPAL"));
        assert!(csv("line\nbreak").contains(",\"line\nbreak\",PAYPAL"));
        assert!(csv("=HYPERLINK(\"x\")").contains(",\"'=HYPERLINK(\"\"x\"\")\",PAYPAL"));
        for start in ["+1", "-1", "@SUM(A1)", "\tx"] {
            assert!(csv(start).contains(&format!(",'{start},PAYPAL")), "{start}");
        }
        assert!(csv("\rx").contains(",\"'\rx\",PAYPAL"));
    }

    #[test]
    fn refuses_what_paypal_or_a_spreadsheet_would_mangle() {
        let err = |rows: &[PaypalRow]| paypal_mass_payment_csv(rows).unwrap_err();
        let mixed = PaypalRow {
            amount: Money::new(100, Currency::EUR),
            ..row("b@example.com", 1, "", "")
        };
        let e = err(&[row("a@example.com", 100, "", ""), mixed]);
        assert_eq!((e.field.as_str(), e.code), ("rows[1].amount", "mixed_currencies"));
        let many = vec![row("a@example.com", 100, "", ""); 5_001];
        assert_eq!(err(&many).code, "too_many_rows");
        assert!(paypal_mass_payment_csv(&many[..5_000]).is_ok());
        assert_eq!(err(&[row("a@example.com", 0, "", "")]).field, "rows[0].amount");
        assert_eq!(err(&[row("", 100, "", "")]).field, "rows[0].receiver");
        assert_eq!(err(&[row("-a@example.com", 100, "", "")]).field, "rows[0].receiver");
        assert_eq!(
            err(&[row("a@example.com", 100, "has space", "")]).field,
            "rows[0].customerId"
        );
        assert_eq!(
            err(&[row("a@example.com", 100, &"x".repeat(31), "")]).field,
            "rows[0].customerId"
        );
        assert!(paypal_mass_payment_csv(&[row("a@example.com", 100, &"x".repeat(30), "")]).is_ok());
        assert_eq!(
            err(&[row("a@example.com", 100, "", &"n".repeat(401))]).field,
            "rows[0].note"
        );
    }
}
