//! Pay per click: once a clock hour is over, each affiliate's counted clicks (de-duplicated per
//! visitor and hour, bots never counted) in a pay-per-click campaign become one conversion of
//! Type Click and Source Click, earning the clicks times the campaign's Fixed rate (the
//! affiliate's override first; a Percentage rate earns nothing on a click), within the
//! campaign's optional budget (`rules.cpcBudgetMinor`): the hour that reaches it gets the
//! remainder, later ones nothing. Its commission and ledger entry are written as a sale's are.
//!
//! The worker runs the sweep once a minute; the last hour rolled up is an instance setting, so
//! each hour is rolled up once, and its conversions' external ids
//! (`cpc:{campaign}:{affiliate}:{hour}`) are unique: a rerun records nothing twice.

use std::collections::HashMap;

use afflux_domain::{
    AffiliateId, CampaignId, CommissionKind, CommissionModel, CommissionStatus, CommissionType, Conversion,
    ConversionId, ConversionProvider, ConversionSource, ConversionType, Money, OrgId,
};
use afflux_store::{AuditEntry, Tx};
use time::OffsetDateTime;

use super::earn::commission_rows;
use crate::{App, AppError, AppResult};

/// The instance setting holding the last hour rolled up (Unix seconds / 3,600).
const PROGRESS: &str = "cpc.rolled_up_through_hour";
/// The most hours one pass catches up on (a week); the next pass goes on.
const MAX_HOURS_PER_PASS: usize = 24 * 7;

impl App {
    /// Rolls up every complete clock hour before `now` not rolled up yet, an hour per
    /// transaction (on the first run, the hour before `now`'s). Answers how many click
    /// conversions were recorded. Safe on several nodes at once: each hour is taken under the
    /// instance lock and rolled up once.
    pub async fn roll_up_cpc_clicks(&self, now: OffsetDateTime) -> AppResult<usize> {
        let current = now.unix_timestamp().div_euclid(3_600);
        let progress = self.store().read().await?.get_setting(PROGRESS).await?;
        if progress
            .map(|p| parse_hour(&p))
            .transpose()?
            .is_some_and(|done| done + 1 >= current)
        {
            return Ok(0);
        }
        let mut recorded = 0;
        for _ in 0..MAX_HOURS_PER_PASS {
            let mut tx = self.store().write().await?;
            tx.lock_instance().await?;
            let done = match tx.get_setting(PROGRESS).await? {
                Some(p) => parse_hour(&p)?,
                None => current - 2,
            };
            let hour = done + 1;
            if hour >= current {
                break;
            }
            recorded += roll_up_hour(tx.as_mut(), hour, now).await?;
            tx.delete_setting(PROGRESS).await?;
            tx.init_setting(PROGRESS, &hour.to_string()).await?;
            tx.commit().await?;
        }
        Ok(recorded)
    }
}

fn parse_hour(value: &str) -> AppResult<i64> {
    value.parse().map_err(|_| {
        AppError::Internal(anyhow::anyhow!(
            "instance setting {PROGRESS} = {value:?} is not an hour"
        ))
    })
}

/// The external id of an affiliate's click conversion for one hour of one campaign.
fn cpc_external_id(campaign: CampaignId, affiliate: AffiliateId, hour: i64) -> String {
    format!("cpc:{campaign}:{affiliate}:{hour}")
}

/// Records the click conversions of one hour in the caller's transaction; answers how many.
async fn roll_up_hour(tx: &mut dyn Tx, hour: i64, now: OffsetDateTime) -> AppResult<usize> {
    let counts = tx.hourly_click_counts(hour).await?;
    let start = OffsetDateTime::from_unix_timestamp(hour * 3_600)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("hour {hour}: {e}")))?;
    let mut locked: Option<OrgId> = None;
    // What each campaign has spent, as this hour adds to it.
    let mut spent: HashMap<CampaignId, i64> = HashMap::new();
    let mut conversions: Vec<(Conversion, i32)> = vec![];
    for (org, affiliate, campaign, clicks) in counts {
        if locked != Some(org) {
            // Budgets are per campaign: spending them takes the organization's turn.
            tx.lock_org(org).await?;
            locked = Some(org);
        }
        let Some(t) = tx.attribution_target(org, affiliate, campaign).await? else {
            continue;
        };
        if !t.status.earns() || t.commission_model != CommissionModel::Cpc {
            continue;
        }
        let rate = t.commission_override.unwrap_or(t.commission);
        if rate.kind != CommissionType::Fixed {
            continue;
        }
        let mut amount = clicks.saturating_mul(rate.value);
        if let Some(budget) = t.rules.cpc_budget_minor {
            let so_far = match spent.get(&campaign) {
                Some(s) => *s,
                None => tx.cpc_spent(org, campaign).await?,
            };
            amount = amount.min((budget - so_far).max(0));
            spent.insert(campaign, so_far + amount);
        }
        if amount <= 0 {
            continue;
        }
        let external_id = cpc_external_id(campaign, affiliate, hour);
        let commission = Money::new(amount, t.currency);
        conversions.push((
            Conversion {
                id: ConversionId::new(),
                org_id: org,
                campaign_id: campaign,
                affiliate_id: affiliate,
                kind: ConversionType::Click,
                source: ConversionSource::Click,
                status: CommissionStatus::Pending,
                amount: Money::zero(t.currency),
                refunded_minor: 0,
                commission,
                initial_commission_minor: amount,
                provider: ConversionProvider::Script,
                event_id: external_id.clone(),
                external_id,
                customer_id: None,
                customer_email_key: None,
                customer_name: None,
                subscription_id: None,
                invoice_id: None,
                charge_id: None,
                payment_intent_id: None,
                product_id: None,
                coupon_code: None,
                click_id: None,
                self_referral: false,
                occurred_at: start,
                created_at: now,
                updated_at: now,
            },
            t.rules.hold_days,
        ));
    }
    // One insert order for every transaction, as conversions are recorded elsewhere.
    conversions.sort_by(|(x, _), (y, _)| (x.org_id, &x.external_id).cmp(&(y.org_id, &y.external_id)));
    let rows: Vec<Conversion> = conversions.iter().map(|(c, _)| c.clone()).collect();
    let inserted = tx.insert_conversions(&rows).await?;
    let mut commissions = vec![];
    let mut ledger = vec![];
    let mut audits = vec![];
    for ((conversion, hold_days), new) in conversions.into_iter().zip(inserted) {
        if !new {
            continue;
        }
        let (commission, entry) = commission_rows(&conversion, CommissionKind::Direct, hold_days, now);
        commissions.push(commission);
        ledger.push(entry);
        audits.push(AuditEntry {
            id: uuid::Uuid::now_v7(),
            org_id: conversion.org_id,
            actor: "system:cpc".into(),
            action: "conversion.recorded".into(),
            object_type: "conversion".into(),
            object_id: conversion.id.to_string(),
            before: None,
            after: Some(super::audit_view(&conversion)),
            at: now,
        });
    }
    tx.insert_commissions(&commissions).await?;
    tx.insert_ledger_entries(&ledger).await?;
    tx.insert_audits(&audits).await?;
    Ok(commissions.len())
}
