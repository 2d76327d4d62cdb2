//! Auto-notify: after a roster import lands, each imported affiliate is invited to claim their
//! account, one email per second per import (with up to 200 ms jitter) so a fresh sender stays
//! under burst limits. A job carries ids only: the address is resolved, the unsubscribe list
//! and the plan checked, when it is sent. A failed send is counted and never retried.

use std::collections::HashSet;
use std::sync::LazyLock;

use afflux_domain::{AffiliateId, Import, ImportId, ImportStatus, OrgId, Role, UserId};
use afflux_store::{Job, Tx};
use rand::Rng;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::jobs::JobError;
use crate::mail::migration::MigrationMail;
use crate::{Actor, App, AppError, AppResult, audit};

pub(crate) const IMPORT_MAIL_JOB: &str = "import_mail";

/// About 500 visible characters, as the brand is told.
const NOTE_MAX_CHARS: usize = 500;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mail", rename_all = "snake_case", rename_all_fields = "camelCase")]
pub(crate) enum ImportMail {
    Claim {
        org_id: OrgId,
        import_id: ImportId,
        affiliate_id: AffiliateId,
    },
    Failed {
        org_id: OrgId,
        import_id: ImportId,
        user_id: UserId,
    },
}

static NOTE_CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::empty();
    b.add_tags(["p", "br", "b", "strong", "i", "em", "a"])
        .add_tag_attributes("a", ["href"])
        .url_schemes(HashSet::from(["https"]))
        .link_rel(Some("noopener noreferrer"))
        .clean_content_tags(HashSet::from(["script", "style"]));
    b
});

static TEXT_ONLY: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::empty();
    b.clean_content_tags(HashSet::from(["script", "style"]));
    b
});

/// Sanitizes the personal note to paragraphs, line breaks, bold, italic and https links;
/// refuses one over about 500 visible characters.
pub fn sanitize_note(html: &str) -> AppResult<String> {
    let clean = NOTE_CLEANER.clean(html).to_string();
    let text = TEXT_ONLY.clean(html).to_string();
    let visible = text
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ");
    if visible.trim().chars().count() > NOTE_MAX_CHARS {
        return Err(AppError::Validation(afflux_domain::ValidationError::with_code(
            "note",
            "note_too_long",
            format!("must be at most {NOTE_MAX_CHARS} visible characters"),
        )));
    }
    Ok(clean)
}

impl App {
    /// Queues one claim email per imported affiliate, a second apart.
    pub(crate) async fn queue_claim_emails(&self, import: &Import, affiliates: &[AffiliateId]) -> AppResult<()> {
        let start = OffsetDateTime::now_utc();
        let times: Vec<OffsetDateTime> = {
            let mut rng = rand::thread_rng();
            (0..affiliates.len())
                .map(|i| {
                    start + time::Duration::seconds(i as i64) + time::Duration::milliseconds(rng.gen_range(0..=200))
                })
                .collect()
        };
        let mut tx = self.store().write().await?;
        for (affiliate, run_at) in affiliates.iter().zip(times) {
            let mail = ImportMail::Claim {
                org_id: import.org_id,
                import_id: import.id,
                affiliate_id: *affiliate,
            };
            self.enqueue_at(tx.as_mut(), IMPORT_MAIL_JOB, Some(import.org_id), &mail, None, run_at)
                .await?;
        }
        audit::record(
            tx.as_mut(),
            import.org_id,
            &import.actor,
            "migration.notify.queued",
            ("import", &import.id),
            None::<&()>,
            Some(&serde_json::json!({ "emails": affiliates.len() })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// "Migration import failed" to every Owner and Admin.
    pub(crate) async fn enqueue_import_failed_mail(&self, tx: &mut dyn Tx, import: &Import) -> AppResult<()> {
        for member in tx.list_members(import.org_id).await? {
            if matches!(member.member.role, Role::Owner | Role::Admin) {
                let mail = ImportMail::Failed {
                    org_id: import.org_id,
                    import_id: import.id,
                    user_id: member.member.user_id,
                };
                self.enqueue(tx, IMPORT_MAIL_JOB, Some(import.org_id), &mail, None)
                    .await?;
            }
        }
        Ok(())
    }

    /// "Send a sample to myself": one preview, with its banner, to the signed-in member.
    pub async fn send_import_sample(&self, actor: &Actor, note_html: &str) -> AppResult<()> {
        actor.authorize(afflux_domain::Permission::ManageAffiliates, true)?;
        let user_id = actor
            .user_id()
            .ok_or_else(|| AppError::forbidden("a sample goes to a signed-in team member"))?;
        let note = sanitize_note(note_html)?;
        let (org, user) = {
            let mut tx = self.store().read().await?;
            let org = tx
                .get_org(actor.org_id)
                .await?
                .ok_or(AppError::NotFound("organization"))?;
            let user = tx.get_user(user_id).await?.ok_or(AppError::NotFound("user"))?;
            (org, user)
        };
        super::require_importer(&org)?;
        let mail = MigrationMail::Claim {
            name: None,
            note_html: Some(&note),
            preview: true,
        };
        self.send_migration_mail(&org, &user.email, mail)
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("sending the sample: {e}")))?;
        let mut tx = self.store().write().await?;
        audit::record(
            tx.as_mut(),
            org.id,
            &actor.audit_name(),
            "migration.notify.sample_sent",
            ("user", &user_id),
            None::<&()>,
            None::<&()>,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn run_import_mail(&self, job: &Job) -> Result<(), JobError> {
        let mail: ImportMail = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobError::Permanent(format!("malformed import mail job: {e}")))?;
        let result = match mail {
            ImportMail::Claim {
                org_id,
                import_id,
                affiliate_id,
            } => self.send_claim(org_id, import_id, affiliate_id).await,
            ImportMail::Failed {
                org_id,
                import_id,
                user_id,
            } => self.send_failed(org_id, import_id, user_id).await,
        };
        result.map_err(|e| JobError::Retry(e.to_string()))
    }

    async fn send_claim(&self, org_id: OrgId, import_id: ImportId, affiliate_id: AffiliateId) -> AppResult<()> {
        let (import, org, affiliate, suppressed) = {
            let mut tx = self.store().read().await?;
            let import = tx.get_import(org_id, import_id).await?;
            let org = tx.get_org(org_id).await?;
            let affiliate = tx.get_affiliate(org_id, affiliate_id).await?;
            let suppressed = match &affiliate {
                Some(a) => tx.is_suppressed(&a.email.key()).await?,
                None => false,
            };
            (import, org, affiliate, suppressed)
        };
        let (Some(import), Some(org)) = (import, org) else {
            return self
                .claim_outcome(org_id, import_id, Outcome::Skipped("tenant_mismatch"))
                .await;
        };
        if import.status != ImportStatus::Completed {
            return self
                .claim_outcome(org_id, import_id, Outcome::Skipped("import_reverted"))
                .await;
        }
        if super::require_notify(&org).is_err() {
            return self
                .claim_outcome(org_id, import_id, Outcome::Skipped("plan_downgraded"))
                .await;
        }
        let Some(affiliate) = affiliate else {
            return self
                .claim_outcome(org_id, import_id, Outcome::Skipped("affiliate_anonymized"))
                .await;
        };
        if suppressed {
            return self
                .claim_outcome(org_id, import_id, Outcome::Skipped("unsubscribed"))
                .await;
        }
        let mail = MigrationMail::Claim {
            name: affiliate.name.as_deref(),
            note_html: import.note_html.as_deref(),
            preview: false,
        };
        match self.send_migration_mail(&org, &affiliate.email, mail).await {
            Ok(()) => self.claim_outcome(org_id, import_id, Outcome::Sent).await,
            Err(e) => {
                // No automatic retry: re-running the importer retries.
                tracing::warn!(import = %import_id, error = %e, "claim email failed");
                self.claim_outcome(org_id, import_id, Outcome::Failed).await
            }
        }
    }

    async fn claim_outcome(&self, org_id: OrgId, import_id: ImportId, outcome: Outcome) -> AppResult<()> {
        let mut tx = self.store().write().await?;
        let (sent, failed, skipped, action, reason) = match outcome {
            Outcome::Sent => (1, 0, 0, "migration.notify.sent", None),
            Outcome::Failed => (0, 1, 0, "migration.notify.failed", Some("send_failed")),
            Outcome::Skipped(reason) => (0, 0, 1, "migration.notify.skipped", Some(reason)),
        };
        // A tenant mismatch has no import of this organization to count on.
        if reason != Some("tenant_mismatch") {
            tx.bump_import_notify(import_id, sent, failed, skipped).await?;
        }
        audit::record(
            tx.as_mut(),
            org_id,
            "system",
            action,
            ("import", &import_id),
            None::<&()>,
            reason.map(|r| serde_json::json!({ "reason": r })).as_ref(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn send_failed(&self, org_id: OrgId, import_id: ImportId, user_id: UserId) -> AppResult<()> {
        let (import, org, user) = {
            let mut tx = self.store().read().await?;
            (
                tx.get_import(org_id, import_id).await?,
                tx.get_org(org_id).await?,
                tx.get_user(user_id).await?,
            )
        };
        let (Some(import), Some(org), Some(user)) = (import, org, user) else {
            return Ok(());
        };
        self.send_migration_mail(&org, &user.email, MigrationMail::Failed { import: &import })
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("sending the failure email: {e}")))
    }
}

enum Outcome {
    Sent,
    Failed,
    Skipped(&'static str),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_note_keeps_only_the_allowlist() {
        let clean = sanitize_note(
            "<p style=\"color:red\">Hi <b>there</b> <i>friend</i><br><script>alert(1)</script>\
             <a href=\"https://ok.example/x\">ok</a> <a href=\"http://plain.example\">plain</a> \
             <a href=\"javascript:alert(1)\">js</a><img src=x onerror=alert(1)><u>u</u></p>",
        )
        .unwrap();
        assert!(clean.contains("<b>there</b>") && clean.contains("<i>friend</i>") && clean.contains("<br>"));
        assert!(clean.contains("href=\"https://ok.example/x\""));
        assert!(!clean.contains("script") && !clean.contains("alert") && !clean.contains("style"));
        assert!(!clean.contains("http://plain.example") && !clean.contains("javascript"));
        assert!(!clean.contains("<img") && !clean.contains("<u>"));
        assert!(clean.starts_with("<p>"));
    }

    #[test]
    fn the_note_is_at_most_about_500_visible_characters() {
        let ok = format!("<p><b>{}</b></p>", "a".repeat(500));
        assert!(sanitize_note(&ok).is_ok());
        let long = format!("<p>{}</p>", "a".repeat(501));
        let err = sanitize_note(&long).unwrap_err();
        assert!(err.to_string().contains("500"));
    }
}
