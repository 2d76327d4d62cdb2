//! Step 1 of a migration: the affiliate roster.

mod columns;
mod status;

use std::io::Read;

use afflux_domain::{AffiliateStatus, Email, Slug};
use csv::StringRecord;

use self::columns::Columns;
use crate::fields::{cell, email, slug_from_link};
use crate::reader::{Next, Records};
use crate::{ColumnMapping, FileError, Parsed, Skip, SkipReason, Source};

/// One affiliate to import.
#[derive(Debug, Clone, PartialEq)]
pub struct RosterRow {
    /// The record's 1-based number in the file (the header is 1).
    pub line: u64,
    /// Trimmed and lower-cased.
    pub email: Email,
    pub name: Option<String>,
    /// Only Approved, Pending, Rejected or Banned.
    pub status: AffiliateStatus,
    pub paypal_email: Option<Email>,
    /// The source's slug when it is a valid slug; `None` means the app generates one.
    pub slug: Option<Slug>,
}

/// Opens a roster export. `mapping` names the columns of a custom file; without it the
/// source's known headers are looked for. Fails only when the file as a whole cannot be read
/// (`empty_file`, `unreadable_file`, `missing_column`, `invalid_mapping`).
pub fn roster<R: Read>(
    source: Source,
    mapping: Option<&ColumnMapping>,
    input: R,
) -> Result<RosterReader<R>, FileError> {
    let (records, header) = Records::open(input)?;
    let columns = Columns::resolve(source, mapping, &header)?;
    Ok(RosterReader {
        source,
        records,
        columns,
    })
}

/// The rows of a roster export, one per record, read as they are asked for.
pub struct RosterReader<R: Read> {
    source: Source,
    records: Records<R>,
    columns: Columns,
}

impl<R: Read> Iterator for RosterReader<R> {
    type Item = Parsed<RosterRow>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.records.next() {
            Next::Record(line, record) => Some(row(self.source, &self.columns, line, record)),
            Next::Skip(skip) => Some(Parsed::Skip(skip)),
            Next::End => None,
        }
    }
}

fn row(source: Source, c: &Columns, line: u64, record: &StringRecord) -> Parsed<RosterRow> {
    let (params, path) = source.link_slug_rule();
    let paypal_allowed = c.payout_method.and_then(|i| record.get(i)).is_none_or(|method| {
        let method = method.trim();
        method.is_empty() || method.eq_ignore_ascii_case("paypal")
    });
    RosterFields {
        email: cell(record, Some(c.email)),
        name: cell(record, c.name),
        first_name: cell(record, c.first_name),
        last_name: cell(record, c.last_name),
        status: cell(record, c.status),
        slug: cell(record, c.slug).or_else(|| cell(record, c.link).and_then(|l| slug_from_link(l, params, path))),
        paypal_email: cell(record, c.paypal).filter(|_| paypal_allowed),
    }
    .into_row(source, line)
}

/// One affiliate's raw, trimmed, non-blank values, from a CSV record or a JSON row.
pub(crate) struct RosterFields<'a> {
    pub email: Option<&'a str>,
    pub name: Option<&'a str>,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub status: Option<&'a str>,
    pub slug: Option<&'a str>,
    pub paypal_email: Option<&'a str>,
}

impl RosterFields<'_> {
    pub(crate) fn into_row(self, source: Source, line: u64) -> Parsed<RosterRow> {
        let Some(raw_email) = self.email else {
            return Parsed::Skip(Skip::new(line, SkipReason::MissingEmail, "email: blank"));
        };
        let email = match email("email", raw_email) {
            Ok(e) => e,
            Err(why) => return Parsed::Skip(Skip::failed(line, why)),
        };
        let status = match status::translate(source, self.status) {
            Ok(s) => s,
            Err(why) => return Parsed::Skip(Skip::failed(line, why)),
        };
        let name = match (self.name, self.first_name, self.last_name) {
            (Some(name), ..) => Some(name.to_owned()),
            (None, Some(first), Some(last)) => Some(format!("{first} {last}")),
            (None, first, last) => first.or(last).map(str::to_owned),
        };
        Parsed::Row(RosterRow {
            line,
            email,
            name,
            status,
            // A PayPal address that does not parse is dropped, not the affiliate.
            paypal_email: self
                .paypal_email
                .and_then(|p| crate::fields::email("paypalEmail", p).ok()),
            slug: self.slug.and_then(|s| Slug::parse(s).ok()),
        })
    }
}
