//! Promo tools: the brand uploads banners and writes email swipes and text links per campaign;
//! affiliates see them in the portal, and banners are served publicly for embedding.

use afflux_domain::{
    CampaignId, OrgId, Permission, PromoAsset, PromoAssetId, PromoKind, PromoMove, ValidationError,
    inspect_promo_image, promo_body, promo_title,
};
use afflux_store::Tx;
use time::OffsetDateTime;

use crate::{Actor, App, AppError, AppResult, audit};

/// A banner's image as served: its content type (told by its bytes at upload) and the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromoImageFile {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl App {
    /// A campaign's assets in the brand's order, for the affiliate portal (no actor: the portal
    /// has checked the affiliate belongs to the campaign). Another organization's campaign has
    /// none.
    pub async fn promo_assets(&self, org: OrgId, campaign: CampaignId) -> AppResult<Vec<PromoAsset>> {
        let mut tx = self.store().read().await?;
        Ok(tx.list_promo_assets(org, campaign).await?)
    }

    /// A campaign's assets for the dashboard; NotFound for another organization's campaign.
    pub async fn campaign_promo_assets(&self, actor: &Actor, campaign: CampaignId) -> AppResult<Vec<PromoAsset>> {
        actor.authorize(Permission::ViewData, false)?;
        let mut tx = self.store().read().await?;
        tx.get_campaign(actor.org_id, campaign)
            .await?
            .ok_or(AppError::NotFound("campaign"))?;
        Ok(tx.list_promo_assets(actor.org_id, campaign).await?)
    }

    /// A banner's bytes, public by id: banners are meant to be embedded on affiliates' sites.
    pub async fn promo_image(&self, id: PromoAssetId) -> AppResult<PromoImageFile> {
        let mut tx = self.store().read().await?;
        let (content_type, bytes) = tx.get_promo_image(id).await?.ok_or(AppError::NotFound("image"))?;
        Ok(PromoImageFile { content_type, bytes })
    }

    /// Adds a banner: the image's type is told by its bytes, never by its name or declared type.
    pub async fn add_promo_banner(
        &self,
        actor: &Actor,
        campaign: CampaignId,
        title: &str,
        image: &[u8],
    ) -> AppResult<PromoAsset> {
        actor.authorize(Permission::ManageCampaigns, true)?;
        let title = promo_title(title)?;
        let info = inspect_promo_image(image)?;
        let asset = PromoAsset {
            id: PromoAssetId::new(),
            org_id: actor.org_id,
            campaign_id: campaign,
            kind: PromoKind::Banner,
            title,
            body: None,
            content_type: Some(info.content_type.to_owned()),
            width: Some(info.width),
            height: Some(info.height),
            position: 0,
            created_at: OffsetDateTime::now_utc(),
        };
        self.insert_promo(actor, asset, Some(image)).await
    }

    /// Adds an email swipe or a text link; the body may hold `{{referral_link}}` and
    /// `{{affiliate.name}}`.
    pub async fn add_promo_text(
        &self,
        actor: &Actor,
        campaign: CampaignId,
        kind: PromoKind,
        title: &str,
        body: &str,
    ) -> AppResult<PromoAsset> {
        actor.authorize(Permission::ManageCampaigns, true)?;
        if kind == PromoKind::Banner {
            return Err(ValidationError::new("kind", "a banner is uploaded as an image").into());
        }
        let asset = PromoAsset {
            id: PromoAssetId::new(),
            org_id: actor.org_id,
            campaign_id: campaign,
            kind,
            title: promo_title(title)?,
            body: Some(promo_body(body)?),
            content_type: None,
            width: None,
            height: None,
            position: 0,
            created_at: OffsetDateTime::now_utc(),
        };
        self.insert_promo(actor, asset, None).await
    }

    /// Puts the asset last in its campaign.
    async fn insert_promo(&self, actor: &Actor, mut asset: PromoAsset, image: Option<&[u8]>) -> AppResult<PromoAsset> {
        let mut tx = self.store().write().await?;
        // Serializes writers of this organization, so two uploads never take the same place.
        tx.lock_org(actor.org_id).await?;
        tx.get_campaign(actor.org_id, asset.campaign_id)
            .await?
            .ok_or(AppError::NotFound("campaign"))?;
        let last = tx
            .list_promo_assets(actor.org_id, asset.campaign_id)
            .await?
            .iter()
            .map(|a| a.position)
            .max()
            .unwrap_or(0);
        asset.position = last + 1;
        tx.insert_promo_asset(&asset, image).await?;
        audit::record(
            tx.as_mut(),
            actor.org_id,
            &actor.audit_name(),
            "promo_asset.created",
            ("promo_asset", &asset.id),
            None::<&()>,
            Some(&asset),
        )
        .await?;
        tx.commit().await?;
        Ok(asset)
    }

    /// Moves an asset one place up or down; at either end it stays where it is.
    pub async fn move_promo_asset(&self, actor: &Actor, id: PromoAssetId, direction: PromoMove) -> AppResult<()> {
        actor.authorize(Permission::ManageCampaigns, true)?;
        let mut tx = self.store().write().await?;
        tx.lock_org(actor.org_id).await?;
        let before = existing(tx.as_mut(), actor.org_id, id).await?;
        if tx.move_promo_asset(actor.org_id, id, direction).await? {
            let after = existing(tx.as_mut(), actor.org_id, id).await?;
            audit::record(
                tx.as_mut(),
                actor.org_id,
                &actor.audit_name(),
                "promo_asset.moved",
                ("promo_asset", &id),
                Some(&before),
                Some(&after),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn delete_promo_asset(&self, actor: &Actor, id: PromoAssetId) -> AppResult<()> {
        actor.authorize(Permission::ManageCampaigns, true)?;
        let mut tx = self.store().write().await?;
        let before = existing(tx.as_mut(), actor.org_id, id).await?;
        tx.delete_promo_asset(actor.org_id, id).await?;
        audit::record(
            tx.as_mut(),
            actor.org_id,
            &actor.audit_name(),
            "promo_asset.deleted",
            ("promo_asset", &id),
            Some(&before),
            None::<&()>,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn existing(tx: &mut dyn Tx, org: OrgId, id: PromoAssetId) -> AppResult<PromoAsset> {
    tx.get_promo_asset(org, id)
        .await?
        .ok_or(AppError::NotFound("promo asset"))
}
