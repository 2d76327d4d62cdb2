use std::collections::BTreeMap;

use serde::Serialize;
use time::OffsetDateTime;

use crate::named::named_enum;
use crate::{CampaignId, ImportId, OrgId};

named_enum!(
    /// Step 1 brings the roster (affiliates), step 2 their history and earnings.
    ImportKind { Roster, History }
);

named_enum!(
    /// Running until every row is handled; Failed when it stopped on an error (the rows it
    /// already landed stay, tagged with the import, and can be reverted); Reverted when the
    /// brand undid it.
    ImportStatus { Running, Completed, Failed, Reverted }
);

/// One import job of an organization, with its counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Import {
    pub id: ImportId,
    pub org_id: OrgId,
    pub kind: ImportKind,
    /// The source platform (`rewardful`, …, `custom`, or `api` for JSON rows).
    pub source: String,
    pub campaign_id: CampaignId,
    pub status: ImportStatus,
    /// How the audit log names who started it.
    pub actor: String,
    pub rows_total: i64,
    pub rows_imported: i64,
    pub rows_skipped: i64,
    /// Skipped rows by reason code.
    pub skips: BTreeMap<String, i64>,
    /// History: minor units per currency made payable (only with `confirm_unpaid_payout`).
    pub payable: BTreeMap<String, i64>,
    /// History: minor units per currency recorded as settled history, never payable.
    pub settled: BTreeMap<String, i64>,
    pub confirm_unpaid_payout: bool,
    /// Auto-notify: the imported affiliates are invited to claim their account.
    pub notify: bool,
    /// The sanitized personal note, locked at upload.
    pub note_html: Option<String>,
    pub notify_sent: i64,
    pub notify_failed: i64,
    pub notify_skipped: i64,
    #[serde(skip)]
    pub idempotency_key: Option<String>,
    #[serde(skip)]
    pub request_hash: Option<String>,
    /// Why a Failed import stopped (generic: details are in the server log).
    pub error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
}

impl Import {
    /// Adds one batch's outcome to the running totals.
    pub fn tally(&mut self, imported: i64, skips: &[(String, i64)]) {
        self.rows_imported += imported;
        for (reason, n) in skips {
            *self.skips.entry(reason.clone()).or_default() += n;
            self.rows_skipped += n;
        }
        self.rows_total = self.rows_imported + self.rows_skipped;
    }

    pub fn add_money(map: &mut BTreeMap<String, i64>, currency: &str, minor: i64) {
        *map.entry(currency.to_string()).or_default() += minor;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_counts_rows_and_reasons() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let mut import = Import {
            id: ImportId::new(),
            org_id: OrgId::new(),
            kind: ImportKind::Roster,
            source: "rewardful".into(),
            campaign_id: CampaignId::new(),
            status: ImportStatus::Running,
            actor: "operator".into(),
            rows_total: 0,
            rows_imported: 0,
            rows_skipped: 0,
            skips: BTreeMap::new(),
            payable: BTreeMap::new(),
            settled: BTreeMap::new(),
            confirm_unpaid_payout: false,
            notify: false,
            note_html: None,
            notify_sent: 0,
            notify_failed: 0,
            notify_skipped: 0,
            idempotency_key: None,
            request_hash: None,
            error: None,
            created_at: now,
            updated_at: now,
            finished_at: None,
        };
        import.tally(3, &[("missing_email".into(), 1)]);
        import.tally(2, &[("missing_email".into(), 1), ("already_exists".into(), 2)]);
        assert_eq!(import.rows_imported, 5);
        assert_eq!(import.rows_skipped, 4);
        assert_eq!(import.rows_total, 9);
        assert_eq!(import.skips["missing_email"], 2);
        assert_eq!(import.skips["already_exists"], 2);
    }
}
