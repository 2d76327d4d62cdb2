//! What a conversion earns, by the campaign's rules, and the commission and ledger rows that
//! record it: written with the conversion, in the same transaction.

use std::collections::HashMap;

use afflux_domain::{
    AffiliateId, CampaignId, Commission, CommissionId, CommissionKind, CommissionModel, CommissionStatus, Conversion,
    ConversionType, Email, LedgerEntry, LedgerEntryId, LedgerKind, Money, OrgId, TierProgress, commission_for,
    lead_disqualification, renewal_earns, resolve_rate,
};
use afflux_store::{AttributionTarget, Tx};
use time::{Duration, OffsetDateTime};

use super::NewConversion;
use crate::AppResult;

/// Tier progress read once per affiliate and campaign in a batch.
#[derive(Default)]
pub(super) struct TierCache(HashMap<(OrgId, AffiliateId, CampaignId), TierProgress>);

impl TierCache {
    async fn get(&mut self, tx: &mut dyn Tx, t: &AttributionTarget) -> AppResult<TierProgress> {
        let key = (t.org_id, t.affiliate_id, t.campaign_id);
        if let Some(p) = self.0.get(&key) {
            return Ok(*p);
        }
        let stats = tx.tier_stats(t.org_id, t.affiliate_id, t.campaign_id).await?;
        let progress = TierProgress {
            sales: stats.sales,
            revenue_minor: stats.revenue_minor,
        };
        self.0.insert(key, progress);
        Ok(progress)
    }
}

/// Why a conversion earns nothing although attributed: a lead a pay-per-lead campaign does
/// not count (disposable address), or a renewal past the campaign's recurring duration.
pub(super) enum Earning {
    Earns(Money),
    Nothing,
    Disqualified,
}

/// The commission `input` earns for `t`: the rate by the precedence of `resolve_rate`
/// (affiliate, product, tier, default), applied by the campaign's model.
pub(super) async fn earning(
    tx: &mut dyn Tx,
    tiers: &mut TierCache,
    t: &AttributionTarget,
    input: &NewConversion,
) -> AppResult<Earning> {
    if input.kind == ConversionType::Lead
        && t.commission_model == CommissionModel::Cpl
        && let Some(email) = &input.customer.email
        && let Ok(affiliate) = Email::parse(&t.affiliate_email_key)
        && lead_disqualification(email, &affiliate).is_some()
    {
        return Ok(Earning::Disqualified);
    }
    if input.kind == ConversionType::Recurring
        && let Some(first) = input.refs.first_payment_at
        && !renewal_earns(t.rules.recurring, first, input.occurred_at)
    {
        return Ok(Earning::Nothing);
    }
    let progress = if t.rules.tiers.is_empty() {
        TierProgress::default()
    } else {
        tiers.get(tx, t).await?
    };
    let rate = resolve_rate(
        t.commission,
        t.commission_override,
        &t.rules,
        input.refs.product_id.as_deref(),
        progress,
    )
    .commission;
    let amount = commission_for(t.commission_model, rate, t.currency, input.kind, input.amount);
    Ok(if amount.minor > 0 {
        Earning::Earns(amount)
    } else {
        Earning::Nothing
    })
}

/// The commission row of a recorded conversion, held for `hold_days` from the sale, and the
/// ledger entry that earns it.
pub(super) fn commission_rows(
    conversion: &Conversion,
    kind: CommissionKind,
    hold_days: i32,
    now: OffsetDateTime,
) -> (Commission, LedgerEntry) {
    let commission = Commission {
        id: CommissionId::new(),
        org_id: conversion.org_id,
        conversion_id: conversion.id,
        affiliate_id: conversion.affiliate_id,
        campaign_id: conversion.campaign_id,
        kind,
        status: CommissionStatus::Pending,
        amount: conversion.commission,
        initial_minor: conversion.commission.minor,
        hold_until: conversion.occurred_at + Duration::days(i64::from(hold_days)),
        payout_item_id: None,
        denied_reason: None,
        created_at: now,
        updated_at: now,
    };
    let entry = LedgerEntry {
        id: LedgerEntryId::new(),
        org_id: conversion.org_id,
        affiliate_id: conversion.affiliate_id,
        kind: LedgerKind::Earned,
        amount: conversion.commission,
        commission_id: Some(commission.id),
        payout_item_id: None,
        memo: None,
        created_at: now,
    };
    (commission, entry)
}
