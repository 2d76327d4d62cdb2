use afflux_app::{NewApiKey, OrgPatch};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::views::{ApiKeyView, CreatedApiKeyView, InviteView, OrganizationView, RoleInput, TeamInviteInput, TeamJson};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiActor, ApiJson, parse_id};

/// The organization the key belongs to.
#[utoipa::path(get, path = "/api/v1/organization", tag = "team", responses((status = 200, body = OrganizationView)), security(("bearer" = [])))]
pub async fn organization(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<Json<OrganizationView>, ApiError> {
    Ok(Json(s.app.organization(&actor).await?.into()))
}

/// Change the organization's name and the sender identity of its emails (Owner or Admin).
#[utoipa::path(patch, path = "/api/v1/organization", tag = "team", request_body = OrgPatch, responses((status = 200, body = OrganizationView)), security(("bearer" = [])))]
pub async fn update_organization(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(patch): ApiJson<OrgPatch>,
) -> Result<Json<OrganizationView>, ApiError> {
    Ok(Json(s.app.update_org_profile(&actor, patch).await?.into()))
}

/// Team members and open invitations.
#[utoipa::path(get, path = "/api/v1/team", tag = "team", responses((status = 200, body = TeamJson)), security(("bearer" = [])))]
pub async fn team(State(s): State<AppState>, ApiActor(actor): ApiActor) -> Result<Json<TeamJson>, ApiError> {
    let team = s.app.team(&actor).await?;
    Ok(Json(TeamJson {
        members: team.members.into_iter().map(Into::into).collect(),
        invites: team.invites.into_iter().map(Into::into).collect(),
    }))
}

/// Invite someone to the team (Admin, Manager or Viewer); the invitation expires in 7 days.
#[utoipa::path(post, path = "/api/v1/team/invites", tag = "team", request_body = TeamInviteInput,
    responses((status = 201, body = InviteView)), security(("bearer" = [])))]
pub async fn invite(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<TeamInviteInput>,
) -> Result<(StatusCode, Json<InviteView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.invite_member(&actor, &input.email, input.role).await?.into()),
    ))
}

#[utoipa::path(delete, path = "/api/v1/team/invites/{id}", tag = "team", params(("id" = String, Path)), responses((status = 204)), security(("bearer" = [])))]
pub async fn cancel_invite(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.app.cancel_invite(&actor, parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Change a member's role; the last Owner cannot be demoted.
#[utoipa::path(patch, path = "/api/v1/team/members/{userId}", tag = "team", params(("userId" = String, Path)), request_body = RoleInput,
    responses((status = 204)), security(("bearer" = [])))]
pub async fn set_role(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<RoleInput>,
) -> Result<StatusCode, ApiError> {
    s.app.set_member_role(&actor, parse_id(&id)?, input.role).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a member; the last Owner cannot be removed.
#[utoipa::path(delete, path = "/api/v1/team/members/{userId}", tag = "team", params(("userId" = String, Path)), responses((status = 204)), security(("bearer" = [])))]
pub async fn remove_member(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.app.remove_member(&actor, parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api keys", responses((status = 200, body = Vec<ApiKeyView>)), security(("bearer" = [])))]
pub async fn list_keys(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<ApiKeyView>>, ApiError> {
    Ok(Json(
        s.app.list_api_keys(&actor).await?.into_iter().map(Into::into).collect(),
    ))
}

/// Create a key; the secret is in this response only.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api keys", request_body = NewApiKey,
    responses((status = 201, body = CreatedApiKeyView)), security(("bearer" = [])))]
pub async fn create_key(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<NewApiKey>,
) -> Result<(StatusCode, Json<CreatedApiKeyView>), ApiError> {
    let created = s.app.create_api_key(&actor, input).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiKeyView {
            key: created.secret,
            api_key: created.key.into(),
        }),
    ))
}

/// Revoke the key and issue a new one with the same name and scope.
#[utoipa::path(post, path = "/api/v1/api-keys/{id}/rotate", tag = "api keys", params(("id" = String, Path)),
    responses((status = 201, body = CreatedApiKeyView)), security(("bearer" = [])))]
pub async fn rotate_key(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<CreatedApiKeyView>), ApiError> {
    let created = s.app.rotate_api_key(&actor, parse_id(&id)?).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiKeyView {
            key: created.secret,
            api_key: created.key.into(),
        }),
    ))
}

#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api keys", params(("id" = String, Path)), responses((status = 204)), security(("bearer" = [])))]
pub async fn revoke_key(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.app.revoke_api_key(&actor, parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
