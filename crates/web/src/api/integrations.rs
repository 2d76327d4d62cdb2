//! The organization's tracking secrets (the S2S signing secret, the Stripe webhook secret) and
//! its PayPal Payouts connection.

use afflux_app::conversions::{StripeSettings, StripeWebhookSecret};
use afflux_app::money::{PaypalCredentials, PaypalSettings, StripeConnectKey, StripeConnectSettings};
use afflux_domain::OrgId;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiActor, ApiJson};

/// The Stripe connection: whether a webhook secret is set, and where Stripe should send events.
#[utoipa::path(get, path = "/api/v1/integrations/stripe", tag = "integrations",
    responses((status = 200, body = StripeSettings)), security(("bearer" = [])))]
pub async fn stripe_settings(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<Json<StripeSettings>, ApiError> {
    Ok(Json(s.app.stripe_settings(&actor).await?))
}

/// Set the Stripe webhook endpoint's signing secret (`whsec_…`; Admin or Owner). Stored
/// encrypted and never shown again.
#[utoipa::path(put, path = "/api/v1/integrations/stripe", tag = "integrations", request_body = StripeWebhookSecret,
    responses((status = 200, body = StripeSettings)), security(("bearer" = [])))]
pub async fn set_stripe_secret(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<StripeWebhookSecret>,
) -> Result<Json<StripeSettings>, ApiError> {
    Ok(Json(s.app.set_stripe_webhook_secret(&actor, input).await?))
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SigningSecretView {
    /// Send it as `X-Afflux-Organization`.
    organization_id: OrgId,
    /// The HMAC-SHA256 key of `X-Afflux-Signature`, used as its UTF-8 bytes.
    signing_secret: String,
    /// What is signed: the timestamp header, a dot, the raw body.
    signed_payload: &'static str,
}

/// The S2S signing secret (Owner only; read_write key).
#[utoipa::path(get, path = "/api/v1/tracking/signing-secret", tag = "integrations",
    responses((status = 200, body = SigningSecretView), (status = 403)), security(("bearer" = [])))]
pub async fn signing_secret(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<Json<SigningSecretView>, ApiError> {
    let secret = s.app.s2s_signing_secret(&actor).await?;
    Ok(Json(SigningSecretView {
        organization_id: actor.org_id,
        signing_secret: secret,
        signed_payload: "{X-Afflux-Timestamp}.{raw body}",
    }))
}

/// The PayPal Payouts connection: whether the organization's REST app is connected.
#[utoipa::path(get, path = "/api/v1/integrations/paypal", tag = "integrations",
    responses((status = 200, body = PaypalSettings)), security(("bearer" = [])))]
pub async fn paypal_settings(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<Json<PaypalSettings>, ApiError> {
    Ok(Json(s.app.paypal_settings(&actor).await?))
}

/// Connect PayPal Payouts (Admin or Owner): the REST app's client id and secret, checked by
/// getting a token first (409 `paypal_credentials_rejected` otherwise), stored encrypted and
/// never shown again. Payout runs on the PayPal rail are then sent through the API.
#[utoipa::path(put, path = "/api/v1/integrations/paypal", tag = "integrations", request_body = PaypalCredentials,
    responses((status = 200, body = PaypalSettings), (status = 409)), security(("bearer" = [])))]
pub async fn set_paypal(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<PaypalCredentials>,
) -> Result<Json<PaypalSettings>, ApiError> {
    Ok(Json(s.app.set_paypal_credentials(&actor, input).await?))
}

/// The Stripe Connect payout connection: whether the platform account's key is set.
#[utoipa::path(get, path = "/api/v1/integrations/stripe-connect", tag = "integrations",
    responses((status = 200, body = StripeConnectSettings)), security(("bearer" = [])))]
pub async fn stripe_connect_settings(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<Json<StripeConnectSettings>, ApiError> {
    Ok(Json(s.app.stripe_connect_settings(&actor).await?))
}

/// Connect Stripe Connect payouts (Admin or Owner): the platform account's secret key, checked
/// by reading its balance first (409 `stripe_key_rejected`, or `stripe_unreachable`), stored
/// encrypted and never shown again. Runs on the StripeConnect rail then pay by transfers.
#[utoipa::path(put, path = "/api/v1/integrations/stripe-connect", tag = "integrations", request_body = StripeConnectKey,
    responses((status = 200, body = StripeConnectSettings), (status = 409)), security(("bearer" = [])))]
pub async fn set_stripe_connect(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<StripeConnectKey>,
) -> Result<Json<StripeConnectSettings>, ApiError> {
    Ok(Json(s.app.set_stripe_connect_key(&actor, input).await?))
}

/// Disconnect Stripe Connect payouts (Admin or Owner): the key is deleted.
#[utoipa::path(delete, path = "/api/v1/integrations/stripe-connect", tag = "integrations",
    responses((status = 200, body = StripeConnectSettings)), security(("bearer" = [])))]
pub async fn remove_stripe_connect(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<Json<StripeConnectSettings>, ApiError> {
    Ok(Json(s.app.remove_stripe_connect_key(&actor).await?))
}
