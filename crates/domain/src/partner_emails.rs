//! The emails a campaign sends its affiliates about their sales (seed 003): "thank you" for
//! each commission earned, when the campaign turns it on, and a congratulation per milestone.
//! Each is a brand-edited template with merge fields, like the welcome emails, plus the sale's
//! figures (`{{commission.amount}}`, `{{total_sales}}`, `{{number_of_sales}}`…).

use serde::{Deserialize, Serialize};

use crate::ValidationError;
use crate::merge::{self, MergeSource};

/// The merge fields a partner email may use.
pub const PARTNER_MERGE_FIELDS: &[&str] = &[
    "affiliate.name",
    "affiliate.email",
    "campaign.name",
    "org.name",
    "referral_link",
    "portal_link",
    "commission.amount",
    "sale.amount",
    "total_sales",
    "number_of_sales",
    "milestone.name",
];

pub const THANK_YOU_SUBJECT: &str = "You earned {{commission.amount}} with {{campaign.name}}";
pub const THANK_YOU_BODY: &str = "Thank you for promoting {{campaign.name}}! A sale of {{sale.amount}} through your \
link earned you {{commission.amount}}.\n\nSo far: {{number_of_sales}} sales, {{total_sales}} in total.\n\nYour \
referral link: {{referral_link}}";

/// The campaign's "thank you for your sale" email: off unless the brand turns it on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ThankYouEmail {
    pub enabled: bool,
    pub subject: String,
    pub body: String,
}

impl Default for ThankYouEmail {
    fn default() -> Self {
        Self {
            enabled: false,
            subject: THANK_YOU_SUBJECT.into(),
            body: THANK_YOU_BODY.into(),
        }
    }
}

impl ThankYouEmail {
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_subject("rules.thankYouEmail.subject", &self.subject)?;
        check_template("rules.thankYouEmail.body", &self.body, 10_000)?;
        Ok(())
    }
}

/// The values merged into a partner email; empty where the email has none (a milestone has no
/// single commission).
#[derive(Debug, Clone, Default)]
pub struct PartnerValues {
    pub affiliate_name: String,
    pub affiliate_email: String,
    pub campaign_name: String,
    pub org_name: String,
    pub referral_link: String,
    pub portal_link: String,
    pub commission_amount: String,
    pub sale_amount: String,
    pub total_sales: String,
    pub number_of_sales: String,
    pub milestone_name: String,
}

impl MergeSource for PartnerValues {
    fn get(&self, field: &str) -> Option<&str> {
        Some(match field {
            "affiliate.name" => &self.affiliate_name,
            "affiliate.email" => &self.affiliate_email,
            "campaign.name" => &self.campaign_name,
            "org.name" => &self.org_name,
            "referral_link" => &self.referral_link,
            "portal_link" => &self.portal_link,
            "commission.amount" => &self.commission_amount,
            "sale.amount" => &self.sale_amount,
            "total_sales" => &self.total_sales,
            "number_of_sales" => &self.number_of_sales,
            "milestone.name" => &self.milestone_name,
            _ => return None,
        })
    }
}

/// A subject: one line, at most 200 characters, partner merge fields only.
pub(crate) fn check_subject(field: &str, subject: &str) -> Result<String, ValidationError> {
    merge::check_subject(field, subject, PARTNER_MERGE_FIELDS)
}

pub(crate) fn check_template(field: &str, template: &str, max: usize) -> Result<String, ValidationError> {
    merge::check_template(field, template, max, PARTNER_MERGE_FIELDS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merge::{render_html, render_text};

    #[test]
    fn figures_are_merged_and_escaped() {
        let values = PartnerValues {
            affiliate_name: "Jo <b>".into(),
            commission_amount: "20.00 USD".into(),
            number_of_sales: "3".into(),
            referral_link: "https://shop.test/?via=jo".into(),
            ..PartnerValues::default()
        };
        let t = "Hi {{affiliate.name}}: {{ commission.amount }} ({{number_of_sales}} sales) {{referral_link}}";
        assert_eq!(
            render_text(t, &values),
            "Hi Jo <b>: 20.00 USD (3 sales) https://shop.test/?via=jo"
        );
        assert_eq!(
            render_html("{{affiliate.name}}\n{{referral_link}}", &values),
            "Jo &lt;b&gt;<br>\n<a href=\"https://shop.test/?via=jo\">https://shop.test/?via=jo</a>"
        );
    }

    #[test]
    fn templates_are_checked() {
        assert!(ThankYouEmail::default().validate().is_ok());
        let bad = ThankYouEmail {
            body: "Thanks {{coupon}}".into(),
            ..ThankYouEmail::default()
        };
        let err = bad.validate().unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.code),
            ("rules.thankYouEmail.body", "unknown_merge_field")
        );
        let two_lines = ThankYouEmail {
            subject: "a\nb".into(),
            ..ThankYouEmail::default()
        };
        assert_eq!(two_lines.validate().unwrap_err().field, "rules.thankYouEmail.subject");
        let empty = ThankYouEmail {
            body: " ".into(),
            ..ThankYouEmail::default()
        };
        assert!(empty.validate().is_err());
    }
}
