//! Reading one cell as a value: the rules shared by the roster and history parsers.

use afflux_domain::Email;
use csv::StringRecord;

/// The trimmed cell at `at`, or `None` when the column is absent or the cell blank.
pub(crate) fn cell(record: &StringRecord, at: Option<usize>) -> Option<&str> {
    at.and_then(|i| record.get(i)).map(str::trim).filter(|s| !s.is_empty())
}

/// An email trimmed and lower-cased, the identity Afflux deduplicates on. Only ASCII can pass
/// [`Email::parse`], so ASCII lower-casing is complete.
pub(crate) fn email(field: &str, raw: &str) -> Result<Email, String> {
    let raw = raw.trim();
    let parsed = if raw.bytes().any(|b| b.is_ascii_uppercase()) {
        Email::parse(&raw.to_ascii_lowercase())
    } else {
        Email::parse(raw)
    };
    parsed.map_err(|e| format!("{field}: {}", e.message))
}

/// The slug a referral link carries: the value of the first of `params` in its query, else,
/// when `path` is set, its last path segment (`go.acme.com/jane`). `None` when neither exists.
pub(crate) fn slug_from_link<'a>(link: &'a str, params: &[&str], path: bool) -> Option<&'a str> {
    let link = link.trim();
    let link = link.split_once('#').map_or(link, |(l, _)| l);
    let (before, query) = link.split_once('?').unwrap_or((link, ""));
    for param in params {
        let value = query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| k == param)
            .map(|(_, v)| v.trim());
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            return Some(v);
        }
    }
    if !path {
        return None;
    }
    let after_scheme = before.split_once("://").map_or(before, |(_, rest)| rest);
    let (_, path) = after_scheme.split_once('/')?;
    path.trim_end_matches('/').rsplit('/').next().filter(|s| !s.is_empty())
}

/// A yes/no cell (`true`, `yes`, `1`, `paid`… or their opposites); `None` when it is neither.
pub(crate) fn flag(raw: &str) -> Option<bool> {
    const YES: &[&str] = &["true", "t", "yes", "y", "1", "paid"];
    const NO: &[&str] = &["false", "f", "no", "n", "0", "unpaid"];
    let raw = raw.trim();
    if YES.iter().any(|y| raw.eq_ignore_ascii_case(y)) {
        Some(true)
    } else if NO.iter().any(|n| raw.eq_ignore_ascii_case(n)) {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(
            email("email", "  Jane.DOE@Example.COM ").unwrap().as_str(),
            "jane.doe@example.com"
        );
        assert_eq!(email("email", "jane@example.com").unwrap().as_str(), "jane@example.com");
        let err = email("paypalEmail", "jane at example").unwrap_err();
        assert!(err.starts_with("paypalEmail: is not a valid email address"), "{err}");
    }

    #[test]
    fn slugs_come_from_the_query_or_the_last_path_segment() {
        let via = ["via"];
        assert_eq!(slug_from_link("https://acme.com/?via=jane", &via, false), Some("jane"));
        assert_eq!(
            slug_from_link("https://acme.com/pricing?utm=x&via=jane-d#top", &via, true),
            Some("jane-d")
        );
        assert_eq!(slug_from_link("https://go.acme.com/jane", &via, true), Some("jane"));
        assert_eq!(slug_from_link("go.acme.com/jane/", &via, true), Some("jane"));
        assert_eq!(slug_from_link("https://go.acme.com/jane", &via, false), None);
        assert_eq!(slug_from_link("https://acme.com/", &via, true), None);
        assert_eq!(slug_from_link("https://acme.com", &via, true), None);
        assert_eq!(
            slug_from_link("https://acme.com/?ref=mike&aff=", &["aff", "ref"], false),
            Some("mike")
        );
    }

    #[test]
    fn flags() {
        assert_eq!(flag(" TRUE "), Some(true));
        assert_eq!(flag("no"), Some(false));
        assert_eq!(flag("maybe"), None);
    }
}
