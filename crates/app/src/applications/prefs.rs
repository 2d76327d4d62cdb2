//! Team notification preferences, and the "new affiliate application" emails they govern.

use afflux_domain::{AffiliateId, CampaignId, NotificationEvent, OrgId, Role, UserId};
use afflux_store::Tx;

use crate::mail::EmailJob;
use crate::{Actor, App, AppError, AppResult};

/// One event as the signed-in member has it.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationPref {
    pub event: NotificationEvent,
    pub enabled: bool,
    /// Whether this is the role's default (the member never chose).
    pub default: bool,
}

/// Whether `user` (with `role`) gets `event` in `org`: their choice, else the role's default.
pub(crate) async fn wants(
    tx: &mut dyn Tx,
    org: OrgId,
    user: UserId,
    role: Role,
    event: NotificationEvent,
) -> AppResult<bool> {
    Ok(tx
        .get_notification_pref(org, user, event.key())
        .await?
        .unwrap_or_else(|| event.default_for(role)))
}

impl App {
    /// The signed-in member's own preferences in the organization.
    pub async fn notification_prefs(&self, actor: &Actor) -> AppResult<Vec<NotificationPref>> {
        let user = actor
            .user_id()
            .ok_or_else(|| AppError::forbidden("notification preferences belong to signed-in members"))?;
        let mut tx = self.store().read().await?;
        let mut prefs = Vec::new();
        for &event in NotificationEvent::ALL {
            let chosen = tx.get_notification_pref(actor.org_id, user, event.key()).await?;
            prefs.push(NotificationPref {
                event,
                enabled: chosen.unwrap_or_else(|| event.default_for(actor.role)),
                default: chosen.is_none(),
            });
        }
        Ok(prefs)
    }

    /// Sets the signed-in member's own choice; any role may choose for themselves.
    pub async fn set_notification_pref(&self, actor: &Actor, event: NotificationEvent, enabled: bool) -> AppResult<()> {
        let user = actor
            .user_id()
            .ok_or_else(|| AppError::forbidden("notification preferences belong to signed-in members"))?;
        let mut tx = self.store().write().await?;
        tx.set_notification_pref(actor.org_id, user, event.key(), enabled)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Emails each member who wants to hear of new applications.
    pub(crate) async fn notify_new_application(
        &self,
        tx: &mut dyn Tx,
        org: OrgId,
        affiliate_id: AffiliateId,
        campaign_id: CampaignId,
    ) -> AppResult<()> {
        for m in tx.list_members(org).await? {
            let member = m.member;
            if wants(tx, org, member.user_id, member.role, NotificationEvent::NewApplication).await? {
                self.enqueue_email(
                    tx,
                    EmailJob::NewApplication {
                        org_id: org,
                        affiliate_id,
                        campaign_id,
                        user_id: member.user_id,
                    },
                )
                .await?;
            }
        }
        Ok(())
    }
}
