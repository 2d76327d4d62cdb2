//! The Stripe webhook (`POST /hooks/stripe/{organizationId}`): verified with the
//! organization's `whsec_…` secret, processed once per event id. Paid checkouts and invoices
//! become sales (renewals of a referred subscription become Recurring), trial starts become
//! leads, refunds reduce or reverse their conversion, cancellations are noted. Other events are
//! answered 200 and ignored.

use afflux_domain::{
    ConversionProvider, ConversionSource, ConversionType, Currency, Money, OrgId, ValidationError, round_div,
};
use afflux_store::{ConversionFilter, Page, PaymentRef, Tx};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::events::{self, HookReply};
use super::refunds::{self, conversion_body, recorded_reply};
use super::signature::{SignatureError, verify_stripe};
use super::stripe::{self, Envelope, ReferralRef, Reported};
use super::{Customer, ExternalRefs, HookError, NewConversion, Referral};
use crate::{App, AppResult, audit};

/// Stripe's default tolerance for the signature timestamp.
const TOLERANCE_SECS: i64 = 300;
const PROVIDER: &str = "stripe";
const ACTOR: &str = "system";

const HANDLED: &[&str] = &[
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "customer.subscription.created",
    "invoice.paid",
    "charge.refunded",
    "customer.subscription.deleted",
];

fn ignored(reason: &str) -> HookReply {
    HookReply::new(200, json!({ "outcome": "ignored", "reason": reason }))
}

fn conversion_input(org: OrgId, event: &Envelope, r: Reported, kind: ConversionType, amount: Money) -> NewConversion {
    let (slug, click_id) = match r.referral {
        Some(ReferralRef::Slug(s)) => (Some((s, ConversionSource::Link)), None),
        Some(ReferralRef::Click(c)) => (None, Some((c, ConversionSource::Link))),
        None => (None, None),
    };
    NewConversion {
        org_id: org,
        provider: ConversionProvider::Stripe,
        external_id: r.external_id,
        event_id: event.id.clone(),
        kind,
        amount,
        occurred_at: event.created,
        referral: Referral {
            slug,
            click_id,
            coupons: r.coupons,
            program_id: None,
        },
        customer: Customer::new("stripe", r.customer_id, r.email, r.name),
        refs: ExternalRefs {
            subscription_id: r.subscription_id,
            invoice_id: r.invoice_id,
            charge_id: r.charge_id,
            payment_intent_id: r.payment_intent_id,
            product_id: r.product_id,
            ..ExternalRefs::default()
        },
    }
}

impl App {
    /// Verifies one Stripe webhook delivery against the raw body and processes it once.
    pub async fn handle_stripe_webhook(
        &self,
        org: OrgId,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<HookReply, HookError> {
        let secret = self
            .stripe_webhook_secret_of(org)
            .await?
            .ok_or(SignatureError::Invalid(
                "no Stripe webhook secret is configured for this organization",
            ))?;
        let now = OffsetDateTime::now_utc().unix_timestamp();
        verify_stripe(&secret, signature, body, now, TOLERANCE_SECS)?;
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| crate::AppError::from(ValidationError::new("body", format!("is not JSON: {e}"))))?;
        let event = stripe::envelope(&value)
            .ok_or_else(|| crate::AppError::from(ValidationError::new("body", "is not a Stripe event")))?;
        if !HANDLED.contains(&event.kind.as_str()) {
            return Ok(HookReply::new(
                200,
                json!({ "outcome": "ignored", "reason": "unhandled_event" }),
            ));
        }
        let mut tx = self.store().write().await?;
        if let Some(replay) = events::claim(tx.as_mut(), org, PROVIDER, &event.id, None).await? {
            return Ok(replay);
        }
        let reply = match event.kind.as_str() {
            "checkout.session.completed" | "checkout.session.async_payment_succeeded" => {
                self.stripe_checkout(tx.as_mut(), org, &event).await?
            }
            "customer.subscription.created" => self.stripe_trial(tx.as_mut(), org, &event).await?,
            "invoice.paid" => self.stripe_invoice(tx.as_mut(), org, &event).await?,
            "charge.refunded" => stripe_refund(tx.as_mut(), org, &event).await?,
            _ => stripe_cancellation(tx.as_mut(), org, &event).await?,
        };
        events::finish(tx.as_mut(), org, PROVIDER, &event.id, &reply).await?;
        tx.commit().await?;
        Ok(reply)
    }

    /// A paid checkout is a sale (keyed by its invoice when it has one, so the matching
    /// `invoice.paid` records nothing more); a free subscription checkout is a trial lead.
    async fn stripe_checkout(&self, tx: &mut dyn Tx, org: OrgId, event: &Envelope) -> AppResult<HookReply> {
        if !stripe::checkout_paid(&event.object) {
            return Ok(ignored("unpaid"));
        }
        let mut r = stripe::checkout_session(&event.object);
        if r.bad_currency.is_some() {
            return Ok(ignored("unsupported_currency"));
        }
        let input = match r.amount {
            Some(amount) if amount.minor > 0 => conversion_input(org, event, r, ConversionType::Sale, amount),
            _ => {
                let Some(subscription) = r.subscription_id.clone() else {
                    return Ok(ignored("zero_amount"));
                };
                let currency = r.amount.map_or(Currency::USD, |a| a.currency);
                r.external_id = subscription;
                conversion_input(org, event, r, ConversionType::Lead, Money::zero(currency))
            }
        };
        Ok(recorded_reply(&self.record_conversion(tx, input, ACTOR).await?))
    }

    /// A trial start is a lead, keyed by the subscription; other subscription starts wait for
    /// their invoice.
    async fn stripe_trial(&self, tx: &mut dyn Tx, org: OrgId, event: &Envelope) -> AppResult<HookReply> {
        if !stripe::is_trialing(&event.object) {
            return Ok(ignored("not_a_trial"));
        }
        let r = stripe::subscription(&event.object);
        let currency = event.object["currency"]
            .as_str()
            .and_then(|c| Currency::parse(c).ok())
            .unwrap_or(Currency::USD);
        let input = conversion_input(org, event, r, ConversionType::Lead, Money::zero(currency));
        Ok(recorded_reply(&self.record_conversion(tx, input, ACTOR).await?))
    }

    /// A paid invoice: the first paid one of a subscription is a sale, later ones renewals
    /// (which stay with the affiliate the customer is bound to).
    async fn stripe_invoice(&self, tx: &mut dyn Tx, org: OrgId, event: &Envelope) -> AppResult<HookReply> {
        let r = stripe::invoice(&event.object);
        if r.bad_currency.is_some() {
            return Ok(ignored("unsupported_currency"));
        }
        let Some(amount) = r.amount.filter(|a| a.minor > 0) else {
            return Ok(ignored("zero_amount"));
        };
        let mut kind = ConversionType::Sale;
        let mut first_payment_at = None;
        if let Some(subscription) = &r.subscription_id {
            let filter = ConversionFilter {
                subscription_id: Some(subscription.clone()),
                ..Default::default()
            };
            let earlier = tx.list_conversions(org, &filter, Page::ALL).await?;
            first_payment_at = earlier
                .iter()
                .filter(|c| c.kind != ConversionType::Lead && c.external_id != r.external_id)
                .map(|c| c.occurred_at)
                .min();
            if first_payment_at.is_some() {
                kind = ConversionType::Recurring;
            }
        }
        let mut input = conversion_input(org, event, r, kind, amount);
        input.refs.first_payment_at = first_payment_at;
        Ok(recorded_reply(&self.record_conversion(tx, input, ACTOR).await?))
    }
}

/// A refund of a charge, full or partial (`amount_refunded` is cumulative), applied to the
/// conversion of that charge, payment intent or invoice in proportion to its amount.
async fn stripe_refund(tx: &mut dyn Tx, org: OrgId, event: &Envelope) -> AppResult<HookReply> {
    let Some(refund) = stripe::charge_refund(&event.object) else {
        return Ok(ignored("malformed_charge"));
    };
    let payment = PaymentRef {
        charge_id: refund.charge_id.clone(),
        payment_intent_id: refund.payment_intent_id.clone(),
        invoice_id: refund.invoice_id.clone(),
    };
    // Refunds of one sale wait for each other: each sets what the last one left.
    tx.lock_org(org).await?;
    let Some(conversion) = tx.find_conversion_by_payment(org, &payment).await? else {
        return Ok(ignored("no_conversion"));
    };
    let sale = conversion.amount.minor;
    let total = if refund.full {
        sale
    } else {
        let share = round_div(
            i128::from(sale) * i128::from(refund.amount_refunded),
            i128::from(refund.amount),
        );
        i64::try_from(share).unwrap_or(sale).min(sale)
    };
    let refunded = refunds::apply(tx, conversion, total, ACTOR).await?;
    Ok(HookReply::new(200, conversion_body("refunded", &refunded)))
}

/// A cancelled subscription earns no more renewals; its conversions stay as they are, and the
/// audit log notes the end.
async fn stripe_cancellation(tx: &mut dyn Tx, org: OrgId, event: &Envelope) -> AppResult<HookReply> {
    let Some(subscription) = event.object["id"].as_str().map(str::to_owned) else {
        return Ok(ignored("malformed_subscription"));
    };
    let filter = ConversionFilter {
        subscription_id: Some(subscription.clone()),
        ..Default::default()
    };
    let conversions = tx.list_conversions(org, &filter, Page::ALL).await?;
    let Some(first) = conversions.last() else {
        return Ok(ignored("no_conversion"));
    };
    let ids: Vec<String> = conversions.iter().map(|c| c.id.to_string()).collect();
    let after = json!({ "affiliateId": first.affiliate_id, "programId": first.campaign_id, "conversionIds": ids });
    audit::record(
        tx,
        org,
        ACTOR,
        "subscription.canceled",
        ("subscription", &subscription),
        None::<&()>,
        Some(&after),
    )
    .await?;
    Ok(HookReply::new(
        200,
        json!({ "outcome": "canceled", "subscriptionId": subscription, "conversionIds": ids }),
    ))
}
