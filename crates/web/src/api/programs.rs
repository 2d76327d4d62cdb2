use afflux_app::{CampaignPatch, NewCampaign};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;

use super::pagination::{PageParams, paginate};
use super::views::{Paginated, ProgramView};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiActor, ApiJson, parse_id};

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
pub struct ProgramFilter {
    /// Include archived programs (default false).
    include_archived: Option<bool>,
}

/// List the organization's programs (campaigns).
#[utoipa::path(get, path = "/api/v1/programs", tag = "programs", params(PageParams, ProgramFilter),
    responses((status = 200, body = Paginated<ProgramView>)), security(("bearer" = [])))]
pub async fn list_programs(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(pages): Query<PageParams>,
    Query(filter): Query<ProgramFilter>,
) -> Result<Json<Paginated<ProgramView>>, ApiError> {
    let (page, per_page, window) = pages.resolve()?;
    let rows = s
        .app
        .list_campaigns(&actor, filter.include_archived.unwrap_or(false), window)
        .await?;
    Ok(Json(paginate(rows, page, per_page, ProgramView::from)))
}

/// Create a program. The slug is permanent.
#[utoipa::path(post, path = "/api/v1/programs", tag = "programs", request_body = NewCampaign,
    responses((status = 201, body = ProgramView)), security(("bearer" = [])))]
pub async fn create_program(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<NewCampaign>,
) -> Result<(StatusCode, Json<ProgramView>), ApiError> {
    let campaign = s.app.create_campaign(&actor, input).await?;
    Ok((StatusCode::CREATED, Json(campaign.into())))
}

#[utoipa::path(get, path = "/api/v1/programs/{id}", tag = "programs", params(("id" = String, Path)),
    responses((status = 200, body = ProgramView)), security(("bearer" = [])))]
pub async fn get_program(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<ProgramView>, ApiError> {
    Ok(Json(s.app.campaign(&actor, parse_id(&id)?).await?.into()))
}

/// Change a program; absent fields keep their value.
#[utoipa::path(patch, path = "/api/v1/programs/{id}", tag = "programs", params(("id" = String, Path)), request_body = CampaignPatch,
    responses((status = 200, body = ProgramView)), security(("bearer" = [])))]
pub async fn update_program(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<CampaignPatch>,
) -> Result<Json<ProgramView>, ApiError> {
    Ok(Json(s.app.update_campaign(&actor, parse_id(&id)?, patch).await?.into()))
}

#[utoipa::path(post, path = "/api/v1/programs/{id}/archive", tag = "programs", params(("id" = String, Path)),
    responses((status = 200, body = ProgramView)), security(("bearer" = [])))]
pub async fn archive_program(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<ProgramView>, ApiError> {
    Ok(Json(s.app.archive_campaign(&actor, parse_id(&id)?).await?.into()))
}
