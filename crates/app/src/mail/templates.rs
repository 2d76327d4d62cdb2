//! The words of each email, in plain text and HTML. Every value that comes from a person is
//! HTML-escaped.

use afflux_domain::{Affiliate, Campaign, Organization, Role};

pub(super) struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn wrap(org: &Organization, body: &str) -> String {
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
    let link = referral_link(campaign, affiliate);
    Rendered {
        subject: format!("You're approved for {}", campaign.name),
        text: format!(
            "Welcome to {} by {}!\n\nYour referral link: {link}\nYour referral code: {}\n",
            campaign.name, org.name, affiliate.slug
        ),
        html: wrap(
            org,
            &format!(
                "<p>Welcome to <b>{}</b>!</p><p>Your referral link: <a href=\"{l}\">{l}</a><br>Your referral code: <b>{}</b></p>",
                esc(&campaign.name),
                esc(affiliate.slug.as_str()),
                l = esc(&link)
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
