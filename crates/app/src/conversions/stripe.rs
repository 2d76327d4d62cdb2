//! Reading Stripe webhook events, tolerant of API versions: invoices in the older shape
//! (`subscription`, `discount`, `charge` at the top) and the 2025+ shape
//! (`parent.subscription_details.subscription`, `discounts`, `payments`), discounts as ids or
//! expanded objects, coupons at `discount.coupon` or `discount.source.coupon`.

use afflux_domain::{ClickId, Currency, Email, Money};
use serde_json::Value;
use time::OffsetDateTime;

use super::CouponRef;

/// The envelope of every event.
#[derive(Debug, Clone)]
pub(super) struct Envelope {
    pub id: String,
    pub kind: String,
    pub created: OffsetDateTime,
    pub object: Value,
}

pub(super) fn envelope(event: &Value) -> Option<Envelope> {
    let id = str_at(event, &["id"])?;
    let kind = str_at(event, &["type"])?;
    let created = event["created"]
        .as_i64()
        .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
        .unwrap_or_else(OffsetDateTime::now_utc);
    let object = event.get("data")?.get("object")?.clone();
    object.is_object().then_some(Envelope {
        id,
        kind,
        created,
        object,
    })
}

/// A non-empty string at `path`.
fn str_at(v: &Value, path: &[&str]) -> Option<String> {
    let mut cur = v;
    for key in path {
        cur = cur.get(key)?;
    }
    cur.as_str().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// An id at `path`, whether Stripe sent the id or the expanded object.
fn id_at(v: &Value, path: &[&str]) -> Option<String> {
    let mut cur = v;
    for key in path {
        cur = cur.get(key)?;
    }
    match cur {
        Value::String(_) => str_at(cur, &[]),
        Value::Object(_) => str_at(cur, &["id"]),
        _ => None,
    }
}

/// What a referral field holds: the tracking script's click id, or an affiliate's slug.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ReferralRef {
    Click(ClickId),
    Slug(String),
}

impl ReferralRef {
    fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        if raw.is_empty() || raw.len() > 255 {
            return None;
        }
        Some(match raw.parse::<ClickId>() {
            Ok(id) => ReferralRef::Click(id),
            Err(_) => ReferralRef::Slug(raw.to_owned()),
        })
    }
}

/// Metadata keys a brand may set on a checkout, subscription or invoice to carry the referral.
const REFERRAL_KEYS: &[&str] = &["afflux_referral", "afflux_click_id", "afflux", "via", "referral"];

fn metadata_referral(metadata: &Value) -> Option<ReferralRef> {
    REFERRAL_KEYS
        .iter()
        .find_map(|k| str_at(metadata, &[k]))
        .and_then(|r| ReferralRef::parse(&r))
}

/// Promotion codes and coupons named by a `discounts` array (ids or expanded objects) and a
/// legacy `discount` object. Stripe sends `di_…` ids unless expanded: those name nothing here.
fn coupon_refs(object: &Value) -> Vec<CouponRef> {
    let mut refs = vec![];
    let mut discount = |d: &Value| {
        if let Some(promo) = d.get("promotion_code") {
            if let Some(id) = id_at(promo, &[]) {
                refs.push(CouponRef::PromotionCode(id));
            }
            if let Some(code) = str_at(promo, &["code"]) {
                refs.push(CouponRef::Code(code));
            }
        }
        // The coupon: `coupon` before the 2025-09 API, `source.coupon` since.
        if let Some(id) = id_at(d, &["source", "coupon"]).or_else(|| id_at(d, &["coupon"])) {
            refs.push(CouponRef::StripeCoupon(id));
        }
    };
    if let Some(list) = object["discounts"].as_array() {
        list.iter().filter(|d| d.is_object()).for_each(&mut discount);
    }
    if object["discount"].is_object() {
        discount(&object["discount"]);
    }
    refs
}

/// A sale or lead as a Stripe object reports it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Reported {
    /// Identifies the sale at Stripe: the invoice, else payment intent, else checkout session;
    /// the subscription for a trial lead. Two events about one sale share it.
    pub external_id: String,
    pub amount: Option<Money>,
    /// An unsupported or missing currency code, as sent.
    pub bad_currency: Option<String>,
    pub customer_id: Option<String>,
    pub email: Option<Email>,
    pub name: Option<String>,
    pub referral: Option<ReferralRef>,
    pub coupons: Vec<CouponRef>,
    pub subscription_id: Option<String>,
    pub invoice_id: Option<String>,
    pub charge_id: Option<String>,
    pub payment_intent_id: Option<String>,
    pub product_id: Option<String>,
}

fn money(object: &Value, amount_key: &str) -> (Option<Money>, Option<String>) {
    let code = str_at(object, &["currency"]).unwrap_or_default();
    match (object[amount_key].as_i64(), Currency::parse(&code)) {
        (Some(minor), Ok(currency)) => (Some(Money::new(minor, currency)), None),
        (_, Err(_)) => (None, Some(code)),
        (None, Ok(_)) => (None, None),
    }
}

fn email(raw: Option<String>) -> Option<Email> {
    raw.and_then(|e| Email::parse(&e).ok())
}

/// `checkout.session.completed` / `checkout.session.async_payment_succeeded`.
pub(super) fn checkout_session(s: &Value) -> Reported {
    let (amount, bad_currency) = money(s, "amount_total");
    let invoice_id = id_at(s, &["invoice"]);
    let payment_intent_id = id_at(s, &["payment_intent"]);
    let subscription_id = id_at(s, &["subscription"]);
    let session_id = str_at(s, &["id"]).unwrap_or_default();
    let referral = str_at(s, &["client_reference_id"])
        .and_then(|r| ReferralRef::parse(&r))
        .or_else(|| metadata_referral(&s["metadata"]));
    Reported {
        external_id: invoice_id
            .clone()
            .or_else(|| payment_intent_id.clone())
            .unwrap_or(session_id),
        amount,
        bad_currency,
        customer_id: id_at(s, &["customer"]),
        email: email(str_at(s, &["customer_details", "email"]).or_else(|| str_at(s, &["customer_email"]))),
        name: str_at(s, &["customer_details", "name"]),
        referral,
        coupons: coupon_refs(s),
        subscription_id,
        invoice_id,
        charge_id: None,
        payment_intent_id,
        product_id: str_at(s, &["metadata", "product_id"]),
    }
}

/// Whether a checkout session has been paid (async methods complete unpaid first).
pub(super) fn checkout_paid(s: &Value) -> bool {
    matches!(s["payment_status"].as_str(), Some("paid" | "no_payment_required"))
}

/// `invoice.paid` in either API shape.
pub(super) fn invoice(i: &Value) -> Reported {
    let (amount, bad_currency) = money(i, "amount_paid");
    let subscription_id =
        id_at(i, &["parent", "subscription_details", "subscription"]).or_else(|| id_at(i, &["subscription"]));
    let payment = i["payments"]["data"]
        .as_array()
        .and_then(|p| p.first())
        .map(|p| &p["payment"]);
    let charge_id = id_at(i, &["charge"]).or_else(|| payment.and_then(|p| id_at(p, &["charge"])));
    let payment_intent_id =
        id_at(i, &["payment_intent"]).or_else(|| payment.and_then(|p| id_at(p, &["payment_intent"])));
    let line = i["lines"]["data"].as_array().and_then(|l| l.first());
    let product_id = line.and_then(|l| {
        id_at(l, &["pricing", "price_details", "product"])
            .or_else(|| id_at(l, &["price", "product"]))
            .or_else(|| id_at(l, &["plan", "product"]))
    });
    let referral = metadata_referral(&i["parent"]["subscription_details"]["metadata"])
        .or_else(|| metadata_referral(&i["subscription_details"]["metadata"]))
        .or_else(|| metadata_referral(&i["metadata"]));
    let invoice_id = str_at(i, &["id"]);
    Reported {
        external_id: invoice_id.clone().unwrap_or_default(),
        amount,
        bad_currency,
        customer_id: id_at(i, &["customer"]),
        email: email(str_at(i, &["customer_email"])),
        name: str_at(i, &["customer_name"]),
        referral,
        coupons: coupon_refs(i),
        subscription_id,
        invoice_id,
        charge_id,
        payment_intent_id,
        product_id,
    }
}

/// `customer.subscription.created`: a trial start is a lead, keyed by the subscription.
pub(super) fn subscription(s: &Value) -> Reported {
    let subscription_id = str_at(s, &["id"]);
    let item = s["items"]["data"].as_array().and_then(|l| l.first());
    Reported {
        external_id: subscription_id.clone().unwrap_or_default(),
        amount: None,
        bad_currency: None,
        customer_id: id_at(s, &["customer"]),
        email: None,
        name: None,
        referral: metadata_referral(&s["metadata"]),
        coupons: coupon_refs(s),
        subscription_id,
        invoice_id: None,
        charge_id: None,
        payment_intent_id: None,
        product_id: item.and_then(|i| id_at(i, &["price", "product"]).or_else(|| id_at(i, &["plan", "product"]))),
    }
}

pub(super) fn is_trialing(s: &Value) -> bool {
    s["status"].as_str() == Some("trialing")
}

/// `charge.refunded`: cumulative `amount_refunded` of the charge `amount`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ChargeRefund {
    pub charge_id: Option<String>,
    pub payment_intent_id: Option<String>,
    pub invoice_id: Option<String>,
    pub amount: i64,
    pub amount_refunded: i64,
    pub full: bool,
}

pub(super) fn charge_refund(c: &Value) -> Option<ChargeRefund> {
    let amount = c["amount"].as_i64().filter(|a| *a > 0)?;
    let amount_refunded = c["amount_refunded"].as_i64()?.clamp(0, amount);
    Some(ChargeRefund {
        charge_id: str_at(c, &["id"]),
        payment_intent_id: id_at(c, &["payment_intent"]),
        invoice_id: id_at(c, &["invoice"]),
        amount,
        amount_refunded,
        full: c["refunded"].as_bool().unwrap_or(false) || amount_refunded == amount,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn legacy_invoice() -> Value {
        json!({
            "id": "in_old", "object": "invoice", "customer": "cus_1", "customer_email": "Buyer@Example.com",
            "currency": "usd", "amount_paid": 4900, "billing_reason": "subscription_cycle",
            "subscription": "sub_1", "charge": "ch_1", "payment_intent": "pi_1", "paid": true,
            "discount": {"object": "discount", "coupon": {"id": "co_1"}, "promotion_code": "promo_1"},
            "lines": {"data": [{"price": {"id": "price_1", "product": "prod_1"}}]}
        })
    }

    fn basil_invoice() -> Value {
        json!({
            "id": "in_new", "object": "invoice", "customer": "cus_1", "currency": "eur", "amount_paid": 8900,
            "billing_reason": "subscription_create",
            "parent": {"type": "subscription_details", "subscription_details": {
                "subscription": "sub_2", "metadata": {"afflux_referral": "jane-recommends"}}},
            "discounts": ["di_unexpanded", {"id": "di_1", "object": "discount",
                "promotion_code": {"id": "promo_2", "code": "SARAH20"}, "source": {"type": "coupon", "coupon": "co_2"}}],
            "payments": {"data": [{"payment": {"type": "payment_intent", "payment_intent": "pi_2"}}]},
            "lines": {"data": [{"pricing": {"type": "price_details", "price_details": {"price": "price_2", "product": "prod_2"}}}]}
        })
    }

    #[test]
    fn reads_the_older_invoice_shape() {
        let r = invoice(&legacy_invoice());
        assert_eq!(r.external_id, "in_old");
        assert_eq!(r.amount, Some(Money::new(4900, Currency::USD)));
        assert_eq!(r.subscription_id.as_deref(), Some("sub_1"));
        assert_eq!(r.charge_id.as_deref(), Some("ch_1"));
        assert_eq!(r.payment_intent_id.as_deref(), Some("pi_1"));
        assert_eq!(r.product_id.as_deref(), Some("prod_1"));
        assert_eq!(
            r.coupons,
            vec![
                CouponRef::PromotionCode("promo_1".into()),
                CouponRef::StripeCoupon("co_1".into())
            ]
        );
        assert_eq!(r.email.unwrap().key(), "buyer@example.com");
        assert_eq!(r.referral, None);
    }

    #[test]
    fn reads_the_2025_invoice_shape() {
        let r = invoice(&basil_invoice());
        assert_eq!(r.amount, Some(Money::new(8900, Currency::EUR)));
        assert_eq!(r.subscription_id.as_deref(), Some("sub_2"));
        assert_eq!(r.payment_intent_id.as_deref(), Some("pi_2"));
        assert_eq!(r.charge_id, None);
        assert_eq!(r.product_id.as_deref(), Some("prod_2"));
        assert_eq!(
            r.coupons,
            vec![
                CouponRef::PromotionCode("promo_2".into()),
                CouponRef::Code("SARAH20".into()),
                CouponRef::StripeCoupon("co_2".into())
            ]
        );
        assert_eq!(r.referral, Some(ReferralRef::Slug("jane-recommends".into())));
    }

    #[test]
    fn reads_checkout_sessions() {
        let click = ClickId::new();
        let s = json!({
            "id": "cs_1", "object": "checkout.session", "mode": "payment", "payment_status": "paid",
            "client_reference_id": click.to_string(), "amount_total": 1500, "currency": "JPY",
            "customer": null, "customer_details": {"email": "a@b.co", "name": "A B"}, "payment_intent": "pi_9",
            "discounts": [{"coupon": "co_1", "promotion_code": "promo_3"}]
        });
        let r = checkout_session(&s);
        assert!(checkout_paid(&s));
        assert_eq!(r.external_id, "pi_9");
        assert_eq!(r.amount, Some(Money::new(1500, Currency::JPY)));
        assert_eq!(r.referral, Some(ReferralRef::Click(click)));
        assert_eq!(r.customer_id, None);
        assert_eq!(r.name.as_deref(), Some("A B"));
        assert_eq!(
            r.coupons,
            vec![
                CouponRef::PromotionCode("promo_3".into()),
                CouponRef::StripeCoupon("co_1".into())
            ]
        );
        let sub = json!({"id": "cs_2", "invoice": "in_5", "amount_total": 0, "currency": "xbt",
            "payment_status": "unpaid", "metadata": {"via": "joe"}});
        let r = checkout_session(&sub);
        assert!(!checkout_paid(&sub));
        assert_eq!(r.external_id, "in_5");
        assert_eq!(r.bad_currency.as_deref(), Some("xbt"));
        assert_eq!(r.referral, Some(ReferralRef::Slug("joe".into())));
    }

    #[test]
    fn reads_refunds_and_envelopes() {
        let full =
            json!({"id": "ch_1", "amount": 5000, "amount_refunded": 5000, "refunded": true, "payment_intent": "pi_1"});
        assert!(charge_refund(&full).unwrap().full);
        let part = json!({"id": "ch_1", "amount": 5000, "amount_refunded": 1250, "refunded": false});
        let r = charge_refund(&part).unwrap();
        assert!(!r.full);
        assert_eq!((r.amount, r.amount_refunded), (5000, 1250));
        assert!(charge_refund(&json!({"id": "ch_0"})).is_none());
        let e = envelope(&json!({"id": "evt_1", "type": "invoice.paid", "created": 1_763_700_000,
            "data": {"object": {"id": "in_1"}}}))
        .unwrap();
        assert_eq!((e.id.as_str(), e.kind.as_str()), ("evt_1", "invoice.paid"));
        assert_eq!(e.created.unix_timestamp(), 1_763_700_000);
        assert!(envelope(&json!({"id": "evt_1", "type": "x"})).is_none());
        assert!(envelope(&json!({"type": "x", "data": {"object": {}}})).is_none());
    }
}
