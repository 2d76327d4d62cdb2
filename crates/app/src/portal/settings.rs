//! The affiliate's own settings: name, PayPal address and payout method, the one slug
//! change, their tax form, and whether programs may email them.

use afflux_domain::{AffiliateId, Email, OrgId, PayoutRail, Role, Slug, TaxFormStatus, ValidationError, optional_text};
use afflux_store::{PortalPrefs, TaxForm};
use time::OffsetDateTime;

use super::{PortalAccount, PortalViewer};
use crate::tax::{DocumentUpload, SetTaxForm};
use crate::{Actor, ActorKind, App, AppError, AppResult, audit};

#[derive(Debug, Clone)]
pub struct PortalSettings {
    pub account: PortalAccount,
    pub payout_method: PayoutRail,
    /// When the one slug change was used; None while it is available.
    pub slug_changed_at: Option<OffsetDateTime>,
    pub tax_form: Option<TaxForm>,
    pub emails: EmailPrefs,
}

/// Program emails go to the address unless it is on the suppression list (which is global:
/// an unsubscribe stops mail from every organization). Sign-in links are always sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailPrefs {
    Subscribed,
    Unsubscribed,
}

#[derive(Debug, Clone, Default)]
pub struct ProfileInput {
    pub name: Option<String>,
    pub paypal_email: Option<String>,
    /// `PayPal` or `Manual`.
    pub payout_method: String,
}

/// The methods an affiliate may choose: PayPal to their address, or paid by hand.
const METHODS: [PayoutRail; 2] = [PayoutRail::PayPal, PayoutRail::Manual];

fn affiliate_actor(account: &PortalAccount) -> Actor {
    // The tax verbs check a role; the portal hands them this actor for the affiliate's own
    // record only, and the audit log names the affiliate.
    Actor {
        org_id: account.org.id,
        role: Role::Admin,
        kind: ActorKind::Affiliate(account.affiliate.id),
    }
}

fn audit_name(id: AffiliateId) -> String {
    format!("affiliate:{id}")
}

impl App {
    pub async fn portal_settings(&self, viewer: &PortalViewer, org: OrgId) -> AppResult<PortalSettings> {
        let account = viewer.account(org)?.clone();
        let mut tx = self.store().read().await?;
        let prefs: Option<PortalPrefs> = tx.get_portal_prefs(org, account.affiliate.id).await?;
        let default_method = if account.affiliate.paypal_email.is_some() {
            PayoutRail::PayPal
        } else {
            PayoutRail::Manual
        };
        let tax_form = tx.get_tax_form(org, account.affiliate.id).await?;
        let emails = if tx.is_suppressed(&viewer.email_key).await? {
            EmailPrefs::Unsubscribed
        } else {
            EmailPrefs::Subscribed
        };
        Ok(PortalSettings {
            payout_method: prefs.as_ref().and_then(|p| p.payout_method).unwrap_or(default_method),
            slug_changed_at: prefs.and_then(|p| p.slug_changed_at),
            tax_form,
            emails,
            account,
        })
    }

    /// Name, PayPal address and payout method. PayPal needs an address.
    pub async fn update_portal_profile(&self, viewer: &PortalViewer, org: OrgId, input: ProfileInput) -> AppResult<()> {
        let account = viewer.account(org)?;
        let id = account.affiliate.id;
        let name = optional_text("name", input.name.as_deref(), 120)?;
        let paypal = input
            .paypal_email
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(Email::parse)
            .transpose()
            .map_err(|e| e.at("paypalEmail"))?;
        let method = METHODS
            .into_iter()
            .find(|m| m.to_string() == input.payout_method)
            .ok_or_else(|| ValidationError::new("payoutMethod", "must be PayPal or Manual"))?;
        if method == PayoutRail::PayPal && paypal.is_none() {
            return Err(ValidationError::with_code(
                "paypalEmail",
                "paypal_email_required",
                "is needed to be paid by PayPal",
            )
            .into());
        }
        let mut tx = self.store().write().await?;
        let before = tx
            .get_affiliate(org, id)
            .await?
            .ok_or(AppError::NotFound("affiliate"))?;
        tx.update_affiliate_profile(org, id, name.as_deref(), paypal.as_ref())
            .await?;
        tx.set_portal_payout_method(org, id, method).await?;
        let after = afflux_domain::Affiliate {
            name,
            paypal_email: paypal,
            ..before.clone()
        };
        audit::record(
            tx.as_mut(),
            org,
            &audit_name(id),
            "affiliate.profile_updated",
            ("affiliate", &id),
            Some(&before),
            Some(&serde_json::json!({ "affiliate": after, "payoutMethod": method })),
        )
        .await?;
        self.request_crm_syncs(tx.as_mut(), org, id, false).await?;
        tx.commit().await?;
        self.wake_worker();
        Ok(())
    }

    /// The one slug change the portal allows; later changes go through the brand. The old
    /// slug is freed and its links stop tracking.
    pub async fn change_portal_slug(&self, viewer: &PortalViewer, org: OrgId, slug: &str) -> AppResult<Slug> {
        let account = viewer.account(org)?;
        let id = account.affiliate.id;
        let slug = Slug::parse(slug)?;
        let now = OffsetDateTime::now_utc();
        let mut tx = self.store().write().await?;
        let before = tx
            .get_affiliate(org, id)
            .await?
            .ok_or(AppError::NotFound("affiliate"))?;
        if let Some(holder) = tx.get_affiliate_by_slug(&slug.key()).await?
            && holder.id != id
        {
            return Err(AppError::conflict("slug_taken", Some("slug"), "this slug is taken"));
        }
        if !tx.mark_slug_changed(org, id, before.slug.as_str(), now).await? {
            return Err(AppError::conflict(
                "slug_change_used",
                Some("slug"),
                "the slug was changed once already; ask the program team to change it again",
            ));
        }
        tx.set_affiliate_slug(org, id, &slug).await?;
        audit::record(
            tx.as_mut(),
            org,
            &audit_name(id),
            "affiliate.slug_changed",
            ("affiliate", &id),
            Some(&serde_json::json!({ "slug": before.slug })),
            Some(&serde_json::json!({ "slug": slug })),
        )
        .await?;
        tx.commit().await?;
        self.links_changed();
        Ok(slug)
    }

    /// The affiliate's tax form: which form it is and the signed document, checked (PDF, PNG
    /// or JPEG by its bytes, at most 10 MB) before anything is stored.
    pub async fn upload_portal_tax_form(
        &self,
        viewer: &PortalViewer,
        org: OrgId,
        form: TaxFormStatus,
        upload: DocumentUpload<'_>,
    ) -> AppResult<TaxForm> {
        if form == TaxFormStatus::None {
            return Err(ValidationError::new("form", "choose W-9, W-8BEN or W-8BEN-E").into());
        }
        let account = viewer.account(org)?;
        let actor = affiliate_actor(account);
        self.upload_tax_document(&actor, account.affiliate.id, upload).await?;
        self.set_tax_form_status(&actor, account.affiliate.id, SetTaxForm { status: form })
            .await
    }

    /// Program emails on or off for the person's address (every organization).
    pub async fn set_portal_emails(&self, viewer: &PortalViewer, org: OrgId, prefs: EmailPrefs) -> AppResult<()> {
        viewer.account(org)?;
        let mut tx = self.store().write().await?;
        match prefs {
            EmailPrefs::Subscribed => {
                tx.unsuppress_email(&viewer.email_key).await?;
            }
            EmailPrefs::Unsubscribed => {
                tx.suppress_email(&viewer.email_key, "unsubscribe", OffsetDateTime::now_utc())
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
