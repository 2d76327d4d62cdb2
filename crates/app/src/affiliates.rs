use afflux_domain::{
    Affiliate, AffiliateId, AffiliateStatus, Campaign, CampaignId, Email, Membership, MembershipId, OrgId, Permission,
    Slug, StatusAction, ValidationError, optional_text,
};
use afflux_store::{AffiliateFilter, AffiliateRow, Page, Tx};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::mail::EmailJob;
use crate::{Actor, App, AppError, AppResult, audit};

/// An application to a campaign: from the public form, or entered by the brand.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Application {
    pub email: String,
    pub name: Option<String>,
    pub paypal_email: Option<String>,
    /// A custom alias for the referral slug (3–64 letters, digits or hyphens).
    pub slug: Option<String>,
    /// Two-tier programs: the referral slug of the affiliate whose recruitment link brought
    /// this applicant (ignored unless the program is two-tier and the recruiter approved in it).
    pub recruiter: Option<String>,
}

/// The brand invites someone straight into a campaign: Approved at once.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AffiliateInvite {
    pub program_id: CampaignId,
    pub email: String,
    pub name: Option<String>,
}

/// Options of a status decision. `programId` may be omitted when the affiliate is in one
/// campaign only; `notify` (default true) only matters for rejections.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StatusChange {
    pub program_id: Option<CampaignId>,
    pub reason: Option<String>,
    pub notify: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct AffiliateDetail {
    pub affiliate: Affiliate,
    pub memberships: Vec<Membership>,
}

impl App {
    /// The public application form: Pending, or Approved at once when the campaign
    /// auto-approves. Invite-only and archived campaigns take no applications.
    pub async fn apply(
        &self,
        org_id: OrgId,
        campaign_slug: &str,
        input: Application,
    ) -> AppResult<(Affiliate, Membership)> {
        let mut tx = self.store().write().await?;
        let campaign = tx
            .get_campaign_by_slug(org_id, &campaign_slug.to_ascii_lowercase())
            .await?
            .filter(Campaign::accepts_applications)
            .ok_or(AppError::NotFound("program"))?;
        let form = self.form_of(tx.as_mut(), &campaign).await?;
        // The person is checked first (email, name, alias), then the whole form; a refusal
        // drops the transaction, so nothing is stored.
        let (affiliate, membership) = self
            .add_member(tx.as_mut(), &campaign, input.clone(), None, "public")
            .await?;
        let answers = crate::applications::json_answers(&form, &input)?;
        self.after_application(tx.as_mut(), &affiliate, &membership, &answers)
            .await?;
        let result = (affiliate, membership);
        tx.commit().await?;
        self.links_changed();
        self.wake_worker();
        Ok(result)
    }

    /// An application entered by the brand (`POST /api/v1/affiliates`).
    pub async fn create_application(
        &self,
        actor: &Actor,
        program: CampaignId,
        input: Application,
    ) -> AppResult<(Affiliate, Membership)> {
        actor.authorize(Permission::ManageAffiliates, true)?;
        let mut tx = self.store().write().await?;
        let campaign = tx
            .get_campaign(actor.org_id, program)
            .await?
            .ok_or(AppError::NotFound("program"))?;
        let result = self
            .add_member(tx.as_mut(), &campaign, input, None, &actor.audit_name())
            .await?;
        tx.commit().await?;
        self.links_changed();
        self.wake_worker();
        Ok(result)
    }

    pub async fn invite_affiliate(&self, actor: &Actor, input: AffiliateInvite) -> AppResult<(Affiliate, Membership)> {
        actor.authorize(Permission::ManageAffiliates, true)?;
        let mut tx = self.store().write().await?;
        let campaign = tx
            .get_campaign(actor.org_id, input.program_id)
            .await?
            .ok_or(AppError::NotFound("program"))?;
        if campaign.archived {
            return Err(AppError::conflict(
                "program_archived",
                Some("programId"),
                "this program is archived",
            ));
        }
        let application = Application {
            email: input.email,
            name: input.name,
            paypal_email: None,
            slug: None,
            recruiter: None,
        };
        let (affiliate, membership) = self
            .add_member(
                tx.as_mut(),
                &campaign,
                application,
                Some(AffiliateStatus::Approved),
                &actor.audit_name(),
            )
            .await?;
        tx.commit().await?;
        self.links_changed();
        self.wake_worker();
        Ok((affiliate, membership))
    }

    /// Finds or creates the person, then adds their membership in `campaign`.
    pub(crate) async fn add_member(
        &self,
        tx: &mut dyn Tx,
        campaign: &Campaign,
        input: Application,
        status: Option<AffiliateStatus>,
        actor: &str,
    ) -> AppResult<(Affiliate, Membership)> {
        let email = Email::parse(&input.email)?;
        let name = optional_text("name", input.name.as_deref(), 120)?;
        let paypal = input
            .paypal_email
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(Email::parse)
            .transpose()
            .map_err(|e| e.at("paypalEmail"))?;
        let alias = input
            .slug
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(Slug::parse)
            .transpose()?;
        let now = OffsetDateTime::now_utc();
        let org = campaign.org_id;

        // Racing requests for one person (PostgreSQL; SQLite writers are serialized already)
        // would otherwise both miss the lookups below and the loser hit a bare unique violation:
        // serialized, the loser sees the winner's rows and answers `already_applied`.
        tx.lock_org(org).await?;
        let affiliate = match tx.get_affiliate_by_email(org, &email.key()).await? {
            Some(existing) => existing,
            None => {
                let slug = match alias {
                    Some(slug) => {
                        if tx.get_affiliate_by_slug(&slug.key()).await?.is_some() {
                            return Err(AppError::conflict(
                                "slug_taken",
                                Some("slug"),
                                "this alias is taken; choose another",
                            ));
                        }
                        slug
                    }
                    None => free_slug(tx).await?,
                };
                let affiliate = Affiliate {
                    id: AffiliateId::new(),
                    org_id: org,
                    email,
                    name,
                    paypal_email: paypal,
                    stripe_account_id: None,
                    slug,
                    created_at: now,
                };
                tx.insert_affiliate(&affiliate).await.map_err(|e| {
                    if e.is_conflict_on("slug_key") {
                        AppError::conflict("slug_taken", Some("slug"), "this alias is taken; choose another")
                    } else {
                        e.into()
                    }
                })?;
                audit::record(
                    tx,
                    org,
                    actor,
                    "affiliate.created",
                    ("affiliate", &affiliate.id),
                    None::<&()>,
                    Some(&affiliate),
                )
                .await?;
                affiliate
            }
        };
        if tx.get_membership(org, affiliate.id, campaign.id).await?.is_some() {
            return Err(AppError::conflict(
                "already_applied",
                Some("email"),
                "this person is already in this program",
            ));
        }
        let status = status.unwrap_or(if campaign.approves_automatically() {
            AffiliateStatus::Approved
        } else {
            AffiliateStatus::Pending
        });
        let recruited_by = match (&input.recruiter, campaign.rules.two_tier_percent) {
            (Some(slug), Some(_)) => recruiter(tx, campaign, slug, affiliate.id).await?,
            _ => None,
        };
        let membership = Membership {
            id: MembershipId::new(),
            org_id: org,
            affiliate_id: affiliate.id,
            campaign_id: campaign.id,
            status,
            commission_override: None,
            recruited_by,
            status_reason: None,
            created_at: now,
            status_changed_at: now,
        };
        tx.insert_membership(&membership).await?;
        audit::record(
            tx,
            org,
            actor,
            "affiliate.joined",
            ("membership", &membership.id),
            None::<&()>,
            Some(&membership),
        )
        .await?;
        if status == AffiliateStatus::Approved {
            self.request_crm_syncs(tx, org, affiliate.id, true).await?;
            self.enqueue_email(
                tx,
                EmailJob::AffiliateApproved {
                    org_id: org,
                    affiliate_id: affiliate.id,
                    campaign_id: campaign.id,
                },
            )
            .await?;
            self.schedule_welcome(tx, org, affiliate.id, campaign.id).await?;
        }
        Ok((affiliate, membership))
    }

    /// Approve, reject, pause or ban one membership, by the status state machine.
    pub async fn change_affiliate_status(
        &self,
        actor: &Actor,
        id: AffiliateId,
        action: StatusAction,
        change: StatusChange,
    ) -> AppResult<Membership> {
        actor.authorize(Permission::ManageAffiliates, true)?;
        let reason = optional_text("reason", change.reason.as_deref(), 1_000)?;
        let notify = change.notify.unwrap_or(true);
        let mut tx = self.store().write().await?;
        tx.get_affiliate(actor.org_id, id)
            .await?
            .ok_or(AppError::NotFound("affiliate"))?;
        let before = match change.program_id {
            Some(program) => tx
                .get_membership(actor.org_id, id, program)
                .await?
                .ok_or(AppError::NotFound("program membership"))?,
            None => {
                let mut all = tx.list_memberships(actor.org_id, id).await?;
                if all.len() != 1 {
                    return Err(
                        ValidationError::new("programId", "this affiliate is in several programs: say which").into(),
                    );
                }
                all.remove(0)
            }
        };
        let status = before
            .status
            .apply(action)
            .map_err(|e| AppError::conflict(e.code, Some("status"), e.message))?;
        let after = Membership {
            status,
            status_reason: reason.clone(),
            status_changed_at: OffsetDateTime::now_utc(),
            ..before.clone()
        };
        tx.update_membership(&after).await?;
        let action_name = format!(
            "affiliate.{}",
            match action {
                StatusAction::Approve => "approved",
                StatusAction::Reject => "rejected",
                StatusAction::Pause => "paused",
                StatusAction::Ban => "banned",
            }
        );
        let decision = serde_json::json!({ "status": status, "reason": reason, "notify": notify });
        audit::record(
            tx.as_mut(),
            actor.org_id,
            &actor.audit_name(),
            &action_name,
            ("membership", &after.id),
            Some(&serde_json::json!({ "status": before.status })),
            Some(&decision),
        )
        .await?;
        let (org_id, affiliate_id, campaign_id) = (actor.org_id, id, after.campaign_id);
        self.request_crm_syncs(tx.as_mut(), org_id, affiliate_id, status == AffiliateStatus::Approved)
            .await?;
        match action {
            StatusAction::Approve => {
                self.enqueue_email(
                    tx.as_mut(),
                    EmailJob::AffiliateApproved {
                        org_id,
                        affiliate_id,
                        campaign_id,
                    },
                )
                .await?;
                self.schedule_welcome(tx.as_mut(), org_id, affiliate_id, campaign_id)
                    .await?
            }
            StatusAction::Reject if notify => {
                self.enqueue_email(
                    tx.as_mut(),
                    EmailJob::AffiliateRejected {
                        org_id,
                        affiliate_id,
                        campaign_id,
                        reason,
                    },
                )
                .await?
            }
            _ => {}
        }
        tx.commit().await?;
        self.links_changed();
        self.wake_worker();
        Ok(after)
    }

    pub async fn set_affiliate_slug(&self, actor: &Actor, id: AffiliateId, slug: &str) -> AppResult<Affiliate> {
        actor.authorize(Permission::ManageAffiliates, true)?;
        let slug = Slug::parse(slug)?;
        let mut tx = self.store().write().await?;
        let before = tx
            .get_affiliate(actor.org_id, id)
            .await?
            .ok_or(AppError::NotFound("affiliate"))?;
        if let Some(holder) = tx.get_affiliate_by_slug(&slug.key()).await?
            && holder.id != id
        {
            return Err(AppError::conflict("slug_taken", Some("slug"), "this slug is taken"));
        }
        tx.set_affiliate_slug(actor.org_id, id, &slug).await?;
        let after = Affiliate { slug, ..before.clone() };
        audit::record(
            tx.as_mut(),
            actor.org_id,
            &actor.audit_name(),
            "affiliate.slug_changed",
            ("affiliate", &id),
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        self.links_changed();
        Ok(after)
    }

    /// How many memberships `list_affiliates` lists with `filter`, over all pages.
    pub async fn count_affiliates(&self, actor: &Actor, filter: AffiliateFilter) -> AppResult<i64> {
        actor.authorize(Permission::ViewData, false)?;
        let filter = AffiliateFilter {
            search: filter.search.map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty()),
            ..filter
        };
        Ok(self
            .store()
            .read()
            .await?
            .count_affiliates(actor.org_id, &filter)
            .await?)
    }

    pub async fn list_affiliates(
        &self,
        actor: &Actor,
        filter: AffiliateFilter,
        page: Page,
    ) -> AppResult<Vec<AffiliateRow>> {
        actor.authorize(Permission::ViewData, false)?;
        let filter = AffiliateFilter {
            search: filter.search.map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty()),
            ..filter
        };
        Ok(self
            .store()
            .read()
            .await?
            .list_affiliates(actor.org_id, &filter, page)
            .await?)
    }

    pub async fn affiliate(&self, actor: &Actor, id: AffiliateId) -> AppResult<AffiliateDetail> {
        actor.authorize(Permission::ViewData, false)?;
        let mut tx = self.store().read().await?;
        let affiliate = tx
            .get_affiliate(actor.org_id, id)
            .await?
            .ok_or(AppError::NotFound("affiliate"))?;
        let memberships = tx.list_memberships(actor.org_id, id).await?;
        Ok(AffiliateDetail { affiliate, memberships })
    }
}

/// The affiliate a recruitment link names, if they are approved in the campaign (and are not
/// the applicant).
async fn recruiter(
    tx: &mut dyn Tx,
    campaign: &Campaign,
    slug: &str,
    applicant: AffiliateId,
) -> AppResult<Option<AffiliateId>> {
    let Some(found) = tx.get_affiliate_by_slug(&slug.trim().to_ascii_lowercase()).await? else {
        return Ok(None);
    };
    if found.org_id != campaign.org_id || found.id == applicant {
        return Ok(None);
    }
    let approved = tx
        .get_membership(campaign.org_id, found.id, campaign.id)
        .await?
        .is_some_and(|m| m.status == AffiliateStatus::Approved);
    Ok(approved.then_some(found.id))
}

/// A generated slug no affiliate of any organization holds.
async fn free_slug(tx: &mut dyn Tx) -> AppResult<Slug> {
    for _ in 0..8 {
        let slug = Slug::generate();
        if tx.get_affiliate_by_slug(&slug.key()).await?.is_none() {
            return Ok(slug);
        }
    }
    Err(AppError::Internal(anyhow::anyhow!("no free slug after 8 draws")))
}
