//! `POST /api/track/s2s`: a sale, lead or refund from the brand's backend, signed with the
//! organization's signing secret.

use afflux_app::conversions::S2sEvent;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::response::Response;

use super::{raw, render};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::parse_json;

/// Report a sale, lead or refund. Sign `{X-Afflux-Timestamp}.{raw body}` with HMAC-SHA256 and
/// the signing secret (`GET /api/v1/tracking/signing-secret`), hex in `X-Afflux-Signature`;
/// the timestamp (Unix seconds) must be within 300 s of the server clock. Name your
/// organization in `X-Afflux-Organization`. A repeated `externalEventId` answers the first
/// answer again (with `Idempotent-Replayed: true`) and records nothing; reused with another
/// payload it is a 409 `idempotency_conflict`. Sales answer 201 when recorded, 200 when nobody
/// is credited (`outcome: unattributed` and a `reason`).
#[utoipa::path(post, path = "/api/track/s2s", tag = "conversions", request_body = S2sEvent,
    params(
        ("X-Afflux-Organization" = String, Header, description = "Your organization id"),
        ("X-Afflux-Timestamp" = String, Header, description = "Unix seconds"),
        ("X-Afflux-Signature" = String, Header, description = "hex HMAC-SHA256 of `{timestamp}.{body}`"),
    ),
    responses(
        (status = 201, description = "Recorded"),
        (status = 200, description = "A refund applied, nobody credited, or a replay"),
        (status = 400, description = "Malformed body: `validation_failed`, `unsupported_currency`, `currency_must_be_3_letters`, `refund_exceeds_sale`"),
        (status = 401, description = "`invalid_signature` or `signature_expired`"),
        (status = 404, description = "The sale refunded is unknown"),
        (status = 409, description = "`idempotency_conflict`"),
    ))]
pub(super) async fn track_s2s(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = raw(body)?;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let org = s
        .app
        .verify_s2s(
            header("x-afflux-organization"),
            header("x-afflux-timestamp"),
            header("x-afflux-signature"),
            &body,
        )
        .map_err(ApiError::Signature)?;
    let event: S2sEvent = parse_json(&body)?;
    Ok(render(s.app.ingest_s2s(org, event).await?))
}
