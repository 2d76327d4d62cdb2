//! The words of each email, in plain text and HTML. Every value that comes from a person is
//! HTML-escaped.

use afflux_domain::{Affiliate, AffiliateStatus, Campaign, Organization, Role};
use afflux_domain::{MergeValues, WelcomeSequence, WelcomeStep, render_html, render_text};

pub(super) struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub(super) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

pub(super) fn wrap(org: &Organization, body: &str) -> String {
    format!(
        "<!doctype html><html><body style=\"font-family:system-ui,sans-serif;color:#1f2328;max-width:560px;margin:auto\">\
         <h2 style=\"color:#0e7c7b\">{}</h2>{body}",
        esc(&org.name)
    )
}

pub(super) fn footer_html(unsubscribe: &str) -> String {
    format!(
        "<hr><p style=\"font-size:12px;color:#57606a\">Sent with Afflux. <a href=\"{}\">Unsubscribe</a></p></body></html>",
        esc(unsubscribe)
    )
}

fn referral_link(campaign: &Campaign, affiliate: &Affiliate) -> String {
    let sep = if campaign.destination_url.contains('?') {
        '&'
    } else {
        '?'
    };
    format!("{}{sep}via={}", campaign.destination_url, affiliate.slug)
}

pub(super) fn team_invite(org: &Organization, role: Role, link: &str) -> Rendered {
    Rendered {
        subject: format!("You're invited to join {} on Afflux", org.name),
        text: format!(
            "You have been invited to join {} as {role}.\n\nAccept the invitation: {link}\n\nThe link works for 7 days and only for this email address.",
            org.name
        ),
        html: wrap(
            org,
            &format!(
                "<p>You have been invited to join <b>{}</b> as {role}.</p><p><a href=\"{}\">Accept the invitation</a></p>\
                 <p>The link works for 7 days and only for this email address.</p>",
                esc(&org.name),
                esc(link)
            ),
        ),
    }
}

pub(super) fn affiliate_approved(org: &Organization, campaign: &Campaign, affiliate: &Affiliate) -> Rendered {
    let default = WelcomeSequence::default();
    welcome_step(org, campaign, affiliate, &default.steps[0], "")
}

/// A step of the welcome sequence (step 0: the approval email) with its merge fields filled;
/// every merged value is HTML-escaped in the HTML part.
pub(super) fn welcome_step(
    org: &Organization,
    campaign: &Campaign,
    affiliate: &Affiliate,
    step: &WelcomeStep,
    portal_link: &str,
) -> Rendered {
    let values = MergeValues {
        affiliate_name: affiliate.name.clone().unwrap_or_default(),
        affiliate_email: affiliate.email.to_string(),
        campaign_name: campaign.name.clone(),
        org_name: org.name.clone(),
        referral_link: referral_link(campaign, affiliate),
        portal_link: portal_link.to_owned(),
    };
    Rendered {
        subject: render_text(&step.subject, &values),
        text: render_text(&step.body, &values),
        html: wrap(org, &format!("<p>{}</p>", render_html(&step.body, &values))),
    }
}

/// A team member learns of a new application.
pub(super) fn new_application(
    org: &Organization,
    campaign: &Campaign,
    affiliate: &Affiliate,
    status: AffiliateStatus,
    link: &str,
) -> Rendered {
    let who = affiliate.name.as_deref().unwrap_or(affiliate.email.as_str());
    let state = if status == AffiliateStatus::Approved {
        "The campaign approves automatically: they are in."
    } else {
        "It is waiting for your decision."
    };
    Rendered {
        subject: format!("New affiliate application for {}", campaign.name),
        text: format!(
            "{who} ({}) applied to {}. {state}\n\nReview applications: {link}\n",
            affiliate.email, campaign.name
        ),
        html: wrap(
            org,
            &format!(
                "<p><b>{}</b> ({}) applied to <b>{}</b>. {state}</p><p><a href=\"{}\">Review applications</a></p>",
                esc(who),
                esc(affiliate.email.as_str()),
                esc(&campaign.name),
                esc(link)
            ),
        ),
    }
}

/// The approval email with its sign-in button into the portal.
pub(super) fn with_portal_sign_in(mut r: Rendered, link: &str) -> Rendered {
    r.text.push_str(&format!(
        "\nSign in to your partner portal (this link works once, for 14 days): {link}\n"
    ));
    r.html.push_str(&format!(
        "<p><a href=\"{}\" style=\"display:inline-block;padding:10px 16px;background:#0e7c7b;color:#fff;\
         border-radius:6px;text-decoration:none\">Open your partner portal</a></p>\
         <p style=\"font-size:13px;color:#57606a\">The button works once, for 14 days. Afterwards, ask for a new \
         sign-in link on the portal's sign-in page.</p>",
        esc(link)
    ));
    r
}

/// A sign-in link the person asked for on the portal's sign-in page.
pub(super) fn portal_sign_in(org: &Organization, link: &str) -> Rendered {
    Rendered {
        subject: format!("Your sign-in link for {}", org.name),
        text: format!(
            "Sign in to your partner portal: {link}\n\nThe link works once, for 15 minutes. If you did not ask \
             for it, ignore this email."
        ),
        html: wrap(
            org,
            &format!(
                "<p><a href=\"{}\">Sign in to your partner portal</a></p><p>The link works once, for 15 minutes. \
                 If you did not ask for it, ignore this email.</p>",
                esc(link)
            ),
        ),
    }
}

pub(super) fn affiliate_rejected(
    org: &Organization,
    campaign: &Campaign,
    _affiliate: &Affiliate,
    reason: Option<&str>,
) -> Rendered {
    let reason_text = reason.map(|r| format!("\n\nReason: {r}")).unwrap_or_default();
    let reason_html = reason.map(|r| format!("<p>Reason: {}</p>", esc(r))).unwrap_or_default();
    Rendered {
        subject: format!("Your application to {}", campaign.name),
        text: format!(
            "Thank you for applying to {} by {}. We are not able to accept your application.{reason_text}",
            campaign.name, org.name
        ),
        html: wrap(
            org,
            &format!(
                "<p>Thank you for applying to <b>{}</b>. We are not able to accept your application.</p>{reason_html}",
                esc(&campaign.name)
            ),
        ),
    }
}

pub(super) fn tax_form_reminder(org: &Organization, affiliate: &Affiliate, year: i32) -> Rendered {
    let greeting = affiliate.name.as_deref().map(|n| format!(" {n}")).unwrap_or_default();
    Rendered {
        subject: format!("Your tax form for {}", org.name),
        text: format!(
            "Hello{greeting},\n\n{org} has paid you USD 400 or more in affiliate commissions in {year}. US tax \
             rules require {org} to hold a tax form for every affiliate paid USD 600 or more in a year: a W-9 if \
             you are a US person, otherwise a W-8BEN (individuals) or W-8BEN-E (entities).\n\nPlease send your \
             completed form to the {org} team. It is stored encrypted and used only for tax reporting.\n",
            org = org.name
        ),
        html: wrap(
            org,
            &format!(
                "<p>Hello{},</p><p><b>{org}</b> has paid you USD 400 or more in affiliate commissions in {year}. US \
                 tax rules require {org} to hold a tax form for every affiliate paid USD 600 or more in a year: a \
                 <b>W-9</b> if you are a US person, otherwise a <b>W-8BEN</b> (individuals) or <b>W-8BEN-E</b> \
                 (entities).</p><p>Please send your completed form to the {org} team. It is stored encrypted and \
                 used only for tax reporting.</p>",
                esc(&greeting),
                org = esc(&org.name)
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<script>\"x\" & 'y'</script>"),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;"
        );
    }
}
