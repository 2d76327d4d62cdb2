//! An organization's public profile: the handle in its public application URLs
//! (`/p/{handle}/{campaign}`), its brand colour and its primary campaign.

use serde::Serialize;
use time::OffsetDateTime;

use crate::{CampaignId, OrgId, ValidationError};

pub const DEFAULT_BRAND_COLOR: &str = "#0e7c7b";

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgProfile {
    pub org_id: OrgId,
    /// Lower-case, unique across the instance.
    pub handle: String,
    /// `#rrggbb`, lower-case.
    pub brand_color: String,
    /// Served at `/p/{handle}`; None means the oldest active campaign.
    pub primary_campaign_id: Option<CampaignId>,
    pub updated_at: OffsetDateTime,
}

/// 3–64 lower-case letters, digits or hyphens (upper case is folded).
pub fn parse_handle(input: &str) -> Result<String, ValidationError> {
    let handle = input.trim().to_ascii_lowercase();
    let ok = (3..=64).contains(&handle.len())
        && handle
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(handle)
    } else {
        Err(ValidationError::with_code(
            "handle",
            "invalid_handle",
            "use 3 to 64 lower-case letters, digits or hyphens",
        ))
    }
}

/// `#RRGGBB` or `#rrggbb`, answered lower-case.
pub fn parse_brand_color(input: &str) -> Result<String, ValidationError> {
    let color = input.trim().to_ascii_lowercase();
    let ok = color.len() == 7 && color.starts_with('#') && color[1..].bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(color)
    } else {
        Err(ValidationError::with_code(
            "brandColor",
            "invalid_color",
            "use a colour like #0e7c7b",
        ))
    }
}

/// A handle made from an organization's name: `Acme & Co.` → `acme-co` (padded to 3
/// characters, cut at 56 to leave room for a uniqueness suffix).
pub fn handle_from_name(name: &str) -> String {
    let mut handle = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            handle.push(c);
        } else if !handle.is_empty() && !handle.ends_with('-') {
            handle.push('-');
        }
    }
    let mut handle: String = handle.trim_end_matches('-').chars().take(56).collect();
    while handle.ends_with('-') {
        handle.pop();
    }
    while handle.len() < 3 {
        handle.push_str(if handle.is_empty() { "org" } else { "-org" });
    }
    handle
}

/// Black or white text, whichever reads better on `color` (WCAG relative luminance).
pub fn text_color_on(color: &str) -> &'static str {
    let channel = |i: usize| {
        let v = f64::from(u8::from_str_radix(color.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0)) / 255.0;
        if v <= 0.039_28 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    let luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
    // Contrast with black (L+0.05)/0.05 beats contrast with white 1.05/(L+0.05) above ~0.179.
    if luminance > 0.179 { "#000000" } else { "#ffffff" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_parsed_and_made_from_names() {
        assert_eq!(parse_handle(" Acme-Co ").unwrap(), "acme-co");
        assert_eq!(parse_handle("ab").unwrap_err().code, "invalid_handle");
        assert!(parse_handle("a_b_c").is_err());
        assert_eq!(handle_from_name("Acme & Co."), "acme-co");
        assert_eq!(handle_from_name("Zoë"), "zo-org");
        assert_eq!(handle_from_name("!!"), "org");
        assert_eq!(handle_from_name(&"x".repeat(100)).len(), 56);
        assert!(parse_handle(&handle_from_name("Ünïcode Shop")).is_ok());
    }

    #[test]
    fn colours_are_parsed_and_given_readable_text() {
        assert_eq!(parse_brand_color("#0E7C7B").unwrap(), "#0e7c7b");
        assert_eq!(parse_brand_color("0e7c7b").unwrap_err().code, "invalid_color");
        assert!(parse_brand_color("#0e7c7g").is_err());
        assert_eq!(text_color_on("#ffff00"), "#000000");
        assert_eq!(text_color_on("#0e7c7b"), "#ffffff");
    }
}
