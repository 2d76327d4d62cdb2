//! Coupons: a program's campaign coupons (mirroring a Stripe coupon) and the promotion codes
//! that credit an affiliate when redeemed, matched from Stripe events by promotion-code id,
//! code or coupon id, and from S2S events by code.

use afflux_domain::{AffiliateId, CampaignId, Coupon, CouponCode, CouponId, Permission, ValidationError};
use afflux_store::Tx;
use serde::Deserialize;
use time::OffsetDateTime;

use crate::{Actor, App, AppError, AppResult, audit};

/// `POST /api/v1/programs/{id}/coupons`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewCampaignCoupon {
    /// The code customers type (2–64 letters, digits, `-` or `_`; case-insensitive).
    pub code: String,
    /// The Stripe coupon this mirrors.
    pub stripe_coupon_id: Option<String>,
    /// Whether its promotion codes beat a tracked click (default true).
    pub overrides_click_attribution: Option<bool>,
}

/// `POST /api/v1/affiliates/{id}/coupons`: a code that credits this affiliate.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewPromotionCode {
    pub code: String,
    /// The Stripe promotion code (`promo_…`) carrying this code.
    pub stripe_promotion_code_id: Option<String>,
    /// A Stripe coupon given to this affiliate alone.
    pub stripe_coupon_id: Option<String>,
    /// The campaign coupon this code belongs to; its program is the one credited.
    pub coupon_id: Option<CouponId>,
    /// The program credited; needed when the affiliate is in several and no coupon is named.
    pub program_id: Option<CampaignId>,
    /// Default: the campaign coupon's setting, else true.
    pub overrides_click_attribution: Option<bool>,
}

fn stripe_id(field: &str, value: Option<&str>) -> Result<Option<String>, ValidationError> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if v.len() > 255 || !v.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ValidationError::new(field, "is not a Stripe id"));
    }
    Ok(Some(v.to_owned()))
}

/// Inserts, turning a taken code or Stripe id into a conflict naming the field.
async fn insert(tx: &mut dyn Tx, coupon: &Coupon) -> AppResult<()> {
    match tx.insert_coupon(coupon).await {
        Ok(()) => Ok(()),
        Err(e) if e.is_conflict_on("code_key") => {
            Err(AppError::conflict("code_taken", Some("code"), "this code is taken"))
        }
        Err(e) if e.is_conflict_on("stripe_promotion_code_id") => Err(AppError::conflict(
            "stripe_id_taken",
            Some("stripePromotionCodeId"),
            "this promotion code is registered already",
        )),
        Err(e) if e.is_conflict_on("stripe_coupon_id") => Err(AppError::conflict(
            "stripe_id_taken",
            Some("stripeCouponId"),
            "this Stripe coupon is registered already",
        )),
        Err(e) => Err(e.into()),
    }
}

impl App {
    pub async fn create_campaign_coupon(
        &self,
        actor: &Actor,
        program: CampaignId,
        input: NewCampaignCoupon,
    ) -> AppResult<Coupon> {
        actor.authorize(Permission::ManageCampaigns, true)?;
        let coupon = Coupon {
            id: CouponId::new(),
            org_id: actor.org_id,
            campaign_id: program,
            affiliate_id: None,
            parent_id: None,
            code: CouponCode::parse(&input.code)?,
            stripe_coupon_id: stripe_id("stripeCouponId", input.stripe_coupon_id.as_deref())?,
            stripe_promotion_code_id: None,
            overrides_click: input.overrides_click_attribution.unwrap_or(true),
            created_at: OffsetDateTime::now_utc(),
        };
        let mut tx = self.store().write().await?;
        tx.get_campaign(actor.org_id, program)
            .await?
            .ok_or(AppError::NotFound("program"))?;
        insert(tx.as_mut(), &coupon).await?;
        audit::record(
            tx.as_mut(),
            actor.org_id,
            &actor.audit_name(),
            "coupon.created",
            ("coupon", &coupon.id),
            None::<&()>,
            Some(&coupon),
        )
        .await?;
        tx.commit().await?;
        Ok(coupon)
    }

    pub async fn create_promotion_code(
        &self,
        actor: &Actor,
        affiliate: AffiliateId,
        input: NewPromotionCode,
    ) -> AppResult<Coupon> {
        actor.authorize(Permission::ManageAffiliates, true)?;
        let org = actor.org_id;
        let code = CouponCode::parse(&input.code)?;
        let promo = stripe_id("stripePromotionCodeId", input.stripe_promotion_code_id.as_deref())?;
        let stripe_coupon = stripe_id("stripeCouponId", input.stripe_coupon_id.as_deref())?;
        let mut tx = self.store().write().await?;
        tx.get_affiliate(org, affiliate)
            .await?
            .ok_or(AppError::NotFound("affiliate"))?;
        let parent = match input.coupon_id {
            Some(id) => Some(
                tx.get_coupon(org, id)
                    .await?
                    .filter(|c| c.affiliate_id.is_none())
                    .ok_or_else(|| ValidationError::new("couponId", "names no campaign coupon"))?,
            ),
            None => None,
        };
        let memberships = tx.list_memberships(org, affiliate).await?;
        let campaign = match (parent.as_ref().map(|p| p.campaign_id), input.program_id) {
            (Some(a), Some(b)) if a != b => {
                return Err(ValidationError::new("programId", "is not the program of the coupon").into());
            }
            (Some(c), _) | (None, Some(c)) => c,
            (None, None) if memberships.len() == 1 => memberships[0].campaign_id,
            (None, None) => {
                return Err(ValidationError::new("programId", "name the program this code credits").into());
            }
        };
        if !memberships.iter().any(|m| m.campaign_id == campaign) {
            return Err(ValidationError::new("programId", "the affiliate is not in this program").into());
        }
        let coupon = Coupon {
            id: CouponId::new(),
            org_id: org,
            campaign_id: campaign,
            affiliate_id: Some(affiliate),
            parent_id: parent.as_ref().map(|p| p.id),
            code,
            stripe_coupon_id: stripe_coupon,
            stripe_promotion_code_id: promo,
            overrides_click: input
                .overrides_click_attribution
                .or(parent.map(|p| p.overrides_click))
                .unwrap_or(true),
            created_at: OffsetDateTime::now_utc(),
        };
        insert(tx.as_mut(), &coupon).await?;
        audit::record(
            tx.as_mut(),
            org,
            &actor.audit_name(),
            "coupon.created",
            ("coupon", &coupon.id),
            None::<&()>,
            Some(&coupon),
        )
        .await?;
        tx.commit().await?;
        Ok(coupon)
    }

    /// A program's coupons and promotion codes, oldest first.
    pub async fn program_coupons(&self, actor: &Actor, program: CampaignId) -> AppResult<Vec<Coupon>> {
        actor.authorize(Permission::ViewData, false)?;
        let mut tx = self.store().read().await?;
        tx.get_campaign(actor.org_id, program)
            .await?
            .ok_or(AppError::NotFound("program"))?;
        Ok(tx.list_coupons(actor.org_id, Some(program), None).await?)
    }

    /// An affiliate's promotion codes, oldest first.
    pub async fn affiliate_coupons(&self, actor: &Actor, affiliate: AffiliateId) -> AppResult<Vec<Coupon>> {
        actor.authorize(Permission::ViewData, false)?;
        let mut tx = self.store().read().await?;
        tx.get_affiliate(actor.org_id, affiliate)
            .await?
            .ok_or(AppError::NotFound("affiliate"))?;
        Ok(tx.list_coupons(actor.org_id, None, Some(affiliate)).await?)
    }
}
