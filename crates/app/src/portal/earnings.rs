//! Every commission with its sale, and every payout, for the earnings page.

use std::collections::HashMap;

use afflux_domain::{Campaign, CampaignId, Commission, CommissionKind, Conversion, OrgId, PayoutItem, PayoutRail};
use afflux_store::{CommissionFilter, Page, PayoutItemFilter};

use super::PortalViewer;
use crate::{App, AppResult};

/// Rows per page of the earnings list.
pub const EARNINGS_PAGE_SIZE: i64 = 25;

#[derive(Debug, Clone)]
pub struct EarningsPage {
    /// Newest first.
    pub rows: Vec<PortalConversion>,
    /// 1-based.
    pub page: i64,
    pub has_more: bool,
    /// Each payout with how it was paid, newest first.
    pub payouts: Vec<(PayoutItem, PayoutRail)>,
}

/// One commission, with the sale it was earned on when it is the affiliate's own (an
/// override's sale belongs to the affiliate they recruited and is not shown).
#[derive(Debug, Clone)]
pub struct PortalConversion {
    pub commission: Commission,
    pub conversion: Option<Conversion>,
    pub campaign_name: String,
}

impl App {
    pub async fn portal_earnings(&self, viewer: &PortalViewer, org: OrgId, page: i64) -> AppResult<EarningsPage> {
        let account = viewer.account(org)?;
        let id = account.affiliate.id;
        let page = page.max(1);
        let mut tx = self.store().read().await?;
        let filter = CommissionFilter {
            affiliate_id: Some(id),
            ..Default::default()
        };
        let mut commissions = tx
            .list_commissions(
                org,
                &filter,
                Page {
                    limit: EARNINGS_PAGE_SIZE + 1,
                    offset: (page - 1) * EARNINGS_PAGE_SIZE,
                },
            )
            .await?;
        let has_more = commissions.len() as i64 > EARNINGS_PAGE_SIZE;
        commissions.truncate(EARNINGS_PAGE_SIZE as usize);
        let mut campaigns: HashMap<CampaignId, Option<Campaign>> = HashMap::new();
        let mut rows = Vec::with_capacity(commissions.len());
        for commission in commissions {
            let conversion = match commission.kind {
                CommissionKind::Direct => tx
                    .get_conversion(org, commission.conversion_id)
                    .await?
                    .filter(|c| c.affiliate_id == id),
                CommissionKind::Override => None,
            };
            if let std::collections::hash_map::Entry::Vacant(slot) = campaigns.entry(commission.campaign_id) {
                slot.insert(tx.get_campaign(org, commission.campaign_id).await?);
            }
            let campaign_name = campaigns[&commission.campaign_id]
                .as_ref()
                .map(|c| c.name.clone())
                .unwrap_or_default();
            rows.push(PortalConversion {
                commission,
                conversion,
                campaign_name,
            });
        }
        let items = PayoutItemFilter {
            affiliate_id: Some(id),
            ..Default::default()
        };
        let mut payouts = Vec::new();
        for item in tx.list_payout_items(org, &items, Page::ALL).await? {
            let rail = tx
                .get_payout_run(org, item.run_id)
                .await?
                .map_or(PayoutRail::Manual, |run| run.rail);
            payouts.push((item, rail));
        }
        payouts.sort_by_key(|p| std::cmp::Reverse(p.0.created_at));
        Ok(EarningsPage {
            rows,
            page,
            has_more,
            payouts,
        })
    }
}
