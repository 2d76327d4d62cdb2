//! Inbound events: signed S2S events (`POST /api/track/s2s`), Stripe webhooks
//! (`POST /hooks/stripe/{organizationId}`) and the tracking script's leads
//! (`POST /api/v1/track/lead`, public and callable from any site). Signed bodies are read as
//! raw bytes and verified before they are parsed: the signature covers the exact bytes.

mod lead;
mod s2s;
mod stripe;

use afflux_app::conversions::{HookError, HookReply};
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use utoipa::OpenApi;

use crate::AppState;
use crate::error::ApiError;
use crate::tracking::cors;

#[derive(OpenApi)]
#[openapi(
    paths(s2s::track_s2s, stripe::stripe_webhook, lead::track_lead),
    tags((name = "conversions", description = "Sales, leads and refunds reported by your backend (signed S2S) or Stripe."))
)]
pub(crate) struct HooksDoc;

pub(crate) fn routes() -> Router<AppState> {
    let lead = Router::new()
        .route("/api/v1/track/lead", post(lead::track_lead).options(cors::preflight))
        .layer(axum::middleware::from_fn(cors::allow_any_origin));
    Router::new()
        .route("/api/track/s2s", post(s2s::track_s2s))
        .route("/hooks/stripe/{organizationId}", post(stripe::stripe_webhook))
        .merge(lead)
}

/// The body as received, or 413 when it is too large.
fn raw(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::BadRequest {
                field: None,
                message: e.body_text(),
            }
        }
    })
}

/// A hook's answer; a replayed one says so in `Idempotent-Replayed: true`.
fn render(reply: HookReply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
    let mut response = (status, axum::Json(reply.body)).into_response();
    if reply.replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

impl From<HookError> for ApiError {
    fn from(e: HookError) -> Self {
        match e {
            HookError::Signature(s) => ApiError::Signature(s),
            HookError::App(a) => ApiError::App(a),
        }
    }
}
