//! Forgiving header matching and delimiter detection.

/// Characters that differ between exports of the same column (`First Name`, `first_name`,
/// `first-name`, `profile.first_name`) and so are ignored when comparing names; so is a stray
/// byte-order mark.
fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '_' | '-' | '.' | '\u{feff}') || c.is_whitespace()
}

/// A header (or status value) reduced to what identifies it: lower-case, separators dropped.
pub(crate) fn normalize(s: &str) -> String {
    s.chars()
        .filter(|c| !is_separator(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether `raw` normalizes to `key` (an already normalized, ASCII name), without allocating:
/// used on every row for status values.
pub(crate) fn matches(raw: &str, key: &str) -> bool {
    let mut wanted = key.bytes();
    for c in raw.chars().filter(|c| !is_separator(*c)) {
        if !c.is_ascii() || wanted.next() != Some(c.to_ascii_lowercase() as u8) {
            return false;
        }
    }
    wanted.next().is_none()
}

/// The delimiter of a header line: a semicolon when it occurs more often than a comma outside
/// quotes (spreadsheets in comma-decimal locales), else a comma.
pub(crate) fn detect_delimiter(header_line: &[u8]) -> u8 {
    let (mut commas, mut semicolons, mut quoted) = (0usize, 0usize, false);
    for &b in header_line {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => commas += 1,
            b';' if !quoted => semicolons += 1,
            _ => {}
        }
    }
    if semicolons > commas { b';' } else { b',' }
}

/// The normalized names of a file's header, resolved against alias lists once per file.
pub(crate) struct Header {
    names: Vec<String>,
}

impl Header {
    pub(crate) fn new<'a>(raw: impl IntoIterator<Item = &'a str>) -> Self {
        Self {
            names: raw.into_iter().map(normalize).collect(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    /// The position of the first alias present (aliases are tried in order of preference; a
    /// duplicated header resolves to its first occurrence).
    pub(crate) fn find(&self, aliases: &[&str]) -> Option<usize> {
        aliases.iter().find_map(|alias| {
            let key = normalize(alias);
            self.names.iter().position(|n| *n == key)
        })
    }

    /// Like [`Header::find`], also telling which alias matched.
    pub(crate) fn find_with<'a, T: Copy>(&self, aliases: &'a [(&'a str, T)]) -> Option<(usize, T)> {
        aliases.iter().find_map(|(alias, tag)| {
            let key = normalize(alias);
            self.names.iter().position(|n| *n == key).map(|i| (i, *tag))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn headers_compare_forgivingly() {
        for raw in [
            "first_name",
            "First Name",
            "FIRST-NAME",
            "first.name",
            "\u{feff}FirstName",
            " first name ",
        ] {
            assert_eq!(normalize(raw), "firstname", "{raw}");
            assert!(matches(raw, "firstname"), "{raw}");
        }
        assert_eq!(normalize("profile.paypal_email"), "profilepaypalemail");
        assert!(!matches("first", "firstname"));
        assert!(!matches("firstnames", "firstname"));
        assert!(!matches("fïrstname", "firstname"));
        let h = Header::new(["Email", "First Name", "ref_token", "email"]);
        assert_eq!(h.find(&["cust_ref", "ref_id", "ref_token"]), Some(2));
        assert_eq!(h.find(&["E-Mail"]), Some(0));
        assert_eq!(h.find(&["token"]), None);
        assert_eq!(h.find_with(&[("x", 1), ("first_name", 2)]), Some((1, 2)));
    }

    #[test]
    fn delimiter_is_the_more_frequent_one_outside_quotes() {
        assert_eq!(detect_delimiter(b"email,name,status\r\n"), b',');
        assert_eq!(detect_delimiter(b"email;name;status\n"), b';');
        assert_eq!(detect_delimiter(b"\"a;b;c\",d\n"), b',');
        assert_eq!(detect_delimiter(b"\"a,b,c\";d;e\n"), b';');
        assert_eq!(detect_delimiter(b"email\n"), b',');
    }

    proptest! {
        #[test]
        fn separators_and_case_never_matter(name in "[a-z]{1,8}(_[a-z]{1,8}){0,3}") {
            let key = normalize(&name);
            let spaced = name.replace('_', " ").to_uppercase();
            let dotted = name.replace('_', ".");
            let kebab = name.replace('_', "-");
            for variant in [&name, &spaced, &dotted, &kebab] {
                prop_assert_eq!(&normalize(variant), &key);
                prop_assert!(matches(variant, &key));
            }
        }

        #[test]
        fn matches_agrees_with_normalize(raw in "[ -~]{0,12}", key in "[a-z0-9]{0,6}") {
            prop_assert_eq!(matches(&raw, &key), normalize(&raw) == key);
        }

        #[test]
        fn the_dominant_unquoted_delimiter_wins(cols in prop::collection::vec("[a-z]{1,6}", 1..10), semi in any::<bool>(), quoted in "[a-z,;]{0,8}") {
            let d = if semi { ";" } else { "," };
            let line = format!("\"{quoted}\"{d}{}\r\n", cols.join(d));
            prop_assert_eq!(detect_delimiter(line.as_bytes()), d.as_bytes()[0]);
        }
    }
}
