//! The streaming record reader shared by every parser: finds the header line, detects the
//! delimiter, then reads one record at a time into a single reused buffer.

use std::io::{BufRead, BufReader, Chain, Cursor, Read};

use csv::StringRecord;

use crate::header::{Header, detect_delimiter};
use crate::{FileError, Skip};

/// A header line longer than this is not a CSV header.
const MAX_HEADER_BYTES: usize = 1 << 20;

type Input<R> = Chain<Cursor<Vec<u8>>, BufReader<R>>;

/// What reading the next record gave.
pub(crate) enum Next<'a> {
    /// A record of the header's width with at least one non-blank cell, and its line.
    Record(u64, &'a StringRecord),
    Skip(Skip),
    End,
}

/// The first data record, read ahead to tell a header-only file apart.
enum Ahead {
    Record,
    Skip(Skip),
}

pub(crate) struct Records<R: Read> {
    csv: csv::Reader<Input<R>>,
    record: StringRecord,
    width: usize,
    /// The 1-based number of the last record read (the header is record 1).
    line: u64,
    ahead: Option<Ahead>,
    done: bool,
}

impl<R: Read> Records<R> {
    /// Reads the header and the first record. Errors: `empty_file` (no header, or no record
    /// after it) and `unreadable_file` (the header is not UTF-8 CSV).
    pub(crate) fn open(input: R) -> Result<(Self, Header), FileError> {
        let mut input = BufReader::with_capacity(64 * 1024, input);
        let first = header_line(&mut input)?;
        let delimiter = detect_delimiter(&first);
        let mut csv = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(Cursor::new(first).chain(input));
        let mut raw = StringRecord::new();
        match csv.read_record(&mut raw) {
            Ok(true) => {}
            Ok(false) => return Err(empty("the file is empty")),
            Err(e) => return Err(unreadable(&e)),
        }
        let header = Header::new(raw.iter());
        let mut records = Self {
            csv,
            record: raw,
            width: header.len(),
            line: 1,
            ahead: None,
            done: false,
        };
        match records.read() {
            Next::End => return Err(empty("the file has a header but no rows")),
            Next::Record(..) => records.ahead = Some(Ahead::Record),
            Next::Skip(skip) => records.ahead = Some(Ahead::Skip(skip)),
        }
        Ok((records, header))
    }

    pub(crate) fn next(&mut self) -> Next<'_> {
        match self.ahead.take() {
            Some(Ahead::Record) => Next::Record(self.line, &self.record),
            Some(Ahead::Skip(skip)) => Next::Skip(skip),
            None => self.read(),
        }
    }

    fn read(&mut self) -> Next<'_> {
        loop {
            if self.done {
                return Next::End;
            }
            match self.csv.read_record(&mut self.record) {
                Ok(false) => {
                    self.done = true;
                    return Next::End;
                }
                Ok(true) => {
                    self.line += 1;
                    // Spreadsheets pad exports with rows of empty cells: not records.
                    if self.record.iter().all(|c| c.trim().is_empty()) {
                        continue;
                    }
                    if self.record.len() != self.width {
                        let detail = format!("the row has {} cells, the header {}", self.record.len(), self.width);
                        return Next::Skip(Skip::failed(self.line, detail));
                    }
                    return Next::Record(self.line, &self.record);
                }
                Err(e) => {
                    self.line += 1;
                    if e.is_io_error() {
                        // The input broke off: nothing after this can be read.
                        self.done = true;
                        return Next::Skip(Skip::failed(self.line, format!("reading stopped: {e}")));
                    }
                    return Next::Skip(Skip::failed(self.line, "the row is not valid UTF-8 CSV"));
                }
            }
        }
    }
}

fn empty(message: &str) -> FileError {
    FileError::new("empty_file", message)
}

fn unreadable(e: &csv::Error) -> FileError {
    let why = if e.is_io_error() {
        "the file could not be read"
    } else {
        "the header is not UTF-8 text"
    };
    FileError::new("unreadable_file", why)
}

/// The first non-blank line (a quoted header cell may span lines), without a UTF-8 BOM.
fn header_line<R: Read>(input: &mut BufReader<R>) -> Result<Vec<u8>, FileError> {
    let io = |_| FileError::new("unreadable_file", "the file could not be read");
    let mut line = Vec::new();
    let mut quoted = false;
    loop {
        let chunk = input.fill_buf().map_err(io)?;
        if chunk.is_empty() {
            break;
        }
        let mut used = chunk.len();
        for (i, &b) in chunk.iter().enumerate() {
            if b == b'"' {
                quoted = !quoted;
            } else if b == b'\n' && !quoted {
                used = i + 1;
                break;
            }
        }
        line.extend_from_slice(&chunk[..used]);
        input.consume(used);
        if line.ends_with(b"\n") && !quoted {
            let body = line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&line);
            if !body.iter().all(u8::is_ascii_whitespace) {
                break;
            }
            line.clear();
        }
        if line.len() > MAX_HEADER_BYTES {
            return Err(FileError::new(
                "unreadable_file",
                "the first line is too long to be a CSV header",
            ));
        }
    }
    if line.starts_with(b"\xef\xbb\xbf") {
        line.drain(..3);
    }
    if line.iter().all(u8::is_ascii_whitespace) {
        return Err(empty("the file is empty"));
    }
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(input: &str) -> Result<(Records<&[u8]>, Header), FileError> {
        Records::open(input.as_bytes())
    }

    /// A record's line and cells, or a skip's line and detail.
    type Outcome = Result<(u64, Vec<String>), (u64, String)>;

    fn lines(input: &str) -> Vec<Outcome> {
        let (mut records, _) = open(input).unwrap();
        let mut out = Vec::new();
        loop {
            match records.next() {
                Next::Record(line, r) => out.push(Ok((line, r.iter().map(str::to_owned).collect()))),
                Next::Skip(s) => out.push(Err((s.line, s.detail))),
                Next::End => return out,
            }
        }
    }

    #[test]
    fn empty_and_header_only_files_are_refused() {
        for input in ["", "\u{feff}", "\n\r\n  \n"] {
            assert_eq!(open(input).err().unwrap().code, "empty_file", "{input:?}");
        }
        assert_eq!(open("email,name\r\n").err().unwrap().code, "empty_file");
        assert_eq!(open("email,name\r\n,\r\n").err().unwrap().code, "empty_file");
        let bad = Records::open(&b"em\xffail\na@b.co\n"[..]).err().unwrap();
        assert_eq!(bad.code, "unreadable_file");
    }

    #[test]
    fn records_are_numbered_from_the_header_and_quotes_span_lines() {
        let input =
            "\u{feff}\r\nEmail;Name\r\na@x.co;\"Doe; Jane\"\r\nd@x.co;a;b\r\nb@x.co;\"two\nlines\"\r\nc@x.co\r\n;\r\n";
        let (_, header) = open(input).unwrap();
        assert_eq!(header.find(&["email"]), Some(0));
        assert_eq!(
            lines(input),
            vec![
                Ok((2, vec!["a@x.co".into(), "Doe; Jane".into()])),
                Err((3, "the row has 3 cells, the header 2".into())),
                Ok((4, vec!["b@x.co".into(), "two\nlines".into()])),
                Err((5, "the row has 1 cells, the header 2".into())),
            ]
        );
    }

    #[test]
    fn a_row_that_is_not_utf8_is_skipped_and_reading_goes_on() {
        let (mut records, _) = Records::open(&b"email\na@x.co\n\xff@x.co\nb@x.co\n"[..]).unwrap();
        assert!(matches!(records.next(), Next::Record(2, _)));
        assert!(matches!(records.next(), Next::Skip(Skip { line: 3, .. })));
        assert!(matches!(records.next(), Next::Record(4, r) if &r[0] == "b@x.co"));
        assert!(matches!(records.next(), Next::End));
    }
}
