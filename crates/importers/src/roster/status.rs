//! Each source's affiliate statuses, translated to Afflux's four import states.
//!
//! Values are compared like headers: case, spaces, underscores, hyphens and dots do not matter
//! (`Not Set` = `not_set`). **A missing status column or a blank value means Approved**: a brand
//! migrates the roster it is running, and an export without statuses lists its active
//! affiliates. A value not in the source's table fails the row (`row_parse_failed`) rather
//! than guessing.
//!
//! | source | Approved | Pending | Rejected | Banned |
//! |---|---|---|---|---|
//! | Rewardful | active | pending | inactive, disabled | suspicious |
//! | Tapfiliate | approved | pending | disapproved, archived | blocked |
//! | FirstPromoter | v1 approved, active; v2 accepted | pending; v2 not_set | v1 denied; v2 rejected, inactive | v2 blocked |
//! | PartnerStack | active, approved | pending | declined, rejected, archived | banned |
//! | Dub | approved | pending, invited | rejected, declined, archived, deactivated | banned |
//! | Tolt | active | pending | rejected | suspended |
//! | Custom | approved, active, accepted, enabled | pending, invited, applied, new | rejected, declined, denied, disapproved, inactive, disabled, archived, deactivated, paused | banned, blocked, suspended, suspicious, fraud |
//!
//! PartnerStack publishes no partner-status vocabulary for its "Export all records" CSV; the
//! row above is an assumption built from its review states (approved / declined) and the
//! common words, and the brand is expected to reclassify PartnerStack affiliates after import.
//! FirstPromoter's v2 `inactive` affiliates stopped promoting: Afflux has no paused import
//! state, so they come in Rejected (the brand can approve them again).

use afflux_domain::AffiliateStatus::{self, Approved, Banned, Pending, Rejected};

use crate::Source;
use crate::header::matches;

type Table = &'static [(&'static str, AffiliateStatus)];

const REWARDFUL: Table = &[
    ("active", Approved),
    ("pending", Pending),
    ("inactive", Rejected),
    ("disabled", Rejected),
    ("suspicious", Banned),
];

const TAPFILIATE: Table = &[
    ("approved", Approved),
    ("pending", Pending),
    ("disapproved", Rejected),
    ("archived", Rejected),
    ("blocked", Banned),
];

const FIRSTPROMOTER: Table = &[
    ("approved", Approved),
    ("active", Approved),
    ("accepted", Approved),
    ("pending", Pending),
    ("notset", Pending),
    ("denied", Rejected),
    ("rejected", Rejected),
    ("inactive", Rejected),
    ("blocked", Banned),
];

const PARTNERSTACK: Table = &[
    ("active", Approved),
    ("approved", Approved),
    ("pending", Pending),
    ("declined", Rejected),
    ("rejected", Rejected),
    ("archived", Rejected),
    ("banned", Banned),
];

const DUB: Table = &[
    ("approved", Approved),
    ("pending", Pending),
    ("invited", Pending),
    ("rejected", Rejected),
    ("declined", Rejected),
    ("archived", Rejected),
    ("deactivated", Rejected),
    ("banned", Banned),
];

const TOLT: Table = &[
    ("active", Approved),
    ("pending", Pending),
    ("rejected", Rejected),
    ("suspended", Banned),
];

const CUSTOM: Table = &[
    ("approved", Approved),
    ("active", Approved),
    ("accepted", Approved),
    ("enabled", Approved),
    ("pending", Pending),
    ("invited", Pending),
    ("applied", Pending),
    ("new", Pending),
    ("rejected", Rejected),
    ("declined", Rejected),
    ("denied", Rejected),
    ("disapproved", Rejected),
    ("inactive", Rejected),
    ("disabled", Rejected),
    ("archived", Rejected),
    ("deactivated", Rejected),
    ("paused", Rejected),
    ("banned", Banned),
    ("blocked", Banned),
    ("suspended", Banned),
    ("suspicious", Banned),
    ("fraud", Banned),
];

fn table(source: Source) -> Table {
    match source {
        Source::Rewardful => REWARDFUL,
        Source::Tapfiliate => TAPFILIATE,
        Source::FirstPromoter => FIRSTPROMOTER,
        Source::PartnerStack => PARTNERSTACK,
        Source::Dub => DUB,
        Source::Tolt => TOLT,
        Source::Custom => CUSTOM,
    }
}

/// The import state of a (possibly blank) status cell; the error names the refused value.
pub(crate) fn translate(source: Source, raw: Option<&str>) -> Result<AffiliateStatus, String> {
    let Some(raw) = raw else { return Ok(Approved) };
    table(source)
        .iter()
        .find(|(name, _)| matches(raw, name))
        .map(|(_, status)| *status)
        .ok_or_else(|| {
            let known: Vec<&str> = table(source).iter().map(|(n, _)| *n).collect();
            format!(
                "status: unknown {} status {raw:?} (known: {})",
                source,
                known.join(", ")
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_source_translates_its_own_words() {
        let t = |s, v| translate(s, Some(v)).unwrap();
        assert_eq!(t(Source::Rewardful, "Suspicious"), Banned);
        assert_eq!(t(Source::Tapfiliate, "disapproved"), Rejected);
        assert_eq!(t(Source::FirstPromoter, "Not Set"), Pending);
        assert_eq!(t(Source::FirstPromoter, "accepted"), Approved);
        assert_eq!(t(Source::PartnerStack, "ARCHIVED"), Rejected);
        assert_eq!(t(Source::Dub, "invited"), Pending);
        assert_eq!(t(Source::Tolt, "suspended"), Banned);
        assert_eq!(t(Source::Custom, "Blocked"), Banned);
        assert!(
            translate(Source::Tolt, Some("invited"))
                .unwrap_err()
                .contains("unknown tolt status")
        );
        assert!(translate(Source::Rewardful, Some("approved")).is_err());
    }

    #[test]
    fn no_status_means_approved() {
        for s in Source::ALL {
            assert_eq!(translate(*s, None).unwrap(), Approved);
        }
    }

    #[test]
    fn table_keys_are_normalized() {
        for s in Source::ALL {
            for (name, _) in table(*s) {
                assert_eq!(crate::header::normalize(name), *name);
            }
        }
    }
}
