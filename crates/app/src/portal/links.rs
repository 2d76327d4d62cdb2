//! Referral links, the link builder, recruitment links and coupon codes.

use afflux_domain::{Affiliate, AffiliateStatus, Campaign, CampaignId, Coupon, OrgId, ValidationError};
use url::Url;

use super::home::campaigns_of;
use super::{PortalCampaign, PortalViewer};
use crate::{App, AppError, AppResult};

#[derive(Debug, Clone)]
pub struct PortalLinks {
    pub campaigns: Vec<PortalCampaign>,
    /// Two-tier campaigns the affiliate is approved in, with their recruitment link.
    pub recruitment: Vec<(Campaign, String)>,
    pub coupons: Vec<Coupon>,
}

/// A link the builder made, or why it could not.
#[derive(Debug, Clone)]
pub struct LinkBuilder {
    pub campaign_id: CampaignId,
    pub url: String,
    pub result: Result<String, ValidationError>,
}

/// The campaign's destination with `via={slug}` (the tracking script reads it on arrival).
pub fn referral_link(campaign: &Campaign, affiliate: &Affiliate) -> String {
    with_via(&campaign.destination_url, affiliate)
}

fn with_via(url: &str, affiliate: &Affiliate) -> String {
    match Url::parse(url) {
        Ok(mut parsed) => {
            let kept: Vec<(String, String)> = parsed
                .query_pairs()
                .filter(|(k, _)| k != "via")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            parsed
                .query_pairs_mut()
                .clear()
                .extend_pairs(kept)
                .append_pair("via", affiliate.slug.as_str());
            parsed.to_string()
        }
        Err(_) => format!("{url}?via={}", affiliate.slug),
    }
}

/// A link to any page of the brand's site: it must be on the host of the campaign's
/// destination (a `www.` prefix on either side is the same site).
pub fn build_link(campaign: &Campaign, affiliate: &Affiliate, page: &str) -> Result<String, ValidationError> {
    let invalid = |m: &str| ValidationError::with_code("url", "invalid_url", m.to_owned());
    let page = page.trim();
    let parsed = Url::parse(page).map_err(|_| invalid("must be a full address starting with https://"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid("must start with https:// or http://"));
    }
    let host = |u: &Url| u.host_str().map(|h| h.trim_start_matches("www.").to_ascii_lowercase());
    let destination = Url::parse(&campaign.destination_url).ok();
    if parsed.host_str().is_none() || destination.as_ref().and_then(host) != host(&parsed) {
        return Err(ValidationError::with_code(
            "url",
            "url_not_on_brand_site",
            format!(
                "must be a page of {}",
                destination
                    .as_ref()
                    .and_then(Url::host_str)
                    .unwrap_or("the brand's site")
            ),
        ));
    }
    Ok(with_via(parsed.as_str(), affiliate))
}

impl App {
    pub async fn portal_links(&self, viewer: &PortalViewer, org: OrgId) -> AppResult<PortalLinks> {
        let account = viewer.account(org)?;
        let affiliate = &account.affiliate;
        let mut tx = self.store().read().await?;
        let campaigns = campaigns_of(tx.as_mut(), org, affiliate).await?;
        let recruitment = campaigns
            .iter()
            .filter(|c| c.membership.status == AffiliateStatus::Approved && c.campaign.rules.two_tier_percent.is_some())
            .map(|c| (c.campaign.clone(), self.recruitment_link(&c.campaign, affiliate)))
            .collect();
        let coupons = tx.list_coupons(org, None, Some(affiliate.id)).await?;
        Ok(PortalLinks {
            campaigns,
            recruitment,
            coupons,
        })
    }

    /// The link builder: `page` with the affiliate's `via=`, for a campaign they are in.
    pub async fn portal_build_link(
        &self,
        viewer: &PortalViewer,
        org: OrgId,
        campaign: CampaignId,
        page: &str,
    ) -> AppResult<LinkBuilder> {
        let account = viewer.account(org)?;
        let mut tx = self.store().read().await?;
        let found = campaigns_of(tx.as_mut(), org, &account.affiliate)
            .await?
            .into_iter()
            .find(|c| c.campaign.id == campaign)
            .ok_or(AppError::NotFound("program"))?;
        Ok(LinkBuilder {
            campaign_id: campaign,
            url: page.to_owned(),
            result: build_link(&found.campaign, &account.affiliate, page),
        })
    }

    /// The campaign's public application page naming the affiliate as recruiter: whoever
    /// applies through it is recorded as recruited by them.
    fn recruitment_link(&self, campaign: &Campaign, affiliate: &Affiliate) -> String {
        self.config().url(&format!(
            "/p/{}/{}?recruiter={}",
            campaign.org_id, campaign.slug, affiliate.slug
        ))
    }
}

#[cfg(test)]
mod tests {
    use afflux_domain::{Email, Slug};

    use super::*;

    fn affiliate() -> Affiliate {
        Affiliate {
            id: afflux_domain::AffiliateId::new(),
            org_id: OrgId::new(),
            email: Email::parse("a@example.com").unwrap(),
            name: None,
            paypal_email: None,
            stripe_account_id: None,
            slug: Slug::parse("jane-recommends").unwrap(),
            created_at: time::OffsetDateTime::now_utc(),
        }
    }

    #[test]
    fn via_is_added_once_and_other_parameters_kept() {
        let a = affiliate();
        assert_eq!(
            with_via("https://brand.test/pricing", &a),
            "https://brand.test/pricing?via=jane-recommends"
        );
        assert_eq!(
            with_via("https://brand.test/?utm=x&via=old", &a),
            "https://brand.test/?utm=x&via=jane-recommends"
        );
    }

    #[test]
    fn the_builder_takes_pages_of_the_brands_site_only() {
        let a = affiliate();
        let now = time::OffsetDateTime::now_utc();
        let campaign = Campaign {
            id: CampaignId::new(),
            org_id: a.org_id,
            name: "Shop".into(),
            slug: Slug::parse("shop").unwrap(),
            destination_url: "https://brand.test/pricing".into(),
            commission: afflux_domain::CommissionValue {
                kind: afflux_domain::CommissionType::Percentage,
                value: 2000,
            },
            currency: afflux_domain::Currency::USD,
            commission_model: afflux_domain::CommissionModel::Cps,
            cookie_window_days: 30,
            attribution_model: afflux_domain::AttributionModel::LastTouch,
            auto_approve: false,
            description: None,
            terms_url: None,
            archived: false,
            rules: afflux_domain::CampaignRules::default(),
            created_at: now,
            updated_at: now,
        };
        assert_eq!(
            build_link(&campaign, &a, " https://www.brand.test/blog/post ").unwrap(),
            "https://www.brand.test/blog/post?via=jane-recommends"
        );
        assert_eq!(
            build_link(&campaign, &a, "https://evil.test/").unwrap_err().code,
            "url_not_on_brand_site"
        );
        assert_eq!(
            build_link(&campaign, &a, "brand.test/x").unwrap_err().code,
            "invalid_url"
        );
        assert_eq!(
            build_link(&campaign, &a, "ftp://brand.test/x").unwrap_err().code,
            "invalid_url"
        );
    }
}
