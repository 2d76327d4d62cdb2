//! The public profile: handle, brand colour and primary campaign, and finding a campaign's
//! public page by handle (or organization id) and slug.

use afflux_domain::{
    ApplicationForm, Campaign, CampaignId, DEFAULT_BRAND_COLOR, OrgId, OrgProfile, Organization, Permission,
    handle_from_name, parse_brand_color, parse_handle,
};
use afflux_store::{Page, Tx};
use time::OffsetDateTime;

use crate::{Actor, App, AppError, AppResult, audit};

/// The profile as the settings form posts it.
#[derive(Debug, Clone, Default)]
pub struct ProfileInput {
    pub handle: String,
    pub brand_color: String,
    /// None: the oldest active campaign.
    pub primary_campaign_id: Option<CampaignId>,
}

/// What the public application page shows.
#[derive(Debug, Clone)]
pub struct PublicCampaign {
    pub org: Organization,
    pub profile: OrgProfile,
    pub campaign: Campaign,
    pub form: ApplicationForm,
}

impl App {
    /// Gives a new organization its profile: a handle from its name, made unique.
    pub(crate) async fn create_org_profile(&self, tx: &mut dyn Tx, org: &Organization) -> AppResult<OrgProfile> {
        let base = handle_from_name(&org.name);
        let mut handle = base.clone();
        let mut n = 2;
        while tx.get_org_profile_by_handle(&handle).await?.is_some() {
            handle = format!("{base}-{n}");
            n += 1;
        }
        let profile = OrgProfile {
            org_id: org.id,
            handle,
            brand_color: DEFAULT_BRAND_COLOR.into(),
            primary_campaign_id: None,
            updated_at: OffsetDateTime::now_utc(),
        };
        tx.put_org_profile(&profile).await?;
        Ok(profile)
    }

    /// The stored profile, created for organizations that predate profiles.
    async fn ensure_profile(&self, org: &Organization) -> AppResult<OrgProfile> {
        if let Some(p) = self.store().read().await?.get_org_profile(org.id).await? {
            return Ok(p);
        }
        let mut tx = self.store().write().await?;
        tx.lock_org(org.id).await?;
        let profile = match tx.get_org_profile(org.id).await? {
            Some(p) => p,
            None => self.create_org_profile(tx.as_mut(), org).await?,
        };
        tx.commit().await?;
        Ok(profile)
    }

    pub async fn public_profile(&self, actor: &Actor) -> AppResult<OrgProfile> {
        actor.authorize(Permission::ViewData, false)?;
        let org = self.org_of(actor.org_id).await?;
        self.ensure_profile(&org).await
    }

    pub async fn update_public_profile(&self, actor: &Actor, input: ProfileInput) -> AppResult<OrgProfile> {
        actor.authorize(Permission::ManageSettings, true)?;
        let handle = parse_handle(&input.handle)?;
        let brand_color = parse_brand_color(&input.brand_color)?;
        let before = self.public_profile(actor).await?;
        let mut tx = self.store().write().await?;
        if let Some(id) = input.primary_campaign_id {
            tx.get_campaign(actor.org_id, id)
                .await?
                .filter(Campaign::accepts_applications)
                .ok_or_else(|| {
                    AppError::conflict(
                        "campaign_not_public",
                        Some("primaryCampaignId"),
                        "choose an active campaign that takes applications",
                    )
                })?;
        }
        let taken = || AppError::conflict("handle_taken", Some("handle"), "this handle is taken; choose another");
        if tx
            .get_org_profile_by_handle(&handle)
            .await?
            .is_some_and(|p| p.org_id != actor.org_id)
        {
            return Err(taken());
        }
        let after = OrgProfile {
            org_id: actor.org_id,
            handle,
            brand_color,
            primary_campaign_id: input.primary_campaign_id,
            updated_at: OffsetDateTime::now_utc(),
        };
        tx.put_org_profile(&after)
            .await
            .map_err(|e| if e.is_conflict_on("handle") { taken() } else { e.into() })?;
        audit::record(
            tx.as_mut(),
            actor.org_id,
            &actor.audit_name(),
            "organization.profile_updated",
            ("organization", &actor.org_id),
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn org_of(&self, id: OrgId) -> AppResult<Organization> {
        self.store()
            .read()
            .await?
            .get_org(id)
            .await?
            .ok_or(AppError::NotFound("organization"))
    }

    /// The campaign a public page shows: `org` is a handle or an organization id; without a
    /// slug, the primary campaign (or the oldest active one). Invite-only and archived
    /// campaigns are not found.
    pub async fn public_campaign(&self, org: &str, campaign_slug: Option<&str>) -> AppResult<PublicCampaign> {
        let not_found = || AppError::NotFound("program");
        let by_handle = self
            .store()
            .read()
            .await?
            .get_org_profile_by_handle(&org.to_ascii_lowercase())
            .await?;
        let (org, profile) = match by_handle {
            Some(p) => (self.org_of(p.org_id).await?, p),
            None => {
                let id: OrgId = org.parse().map_err(|_| not_found())?;
                let org = self.org_of(id).await.map_err(|_| not_found())?;
                let profile = self.ensure_profile(&org).await?;
                (org, profile)
            }
        };
        let mut tx = self.store().read().await?;
        let campaign = match campaign_slug {
            Some(slug) => tx.get_campaign_by_slug(org.id, &slug.to_ascii_lowercase()).await?,
            None => match profile.primary_campaign_id {
                Some(id) => tx
                    .get_campaign(org.id, id)
                    .await?
                    .filter(Campaign::accepts_applications),
                None => None,
            }
            .or(oldest_public(tx.as_mut(), org.id).await?),
        }
        .filter(Campaign::accepts_applications)
        .ok_or_else(not_found)?;
        let form = self.form_of(tx.as_mut(), &campaign).await?;
        Ok(PublicCampaign {
            org,
            profile,
            campaign,
            form,
        })
    }
}

async fn oldest_public(tx: &mut dyn Tx, org: OrgId) -> AppResult<Option<Campaign>> {
    let mut all = tx.list_campaigns(org, false, Page::ALL).await?;
    all.retain(Campaign::accepts_applications);
    Ok(all.into_iter().min_by_key(|c| (c.created_at, c.id.0)))
}
