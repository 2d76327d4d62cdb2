//! Partner emails (seed 003), resolved when the worker sends them: the affiliate's "thank you"
//! for a commission and their milestone congratulation (both in the campaign's own words),
//! "payout sent" to the affiliate, and to the team "payout failed" (Owners and Admins, always)
//! and the monthly "commissions due" reminder (Owners and Admins who keep it on). Each checks
//! that what it announces still holds: a commission denied, a toggle turned off, a milestone
//! removed, a payout retried or a reminder already acted on sends nothing.

use afflux_domain::{
    Affiliate, Campaign, CommissionStatus, Email, Milestone, NotificationEvent, Organization, PartnerValues,
    PayoutItem, PayoutStatus, Role, UserId, render_html, render_text,
};
use afflux_store::{DueTotal, Tx};

use super::EmailJob;
use super::templates::{Rendered, esc, wrap};
use crate::{App, AppResult};

/// A message for this recipient, or why it is skipped.
pub(super) type Outcome = Result<(Email, Rendered), &'static str>;

fn base_values(app: &App, org: &Organization, campaign: &Campaign, affiliate: &Affiliate) -> PartnerValues {
    PartnerValues {
        affiliate_name: affiliate.name.clone().unwrap_or_default(),
        affiliate_email: affiliate.email.to_string(),
        campaign_name: campaign.name.clone(),
        org_name: org.name.clone(),
        referral_link: crate::portal::referral_link(campaign, affiliate),
        portal_link: app.config().url("/a"),
        ..PartnerValues::default()
    }
}

fn brand_text(org: &Organization, subject: &str, body: &str, values: &PartnerValues) -> Rendered {
    Rendered {
        subject: render_text(subject, values),
        text: render_text(body, values),
        html: wrap(org, &format!("<p>{}</p>", render_html(body, values))),
    }
}

fn payout_sent(org: &Organization, affiliate: &Affiliate, item: &PayoutItem) -> Rendered {
    let greeting = affiliate.name.as_deref().map(|n| format!(" {n}")).unwrap_or_default();
    let reference = item.reference.as_deref().unwrap_or("-");
    Rendered {
        subject: format!("{} paid you {}", org.name, item.amount),
        text: format!(
            "Hello{greeting},\n\n{} has paid you {} in affiliate commissions.\n\nReference: {reference}\n\nThank \
             you for your work.\n",
            org.name, item.amount
        ),
        html: wrap(
            org,
            &format!(
                "<p>Hello{},</p><p><b>{}</b> has paid you <b>{}</b> in affiliate commissions.</p>\
                 <p>Reference: {}</p><p>Thank you for your work.</p>",
                esc(&greeting),
                esc(&org.name),
                esc(&item.amount.to_string()),
                esc(reference)
            ),
        ),
    }
}

fn payout_failed(org: &Organization, affiliate: &Affiliate, item: &PayoutItem, link: &str) -> Rendered {
    let who = affiliate.name.as_deref().unwrap_or(affiliate.email.as_str());
    let reason = item.failure_reason.as_deref().unwrap_or("no reason given");
    Rendered {
        subject: format!("Payout failed: {} to {who}", item.amount),
        text: format!(
            "The payout of {} to {who} ({}) failed.\n\nReason: {reason}\n\nRetry it or pay it another way: {link}\n",
            item.amount, affiliate.email
        ),
        html: wrap(
            org,
            &format!(
                "<p>The payout of <b>{}</b> to <b>{}</b> ({}) failed.</p><p>Reason: {}</p>\
                 <p><a href=\"{}\">Retry it or pay it another way</a></p>",
                esc(&item.amount.to_string()),
                esc(who),
                esc(affiliate.email.as_str()),
                esc(reason),
                esc(link)
            ),
        ),
    }
}

fn plural(n: i64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn commissions_due(org: &Organization, due: &[DueTotal], link: &str) -> Rendered {
    let lines: Vec<String> = due
        .iter()
        .map(|d| {
            format!(
                "{} in {} to {}",
                d.amount,
                plural(d.commissions, "commission"),
                plural(d.affiliates, "affiliate")
            )
        })
        .collect();
    Rendered {
        subject: format!("Commissions are due for payout at {}", org.name),
        text: format!(
            "Approved commissions are waiting for a payout run:\n\n{}\n\nStart a payout run: {link}\n",
            lines.iter().map(|l| format!("- {l}")).collect::<Vec<_>>().join("\n")
        ),
        html: wrap(
            org,
            &format!(
                "<p>Approved commissions are waiting for a payout run:</p><ul>{}</ul>\
                 <p><a href=\"{}\">Start a payout run</a></p>",
                lines.iter().map(|l| format!("<li>{}</li>", esc(l))).collect::<String>(),
                esc(link)
            ),
        ),
    }
}

/// A member who is (still) an Owner or Admin, with their address.
async fn owner_or_admin(tx: &mut dyn Tx, org: &Organization, user: UserId) -> AppResult<Option<(Email, Role)>> {
    let Some(member) = tx.get_member(org.id, user).await? else {
        return Ok(None);
    };
    if !matches!(member.role, Role::Owner | Role::Admin) {
        return Ok(None);
    }
    Ok(tx.get_user(user).await?.map(|u| (u.email, member.role)))
}

impl App {
    /// The partner email `job` as it stands now.
    pub(super) async fn prepare_partner(
        &self,
        tx: &mut dyn Tx,
        org: &Organization,
        job: &EmailJob,
    ) -> AppResult<Outcome> {
        match job {
            EmailJob::CommissionThankYou { commission_id, .. } => {
                let Some(commission) = tx.get_commission(org.id, *commission_id).await? else {
                    return Ok(Err("commission gone"));
                };
                if !matches!(
                    commission.status,
                    CommissionStatus::Pending | CommissionStatus::Approved | CommissionStatus::Paid
                ) {
                    return Ok(Err("commission no longer earned"));
                }
                let (Some(affiliate), Some(campaign), Some(sale)) = (
                    tx.get_affiliate(org.id, commission.affiliate_id).await?,
                    tx.get_campaign(org.id, commission.campaign_id).await?,
                    tx.get_conversion(org.id, commission.conversion_id).await?,
                ) else {
                    return Ok(Err("affiliate, campaign or sale gone"));
                };
                let email = &campaign.rules.thank_you_email;
                if !email.enabled {
                    return Ok(Err("thank-you emails turned off"));
                }
                let totals = tx.sales_totals(org.id, affiliate.id, campaign.id).await?;
                let values = PartnerValues {
                    commission_amount: commission.amount.to_string(),
                    sale_amount: sale.amount.to_string(),
                    total_sales: totals.display(sale.amount.currency),
                    number_of_sales: totals.count.to_string(),
                    ..base_values(self, org, &campaign, &affiliate)
                };
                Ok(Ok((
                    affiliate.email.clone(),
                    brand_text(org, &email.subject, &email.body, &values),
                )))
            }
            EmailJob::MilestoneReached {
                campaign_id,
                affiliate_id,
                milestone_key,
                sales,
                totals,
                ..
            } => {
                let (Some(affiliate), Some(campaign)) = (
                    tx.get_affiliate(org.id, *affiliate_id).await?,
                    tx.get_campaign(org.id, *campaign_id).await?,
                ) else {
                    return Ok(Err("affiliate or campaign gone"));
                };
                let Some(milestone) = campaign
                    .rules
                    .milestones
                    .iter()
                    .find(|m: &&Milestone| m.key() == *milestone_key)
                else {
                    return Ok(Err("milestone removed"));
                };
                let snapshot = afflux_domain::SalesTotals {
                    count: *sales,
                    amounts: totals.clone(),
                };
                let total_sales = match milestone.threshold {
                    afflux_domain::MilestoneThreshold::SalesTotal { currency, .. } => {
                        snapshot.amount_in(currency).to_string()
                    }
                    afflux_domain::MilestoneThreshold::SalesCount { .. } => snapshot.display(campaign.currency),
                };
                let values = PartnerValues {
                    total_sales,
                    number_of_sales: sales.to_string(),
                    milestone_name: milestone.name.clone(),
                    ..base_values(self, org, &campaign, &affiliate)
                };
                Ok(Ok((
                    affiliate.email.clone(),
                    brand_text(org, &milestone.subject, &milestone.body, &values),
                )))
            }
            EmailJob::PayoutSent { payout_item_id, .. } => {
                let Some(item) = tx.get_payout_item(org.id, *payout_item_id).await? else {
                    return Ok(Err("payout item gone"));
                };
                if item.status != PayoutStatus::Paid {
                    return Ok(Err("payout item not paid"));
                }
                let Some(affiliate) = tx.get_affiliate(org.id, item.affiliate_id).await? else {
                    return Ok(Err("affiliate gone"));
                };
                Ok(Ok((affiliate.email.clone(), payout_sent(org, &affiliate, &item))))
            }
            EmailJob::PayoutFailed {
                payout_item_id,
                user_id,
                attempt,
                ..
            } => {
                let Some(item) = tx.get_payout_item(org.id, *payout_item_id).await? else {
                    return Ok(Err("payout item gone"));
                };
                if item.status != PayoutStatus::Failed || item.attempts != *attempt {
                    return Ok(Err("payout item retried since"));
                }
                let Some((to, _)) = owner_or_admin(tx, org, *user_id).await? else {
                    return Ok(Err("no longer an Owner or Admin"));
                };
                let Some(affiliate) = tx.get_affiliate(org.id, item.affiliate_id).await? else {
                    return Ok(Err("affiliate gone"));
                };
                let link = self.config().url(&format!("/dashboard/payouts/{}", item.run_id));
                Ok(Ok((to, payout_failed(org, &affiliate, &item, &link))))
            }
            EmailJob::CommissionsDue { user_id, .. } => {
                let Some((to, role)) = owner_or_admin(tx, org, *user_id).await? else {
                    return Ok(Err("no longer an Owner or Admin"));
                };
                if !crate::applications::wants(tx, org.id, *user_id, role, NotificationEvent::CommissionsDue).await? {
                    return Ok(Err("notification turned off"));
                }
                let due = tx.commissions_due(org.id).await?;
                if due.is_empty() {
                    return Ok(Err("nothing due any more"));
                }
                Ok(Ok((
                    to,
                    commissions_due(org, &due, &self.config().url("/dashboard/payouts")),
                )))
            }
            _ => Ok(Err("not a partner email")),
        }
    }
}

#[cfg(test)]
mod tests {
    use afflux_domain::Money;

    use super::*;

    #[test]
    fn the_team_reminder_lists_each_currency() {
        let org = Organization {
            id: afflux_domain::OrgId::new(),
            name: "Acme <Labs>".into(),
            plan: afflux_domain::PlanTier::Growth,
            subscription_status: afflux_domain::SubscriptionStatus::Active,
            home_currency: afflux_domain::Currency::USD,
            sender_name: None,
            reply_to: None,
            created_at: time::OffsetDateTime::UNIX_EPOCH,
        };
        let due = [
            DueTotal {
                amount: Money::new(12_345, afflux_domain::Currency::EUR),
                commissions: 3,
                affiliates: 2,
            },
            DueTotal {
                amount: Money::new(500, afflux_domain::Currency::USD),
                commissions: 1,
                affiliates: 1,
            },
        ];
        let r = commissions_due(&org, &due, "https://x.test/dashboard/payouts");
        assert!(
            r.text.contains("- 123.45 EUR in 3 commissions to 2 affiliates"),
            "{}",
            r.text
        );
        assert!(r.text.contains("- 5.00 USD in 1 commission to 1 affiliate"));
        assert!(r.html.contains("Acme &lt;Labs&gt;"));
        assert_eq!(r.subject, "Commissions are due for payout at Acme <Labs>");
    }
}
