//! The one verb that records conversions, for one or a batch, inside the caller's write
//! transaction: attribution, commission, customer binding, audit. Each step is one statement
//! for the whole batch, so a batch costs little more than a single conversion.

use std::collections::HashMap;

use afflux_domain::{
    AttributionContext, CommissionKind, CommissionStatus, Conversion, ConversionId, ConversionSource, ConversionType,
    Email, Money, attribute, override_minor,
};
use afflux_store::{AttributionTarget, AuditEntry, CustomerBinding, Tx};
use time::OffsetDateTime;

use super::earn::{Earning, TierCache, commission_rows, earning};
use super::signals::Resolver;
use super::{NewConversion, Recorded};
use crate::{App, AppError, AppResult};

/// Where a conversion of the batch stands before the insert.
enum Slot {
    Unattributed(afflux_domain::Unattributed),
    /// Awaits the insert: index into the conversions to insert.
    Insert(usize),
}

impl App {
    /// Records one conversion in the caller's transaction (see [`record_conversions`]).
    pub(crate) async fn record_conversion(
        &self,
        tx: &mut dyn Tx,
        input: NewConversion,
        actor: &str,
    ) -> AppResult<Recorded> {
        let mut recorded = record_conversions(tx, vec![input], actor).await?;
        Ok(recorded.remove(0))
    }
}

/// Records conversions in order, in the caller's write transaction: decides each attribution,
/// computes the commission (Pending; Denied and zero for a self-referral), binds the customer to
/// the affiliate (the first binding wins, also within the batch), writes the audit entries. A
/// sale recorded before (another event about it, or twice in the batch) changes nothing.
/// Follow-up jobs (affiliate emails, outbound webhooks) will be enqueued here too.
pub(crate) async fn record_conversions(
    tx: &mut dyn Tx,
    inputs: Vec<NewConversion>,
    actor: &str,
) -> AppResult<Vec<Recorded>> {
    let now = OffsetDateTime::now_utc();
    let mut resolver = Resolver::default();
    resolver.preload_bindings(tx, &inputs).await?;
    let mut tiers = TierCache::default();
    let mut slots = Vec::with_capacity(inputs.len());
    let mut pending: Vec<(Conversion, Vec<String>, AttributionTarget)> = vec![];
    let mut by_key: HashMap<(afflux_domain::OrgId, afflux_domain::ConversionProvider, String), usize> = HashMap::new();
    for input in inputs {
        let key = (input.org_id, input.provider, input.external_id.clone());
        if let Some(&i) = by_key.get(&key) {
            slots.push(Slot::Insert(i));
            continue;
        }
        let found = resolver.resolve(tx, &input).await?;
        let email_key = input.customer.email.as_ref().map(Email::key);
        let ctx = AttributionContext {
            now: input.occurred_at,
            customer_email_key: email_key.as_deref(),
            renewal: input.kind == ConversionType::Recurring,
        };
        let won = match attribute(&found.signals, ctx) {
            Ok(won) => won,
            Err(why) => {
                slots.push(Slot::Unattributed(why));
                continue;
            }
        };
        let detail = &found.details[won.signal];
        let t = &detail.target;
        let earned = if won.self_referral {
            Earning::Disqualified
        } else {
            earning(tx, &mut tiers, t, &input).await?
        };
        let (commission, status) = match earned {
            Earning::Earns(amount) => (amount, CommissionStatus::Pending),
            Earning::Nothing => (Money::zero(input.amount.currency), CommissionStatus::Pending),
            Earning::Disqualified => (Money::zero(input.amount.currency), CommissionStatus::Denied),
        };
        let conversion = Conversion {
            id: ConversionId::new(),
            org_id: input.org_id,
            campaign_id: won.campaign_id,
            affiliate_id: won.affiliate_id,
            kind: input.kind,
            source: if input.kind == ConversionType::Lead {
                ConversionSource::Lead
            } else {
                won.source
            },
            status,
            amount: input.amount,
            refunded_minor: 0,
            commission,
            initial_commission_minor: commission.minor,
            provider: input.provider,
            external_id: input.external_id,
            event_id: input.event_id,
            customer_id: input.customer.id,
            customer_email_key: email_key,
            customer_name: input.customer.name,
            subscription_id: input.refs.subscription_id,
            invoice_id: input.refs.invoice_id,
            charge_id: input.refs.charge_id,
            payment_intent_id: input.refs.payment_intent_id,
            product_id: input.refs.product_id,
            coupon_code: detail.coupon_code.clone(),
            click_id: detail.click_id,
            self_referral: won.self_referral,
            occurred_at: input.occurred_at,
            created_at: now,
            updated_at: now,
        };
        // A self-referral binds nobody: the customer's later purchases must not credit them.
        let keys = if won.self_referral { vec![] } else { input.customer.keys };
        resolver.bind(
            conversion.org_id,
            &keys,
            conversion.affiliate_id,
            conversion.campaign_id,
        );
        by_key.insert(key, pending.len());
        slots.push(Slot::Insert(pending.len()));
        pending.push((conversion, keys, t.clone()));
    }

    // Inserted in one order by every transaction, so concurrent ones on PostgreSQL cannot
    // deadlock on each other's unique keys.
    let mut order: Vec<usize> = (0..pending.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&pending[a].0, &pending[b].0);
        (x.org_id, x.provider, &x.external_id).cmp(&(y.org_id, y.provider, &y.external_id))
    });
    let sorted: Vec<Conversion> = order.iter().map(|&i| pending[i].0.clone()).collect();
    let flags = tx.insert_conversions(&sorted).await?;
    let mut inserted = vec![false; pending.len()];
    for (&i, flag) in order.iter().zip(flags) {
        inserted[i] = flag;
    }
    let overrides = overrides(tx, &mut resolver, &pending, &inserted, now).await?;
    let override_flags = tx.insert_conversions(&overrides).await?;
    let overrides: Vec<(Conversion, i32)> = overrides
        .into_iter()
        .zip(override_flags)
        .filter(|(_, new)| *new)
        .map(|(c, _)| {
            let hold = pending
                .iter()
                .find(|(p, _, _)| p.campaign_id == c.campaign_id)
                .map_or(afflux_domain::DEFAULT_HOLD_DAYS, |(_, _, t)| t.rules.hold_days);
            (c, hold)
        })
        .collect();

    // The campaigns' rules, for the partner emails once the commissions are written.
    let mut rules = HashMap::new();
    for (c, _, t) in &pending {
        rules
            .entry((c.org_id, c.campaign_id))
            .or_insert_with(|| t.rules.clone());
    }
    let mut outcomes: Vec<Recorded> = Vec::with_capacity(pending.len());
    let mut bindings: Vec<CustomerBinding> = vec![];
    let mut audits: Vec<AuditEntry> = vec![];
    let mut commissions = vec![];
    let mut ledger = vec![];
    for (conversion, hold) in &overrides {
        let (c, e) = commission_rows(conversion, CommissionKind::Override, *hold, now);
        commissions.push(c);
        ledger.push(e);
        audits.push(recorded_audit(conversion, actor, now));
    }
    for (i, (conversion, keys, target)) in pending.into_iter().enumerate() {
        if !inserted[i] {
            // Another event about the same sale recorded it before.
            let existing = tx
                .get_conversion_by_external_id(conversion.org_id, conversion.provider, &conversion.external_id)
                .await?
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a conflicting conversion vanished")))?;
            outcomes.push(Recorded::Existing(existing));
            continue;
        }
        bindings.extend(keys.into_iter().map(|key| CustomerBinding {
            org_id: conversion.org_id,
            customer_key: key,
            affiliate_id: conversion.affiliate_id,
            campaign_id: conversion.campaign_id,
            conversion_id: Some(conversion.id),
            created_at: now,
        }));
        if conversion.status == CommissionStatus::Pending && conversion.commission.minor > 0 {
            let (c, e) = commission_rows(&conversion, CommissionKind::Direct, target.rules.hold_days, now);
            commissions.push(c);
            ledger.push(e);
        }
        audits.push(recorded_audit(&conversion, actor, now));
        outcomes.push(Recorded::New(conversion));
    }
    // The first binding of a key in the batch wins; one lock order, as above.
    let mut first: HashMap<(afflux_domain::OrgId, String), CustomerBinding> = HashMap::new();
    for b in bindings {
        first.entry((b.org_id, b.customer_key.clone())).or_insert(b);
    }
    let mut bindings: Vec<CustomerBinding> = first.into_values().collect();
    bindings.sort_by(|a, b| (a.org_id, &a.customer_key).cmp(&(b.org_id, &b.customer_key)));
    tx.bind_customers(&bindings).await?;
    tx.insert_commissions(&commissions).await?;
    crate::money::queue_commission_emails(tx, &commissions, &rules, now).await?;
    tx.insert_ledger_entries(&ledger).await?;
    tx.insert_audits(&audits).await?;

    // A second report of a sale within the batch finds the first.
    let mut answered = vec![false; outcomes.len()];
    Ok(slots
        .into_iter()
        .map(|slot| match slot {
            Slot::Unattributed(why) => Recorded::Unattributed(why),
            Slot::Insert(i) => match (&outcomes[i], std::mem::replace(&mut answered[i], true)) {
                (Recorded::New(c), true) => Recorded::Existing(c.clone()),
                (other, _) => other.clone(),
            },
        })
        .collect())
}

fn recorded_audit(conversion: &Conversion, actor: &str, now: OffsetDateTime) -> AuditEntry {
    AuditEntry {
        id: uuid::Uuid::now_v7(),
        org_id: conversion.org_id,
        actor: actor.to_owned(),
        action: "conversion.recorded".into(),
        object_type: "conversion".into(),
        object_id: conversion.id.to_string(),
        before: None,
        after: Some(super::audit_view(conversion)),
        at: now,
    }
}

/// Two-tier programs: for each sale just recorded whose affiliate was recruited by another
/// (still approved) affiliate, the recruiter's override: a conversion of its own, Source
/// Override, earning the campaign's share of the commission. Its external id derives from the
/// sale's, so a sale has at most one override, and a recruiter's own recruiter gets nothing
/// (one tier only).
async fn overrides(
    tx: &mut dyn Tx,
    resolver: &mut Resolver,
    pending: &[(Conversion, Vec<String>, AttributionTarget)],
    inserted: &[bool],
    now: OffsetDateTime,
) -> AppResult<Vec<Conversion>> {
    let mut out = vec![];
    for ((sale, _, target), _) in pending.iter().zip(inserted).filter(|(_, new)| **new) {
        let (Some(recruiter), Some(percent)) = (target.recruited_by, target.rules.two_tier_percent) else {
            continue;
        };
        if sale.status != CommissionStatus::Pending || sale.commission.minor <= 0 || percent == 0 {
            continue;
        }
        let Some(recruiter_target) = resolver.target_of(tx, sale.org_id, recruiter, sale.campaign_id).await? else {
            continue;
        };
        if !recruiter_target.status.earns() {
            continue;
        }
        let amount = Money::new(override_minor(sale.commission.minor, percent), sale.commission.currency);
        if amount.minor <= 0 {
            continue;
        }
        out.push(Conversion {
            id: ConversionId::new(),
            affiliate_id: recruiter,
            source: ConversionSource::Override,
            commission: amount,
            initial_commission_minor: amount.minor,
            external_id: override_external_id(&sale.external_id),
            coupon_code: None,
            click_id: None,
            // Payments are looked up by these: they name the sale, never its override.
            invoice_id: None,
            charge_id: None,
            payment_intent_id: None,
            self_referral: false,
            created_at: now,
            updated_at: now,
            ..sale.clone()
        });
    }
    // One insert order for every transaction (see above).
    out.sort_by(|x, y| (x.org_id, x.provider, &x.external_id).cmp(&(y.org_id, y.provider, &y.external_id)));
    Ok(out)
}

/// The external id of a sale's override conversion.
pub(super) fn override_external_id(sale_external_id: &str) -> String {
    format!("override:{sale_external_id}")
}
