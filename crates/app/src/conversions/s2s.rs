//! Signed server-to-server events (`POST /api/track/s2s`): a brand's backend reports a sale,
//! lead or refund. The body is signed with the organization's signing secret; the
//! `externalEventId` makes every delivery after the first a replay of the first answer.

use afflux_domain::{
    CampaignId, ClickId, ConversionProvider, ConversionSource, ConversionType, Currency, Email, Money, OrgId,
    ValidationError, optional_text,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::events::{self, HookReply};
use super::refunds::{self, conversion_body};
use super::s2s_writer::Item;
use super::signature::{SignatureError, verify_s2s};
use super::{CouponRef, Customer, ExternalRefs, NewConversion, Referral};
use crate::{App, AppError, AppResult};

/// How far the signed timestamp may be from the server clock, either way.
pub const S2S_WINDOW_SECS: i64 = 300;
const PROVIDER: &str = "s2s";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum S2sKind {
    #[default]
    Sale,
    Lead,
    Refund,
}

/// An S2S event. Name the referral with `affiliateSlug`, `clickId` (from the tracking script),
/// `couponCode`, or a `customerId` / `email` an earlier conversion bound to an affiliate.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct S2sEvent {
    /// Your id of this event: the idempotency key (1–255 characters).
    pub external_event_id: String,
    /// `sale` (default), `lead` or `refund`.
    #[serde(rename = "type", default)]
    pub kind: S2sKind,
    pub affiliate_slug: Option<String>,
    pub click_id: Option<String>,
    pub coupon_code: Option<String>,
    /// Your id of the customer; later events naming it match the same affiliate.
    pub customer_id: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    /// Integer minor units: required for a sale, optional for a refund (default: the rest).
    pub amount_cents: Option<i64>,
    /// ISO 4217, default USD.
    pub currency: Option<String>,
    pub product_id: Option<String>,
    /// The program to credit when the slug's affiliate is in several.
    pub program_id: Option<CampaignId>,
    /// For a refund: the `externalEventId` of the sale refunded.
    pub refund_of: Option<String>,
}

fn id_text(field: &str, value: Option<&str>) -> Result<Option<String>, ValidationError> {
    let value = optional_text(field, value, 255)?;
    if value.as_deref().is_some_and(|v| v.chars().any(char::is_whitespace)) {
        return Err(ValidationError::new(field, "must not contain spaces"));
    }
    Ok(value)
}

/// A checked S2S event.
struct Checked {
    event_id: String,
    kind: S2sKind,
    amount: Option<i64>,
    currency: Option<Currency>,
    referral: Referral,
    customer: Customer,
    product_id: Option<String>,
    refund_of: Option<String>,
}

fn check(e: &S2sEvent) -> Result<Checked, ValidationError> {
    let event_id = id_text("externalEventId", Some(&e.external_event_id))?
        .ok_or_else(|| ValidationError::new("externalEventId", "is required"))?;
    let currency = e.currency.as_deref().map(Currency::parse).transpose()?;
    if e.amount_cents.is_some_and(|a| a < 0) {
        return Err(ValidationError::new("amountCents", "must not be negative"));
    }
    let email = e
        .email
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(Email::parse)
        .transpose()?;
    let click_id = e
        .click_id
        .as_deref()
        .map(|c| c.trim().parse::<ClickId>())
        .transpose()
        .map_err(|_| ValidationError::new("clickId", "is not a click id"))?;
    let slug = id_text("affiliateSlug", e.affiliate_slug.as_deref())?;
    let coupon = id_text("couponCode", e.coupon_code.as_deref())?;
    let customer_id = id_text("customerId", e.customer_id.as_deref())?;
    let name = optional_text("name", e.name.as_deref(), 120)?;
    match e.kind {
        S2sKind::Sale if e.amount_cents.is_none() => {
            return Err(ValidationError::new("amountCents", "is required for a sale"));
        }
        S2sKind::Sale | S2sKind::Lead
            if slug.is_none() && click_id.is_none() && coupon.is_none() && customer_id.is_none() && email.is_none() =>
        {
            return Err(ValidationError::new(
                "affiliateSlug",
                "name the referral: affiliateSlug, clickId, couponCode, customerId or email",
            ));
        }
        S2sKind::Refund if e.refund_of.as_deref().is_none_or(|r| r.trim().is_empty()) => {
            return Err(ValidationError::new("refundOf", "is required for a refund"));
        }
        _ => {}
    }
    Ok(Checked {
        event_id,
        kind: e.kind,
        amount: e.amount_cents,
        currency,
        referral: Referral {
            slug: slug.map(|s| (s, ConversionSource::Server)),
            click_id: click_id.map(|c| (c, ConversionSource::Server)),
            coupons: coupon.map(CouponRef::Code).into_iter().collect(),
            program_id: e.program_id,
        },
        customer: Customer::new("ext", customer_id, email, name),
        product_id: id_text("productId", e.product_id.as_deref())?,
        refund_of: e.refund_of.as_deref().map(|r| r.trim().to_owned()),
    })
}

impl App {
    /// The signing secret of an organization's S2S events. Derived from the instance key and
    /// the organization id, so every node agrees on it without storing it; it changes only
    /// with the instance key.
    pub fn s2s_signing_secret_of(&self, org: OrgId) -> String {
        format!("afs_{}", self.secrets().derive_token("s2s-signing", org.0.as_bytes()))
    }

    /// Checks an S2S request's signature headers against the raw body; answers the organization
    /// it is signed for. Nothing is read or written.
    pub fn verify_s2s(
        &self,
        organization: Option<&str>,
        timestamp: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<OrgId, SignatureError> {
        let org: OrgId = organization
            .and_then(|o| o.trim().parse().ok())
            .ok_or(SignatureError::Invalid(
                "X-Afflux-Organization must name the organization",
            ))?;
        let secret = self.s2s_signing_secret_of(org);
        let now = OffsetDateTime::now_utc().unix_timestamp();
        verify_s2s(&secret, timestamp, signature, body, now, S2S_WINDOW_SECS)?;
        Ok(org)
    }

    /// Records a verified S2S event: a sale or lead (attributed, commissioned) or a refund.
    /// A repeated `externalEventId` answers the first answer and records nothing. Sales and
    /// leads go through the group-commit writer; refunds, rare, in a transaction of their own.
    pub async fn ingest_s2s(&self, org: OrgId, event: S2sEvent) -> AppResult<HookReply> {
        let checked = check(&event)?;
        let hash = Sha256::digest(serde_json::to_vec(&event).map_err(anyhow::Error::from)?).to_vec();
        let currency = checked.currency.unwrap_or(Currency::USD);
        let kind = match checked.kind {
            S2sKind::Refund => return self.s2s_refund(org, checked, hash).await,
            S2sKind::Lead => ConversionType::Lead,
            S2sKind::Sale => ConversionType::Sale,
        };
        let input = NewConversion {
            org_id: org,
            provider: ConversionProvider::Server,
            external_id: checked.event_id.clone(),
            event_id: checked.event_id.clone(),
            kind,
            amount: Money::new(checked.amount.unwrap_or(0), currency),
            occurred_at: OffsetDateTime::now_utc(),
            referral: checked.referral,
            customer: checked.customer,
            refs: ExternalRefs {
                product_id: checked.product_id,
                ..Default::default()
            },
        };
        let item = Item {
            org,
            event_id: checked.event_id,
            hash,
            input,
        };
        self.inner.ingest.submit(item).await
    }

    async fn s2s_refund(&self, org: OrgId, checked: Checked, hash: Vec<u8>) -> AppResult<HookReply> {
        let mut tx = self.store().write().await?;
        if let Some(replay) = events::claim(tx.as_mut(), org, PROVIDER, &checked.event_id, Some(hash)).await? {
            return Ok(replay);
        }
        // Refunds of one sale wait for each other: each adds to what the last one left.
        tx.lock_org(org).await?;
        let refund_of = checked.refund_of.unwrap_or_default();
        let sale = tx
            .get_conversion_by_external_id(org, ConversionProvider::Server, &refund_of)
            .await?
            .ok_or(AppError::NotFound("conversion"))?;
        if checked.currency.is_some_and(|c| c != sale.amount.currency) {
            return Err(ValidationError::new("currency", "must be the currency of the sale refunded").into());
        }
        let total = match checked.amount {
            Some(amount) => sale.refunded_minor.saturating_add(amount),
            None => sale.amount.minor,
        };
        let refunded = refunds::apply(tx.as_mut(), sale, total, "system").await?;
        let reply = HookReply::new(200, conversion_body("refunded", &refunded));
        events::finish(tx.as_mut(), org, PROVIDER, &checked.event_id, &reply).await?;
        tx.commit().await?;
        Ok(reply)
    }
}
