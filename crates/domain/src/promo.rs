//! Promo tools: the banners, email swipes and text links a brand hands its affiliates per
//! campaign, their validation and the merge fields of their bodies.

mod image;

use serde::Serialize;
use time::OffsetDateTime;

use crate::named::named_enum;
use crate::{CampaignId, OrgId, PromoAssetId, ValidationError};

pub use image::{MAX_PROMO_IMAGE_BYTES, PromoImage, inspect_promo_image};

named_enum!(
    /// What a promo asset is: an image, an email to forward, or a link text.
    PromoKind { Banner, EmailSwipe, TextLink }
);

named_enum!(
    /// Where an asset moves in its campaign's order.
    PromoMove { Up, Down }
);

/// One asset of a campaign. Banners carry their image's type and size (the bytes live in the
/// store); swipes and text links carry a body with merge fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PromoAsset {
    pub id: PromoAssetId,
    pub org_id: OrgId,
    pub campaign_id: CampaignId,
    pub kind: PromoKind,
    pub title: String,
    pub body: Option<String>,
    pub content_type: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    /// Order within the campaign, ascending.
    pub position: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

pub const PROMO_TITLE_MAX: usize = 120;
pub const PROMO_BODY_MAX: usize = 20_000;

fn has_control(value: &str) -> bool {
    value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
}

/// A title of 1 to 120 characters, trimmed.
pub fn promo_title(value: &str) -> Result<String, ValidationError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ValidationError::with_code(
            "title",
            "title_required",
            "a title is required",
        ));
    }
    if value.chars().count() > PROMO_TITLE_MAX {
        return Err(ValidationError::with_code(
            "title",
            "title_too_long",
            format!("must be at most {PROMO_TITLE_MAX} characters"),
        ));
    }
    if has_control(value) || value.contains(['\n', '\r']) {
        return Err(ValidationError::new(
            "title",
            "must be one line without control characters",
        ));
    }
    Ok(value.to_owned())
}

/// The body of a swipe or text link: required, at most 20,000 characters, trimmed.
pub fn promo_body(value: &str) -> Result<String, ValidationError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ValidationError::with_code(
            "body",
            "body_required",
            "a body is required",
        ));
    }
    if value.chars().count() > PROMO_BODY_MAX {
        return Err(ValidationError::with_code(
            "body",
            "body_too_long",
            format!("must be at most {PROMO_BODY_MAX} characters"),
        ));
    }
    if has_control(value) {
        return Err(ValidationError::new("body", "must not contain control characters"));
    }
    Ok(value.to_owned())
}

/// Fills the merge fields `{{referral_link}}` and `{{affiliate.name}}` (spaces inside the braces
/// allowed) in one pass: what they are replaced with is never read as a merge field again, and
/// unknown fields stay as written.
pub fn render_promo(body: &str, link: &str, name: &str) -> String {
    let mut out = String::with_capacity(body.len() + link.len());
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        match after[..end].trim() {
            "referral_link" => out.push_str(link),
            "affiliate.name" => out.push_str(name),
            _ => out.push_str(&rest[start..start + 2 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_required_and_bounded() {
        assert_eq!(promo_title("  Spring banner ").unwrap(), "Spring banner");
        assert_eq!(promo_title("   ").unwrap_err().code, "title_required");
        assert_eq!(promo_title(&"x".repeat(121)).unwrap_err().code, "title_too_long");
        assert!(promo_title(&"é".repeat(120)).is_ok());
        assert_eq!(promo_title("two\nlines").unwrap_err().field, "title");
    }

    #[test]
    fn bodies_are_required_and_bounded() {
        assert_eq!(promo_body("").unwrap_err().code, "body_required");
        assert_eq!(promo_body(&"a".repeat(20_001)).unwrap_err().code, "body_too_long");
        assert!(promo_body(&"a".repeat(20_000)).is_ok());
        assert_eq!(
            promo_body("Hi\n\nBuy {{referral_link}}").unwrap(),
            "Hi\n\nBuy {{referral_link}}"
        );
        assert!(promo_body("bell \u{7}").is_err());
    }

    #[test]
    fn merge_fields_are_filled_once() {
        let link = "https://x.test/go/jane";
        assert_eq!(
            render_promo("Hi from {{affiliate.name}}: {{ referral_link }}!", link, "Jane"),
            "Hi from Jane: https://x.test/go/jane!"
        );
        // A name that looks like a merge field is not expanded again.
        assert_eq!(
            render_promo("{{affiliate.name}}", link, "{{referral_link}}"),
            "{{referral_link}}"
        );
        assert_eq!(
            render_promo("{{unknown}} and {{ open", link, "J"),
            "{{unknown}} and {{ open"
        );
        assert_eq!(render_promo("no fields", link, "J"), "no fields");
        assert_eq!(render_promo("{{referral_link}}{{referral_link}}", "L", "J"), "LL");
    }

    #[test]
    fn kinds_and_moves_parse_by_name() {
        assert_eq!(PromoKind::parse("kind", "emailswipe").unwrap(), PromoKind::EmailSwipe);
        assert_eq!("Up".parse::<PromoMove>().unwrap(), PromoMove::Up);
        assert!(PromoKind::parse("kind", "Video").is_err());
    }
}
