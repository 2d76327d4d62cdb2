//! A campaign's welcome sequence: the email sent at approval (step 0) and follow-ups sent N
//! days later, each a brand-edited template with merge fields like `{{affiliate.name}}`.

use serde::{Deserialize, Serialize};

use crate::ValidationError;
use crate::merge::{MergeSource, check_subject, check_template};

/// The merge fields a template may use.
pub const MERGE_FIELDS: &[&str] = &[
    "affiliate.name",
    "affiliate.email",
    "campaign.name",
    "org.name",
    "referral_link",
    "portal_link",
];

const MAX_STEPS: usize = 10;
const MAX_DELAY_DAYS: i32 = 365;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WelcomeStep {
    /// Days after approval; 0 for the welcome email itself.
    pub delay_days: i32,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WelcomeSequence {
    /// Step 0 is the welcome email at approval; the rest are follow-ups, by delay.
    pub steps: Vec<WelcomeStep>,
}

impl Default for WelcomeSequence {
    /// The approval email alone.
    fn default() -> Self {
        Self {
            steps: vec![WelcomeStep {
                delay_days: 0,
                subject: "You're approved for {{campaign.name}}".into(),
                body: "Welcome to {{campaign.name}} by {{org.name}}!\n\nYour referral link: {{referral_link}}".into(),
            }],
        }
    }
}

/// The values merged into a template.
#[derive(Debug, Clone, Default)]
pub struct MergeValues {
    pub affiliate_name: String,
    pub affiliate_email: String,
    pub campaign_name: String,
    pub org_name: String,
    pub referral_link: String,
    pub portal_link: String,
}

impl MergeSource for MergeValues {
    fn get(&self, field: &str) -> Option<&str> {
        Some(match field {
            "affiliate.name" => &self.affiliate_name,
            "affiliate.email" => &self.affiliate_email,
            "campaign.name" => &self.campaign_name,
            "org.name" => &self.org_name,
            "referral_link" => &self.referral_link,
            "portal_link" => &self.portal_link,
            _ => return None,
        })
    }
}

impl WelcomeStep {
    /// Checks a step as the brand typed it: step 0 is sent at approval, follow-ups 1–365 days later.
    pub fn parse(index: usize, delay_days: i32, subject: &str, body: &str) -> Result<Self, ValidationError> {
        if index > 0 && !(1..=MAX_DELAY_DAYS).contains(&delay_days) {
            return Err(ValidationError::with_code(
                "delayDays",
                "invalid_delay",
                format!("a follow-up is sent 1 to {MAX_DELAY_DAYS} days after approval"),
            ));
        }
        Ok(Self {
            delay_days: if index == 0 { 0 } else { delay_days },
            subject: check_subject("subject", subject, MERGE_FIELDS)?,
            body: check_template("body", body, 10_000, MERGE_FIELDS)?,
        })
    }
}

impl WelcomeSequence {
    /// Puts `step` at `index` (replacing it, or appending at the end).
    pub fn put(&mut self, index: usize, step: WelcomeStep) -> Result<(), ValidationError> {
        match index {
            i if i < self.steps.len() => self.steps[i] = step,
            i if i == self.steps.len() && i < MAX_STEPS => self.steps.push(step),
            _ => {
                return Err(ValidationError::with_code(
                    "step",
                    "too_many_steps",
                    format!("a sequence has at most {MAX_STEPS} emails"),
                ));
            }
        }
        Ok(())
    }

    /// Removes a follow-up; the welcome email itself stays.
    pub fn remove(&mut self, index: usize) -> Result<(), ValidationError> {
        if index == 0 || index >= self.steps.len() {
            return Err(ValidationError::with_code(
                "step",
                "invalid_step",
                "only an existing follow-up can be removed",
            ));
        }
        self.steps.remove(index);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merge::{render_html, render_text};

    fn values() -> MergeValues {
        MergeValues {
            affiliate_name: "Jo <b>".into(),
            affiliate_email: "jo@example.com".into(),
            campaign_name: "Spring".into(),
            org_name: "Acme & Co".into(),
            referral_link: "https://shop.test/?via=jo".into(),
            portal_link: "https://afflux.test/a".into(),
        }
    }

    #[test]
    fn merge_fields_are_filled_and_escaped_in_html() {
        let t = "Hi {{ affiliate.name }}, welcome to {{campaign.name}} by {{org.name}}: {{referral_link}}";
        assert_eq!(
            render_text(t, &values()),
            "Hi Jo <b>, welcome to Spring by Acme & Co: https://shop.test/?via=jo"
        );
        let html = render_html("<i>{{affiliate.name}}</i>\n{{referral_link}}", &values());
        assert_eq!(
            html,
            "&lt;i&gt;Jo &lt;b&gt;&lt;/i&gt;<br>\n<a href=\"https://shop.test/?via=jo\">https://shop.test/?via=jo</a>"
        );
        assert_eq!(render_text("{{unclosed", &values()), "{{unclosed");
    }

    #[test]
    fn steps_are_checked() {
        assert!(WelcomeStep::parse(1, 3, "Tips", "Hello {{affiliate.name}}").is_ok());
        assert_eq!(WelcomeStep::parse(1, 0, "Tips", "x").unwrap_err().code, "invalid_delay");
        assert_eq!(WelcomeStep::parse(0, 9, "Hi", "x").unwrap().delay_days, 0);
        assert_eq!(
            WelcomeStep::parse(1, 2, "Hi", "{{coupon}}").unwrap_err().code,
            "unknown_merge_field"
        );
        assert!(WelcomeStep::parse(1, 2, "", "x").is_err());
        let mut seq = WelcomeSequence::default();
        assert_eq!(seq.remove(0).unwrap_err().code, "invalid_step");
        seq.put(1, WelcomeStep::parse(1, 3, "Tips", "x").unwrap()).unwrap();
        assert_eq!(seq.steps.len(), 2);
        assert!(seq.put(5, seq.steps[1].clone()).is_err());
        seq.remove(1).unwrap();
        assert_eq!(seq, WelcomeSequence::default());
    }
}
