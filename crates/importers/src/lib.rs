//! Parsers of other affiliate platforms' CSV exports into Afflux's canonical rows: the affiliate
//! roster (step 1 of a migration) and the commission history (step 2). Pure and streaming: each
//! parser wraps a `Read`, resolves the header once and yields one [`Parsed`] item per record,
//! in flat memory whatever the file's size. Deduplication, slug collisions and matching history
//! rows to affiliates are the app's business, not this crate's.

mod canonical;
mod date;
mod fields;
mod header;
mod history;
mod mapping;
mod outcome;
mod reader;
mod roster;
mod source;

pub use canonical::{CanonicalAffiliate, CanonicalConversion};
pub use history::{HistoryReader, HistoryRow, HistoryState, history};
pub use mapping::ColumnMapping;
pub use outcome::{FileError, Parsed, Skip, SkipReason};
pub use roster::{RosterReader, RosterRow, roster};
pub use source::Source;
