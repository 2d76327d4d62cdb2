//! Any roster a spreadsheet can write (quoted commas, quotes and line breaks, comma or
//! semicolon, CRLF or LF, with or without a BOM) parses back to exactly its rows.

use afflux_importers::{Parsed, Source, roster};
use proptest::prelude::*;

/// One cell as a spreadsheet writes it: quoted when it holds the delimiter, a quote or a line break.
fn cell(value: &str, delimiter: char) -> String {
    if value.contains([delimiter, '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

prop_compose! {
    fn affiliate()(local in "[a-z0-9]{1,10}(\\.[a-z0-9+]{1,5})?", upper in any::<bool>(),
                   name in "[A-Za-z][A-Za-z ,;\"\n]{0,20}[A-Za-z]", slug in "[A-Za-z0-9-]{3,20}")
                   -> (String, String, String) {
        let email = format!("{local}@example.com");
        (if upper { email.to_uppercase() } else { email }, name, slug)
    }
}

proptest! {
    #[test]
    fn written_rosters_parse_back(rows in prop::collection::vec(affiliate(), 1..20), semicolon in any::<bool>(),
                                  crlf in any::<bool>(), bom in any::<bool>()) {
        let d = if semicolon { ';' } else { ',' };
        let nl = if crlf { "\r\n" } else { "\n" };
        let mut file = String::from(if bom { "\u{feff}" } else { "" });
        file.push_str(&["Email", "Full Name", "Unknown, column", "Slug"].map(|h| cell(h, d)).join(&d.to_string()));
        file.push_str(nl);
        for (email, name, slug) in &rows {
            file.push_str(&[email.as_str(), name, "x", slug].map(|c| cell(c, d)).join(&d.to_string()));
            file.push_str(nl);
        }
        let parsed: Vec<_> = roster(Source::Custom, None, file.as_bytes()).unwrap().collect();
        prop_assert_eq!(parsed.len(), rows.len());
        for (i, (p, (email, name, slug))) in parsed.into_iter().zip(&rows).enumerate() {
            let Parsed::Row(row) = p else { panic!("row {i} was skipped: {p:?}") };
            prop_assert_eq!(row.email.as_str(), email.to_lowercase());
            prop_assert_eq!(row.name.as_deref(), Some(name.trim()));
            prop_assert_eq!(row.slug.as_ref().map(|s| s.as_str()), Some(slug.as_str()));
            // Line numbers count records, not physical lines: quoted line breaks do not shift them.
            prop_assert_eq!(row.line, i as u64 + 2);
        }
    }
}
