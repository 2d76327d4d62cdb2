//! The portal home: lifetime earnings, activity over 30 days, campaigns and the next payment.
//!
//! The next payment follows how payout runs pay (see `plan_payouts`): per currency, the
//! approved commissions no payout holds yet, once they reach the highest minimum payout among
//! their campaigns. Runs are started by the brand, so a payment that is due now is expected
//! today (at the brand's next run); otherwise it is expected on the day enough pending
//! commissions finish their hold to reach the minimum. Clawbacks are not netted in here.

use std::collections::{BTreeMap, HashMap};

use afflux_domain::{
    Affiliate, AffiliateId, Campaign, CampaignId, Commission, CommissionStatus, Currency, Membership, Money, OrgId,
    Organization, PayoutStatus, Permission,
};
use afflux_store::{ActivityDay, CommissionFilter, Page, PayoutItemFilter, Tx};
use time::{Date, Duration, OffsetDateTime};

use super::{PortalViewer, referral_link};
use crate::{Actor, App, AppError, AppResult};

/// Days the home chart covers, today included.
const CHART_DAYS: i64 = 30;

#[derive(Debug, Clone)]
pub struct PortalHome {
    pub org: Organization,
    pub affiliate: Affiliate,
    /// One entry per currency earned in, by currency code.
    pub earnings: Vec<CurrencyEarnings>,
    pub conversions: i64,
    pub clicks: i64,
    pub next_payments: Vec<NextPayment>,
    pub chart: ActivityChart,
    pub campaigns: Vec<PortalCampaign>,
}

/// Commissions in one currency. `pending` includes `on_hold` (the part still inside the
/// refund hold); lifetime is pending + approved + paid.
#[derive(Debug, Clone, PartialEq)]
pub struct CurrencyEarnings {
    pub currency: Currency,
    pub lifetime: Money,
    pub pending: Money,
    pub on_hold: Money,
    pub approved: Money,
    pub paid: Money,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NextPayment {
    pub amount: Money,
    /// The highest minimum payout among the campaigns the amount comes from.
    pub minimum: Money,
    /// None while the amount, pending holds included, stays under the minimum.
    pub expected: Option<Date>,
    /// Already in a payout run the brand has not marked paid yet.
    pub in_payment: bool,
}

/// Clicks and conversions for each of the last 30 days, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityChart {
    pub days: Vec<ActivityDay>,
}

impl ActivityChart {
    pub fn peak(&self) -> i64 {
        self.days.iter().map(|d| d.clicks.max(d.conversions)).max().unwrap_or(0)
    }
}

#[derive(Debug, Clone)]
pub struct PortalCampaign {
    pub campaign: Campaign,
    pub membership: Membership,
    pub link: String,
}

impl App {
    pub async fn portal_home(&self, viewer: &PortalViewer, org: OrgId) -> AppResult<PortalHome> {
        let account = viewer.account(org)?;
        self.home_of(&account.org, &account.affiliate).await
    }

    /// "View as affiliate" on the dashboard: the portal home of one affiliate, read-only, for
    /// Owners and Admins.
    pub async fn portal_preview(&self, actor: &Actor, affiliate: AffiliateId) -> AppResult<PortalHome> {
        actor.authorize(Permission::ManageSettings, false)?;
        let (org, affiliate) = {
            let mut tx = self.store().read().await?;
            let org = tx
                .get_org(actor.org_id)
                .await?
                .ok_or(AppError::NotFound("organization"))?;
            let affiliate = tx
                .get_affiliate(actor.org_id, affiliate)
                .await?
                .ok_or(AppError::NotFound("affiliate"))?;
            (org, affiliate)
        };
        self.home_of(&org, &affiliate).await
    }

    async fn home_of(&self, org: &Organization, affiliate: &Affiliate) -> AppResult<PortalHome> {
        let now = OffsetDateTime::now_utc();
        let mut tx = self.store().read().await?;
        let (org_id, id) = (org.id, affiliate.id);
        let earnings = earnings_by_currency(tx.as_mut(), org_id, id, now).await?;
        let campaigns = campaigns_of(tx.as_mut(), org_id, affiliate).await?;
        let minimums: HashMap<CampaignId, i64> = campaigns
            .iter()
            .map(|c| (c.campaign.id, c.campaign.rules.minimum_payout_minor))
            .collect();
        let next_payments = next_payments(tx.as_mut(), org_id, id, &minimums, now).await?;
        let today = now.date();
        let from = today - Duration::days(CHART_DAYS - 1);
        let stored = tx.affiliate_activity(org_id, id, from, today).await?;
        let chart = ActivityChart {
            days: (0..CHART_DAYS)
                .map(|i| {
                    let day = from + Duration::days(i);
                    stored.iter().find(|d| d.day == day).cloned().unwrap_or(ActivityDay {
                        day,
                        clicks: 0,
                        conversions: 0,
                    })
                })
                .collect(),
        };
        Ok(PortalHome {
            org: org.clone(),
            affiliate: affiliate.clone(),
            earnings,
            conversions: tx.affiliate_conversion_count(org_id, id).await?,
            clicks: tx.click_count(org_id, id, None).await?,
            next_payments,
            chart,
            campaigns,
        })
    }
}

async fn earnings_by_currency(
    tx: &mut dyn Tx,
    org: OrgId,
    affiliate: AffiliateId,
    now: OffsetDateTime,
) -> AppResult<Vec<CurrencyEarnings>> {
    let mut by_currency: BTreeMap<&'static str, CurrencyEarnings> = BTreeMap::new();
    for total in tx.affiliate_earnings(org, affiliate, now).await? {
        let zero = Money::new(0, total.currency);
        let entry = by_currency.entry(total.currency.code()).or_insert(CurrencyEarnings {
            currency: total.currency,
            lifetime: zero,
            pending: zero,
            on_hold: zero,
            approved: zero,
            paid: zero,
        });
        let slot = match total.status {
            CommissionStatus::Pending => &mut entry.pending,
            CommissionStatus::Approved => &mut entry.approved,
            CommissionStatus::Paid => &mut entry.paid,
            CommissionStatus::Refunded | CommissionStatus::Denied => continue,
        };
        slot.minor += total.amount_minor;
        entry.lifetime.minor += total.amount_minor;
        if total.on_hold {
            entry.on_hold.minor += total.amount_minor;
        }
    }
    Ok(by_currency.into_values().collect())
}

/// The campaigns the affiliate is in (not rejected or banned), with their referral link.
pub(super) async fn campaigns_of(tx: &mut dyn Tx, org: OrgId, affiliate: &Affiliate) -> AppResult<Vec<PortalCampaign>> {
    let mut campaigns = Vec::new();
    for membership in tx.list_memberships(org, affiliate.id).await? {
        use afflux_domain::AffiliateStatus::*;
        if matches!(membership.status, Rejected | Banned) {
            continue;
        }
        if let Some(campaign) = tx.get_campaign(org, membership.campaign_id).await? {
            let link = referral_link(&campaign, affiliate);
            campaigns.push(PortalCampaign {
                campaign,
                membership,
                link,
            });
        }
    }
    Ok(campaigns)
}

async fn next_payments(
    tx: &mut dyn Tx,
    org: OrgId,
    affiliate: AffiliateId,
    minimums: &HashMap<CampaignId, i64>,
    now: OffsetDateTime,
) -> AppResult<Vec<NextPayment>> {
    let mut payments = Vec::new();
    let items = PayoutItemFilter {
        affiliate_id: Some(affiliate),
        status: Some(PayoutStatus::Pending),
        ..Default::default()
    };
    for item in tx.list_payout_items(org, &items, Page::ALL).await? {
        payments.push(NextPayment {
            amount: item.amount,
            minimum: Money::new(0, item.amount.currency),
            expected: Some(item.created_at.date()),
            in_payment: true,
        });
    }
    let approved = commissions(tx, org, affiliate, CommissionStatus::Approved).await?;
    let mut pending = commissions(tx, org, affiliate, CommissionStatus::Pending).await?;
    pending.sort_by_key(|c| c.hold_until);
    let mut currencies: Vec<Currency> = approved.iter().chain(&pending).map(|c| c.amount.currency).collect();
    currencies.sort_by_key(|c| c.code());
    currencies.dedup();
    for currency in currencies {
        let minimum_of = |c: &Commission| minimums.get(&c.campaign_id).copied().unwrap_or(0);
        let in_currency = |c: &&Commission| c.amount.currency == currency;
        let payable = approved
            .iter()
            .filter(in_currency)
            .filter(|c| c.payout_item_id.is_none());
        let (mut total, mut minimum) = (0i64, 0i64);
        for c in payable {
            total += c.amount.minor;
            minimum = minimum.max(minimum_of(c));
        }
        let mut expected = (total > 0 && total >= minimum).then_some(now.date());
        for c in pending.iter().filter(in_currency) {
            if expected.is_some() {
                break;
            }
            total += c.amount.minor;
            minimum = minimum.max(minimum_of(c));
            if total > 0 && total >= minimum {
                expected = Some(c.hold_until.date().max(now.date()));
            }
        }
        if total > 0 {
            payments.push(NextPayment {
                amount: Money::new(total, currency),
                minimum: Money::new(minimum, currency),
                expected,
                in_payment: false,
            });
        }
    }
    Ok(payments)
}

async fn commissions(
    tx: &mut dyn Tx,
    org: OrgId,
    affiliate: AffiliateId,
    status: CommissionStatus,
) -> AppResult<Vec<Commission>> {
    let filter = CommissionFilter {
        affiliate_id: Some(affiliate),
        status: Some(status),
        ..Default::default()
    };
    Ok(tx.list_commissions(org, &filter, Page::ALL).await?)
}
