//! Refunds: a full refund marks the conversion Refunded with no commission left; a partial one
//! records the refunded amount and reduces the commission in proportion (the one rounding
//! rule). Refunds are cumulative and can never exceed the sale. Each commission of the sale
//! (the affiliate's, and a recruiter's override) follows, and the ledger records the step: a
//! reversal while the commission is unpaid, a clawback once a payout took it (carried into the
//! affiliate's next payout).

use afflux_domain::{
    CommissionStatus, Conversion, LedgerEntry, LedgerEntryId, LedgerKind, Money, commission_after_refund,
};
use afflux_store::{CommissionFilter, Page, Tx};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{Recorded, Unattributed};
use crate::{AppResult, audit};

/// Sets the cumulative refunded amount of `conversion` to `refunded_total`, and of the
/// recruiter's override of it, if any. A total not above what is already refunded changes
/// nothing (a refund event delivered late or twice).
pub(super) async fn apply(
    tx: &mut dyn Tx,
    conversion: Conversion,
    refunded_total: i64,
    actor: &str,
) -> AppResult<Conversion> {
    let override_id = super::record::override_external_id(&conversion.external_id);
    if let Some(overriding) = tx
        .get_conversion_by_external_id(conversion.org_id, conversion.provider, &override_id)
        .await?
    {
        apply_one(tx, overriding, refunded_total, actor).await?;
    }
    apply_one(tx, conversion, refunded_total, actor).await
}

async fn apply_one(tx: &mut dyn Tx, conversion: Conversion, refunded_total: i64, actor: &str) -> AppResult<Conversion> {
    let kept = commission_after_refund(
        conversion.amount.minor,
        conversion.initial_commission_minor,
        refunded_total,
    )?;
    if refunded_total <= conversion.refunded_minor {
        return Ok(conversion);
    }
    let before = conversion.clone();
    let mut after = conversion;
    after.refunded_minor = refunded_total;
    after.commission = Money::new(kept, after.commission.currency);
    if refunded_total == after.amount.minor && after.status != CommissionStatus::Denied {
        after.status = CommissionStatus::Refunded;
    }
    after.updated_at = OffsetDateTime::now_utc();
    tx.update_conversion(&after).await?;
    refund_commissions(tx, &after, refunded_total).await?;
    audit::record(
        tx,
        after.org_id,
        actor,
        "conversion.refunded",
        ("conversion", &after.id),
        Some(&refund_view(&before)),
        Some(&refund_view(&after)),
    )
    .await?;
    Ok(after)
}

/// Lowers each commission of the conversion to what the refunds leave, writing the difference
/// to the ledger.
async fn refund_commissions(tx: &mut dyn Tx, conversion: &Conversion, refunded_total: i64) -> AppResult<()> {
    let filter = CommissionFilter {
        conversion_id: Some(conversion.id),
        ..CommissionFilter::default()
    };
    let now = OffsetDateTime::now_utc();
    let mut entries = vec![];
    for mut commission in tx.list_commissions(conversion.org_id, &filter, Page::ALL).await? {
        if commission.status == CommissionStatus::Denied {
            continue;
        }
        let kept = commission_after_refund(conversion.amount.minor, commission.initial_minor, refunded_total)?;
        let delta = kept - commission.amount.minor;
        if delta >= 0 {
            continue;
        }
        // Once a payout holds it, the money is (or is about to be) with the affiliate.
        let paid = commission.status == CommissionStatus::Paid || commission.payout_item_id.is_some();
        entries.push(LedgerEntry {
            id: LedgerEntryId::new(),
            org_id: commission.org_id,
            affiliate_id: commission.affiliate_id,
            kind: if paid {
                LedgerKind::Clawback
            } else {
                LedgerKind::Reversed
            },
            amount: Money::new(delta, commission.amount.currency),
            commission_id: Some(commission.id),
            payout_item_id: None,
            memo: Some(format!("refund of conversion {}", conversion.id)),
            created_at: now,
        });
        commission.amount = Money::new(kept, commission.amount.currency);
        if refunded_total == conversion.amount.minor {
            commission.status = CommissionStatus::Refunded;
        }
        commission.updated_at = now;
        tx.update_commission(&commission).await?;
    }
    tx.insert_ledger_entries(&entries).await?;
    Ok(())
}

fn refund_view(c: &Conversion) -> Value {
    json!({
        "status": c.status,
        "refundedMinor": c.refunded_minor,
        "commissionMinor": c.commission.minor,
    })
}

/// The JSON answer describing a conversion, stored for replays.
pub(super) fn conversion_body(outcome: &str, c: &Conversion) -> Value {
    json!({
        "outcome": outcome,
        "conversionId": c.id,
        "affiliateId": c.affiliate_id,
        "programId": c.campaign_id,
        "type": c.kind,
        "source": c.source,
        "status": c.status,
        "amountCents": c.amount.minor,
        "currency": c.amount.currency,
        "refundedCents": c.refunded_minor,
        "commissionCents": c.commission.minor,
        "commissionCurrency": c.commission.currency,
        "couponCode": c.coupon_code,
        "selfReferral": c.self_referral,
    })
}

/// The answer to a reported conversion: 201 when recorded now, 200 otherwise.
pub(super) fn recorded_reply(recorded: &Recorded) -> super::HookReply {
    match recorded {
        Recorded::New(c) => super::HookReply::new(201, conversion_body("recorded", c)),
        Recorded::Existing(c) => super::HookReply::new(200, conversion_body("duplicate", c)),
        Recorded::Unattributed(why) => super::HookReply::new(200, unattributed_body(*why)),
    }
}

pub(super) fn unattributed_body(why: Unattributed) -> Value {
    json!({ "outcome": "unattributed", "reason": why.code() })
}
