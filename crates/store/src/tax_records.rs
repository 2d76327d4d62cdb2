//! What the tax side keeps: each affiliate's tax form and its document (sealed by the app before
//! it gets here: the store never sees it in the clear).

use afflux_domain::{AffiliateId, OrgId, TaxFormStatus};
use time::{Date, Month, OffsetDateTime};

use crate::{StoreError, StoreResult};

/// The tax form an organization holds for one affiliate, without the document's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxForm {
    pub org_id: OrgId,
    pub affiliate_id: AffiliateId,
    pub status: TaxFormStatus,
    pub document: Option<TaxDocumentInfo>,
    pub updated_at: OffsetDateTime,
}

/// What is known of a stored document without opening it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxDocumentInfo {
    /// As told by the file's bytes: `application/pdf`, `image/png` or `image/jpeg`.
    pub content_type: String,
    pub file_name: String,
    /// Of the document in the clear, in bytes.
    pub size: i64,
    pub uploaded_at: OffsetDateTime,
}

/// A document as stored: its description and the sealed bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxDocument {
    pub info: TaxDocumentInfo,
    pub sealed: Vec<u8>,
}

/// The calendar year in UTC as a half-open range of instants.
pub(crate) fn year_bounds(year: i32) -> StoreResult<(OffsetDateTime, OffsetDateTime)> {
    let start = |y: i32| {
        Date::from_calendar_date(y, Month::January, 1)
            .map(|d| d.midnight().assume_utc())
            .map_err(|_| StoreError::Config(format!("year {year} is out of range")))
    };
    Ok((start(year)?, start(year.saturating_add(1))?))
}
