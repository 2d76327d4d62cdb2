//! Brand-edited email templates with `{{field}}` merge fields (the welcome sequence, the
//! partner emails): one parser, one renderer and one check for all of them.

use crate::{ValidationError, bounded_text};

/// What fills a template's merge fields.
pub trait MergeSource {
    /// The value of `field`, `None` for a field this email does not know.
    fn get(&self, field: &str) -> Option<&str>;
}

pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Splits a template into literal text and `{{field}}` names (spaces inside braces allowed).
fn pieces(template: &str) -> Vec<(bool, &str)> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start + 2..].find("}}") else { break };
        out.push((false, &rest[..start]));
        out.push((true, rest[start + 2..start + 2 + len].trim()));
        rest = &rest[start + 4 + len..];
    }
    out.push((false, rest));
    out
}

/// The template with its merge fields filled in, as plain text.
pub fn render_text(template: &str, values: &impl MergeSource) -> String {
    pieces(template)
        .into_iter()
        .map(|(field, s)| if field { values.get(s).unwrap_or_default() } else { s })
        .collect()
}

/// The template as HTML: the brand's text and every merged value escaped, line breaks kept, and
/// the links made clickable.
pub fn render_html(template: &str, values: &impl MergeSource) -> String {
    let mut html = String::new();
    for (field, s) in pieces(template) {
        if !field {
            html.push_str(&html_escape(s).replace('\n', "<br>\n"));
            continue;
        }
        let value = html_escape(values.get(s).unwrap_or_default());
        if matches!(s, "referral_link" | "portal_link") {
            html.push_str(&format!("<a href=\"{value}\">{value}</a>"));
        } else {
            html.push_str(&value);
        }
    }
    html
}

/// A template of at most `max` characters using only the `known` merge fields.
pub(crate) fn check_template(
    field: &str,
    template: &str,
    max: usize,
    known: &[&str],
) -> Result<String, ValidationError> {
    let template = bounded_text(field, template, max)?;
    for (is_field, name) in pieces(&template) {
        if is_field && !known.contains(&name) {
            return Err(ValidationError::with_code(
                field,
                "unknown_merge_field",
                format!("{{{{{name}}}}} is not a merge field"),
            ));
        }
    }
    Ok(template)
}

/// A subject: one line, at most 200 characters, `known` merge fields only.
pub(crate) fn check_subject(field: &str, subject: &str, known: &[&str]) -> Result<String, ValidationError> {
    if subject.contains('\n') || subject.contains('\r') {
        return Err(ValidationError::new(field, "must be one line"));
    }
    check_template(field, subject, 200, known)
}
