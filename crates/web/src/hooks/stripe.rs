//! `POST /hooks/stripe/{organizationId}`: Stripe's webhook, verified with the organization's
//! `whsec_…` secret (`PUT /api/v1/integrations/stripe`).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::{raw, render};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::parse_id;

/// Stripe webhook endpoint. Handles `checkout.session.completed` (and
/// `checkout.session.async_payment_succeeded`), `customer.subscription.created` (trials become
/// leads), `invoice.paid` (any API version), `charge.refunded` and
/// `customer.subscription.deleted`; other events answer 200 and are ignored. Each event id is
/// processed once; redeliveries get the first answer.
#[utoipa::path(post, path = "/hooks/stripe/{organizationId}", tag = "conversions",
    params(("organizationId" = String, Path), ("Stripe-Signature" = String, Header)),
    responses(
        (status = 200, description = "Processed, replayed or ignored"),
        (status = 201, description = "A conversion was recorded"),
        (status = 400, description = "Not a Stripe event"),
        (status = 401, description = "`invalid_signature` or `signature_expired`"),
    ))]
pub(super) async fn stripe_webhook(
    State(s): State<AppState>,
    Path(org): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = raw(body)?;
    let signature = headers.get("stripe-signature").and_then(|v| v.to_str().ok());
    Ok(render(
        s.app.handle_stripe_webhook(parse_id(&org)?, signature, &body).await?,
    ))
}
