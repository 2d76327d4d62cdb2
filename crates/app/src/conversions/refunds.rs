//! Refunds: a full refund marks the conversion Refunded with no commission left; a partial one
//! records the refunded amount and reduces the commission in proportion (the one rounding
//! rule). Refunds are cumulative and can never exceed the sale. The ledger of reversals and
//! clawbacks after payout comes with the Money issue.

use afflux_domain::{CommissionStatus, Conversion, Money, commission_after_refund};
use afflux_store::Tx;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{Recorded, Unattributed};
use crate::{AppResult, audit};

/// Sets the cumulative refunded amount of `conversion` to `refunded_total`. A total not above
/// what is already refunded changes nothing (a refund event delivered late or twice).
pub(super) async fn apply(
    tx: &mut dyn Tx,
    conversion: Conversion,
    refunded_total: i64,
    actor: &str,
) -> AppResult<Conversion> {
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
