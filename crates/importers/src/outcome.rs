use serde::Serialize;

/// Why a record was not turned into a row. The codes are stable and shown to users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SkipReason {
    MissingEmail,
    /// Decided by the app (an affiliate with this email is already in the campaign).
    AlreadyExists,
    RowParseFailed,
    Voided,
    Refunded,
    Fraud,
    LeadOnly,
    /// Decided by the app (no imported affiliate matches the history row).
    UnknownAffiliate,
}

impl SkipReason {
    pub fn code(self) -> &'static str {
        match self {
            SkipReason::MissingEmail => "missing_email",
            SkipReason::AlreadyExists => "already_exists",
            SkipReason::RowParseFailed => "row_parse_failed",
            SkipReason::Voided => "voided",
            SkipReason::Refunded => "refunded",
            SkipReason::Fraud => "fraud",
            SkipReason::LeadOnly => "lead_only",
            SkipReason::UnknownAffiliate => "unknown_affiliate",
        }
    }
}

impl Serialize for SkipReason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

/// A record left out. `detail` is for server logs only, never shown to users; this crate keeps
/// it free of the row's personal data (it names the column and the reason).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    pub line: u64,
    pub reason: SkipReason,
    pub detail: String,
}

impl Skip {
    pub(crate) fn new(line: u64, reason: SkipReason, detail: impl Into<String>) -> Self {
        Self {
            line,
            reason,
            detail: detail.into(),
        }
    }

    pub(crate) fn failed(line: u64, detail: impl Into<String>) -> Self {
        Self::new(line, SkipReason::RowParseFailed, detail)
    }
}

/// One record's outcome.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed<T> {
    Row(T),
    Skip(Skip),
}

/// A file that cannot be imported at all: nothing is yielded. `code` is stable snake_case:
/// `empty_file`, `missing_column` (`field` names the canonical field), `invalid_mapping` or
/// `unreadable_file`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FileError {
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
}

impl FileError {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
        }
    }

    pub(crate) fn missing_column(field: &str, looked_for: &[&str]) -> Self {
        Self {
            code: "missing_column",
            message: format!("the file has no {field} column (looked for: {})", looked_for.join(", ")),
            field: Some(field.to_owned()),
        }
    }
}
