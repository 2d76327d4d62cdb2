//! Promo tools in the portal: each campaign's banners, swipes and text links with the
//! affiliate's referral link merged in.

use afflux_domain::{AffiliateStatus, OrgId, PromoAsset, PromoKind, render_promo};

use super::home::campaigns_of;
use super::{PortalCampaign, PortalViewer};
use crate::{App, AppResult};

/// One asset ready to copy: a banner's embed HTML, or a body with the merge fields filled.
#[derive(Debug, Clone)]
pub struct PortalPromo {
    pub asset: PromoAsset,
    pub ready: String,
}

fn attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl App {
    /// The promo tools of every campaign the affiliate is approved in.
    pub async fn portal_promo(
        &self,
        viewer: &PortalViewer,
        org: OrgId,
    ) -> AppResult<Vec<(PortalCampaign, Vec<PortalPromo>)>> {
        let account = viewer.account(org)?;
        let affiliate = &account.affiliate;
        let campaigns = campaigns_of(self.store().read().await?.as_mut(), org, affiliate).await?;
        let name = affiliate.name.as_deref().unwrap_or_default();
        let mut out = Vec::new();
        for campaign in campaigns {
            if campaign.membership.status != AffiliateStatus::Approved {
                continue;
            }
            let assets = self.promo_assets(org, campaign.campaign.id).await?;
            let promos = assets
                .into_iter()
                .map(|asset| {
                    let ready = match asset.kind {
                        PromoKind::Banner => {
                            let size = match (asset.width, asset.height) {
                                (Some(w), Some(h)) => format!(" width=\"{w}\" height=\"{h}\""),
                                _ => String::new(),
                            };
                            format!(
                                "<a href=\"{}\"><img src=\"{}\" alt=\"{}\"{size}></a>",
                                attr(&campaign.link),
                                attr(&self.config().url(&format!("/promo/{}", asset.id))),
                                attr(&asset.title)
                            )
                        }
                        PromoKind::EmailSwipe | PromoKind::TextLink => {
                            render_promo(asset.body.as_deref().unwrap_or_default(), &campaign.link, name)
                        }
                    };
                    PortalPromo { asset, ready }
                })
                .collect();
            out.push((campaign, promos));
        }
        Ok(out)
    }
}
