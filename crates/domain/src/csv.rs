//! CSV for people's spreadsheets (RFC 4180): comma-separated, CRLF line ends, a cell quoted when
//! it holds a comma, a quote or a line break (quotes doubled). A spreadsheet runs a cell that
//! starts with `=`, `+`, `-`, `@`, a tab or a carriage return as a formula, so such a cell is
//! written with a leading `'` (OWASP's CSV-injection advice): a customer named
//! `=HYPERLINK(…)` stays text. Every cell goes through this, numbers too: exports write
//! amounts that are never negative.

use std::fmt::Write;

/// Whether a spreadsheet would read `cell` as a formula.
fn looks_like_formula(cell: &str) -> bool {
    matches!(cell.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r'))
}

/// One cell, escaped for formulas and quoted as RFC 4180 requires.
pub fn csv_cell(cell: &str) -> String {
    let mut out = String::with_capacity(cell.len() + 2);
    push_cell(&mut out, cell);
    out
}

fn push_cell(out: &mut String, cell: &str) {
    let guard = if looks_like_formula(cell) { "'" } else { "" };
    if cell.contains([',', '"', '\r', '\n']) {
        let _ = write!(out, "\"{guard}{}\"", cell.replace('"', "\"\""));
    } else {
        out.push_str(guard);
        out.push_str(cell);
    }
}

/// Appends one record: its cells escaped, separated by commas, ended by CRLF.
pub fn push_csv_row<S: AsRef<str>>(out: &mut String, cells: &[S]) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_cell(out, cell.as_ref());
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> String {
        let mut out = String::new();
        push_csv_row(&mut out, cells);
        out
    }

    #[test]
    fn plain_cells_are_written_as_they_are() {
        assert_eq!(row(&["id", "12.50", "Jane Doe", ""]), "id,12.50,Jane Doe,\r\n");
        assert_eq!(csv_cell("café"), "café");
    }

    #[test]
    fn commas_quotes_and_line_breaks_are_quoted() {
        assert_eq!(csv_cell("Doe, Jane"), "\"Doe, Jane\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_cell("two\r\nlines"), "\"two\r\nlines\"");
    }

    #[test]
    fn formula_starts_are_defused() {
        assert_eq!(csv_cell("=1+1"), "'=1+1");
        assert_eq!(csv_cell("+33 6 12"), "'+33 6 12");
        assert_eq!(csv_cell("-2"), "'-2");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(csv_cell("\rx"), "\"'\rx\"");
        // Quoted and defused at once: the guard goes inside the quotes.
        assert_eq!(
            csv_cell("=HYPERLINK(\"http://evil.test\",\"x\")"),
            "\"'=HYPERLINK(\"\"http://evil.test\"\",\"\"x\"\")\""
        );
        // Only the first character matters.
        assert_eq!(csv_cell("a=b"), "a=b");
        assert_eq!(csv_cell(" =1"), " =1");
    }

    #[test]
    fn a_row_parses_back_into_its_cells() {
        let cells = ["a,b", "\"q\"", "x\r\ny", "=cmd", ""];
        let line = row(&cells);
        assert!(line.ends_with("\r\n"));
        // A minimal RFC 4180 reader.
        let mut parsed = vec![String::new()];
        let mut quoted = false;
        let mut chars = line[..line.len() - 2].chars().peekable();
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('"', false) => quoted = true,
                ('"', true) if chars.peek() == Some(&'"') => {
                    chars.next();
                    parsed.last_mut().unwrap().push('"');
                }
                ('"', true) => quoted = false,
                (',', false) => parsed.push(String::new()),
                (c, _) => parsed.last_mut().unwrap().push(c),
            }
        }
        assert_eq!(parsed, ["a,b", "\"q\"", "x\r\ny", "'=cmd", ""]);
    }
}
