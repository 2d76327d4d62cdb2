//! US tax reporting of affiliate payouts: the form an affiliate gave the brand, the yearly
//! thresholds (the 1099-NEC reporting line and an earlier reminder), and which affiliates a
//! 1099-NEC is filed for.

use crate::named::named_enum;

named_enum!(
    /// The tax form an organization holds for an affiliate: none yet, a W-9 (a US person), a
    /// W-8BEN (a foreign individual) or a W-8BEN-E (a foreign entity).
    TaxFormStatus { None, W9, W8BEN, W8BENE }
);

impl TaxFormStatus {
    /// Whether the form certifies a foreign payee (W-8BEN, W-8BEN-E): no 1099 is filed for one.
    pub fn is_foreign(self) -> bool {
        matches!(self, TaxFormStatus::W8BEN | TaxFormStatus::W8BENE)
    }
}

/// Paid in a calendar year at or above this (USD 600.00, in cents), an affiliate is reportable
/// on a 1099-NEC.
pub const TAX_REPORTING_THRESHOLD_USD_MINOR: i64 = 60_000;

/// Paid in a calendar year at or above this (USD 400.00, in cents) without a tax form, an
/// affiliate is reminded to send one, before the reporting line is reached.
pub const TAX_REMINDER_THRESHOLD_USD_MINOR: i64 = 40_000;

/// The largest tax document accepted: 10 MB.
pub const MAX_TAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;

/// The media type of a tax document, told by its first bytes (never by what the uploader
/// declared): a PDF (`%PDF-`), a PNG or a JPEG. Anything else is `None`.
pub fn tax_document_type(bytes: &[u8]) -> Option<&'static str> {
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(PNG) {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else {
        None
    }
}

/// A file name safe to store and to send back in `Content-Disposition`: the last path
/// component, letters, digits, `.`, `-` and `_` kept and anything else made `_`, at most 100
/// characters; `fallback` when nothing is left.
pub fn document_file_name(given: &str, fallback: &str) -> String {
    let base = given.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    let cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let cleaned = cleaned.trim_start_matches('.');
    if cleaned.chars().all(|c| c == '_' || c == '.') {
        fallback.to_owned()
    } else {
        cleaned.to_owned()
    }
}

/// What an affiliate's yearly paid total means for tax reporting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxAssessment {
    /// Paid at least the reporting threshold in the year.
    pub reportable: bool,
    /// Reportable and not certified foreign: a 1099-NEC is filed. Without any form the payee
    /// is presumed a US person, so an affiliate with no form is included.
    pub files_1099_nec: bool,
    /// Paid at least the reminder threshold and no form is on file.
    pub needs_reminder: bool,
}

/// Assesses an affiliate's total paid in one calendar year, in USD cents, with the form on file.
pub fn assess_tax(paid_usd_minor: i64, status: TaxFormStatus) -> TaxAssessment {
    let reportable = paid_usd_minor >= TAX_REPORTING_THRESHOLD_USD_MINOR;
    TaxAssessment {
        reportable,
        files_1099_nec: reportable && !status.is_foreign(),
        needs_reminder: paid_usd_minor >= TAX_REMINDER_THRESHOLD_USD_MINOR && status == TaxFormStatus::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_inclusive() {
        let none = TaxFormStatus::None;
        assert_eq!(
            assess_tax(39_999, none),
            TaxAssessment {
                reportable: false,
                files_1099_nec: false,
                needs_reminder: false
            }
        );
        assert!(assess_tax(40_000, none).needs_reminder);
        assert!(!assess_tax(40_000, none).reportable);
        assert!(!assess_tax(59_999, none).reportable);
        assert_eq!(
            assess_tax(60_000, none),
            TaxAssessment {
                reportable: true,
                files_1099_nec: true,
                needs_reminder: true
            }
        );
        assert!(!assess_tax(-100_000, none).needs_reminder, "a net refund is no payment");
    }

    #[test]
    fn a_form_on_file_stops_the_reminder_and_foreign_forms_file_no_1099() {
        for status in [TaxFormStatus::W9, TaxFormStatus::W8BEN, TaxFormStatus::W8BENE] {
            let a = assess_tax(100_000, status);
            assert!(a.reportable && !a.needs_reminder, "{status}");
            assert_eq!(a.files_1099_nec, status == TaxFormStatus::W9, "{status}");
        }
    }

    #[test]
    fn documents_are_typed_by_their_bytes() {
        assert_eq!(tax_document_type(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(tax_document_type(b"\x89PNG\r\n\x1a\n\0\0"), Some("image/png"));
        assert_eq!(
            tax_document_type(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some("image/jpeg")
        );
        for refused in [&b"<html><body>%PDF-"[..], b"", b"%PDF", b" %PDF-1.7", b"GIF89a"] {
            assert_eq!(tax_document_type(refused), None, "{refused:?}");
        }
    }

    #[test]
    fn file_names_are_made_safe() {
        assert_eq!(document_file_name("W-9 2026.pdf", "x"), "W-9_2026.pdf");
        assert_eq!(document_file_name("C:\\Users\\jo\\form.pdf", "x"), "form.pdf");
        assert_eq!(document_file_name("../../etc/passwd", "x"), "passwd");
        assert_eq!(document_file_name("a\"b;\r\nc.pdf", "x"), "a_b___c.pdf");
        assert_eq!(document_file_name("..", "tax-form.pdf"), "tax-form.pdf");
        assert_eq!(document_file_name("", "tax-form.pdf"), "tax-form.pdf");
        assert_eq!(document_file_name(".hidden", "x"), "hidden");
        assert_eq!(document_file_name(&"é".repeat(300), "x"), "x");
        assert_eq!(document_file_name(&"a".repeat(300), "x").len(), 100);
    }

    #[test]
    fn statuses_parse_by_name() {
        assert_eq!("w8bene".parse::<TaxFormStatus>().unwrap(), TaxFormStatus::W8BENE);
        assert_eq!(" None ".parse::<TaxFormStatus>().unwrap(), TaxFormStatus::None);
        let refused = "W-9".parse::<TaxFormStatus>().unwrap_err();
        assert!(refused.message.contains("W9, W8BEN, W8BENE"), "{}", refused.message);
        assert_eq!(serde_json::to_string(&TaxFormStatus::W8BEN).unwrap(), "\"W8BEN\"");
    }
}
