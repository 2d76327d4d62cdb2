//! The email outbox. A verb enqueues an [`EmailJob`] that carries ids only; at send time the
//! worker resolves the recipient from the database, checks the suppression list, renders the
//! message with the organization's sender identity and RFC 8058 one-click unsubscribe headers,
//! and hands it to the transport.

pub(crate) mod migration;
// --- partner emails
mod partner;
mod templates;

use afflux_domain::{AffiliateId, CampaignId, Email, InviteId, OrgId, UserId};
use afflux_integrations::email::MailError;
use afflux_store::Tx;
use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::jobs::JobError;
use crate::{App, AppError, AppResult};
use templates::Rendered;

pub(crate) const JOB_KIND: &str = "email";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "template", rename_all = "snake_case", rename_all_fields = "camelCase")]
pub enum EmailJob {
    TeamInvite {
        org_id: OrgId,
        invite_id: InviteId,
    },
    AffiliateApproved {
        org_id: OrgId,
        affiliate_id: AffiliateId,
        campaign_id: CampaignId,
    },
    AffiliateRejected {
        org_id: OrgId,
        affiliate_id: AffiliateId,
        campaign_id: CampaignId,
        reason: Option<String>,
    },
    /// The affiliate's payouts of `year` reached USD 400 and no tax form is on file.
    TaxFormReminder {
        org_id: OrgId,
        affiliate_id: AffiliateId,
        year: i32,
    },
    /// A portal sign-in link the person asked for: the id of the stored link, from which the
    /// worker derives the token (the queue never holds it). `org_id` gives the sender identity.
    PortalSignIn {
        org_id: OrgId,
        sign_in_id: uuid::Uuid,
    },
    /// A team member is told of a new affiliate application (if they still want to be).
    NewApplication {
        org_id: OrgId,
        affiliate_id: AffiliateId,
        campaign_id: CampaignId,
        user_id: UserId,
    },
    /// A follow-up of the campaign's welcome sequence (`step` ≥ 1), dropped unless the
    /// membership is still Approved.
    WelcomeStep {
        org_id: OrgId,
        affiliate_id: AffiliateId,
        campaign_id: CampaignId,
        step: usize,
    },
    // --- partner emails (seed 003)
    /// Thanks the affiliate for a commission earned, in the campaign's words.
    CommissionThankYou {
        org_id: OrgId,
        commission_id: afflux_domain::CommissionId,
    },
    /// Congratulates the affiliate on a milestone, quoting their sales when it was reached.
    MilestoneReached {
        org_id: OrgId,
        campaign_id: CampaignId,
        affiliate_id: AffiliateId,
        milestone_key: String,
        sales: i64,
        totals: Vec<afflux_domain::Money>,
    },
    /// Tells the affiliate a payout item was paid.
    PayoutSent {
        org_id: OrgId,
        payout_item_id: afflux_domain::PayoutItemId,
    },
    /// Tells an Owner or Admin that a payout item failed (its `attempt`-th failure).
    PayoutFailed {
        org_id: OrgId,
        payout_item_id: afflux_domain::PayoutItemId,
        user_id: UserId,
        attempt: i32,
    },
    /// Reminds an Owner or Admin that approved commissions wait for a payout run.
    CommissionsDue {
        org_id: OrgId,
        user_id: UserId,
        period: String,
    },
}

/// A message ready to send, or the reason it is skipped.
enum Prepared {
    Send {
        to: Email,
        rendered: Rendered,
        org: afflux_domain::Organization,
    },
    Skip(&'static str),
}

impl App {
    pub(crate) async fn enqueue_email(&self, tx: &mut dyn Tx, job: EmailJob) -> AppResult<()> {
        let org = match &job {
            EmailJob::TeamInvite { org_id, .. }
            | EmailJob::AffiliateApproved { org_id, .. }
            | EmailJob::AffiliateRejected { org_id, .. }
            | EmailJob::TaxFormReminder { org_id, .. }
            | EmailJob::PortalSignIn { org_id, .. }
            | EmailJob::NewApplication { org_id, .. }
            | EmailJob::WelcomeStep { org_id, .. }
            | EmailJob::CommissionThankYou { org_id, .. }
            | EmailJob::MilestoneReached { org_id, .. }
            | EmailJob::PayoutSent { org_id, .. }
            | EmailJob::PayoutFailed { org_id, .. }
            | EmailJob::CommissionsDue { org_id, .. } => *org_id,
        };
        self.enqueue(tx, JOB_KIND, Some(org), &job, None).await?;
        Ok(())
    }

    pub(crate) async fn deliver_email(&self, job: &EmailJob) -> Result<(), JobError> {
        let prepared = self.prepare(job).await.map_err(|e| JobError::Retry(e.to_string()))?;
        let (to, rendered, org) = match prepared {
            Prepared::Send { to, rendered, org } => (to, rendered, org),
            Prepared::Skip(why) => {
                tracing::info!(reason = why, "email skipped");
                return Ok(());
            }
        };
        let message = self
            .build_message(&org, &to, rendered)
            .map_err(|e| JobError::Permanent(e.to_string()))?;
        match self.inner.mailer.send(message).await {
            Ok(()) => Ok(()),
            Err(MailError::Permanent(e)) => Err(JobError::Permanent(e)),
            Err(e) => Err(JobError::Retry(e.to_string())),
        }
    }

    /// Resolves the recipient now, not at enqueue time: an address changed, a person deleted or
    /// an unsubscribe in between all take effect.
    async fn prepare(&self, job: &EmailJob) -> AppResult<Prepared> {
        let mut tx = self.store().read().await?;
        let org_id = match job {
            EmailJob::TeamInvite { org_id, .. }
            | EmailJob::AffiliateApproved { org_id, .. }
            | EmailJob::AffiliateRejected { org_id, .. }
            | EmailJob::TaxFormReminder { org_id, .. }
            | EmailJob::PortalSignIn { org_id, .. }
            | EmailJob::NewApplication { org_id, .. }
            | EmailJob::WelcomeStep { org_id, .. }
            | EmailJob::CommissionThankYou { org_id, .. }
            | EmailJob::MilestoneReached { org_id, .. }
            | EmailJob::PayoutSent { org_id, .. }
            | EmailJob::PayoutFailed { org_id, .. }
            | EmailJob::CommissionsDue { org_id, .. } => *org_id,
        };
        let Some(org) = tx.get_org(org_id).await? else {
            return Ok(Prepared::Skip("organization gone"));
        };
        let (to, rendered) = match job {
            EmailJob::TeamInvite { invite_id, .. } => {
                let Some(invite) = tx.get_invite(org_id, *invite_id).await? else {
                    return Ok(Prepared::Skip("invite canceled"));
                };
                if invite.accepted_at.is_some() || invite.expires_at <= OffsetDateTime::now_utc() {
                    return Ok(Prepared::Skip("invite no longer open"));
                }
                let link = self.config().url(&format!("/invites/{}", self.invite_token(invite.id)));
                (invite.email.clone(), templates::team_invite(&org, invite.role, &link))
            }
            EmailJob::AffiliateApproved {
                affiliate_id,
                campaign_id,
                ..
            }
            | EmailJob::AffiliateRejected {
                affiliate_id,
                campaign_id,
                ..
            } => {
                let Some(affiliate) = tx.get_affiliate(org_id, *affiliate_id).await? else {
                    return Ok(Prepared::Skip("affiliate gone"));
                };
                let Some(campaign) = tx.get_campaign(org_id, *campaign_id).await? else {
                    return Ok(Prepared::Skip("program gone"));
                };
                let rendered = match job {
                    EmailJob::AffiliateRejected { reason, .. } => {
                        templates::affiliate_rejected(&org, &campaign, &affiliate, reason.as_deref())
                    }
                    _ => {
                        // The campaign's own welcome text when the brand wrote one.
                        let rendered = match tx.get_welcome_sequence(org_id, campaign.id).await? {
                            Some(seq) => {
                                let portal = self.config().url("/a");
                                templates::welcome_step(&org, &campaign, &affiliate, &seq.steps[0], &portal)
                            }
                            None => templates::affiliate_approved(&org, &campaign, &affiliate),
                        };
                        if tx.is_suppressed(&affiliate.email.key()).await? {
                            return Ok(Prepared::Skip("recipient unsubscribed"));
                        }
                        // A 14-day single-use link straight into the portal, minted now.
                        let sign_in = self.approval_sign_in_url(&affiliate.email.key()).await?;
                        templates::with_portal_sign_in(rendered, &sign_in)
                    }
                };
                (affiliate.email.clone(), rendered)
            }
            EmailJob::NewApplication {
                affiliate_id,
                campaign_id,
                user_id,
                ..
            } => {
                let Some(member) = tx.get_member(org_id, *user_id).await? else {
                    return Ok(Prepared::Skip("no longer on the team"));
                };
                let event = afflux_domain::NotificationEvent::NewApplication;
                if !crate::applications::wants(tx.as_mut(), org_id, member.user_id, member.role, event).await? {
                    return Ok(Prepared::Skip("notification turned off"));
                }
                let (Some(user), Some(affiliate), Some(campaign)) = (
                    tx.get_user(*user_id).await?,
                    tx.get_affiliate(org_id, *affiliate_id).await?,
                    tx.get_campaign(org_id, *campaign_id).await?,
                ) else {
                    return Ok(Prepared::Skip("application gone"));
                };
                let Some(membership) = tx.get_membership(org_id, affiliate.id, campaign.id).await? else {
                    return Ok(Prepared::Skip("application gone"));
                };
                let link = self.config().url("/dashboard/affiliates?tab=pending");
                let rendered = templates::new_application(&org, &campaign, &affiliate, membership.status, &link);
                (user.email.clone(), rendered)
            }
            EmailJob::WelcomeStep {
                affiliate_id,
                campaign_id,
                step,
                ..
            } => {
                let (Some(affiliate), Some(campaign)) = (
                    tx.get_affiliate(org_id, *affiliate_id).await?,
                    tx.get_campaign(org_id, *campaign_id).await?,
                ) else {
                    return Ok(Prepared::Skip("affiliate or program gone"));
                };
                let approved = tx
                    .get_membership(org_id, affiliate.id, campaign.id)
                    .await?
                    .is_some_and(|m| m.status == afflux_domain::AffiliateStatus::Approved);
                if !approved {
                    return Ok(Prepared::Skip("welcome sequence stopped: no longer approved"));
                }
                let sequence = crate::applications::sequence_of(tx.as_mut(), org_id, campaign.id).await?;
                let Some(template) = sequence.steps.get(*step).filter(|_| *step > 0) else {
                    return Ok(Prepared::Skip("welcome step removed"));
                };
                let portal = self.config().url("/a");
                let rendered = templates::welcome_step(&org, &campaign, &affiliate, template, &portal);
                (affiliate.email.clone(), rendered)
            }
            EmailJob::TaxFormReminder { affiliate_id, year, .. } => {
                let Some(affiliate) = tx.get_affiliate(org_id, *affiliate_id).await? else {
                    return Ok(Prepared::Skip("affiliate gone"));
                };
                let form = tx.get_tax_form(org_id, *affiliate_id).await?;
                if form.is_some_and(|f| f.status != afflux_domain::TaxFormStatus::None) {
                    return Ok(Prepared::Skip("tax form on file"));
                }
                let rendered = templates::tax_form_reminder(&org, &affiliate, *year);
                (affiliate.email.clone(), rendered)
            }
            EmailJob::CommissionThankYou { .. }
            | EmailJob::MilestoneReached { .. }
            | EmailJob::PayoutSent { .. }
            | EmailJob::PayoutFailed { .. }
            | EmailJob::CommissionsDue { .. } => match self.prepare_partner(tx.as_mut(), &org, job).await? {
                Ok(message) => message,
                Err(why) => return Ok(Prepared::Skip(why)),
            },
            EmailJob::PortalSignIn { sign_in_id, .. } => {
                let Some((link, email_key)) = self.open_sign_in(tx.as_mut(), *sign_in_id).await? else {
                    return Ok(Prepared::Skip("sign-in link used or expired"));
                };
                let Some(affiliate) = tx.get_affiliate_by_email(org_id, &email_key).await? else {
                    return Ok(Prepared::Skip("affiliate gone"));
                };
                // Asked for just now by the person: sent even to an unsubscribed address.
                let rendered = templates::portal_sign_in(&org, &link);
                return Ok(Prepared::Send {
                    to: affiliate.email,
                    rendered,
                    org,
                });
            }
        };
        if tx.is_suppressed(&to.key()).await? {
            return Ok(Prepared::Skip("recipient unsubscribed"));
        }
        Ok(Prepared::Send { to, rendered, org })
    }

    fn build_message(&self, org: &afflux_domain::Organization, to: &Email, r: Rendered) -> anyhow::Result<Message> {
        let from_address = self.config().mail_from.parse()?;
        let mut builder = Message::builder()
            .from(Mailbox::new(Some(org.sender_display_name().to_owned()), from_address))
            .to(Mailbox::new(None, to.as_str().parse()?))
            .subject(r.subject);
        if let Some(reply_to) = &org.reply_to {
            builder = builder.reply_to(Mailbox::new(None, reply_to.as_str().parse()?));
        }
        let unsubscribe = self.unsubscribe_url(to);
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{unsubscribe}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".into(),
            ));
        let html = format!("{}{}", r.html, templates::footer_html(&unsubscribe));
        let text = format!("{}\n\n--\nUnsubscribe: {unsubscribe}\n", r.text);
        Ok(builder.multipart(MultiPart::alternative_plain_html(text, html))?)
    }

    fn unsubscribe_url(&self, to: &Email) -> String {
        self.config().url(&format!(
            "/unsubscribe/{}",
            self.secrets().sign("unsubscribe", to.key().as_bytes())
        ))
    }

    /// The address an unsubscribe link is for, if its signature holds.
    pub fn unsubscribe_target(&self, token: &str) -> AppResult<String> {
        let data = self
            .secrets()
            .verify("unsubscribe", token)
            .ok_or(AppError::NotFound("unsubscribe link"))?;
        String::from_utf8(data).map_err(|_| AppError::NotFound("unsubscribe link"))
    }

    /// One-click unsubscribe (RFC 8058): puts the address on the suppression list. Repeats are
    /// successes.
    pub async fn unsubscribe(&self, token: &str) -> AppResult<()> {
        let email_key = self.unsubscribe_target(token)?;
        let mut tx = self.store().write().await?;
        tx.suppress_email(&email_key, "unsubscribe", OffsetDateTime::now_utc())
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
