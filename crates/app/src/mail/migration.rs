//! The emails of a migration: the invitation to claim an imported account (and its preview
//! sample), and "Migration import failed" to the team. Sent by the import jobs themselves,
//! which count and audit each outcome.

use afflux_domain::{Email, Import, Organization};
use afflux_integrations::email::MailError;

use super::templates::{Rendered, esc, wrap};
use crate::App;

/// The brand accent of the note's blockquote and the button.
const ACCENT: &str = "#0e7c7b";

fn claim(org: &Organization, name: Option<&str>, note_html: Option<&str>, claim_url: &str, preview: bool) -> Rendered {
    let banner = if preview {
        "<p style=\"background:#fff3b0;border:1px solid #e0c200;padding:8px 12px;font-weight:bold;text-align:center\">THIS IS A PREVIEW</p>"
    } else {
        ""
    };
    let note = note_html
        .filter(|n| !n.trim().is_empty())
        .map(|n| {
            format!("<blockquote style=\"border-left:4px solid {ACCENT};margin:16px 0;padding:4px 16px;color:#1f2328\">{n}</blockquote>")
        })
        .unwrap_or_default();
    let greeting = name.map(|n| format!("Hi {},", esc(n))).unwrap_or_else(|| "Hi,".into());
    let subject = format!(
        "{}{} moved its affiliate program: claim your account",
        if preview { "[Preview] " } else { "" },
        org.name
    );
    let html = wrap(
        org,
        &format!(
            "{banner}{note}<p>{greeting}</p><p><b>{}</b> now runs its affiliate program on Afflux. Your account, \
             your referral link and your history are already there.</p>\
             <p><a href=\"{u}\" style=\"display:inline-block;background:{ACCENT};color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none;font-weight:bold\">Claim your account</a></p>",
            esc(&org.name),
            u = esc(claim_url)
        ),
    );
    let mut text = String::new();
    if preview {
        text.push_str("THIS IS A PREVIEW\n\n");
    }
    text.push_str(&format!(
        "{greeting}\n\n{} now runs its affiliate program on Afflux. Your account, your referral link and your history are already there.\n\nClaim your account: {claim_url}\n",
        org.name,
        greeting = name.map(|n| format!("Hi {n},")).unwrap_or_else(|| "Hi,".into()),
    ));
    Rendered { subject, text, html }
}

fn failed(org: &Organization, import: &Import, url: &str) -> Rendered {
    Rendered {
        subject: format!("Migration import failed for {}", org.name),
        text: format!(
            "The {} import from {} stopped before it finished. {} rows were imported before it stopped; you can revert them and run the import again.\n\nDetails: {url}\n",
            import.kind.as_str().to_lowercase(),
            import.source,
            import.rows_imported
        ),
        html: wrap(
            org,
            &format!(
                "<p>The {} import from <b>{}</b> stopped before it finished. {} rows were imported before it stopped; \
                 you can revert them and run the import again.</p><p><a href=\"{}\">See the import</a></p>",
                esc(&import.kind.as_str().to_lowercase()),
                esc(&import.source),
                import.rows_imported,
                esc(url)
            ),
        ),
    }
}

/// What to send.
pub(crate) enum MigrationMail<'a> {
    Claim {
        name: Option<&'a str>,
        note_html: Option<&'a str>,
        preview: bool,
    },
    Failed {
        import: &'a Import,
    },
}

impl App {
    /// Renders and sends one migration email now, with the usual sender identity and
    /// unsubscribe headers.
    pub(crate) async fn send_migration_mail(
        &self,
        org: &Organization,
        to: &Email,
        mail: MigrationMail<'_>,
    ) -> Result<(), MailError> {
        let rendered = match mail {
            MigrationMail::Claim {
                name,
                note_html,
                preview,
            } => {
                let url = self.config().url(&format!(
                    "/a/sign-in?email={}",
                    url::form_urlencoded::byte_serialize(to.as_str().as_bytes()).collect::<String>()
                ));
                claim(org, name, note_html, &url, preview)
            }
            MigrationMail::Failed { import } => failed(
                org,
                import,
                &self.config().url(&format!("/dashboard/settings/import/{}", import.id)),
            ),
        };
        let message = self
            .build_message(org, to, rendered)
            .map_err(|e| MailError::Permanent(e.to_string()))?;
        self.inner.mailer.send(message).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preview_carries_its_banner_and_the_note_sits_above_the_button() {
        let org = Organization {
            id: afflux_domain::OrgId::new(),
            name: "Acme <Labs>".into(),
            plan: afflux_domain::PlanTier::Growth,
            subscription_status: afflux_domain::SubscriptionStatus::Active,
            home_currency: afflux_domain::Currency::parse("USD").unwrap(),
            sender_name: None,
            reply_to: None,
            created_at: time::OffsetDateTime::UNIX_EPOCH,
        };
        let r = claim(
            &org,
            Some("Ann"),
            Some("<p><b>Hello</b></p>"),
            "https://x.test/a/sign-in?email=a%40b.c",
            true,
        );
        assert!(r.html.contains("THIS IS A PREVIEW"));
        assert!(r.html.find("<blockquote").unwrap() < r.html.find("Claim your account").unwrap());
        assert!(r.html.contains("Acme &lt;Labs&gt;"));
        assert!(r.subject.starts_with("[Preview]"));
        let live = claim(&org, None, None, "https://x.test/a", false);
        assert!(!live.html.contains("PREVIEW") && !live.html.contains("<blockquote"));
    }
}
