//! `POST /api/v1/track/lead`: the tracking script reports a signup. Public, any origin,
//! rate-limited per client address.

use afflux_app::conversions::LeadInput;
use afflux_domain::ConversionId;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ClientIp};

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct LeadView {
    /// The lead: new (201) or recorded earlier for this email (200); null when nobody is
    /// credited (then `reason` says why).
    conversion_id: Option<ConversionId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
}

/// Record a lead: a signup by someone the visitor's referral (`clickId` from the click call, or
/// the `slug`) brought. Earns nothing in a pay-per-sale program, but a later sale to this
/// email is credited to the same affiliate.
#[utoipa::path(post, path = "/api/v1/track/lead", tag = "tracking", request_body = LeadInput,
    responses((status = 201, body = LeadView), (status = 200, body = LeadView), (status = 400), (status = 404), (status = 429)))]
pub(super) async fn track_lead(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<LeadInput>,
) -> Result<(StatusCode, Json<LeadView>), ApiError> {
    s.public_limiter.check(&format!("lead:{ip}"))?;
    let lead = s.app.record_lead(input).await?;
    let status = if lead.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(LeadView {
            conversion_id: lead.conversion_id,
            reason: lead.reason,
        }),
    ))
}
