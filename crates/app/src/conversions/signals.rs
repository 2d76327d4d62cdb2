//! Turns what conversions report (slug, click, coupons, customer) into attribution signals,
//! each with the membership it names. Unknown or foreign references name nobody. Lookups are
//! remembered across the conversions of one batch, and the customers a batch binds are seen
//! by its later conversions.

use std::collections::HashMap;

use afflux_domain::{AffiliateId, CampaignId, ClickId, Coupon, CouponCode, OrgId, Signal, SignalKind};
use afflux_store::{AttributionTarget, Tx};

use super::{CouponRef, NewConversion};
use crate::AppResult;

/// What the winner's signal brings besides the affiliate.
#[derive(Debug, Clone)]
pub(super) struct Detail {
    pub target: AttributionTarget,
    pub coupon_code: Option<String>,
    pub click_id: Option<ClickId>,
}

/// Signals and their details, index for index.
#[derive(Debug, Default)]
pub(super) struct Found {
    pub signals: Vec<Signal>,
    pub details: Vec<Detail>,
}

impl Found {
    fn add(
        &mut self,
        kind: SignalKind,
        target: AttributionTarget,
        coupon_code: Option<String>,
        click_id: Option<ClickId>,
    ) {
        self.signals.push(Signal {
            kind,
            affiliate_id: target.affiliate_id,
            affiliate_email_key: target.affiliate_email_key.clone(),
            campaign_id: target.campaign_id,
            status: target.status,
            cookie_window_days: target.cookie_window_days,
            attribution_model: target.attribution_model,
        });
        self.details.push(Detail {
            target,
            coupon_code,
            click_id,
        });
    }
}

/// The lookups of one batch.
#[derive(Default)]
pub(super) struct Resolver {
    slugs: HashMap<String, Vec<AttributionTarget>>,
    targets: HashMap<(OrgId, AffiliateId, CampaignId), Option<AttributionTarget>>,
    coupons: HashMap<(OrgId, CouponRef), Option<Coupon>>,
    bindings: HashMap<(OrgId, String), (AffiliateId, CampaignId)>,
}

impl Resolver {
    /// Reads, in one query per organization, the bindings of every customer in the batch.
    pub(super) async fn preload_bindings(&mut self, tx: &mut dyn Tx, inputs: &[NewConversion]) -> AppResult<()> {
        let mut keys: HashMap<OrgId, Vec<String>> = HashMap::new();
        for input in inputs {
            keys.entry(input.org_id)
                .or_default()
                .extend(input.customer.keys.iter().cloned());
        }
        for (org, mut keys) in keys {
            keys.sort();
            keys.dedup();
            for b in tx.get_customer_bindings(org, &keys).await? {
                self.bindings
                    .insert((org, b.customer_key), (b.affiliate_id, b.campaign_id));
            }
        }
        Ok(())
    }

    /// Notes that a conversion of this batch bound these customer keys (unless bound before).
    pub(super) fn bind(&mut self, org: OrgId, keys: &[String], affiliate: AffiliateId, campaign: CampaignId) {
        for key in keys {
            self.bindings.entry((org, key.clone())).or_insert((affiliate, campaign));
        }
    }

    /// The attribution target of an affiliate in a campaign (cached for the batch).
    pub(super) async fn target_of(
        &mut self,
        tx: &mut dyn Tx,
        org: OrgId,
        affiliate: AffiliateId,
        campaign: CampaignId,
    ) -> AppResult<Option<AttributionTarget>> {
        self.target(tx, org, affiliate, campaign).await
    }

    async fn target(
        &mut self,
        tx: &mut dyn Tx,
        org: OrgId,
        affiliate: AffiliateId,
        campaign: CampaignId,
    ) -> AppResult<Option<AttributionTarget>> {
        let key = (org, affiliate, campaign);
        if let Some(t) = self.targets.get(&key) {
            return Ok(t.clone());
        }
        let t = tx.attribution_target(org, affiliate, campaign).await?;
        self.targets.insert(key, t.clone());
        Ok(t)
    }

    async fn coupon(&mut self, tx: &mut dyn Tx, org: OrgId, r: &CouponRef) -> AppResult<Option<Coupon>> {
        let key = (org, r.clone());
        if let Some(c) = self.coupons.get(&key) {
            return Ok(c.clone());
        }
        let c = match r {
            CouponRef::Code(code) => tx.get_coupon_by_code(org, &CouponCode::key_of(code)).await?,
            CouponRef::PromotionCode(id) => tx.get_coupon_by_promotion_code(org, id).await?,
            CouponRef::StripeCoupon(id) => tx.get_coupon_by_stripe_coupon(org, id).await?,
        };
        self.coupons.insert(key, c.clone());
        Ok(c)
    }

    /// The membership a slug credits: the program asked for, else the affiliate's earliest
    /// membership that earns, else their earliest.
    async fn slug_target(
        &mut self,
        tx: &mut dyn Tx,
        org: OrgId,
        slug: &str,
        program: Option<CampaignId>,
    ) -> AppResult<Option<AttributionTarget>> {
        let key = slug.trim().to_ascii_lowercase();
        if !self.slugs.contains_key(&key) {
            let found = tx.attribution_targets_by_slug(&key).await?;
            self.slugs.insert(key.clone(), found);
        }
        let all: Vec<&AttributionTarget> = self.slugs[&key].iter().filter(|t| t.org_id == org).collect();
        let chosen = match program {
            Some(p) => all.into_iter().find(|t| t.campaign_id == p),
            None => all.iter().find(|t| t.status.earns()).or(all.first()).copied(),
        };
        Ok(chosen.cloned())
    }

    pub(super) async fn resolve(&mut self, tx: &mut dyn Tx, input: &NewConversion) -> AppResult<Found> {
        let org = input.org_id;
        let referral = &input.referral;
        let mut found = Found::default();
        for r in &referral.coupons {
            // A campaign coupon credits nobody; its affiliates' promotion codes do.
            if let Some(c) = self.coupon(tx, org, r).await?
                && let Some(affiliate) = c.affiliate_id
                && let Some(t) = self.target(tx, org, affiliate, c.campaign_id).await?
            {
                let kind = SignalKind::Coupon {
                    overrides_click: c.overrides_click,
                };
                found.add(kind, t, Some(c.code.to_string()), None);
            }
        }
        if let Some((id, source)) = referral.click_id
            && let Some(click) = tx.get_click(id).await?
            && click.org_id == org
            && let Some(t) = self.target(tx, org, click.affiliate_id, click.campaign_id).await?
        {
            let kind = SignalKind::Referral {
                source,
                at: Some(click.at),
            };
            found.add(kind, t, None, Some(id));
        }
        if let Some((slug, source)) = &referral.slug
            && let Some(t) = self.slug_target(tx, org, slug, referral.program_id).await?
        {
            let kind = SignalKind::Referral {
                source: *source,
                at: None,
            };
            found.add(kind, t, None, None);
        }
        let bound = input
            .customer
            .keys
            .iter()
            .find_map(|k| self.bindings.get(&(org, k.clone())).copied());
        if let Some((affiliate, campaign)) = bound
            && let Some(t) = self.target(tx, org, affiliate, campaign).await?
        {
            found.add(SignalKind::Customer, t, None, None);
        }
        Ok(found)
    }
}
