use crate::ValidationError;

/// Trimmed text of 1..=max characters.
pub fn bounded_text(field: &str, value: &str, max: usize) -> Result<String, ValidationError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(ValidationError::new(field, format!("must be at most {max} characters")));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(ValidationError::new(field, "must not contain control characters"));
    }
    Ok(value.to_owned())
}

/// Like [`bounded_text`], but blank input means "none".
pub fn optional_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>, ValidationError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => bounded_text(field, v, max).map(Some),
    }
}

/// An absolute http(s) URL with a host, at most 2,048 characters.
pub fn web_url(field: &str, value: &str) -> Result<url::Url, ValidationError> {
    let value = value.trim();
    if value.len() > 2048 {
        return Err(ValidationError::new(field, "must be at most 2048 characters"));
    }
    let parsed =
        url::Url::parse(value).map_err(|_| ValidationError::new(field, "must be an absolute http or https URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none_or(str::is_empty) {
        return Err(ValidationError::new(field, "must be an absolute http or https URL"));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(bounded_text("name", "  Acme ", 10).unwrap(), "Acme");
        assert!(bounded_text("name", "   ", 10).is_err());
        assert!(bounded_text("name", &"x".repeat(11), 10).is_err());
        assert!(bounded_text("name", "a\u{0}b", 10).is_err());
        assert_eq!(optional_text("d", Some("  "), 5).unwrap(), None);
    }

    #[test]
    fn urls_must_be_web_urls() {
        assert!(web_url("u", "https://example.com/pricing?x=1").is_ok());
        assert!(web_url("u", "javascript:alert(1)").is_err());
        assert!(web_url("u", "ftp://example.com").is_err());
        assert!(web_url("u", "/relative").is_err());
    }
}
