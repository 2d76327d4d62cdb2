//! Commission states, one vocabulary for every source (each source's words are a subset), so
//! a value is read the same whichever export it comes in. Compared like headers (case,
//! spaces, underscores, hyphens and dots do not matter). A blank or unknown value fails the row.
//!
//! | verdict | values | sources that use them |
//! |---|---|---|
//! | Paid | paid | Rewardful, PartnerStack, Tolt, Dub, canonical |
//! | Unpaid | unpaid, pending, approved, due, hold, scheduled, processed | Rewardful pending/due; FirstPromoter pending/approved; PartnerStack hold/pending/approved/scheduled; Tolt pending/approved; Dub pending/processed/hold; canonical |
//! | skip `voided` | voided, void, denied, declined, canceled, cancelled, rejected, duplicate, disapproved | Rewardful voided; FirstPromoter denied; PartnerStack declined; Tolt rejected; Dub canceled/duplicate |
//! | skip `refunded` | refunded | Tolt, Dub, canonical |
//! | skip `fraud` | fraud | Dub, canonical |
//! | skip `lead_only` | lead | canonical |
//!
//! Two sources say "paid" elsewhere, and an Unpaid verdict becomes Paid when they do:
//! FirstPromoter's `is_paid` flag (any source's `is_paid`/`paid` yes-no column is read the
//! same way), and Tapfiliate, whose commissions carry only an `approved` boolean: `true` or
//! blank (awaiting approval) is Unpaid, `false` (disapproved) is skipped as voided, and a
//! Tapfiliate row is Paid when its `paid` flag is yes or it has a `paid_at` date.
//! PartnerStack's `hold` is read as Unpaid (a held reward is still owed once released), not as
//! fraud as Dub's importer reads it: the brand decides on the preview whether to pay it.

use crate::SkipReason;
use crate::header::matches;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Paid,
    Unpaid,
    Skip(SkipReason),
}

const TABLE: &[(&str, Verdict)] = &[
    ("paid", Verdict::Paid),
    ("unpaid", Verdict::Unpaid),
    ("pending", Verdict::Unpaid),
    ("approved", Verdict::Unpaid),
    ("due", Verdict::Unpaid),
    ("hold", Verdict::Unpaid),
    ("scheduled", Verdict::Unpaid),
    ("processed", Verdict::Unpaid),
    ("voided", Verdict::Skip(SkipReason::Voided)),
    ("void", Verdict::Skip(SkipReason::Voided)),
    ("denied", Verdict::Skip(SkipReason::Voided)),
    ("declined", Verdict::Skip(SkipReason::Voided)),
    ("canceled", Verdict::Skip(SkipReason::Voided)),
    ("cancelled", Verdict::Skip(SkipReason::Voided)),
    ("rejected", Verdict::Skip(SkipReason::Voided)),
    ("duplicate", Verdict::Skip(SkipReason::Voided)),
    ("disapproved", Verdict::Skip(SkipReason::Voided)),
    ("refunded", Verdict::Skip(SkipReason::Refunded)),
    ("fraud", Verdict::Skip(SkipReason::Fraud)),
    ("lead", Verdict::Skip(SkipReason::LeadOnly)),
];

/// The verdict of a status cell; the error names the refused value.
pub(crate) fn classify(raw: Option<&str>) -> Result<Verdict, String> {
    let raw = raw.ok_or("status: blank")?;
    TABLE
        .iter()
        .find(|(name, _)| matches(raw, name))
        .map(|(_, v)| *v)
        .ok_or_else(|| format!("status: unknown commission status {raw:?}"))
}

/// Tapfiliate's `approved` boolean: blank is still awaiting approval.
pub(crate) fn tapfiliate_approved(raw: Option<&str>) -> Result<Verdict, String> {
    match raw.map(crate::fields::flag) {
        None | Some(Some(true)) => Ok(Verdict::Unpaid),
        Some(Some(false)) => Ok(Verdict::Skip(SkipReason::Voided)),
        Some(None) => Err("approved: not a yes/no value".into()),
    }
}

/// An Unpaid verdict turned Paid by a separate paid signal.
pub(crate) fn with_paid_signal(verdict: Verdict, paid: bool) -> Verdict {
    if paid && verdict == Verdict::Unpaid {
        Verdict::Paid
    } else {
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vocabularies_of_every_source() {
        let v = |s| classify(Some(s)).unwrap();
        for paid in ["paid", "PAID"] {
            assert_eq!(v(paid), Verdict::Paid);
        }
        for unpaid in ["pending", "due", "approved", "hold", "scheduled", "processed", "Unpaid"] {
            assert_eq!(v(unpaid), Verdict::Unpaid, "{unpaid}");
        }
        for voided in [
            "voided",
            "denied",
            "declined",
            "canceled",
            "Cancelled",
            "rejected",
            "duplicate",
        ] {
            assert_eq!(v(voided), Verdict::Skip(SkipReason::Voided), "{voided}");
        }
        assert_eq!(v("refunded"), Verdict::Skip(SkipReason::Refunded));
        assert_eq!(v("fraud"), Verdict::Skip(SkipReason::Fraud));
        assert_eq!(v("Lead"), Verdict::Skip(SkipReason::LeadOnly));
        assert!(classify(Some("processing")).is_err());
        assert_eq!(classify(None).unwrap_err(), "status: blank");
    }

    #[test]
    fn tapfiliate_and_paid_flags() {
        assert_eq!(tapfiliate_approved(None).unwrap(), Verdict::Unpaid);
        assert_eq!(tapfiliate_approved(Some("TRUE")).unwrap(), Verdict::Unpaid);
        assert_eq!(
            tapfiliate_approved(Some("false")).unwrap(),
            Verdict::Skip(SkipReason::Voided)
        );
        assert!(tapfiliate_approved(Some("perhaps")).is_err());
        assert_eq!(with_paid_signal(Verdict::Unpaid, true), Verdict::Paid);
        assert_eq!(
            with_paid_signal(Verdict::Skip(SkipReason::Voided), true),
            Verdict::Skip(SkipReason::Voided)
        );
    }
}
