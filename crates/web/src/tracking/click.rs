//! `POST /api/v1/track/click`: the script saw a referral parameter on the brand's page.

use afflux_app::{ScriptClick, TrackedClick, Visit};
use afflux_domain::{AttributionModel, ClickId};
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ClientIp};

/// The referral the script keeps: click id, slug, affiliate and campaign.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TrackedClickView {
    /// The visitor's click (null when nothing was counted, e.g. for a bot).
    click_id: Option<ClickId>,
    /// True when this call counted a new click; false when it confirmed the `/go` click or the
    /// visitor was already counted this hour.
    recorded: bool,
    /// The referral slug, as the affiliate holds it.
    referral: String,
    affiliate: AffiliateRef,
    campaign: CampaignRef,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct AffiliateRef {
    name: Option<String>,
    slug: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct CampaignRef {
    name: String,
    slug: String,
    /// How long the script keeps the referral.
    cookie_window_days: i32,
    /// FirstTouch keeps an earlier referral; LastTouch replaces it.
    attribution_model: AttributionModel,
}

impl From<TrackedClick> for TrackedClickView {
    fn from(t: TrackedClick) -> Self {
        Self {
            click_id: t.click_id,
            recorded: t.recorded,
            referral: t.target.slug.to_string(),
            affiliate: AffiliateRef {
                name: t.target.name.clone(),
                slug: t.target.slug.to_string(),
            },
            campaign: CampaignRef {
                name: t.campaign.name,
                slug: t.campaign.slug.to_string(),
                cookie_window_days: t.campaign.cookie_window_days,
                attribution_model: t.campaign.attribution_model,
            },
        }
    }
}

/// Record a click from the tracking script. Public, any origin. With the `afx_click` of the
/// page URL, the visitor's `/go` click is confirmed rather than counted again. Bots are answered
/// but not counted; unknown or inactive links answer 404; malformed bodies 400.
#[utoipa::path(post, path = "/api/v1/track/click", tag = "tracking", request_body = ScriptClick,
    responses((status = 200, body = TrackedClickView), (status = 400), (status = 404)))]
pub(super) async fn track_click(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ScriptClick>,
) -> Result<Json<TrackedClickView>, ApiError> {
    let visit = Visit {
        ip,
        user_agent: headers
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        referrer: None,
        no_count: false,
    };
    Ok(Json(s.app.track_script_click(input, &visit).await?.into()))
}
