//! Dates as exports write them, all read as UTC unless they carry an offset.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime};

/// RFC 3339 (`2025-03-01T10:00:00Z`, `…+02:00`), `YYYY-MM-DD` (midnight UTC) or
/// `YYYY-MM-DD HH:MM:SS` / `YYYY-MM-DDTHH:MM:SS`, optionally with fractional seconds (UTC).
pub(crate) fn parse_date(field: &str, raw: &str) -> Result<OffsetDateTime, String> {
    let s = raw.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t.to_offset(time::UtcOffset::UTC));
    }
    let naive_space = format_description!("[year]-[month]-[day] [hour]:[minute]:[second][optional [.[subsecond]]]");
    let naive_t = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]");
    if let Ok(t) = PrimitiveDateTime::parse(s, naive_space).or_else(|_| PrimitiveDateTime::parse(s, naive_t)) {
        return Ok(t.assume_utc());
    }
    if let Ok(d) = Date::parse(s, format_description!("[year]-[month]-[day]")) {
        return Ok(d.midnight().assume_utc());
    }
    Err(format!(
        "{field}: not a date (expected RFC 3339, YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn reads_the_three_shapes_as_utc() {
        let d = |s| parse_date("createdAt", s).unwrap();
        assert_eq!(d("2025-03-01T10:20:30Z"), datetime!(2025-03-01 10:20:30 UTC));
        assert_eq!(d("2025-03-01T12:20:30+02:00"), datetime!(2025-03-01 10:20:30 UTC));
        assert_eq!(d("2025-03-01T10:20:30.250Z"), datetime!(2025-03-01 10:20:30.25 UTC));
        assert_eq!(d(" 2025-03-01 "), datetime!(2025-03-01 0:00 UTC));
        assert_eq!(d("2025-03-01 10:20:30"), datetime!(2025-03-01 10:20:30 UTC));
        assert_eq!(d("2025-03-01T10:20:30"), datetime!(2025-03-01 10:20:30 UTC));
        assert_eq!(d("2025-03-01 10:20:30.5"), datetime!(2025-03-01 10:20:30.5 UTC));
        for bad in [
            "",
            "yesterday",
            "03/01/2025",
            "2025-02-30",
            "2025-03-01 25:00:00",
            "1740823230",
        ] {
            assert!(parse_date("createdAt", bad).is_err(), "{bad}");
        }
    }
}
