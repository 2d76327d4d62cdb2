//! `/api/v1/integrations/crm`: connect a CRM or email tool with a live test call, pick its
//! destination from the live picker, set tags and per-program overrides, watch and retry the
//! syncs. Credentials go in and never come out.

use std::collections::BTreeMap;

use afflux_app::{ConnectIntegration, IntegrationPatch, IntegrationSummary, OverrideInput};
use afflux_domain::{CampaignId, CampaignOverride, CrmVendor, Destination, IntegrationId, SyncStatus};
use afflux_store::{CrmSync, CrmSyncFilter, CrmSyncRow};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::pagination::{PageParams, paginate};
use super::views::{Paginated, rfc3339};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiActor, ApiJson, parse_id};

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationView {
    id: IntegrationId,
    vendor: CrmVendor,
    vendor_name: &'static str,
    /// The last characters of the connected key.
    credential_hint: String,
    destination: Option<Destination>,
    system_tag: String,
    default_tags: Vec<String>,
    sync_on_import: bool,
    program_overrides: Vec<OverrideView>,
    /// How many affiliates' syncs are Pending, Succeeded, Retrying and Failed.
    syncs: BTreeMap<SyncStatus, i64>,
    created_at: String,
    updated_at: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OverrideView {
    program_id: CampaignId,
    destination: Option<Destination>,
    tags: Vec<String>,
}

impl From<IntegrationSummary> for IntegrationView {
    fn from(s: IntegrationSummary) -> Self {
        let i = s.integration;
        Self {
            id: i.id,
            vendor: i.vendor,
            vendor_name: i.vendor.display_name(),
            credential_hint: i.credential_hint,
            destination: i.settings.destination,
            system_tag: i.settings.system_tag,
            default_tags: i.settings.default_tags,
            sync_on_import: i.settings.sync_on_import,
            program_overrides: i
                .settings
                .campaign_overrides
                .into_iter()
                .map(|(program_id, CampaignOverride { destination, tags })| OverrideView {
                    program_id,
                    destination,
                    tags,
                })
                .collect(),
            syncs: s.counts,
            created_at: rfc3339(i.created_at),
            updated_at: rfc3339(i.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncView {
    integration_id: IntegrationId,
    affiliate_id: afflux_domain::AffiliateId,
    email: String,
    name: Option<String>,
    status: SyncStatus,
    /// Attempts of the latest request.
    attempts: i32,
    last_error: Option<String>,
    requested_at: String,
    synced_at: Option<String>,
    updated_at: String,
}

impl SyncView {
    fn new(sync: CrmSync, email: String, name: Option<String>) -> Self {
        Self {
            integration_id: sync.integration_id,
            affiliate_id: sync.affiliate_id,
            email,
            name,
            status: sync.status,
            attempts: sync.attempts,
            last_error: sync.last_error,
            requested_at: rfc3339(sync.requested_at),
            synced_at: sync.synced_at.map(rfc3339),
            updated_at: rfc3339(sync.updated_at),
        }
    }
}

impl From<CrmSyncRow> for SyncView {
    fn from(r: CrmSyncRow) -> Self {
        Self::new(r.sync, r.email, r.name)
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct SyncQuery {
    /// Pending, Succeeded, Retrying or Failed.
    status: Option<String>,
    affiliate_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResyncView {
    /// Affiliates whose sync was requested.
    requested: usize,
}

/// The connected CRMs and email tools, with sync counts.
#[utoipa::path(get, path = "/api/v1/integrations/crm", tag = "integrations",
    responses((status = 200, body = Vec<IntegrationView>)), security(("bearer" = [])))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<IntegrationView>>, ApiError> {
    let all = s.app.integrations(&actor).await?;
    Ok(Json(all.into_iter().map(IntegrationView::from).collect()))
}

/// Connect a vendor account (Admin or Owner). The credentials are checked by a live call to
/// the vendor first: missing ones answer 400 `integration_credentials_missing` naming the
/// field, refused ones 422 `integration_credentials_rejected` with the vendor's reason, and
/// nothing is saved. Connecting a vendor again replaces its credentials and keeps its settings.
#[utoipa::path(post, path = "/api/v1/integrations/crm", tag = "integrations", request_body = ConnectIntegration,
    responses((status = 201, body = IntegrationView), (status = 400), (status = 422), (status = 502)), security(("bearer" = [])))]
pub async fn connect(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<ConnectIntegration>,
) -> Result<(StatusCode, Json<IntegrationView>), ApiError> {
    let summary = s.app.connect_integration(&actor, input).await?;
    Ok((StatusCode::CREATED, Json(summary.into())))
}

#[utoipa::path(get, path = "/api/v1/integrations/crm/{id}", tag = "integrations", params(("id" = String, Path)),
    responses((status = 200, body = IntegrationView), (status = 404)), security(("bearer" = [])))]
pub async fn get(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<IntegrationView>, ApiError> {
    Ok(Json(s.app.integration(&actor, parse_id(&id)?).await?.into()))
}

/// Change the destination, system tag, default tags or import behaviour.
#[utoipa::path(patch, path = "/api/v1/integrations/crm/{id}", tag = "integrations", params(("id" = String, Path)), request_body = IntegrationPatch,
    responses((status = 200, body = IntegrationView), (status = 404)), security(("bearer" = [])))]
pub async fn update(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<IntegrationPatch>,
) -> Result<Json<IntegrationView>, ApiError> {
    Ok(Json(
        s.app.update_integration(&actor, parse_id(&id)?, patch).await?.into(),
    ))
}

/// Disconnect: credentials and sync states are deleted and pending syncs cancelled.
#[utoipa::path(delete, path = "/api/v1/integrations/crm/{id}", tag = "integrations", params(("id" = String, Path)),
    responses((status = 204), (status = 404)), security(("bearer" = [])))]
pub async fn remove(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.app.remove_integration(&actor, parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The live picker: the vendor's lists, audiences, tags or publication, fetched now.
#[utoipa::path(get, path = "/api/v1/integrations/crm/{id}/destinations", tag = "integrations", params(("id" = String, Path)),
    responses((status = 200, body = Vec<Destination>), (status = 404), (status = 502)), security(("bearer" = [])))]
pub async fn destinations(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Vec<Destination>>, ApiError> {
    Ok(Json(s.app.integration_destinations(&actor, parse_id(&id)?).await?))
}

/// A program's own destination and extra tags for this integration.
#[utoipa::path(put, path = "/api/v1/integrations/crm/{id}/programs/{programId}", tag = "integrations",
    params(("id" = String, Path), ("programId" = String, Path)), request_body = OverrideInput,
    responses((status = 200, body = IntegrationView), (status = 404)), security(("bearer" = [])))]
pub async fn set_override(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((id, program)): Path<(String, String)>,
    ApiJson(input): ApiJson<OverrideInput>,
) -> Result<Json<IntegrationView>, ApiError> {
    let summary = s
        .app
        .set_integration_override(&actor, parse_id(&id)?, parse_id(&program)?, Some(input))
        .await?;
    Ok(Json(summary.into()))
}

/// Drop a program's override: its affiliates get the integration's destination and tags.
#[utoipa::path(delete, path = "/api/v1/integrations/crm/{id}/programs/{programId}", tag = "integrations",
    params(("id" = String, Path), ("programId" = String, Path)),
    responses((status = 200, body = IntegrationView), (status = 404)), security(("bearer" = [])))]
pub async fn clear_override(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((id, program)): Path<(String, String)>,
) -> Result<Json<IntegrationView>, ApiError> {
    let summary = s
        .app
        .set_integration_override(&actor, parse_id(&id)?, parse_id(&program)?, None)
        .await?;
    Ok(Json(summary.into()))
}

/// Every affiliate's sync to this integration, most recently updated first.
#[utoipa::path(get, path = "/api/v1/integrations/crm/{id}/syncs", tag = "integrations",
    params(("id" = String, Path), PageParams, SyncQuery),
    responses((status = 200, body = Paginated<SyncView>)), security(("bearer" = [])))]
pub async fn syncs(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    Query(pages): Query<PageParams>,
    Query(q): Query<SyncQuery>,
) -> Result<Json<Paginated<SyncView>>, ApiError> {
    let (page, per_page, window) = pages.resolve()?;
    let integration: IntegrationId = parse_id(&id)?;
    s.app.integration(&actor, integration).await?;
    let filter = CrmSyncFilter {
        integration_id: Some(integration),
        affiliate_id: q.affiliate_id.as_deref().map(parse_id).transpose()?,
        status: q
            .status
            .as_deref()
            .map(|v| SyncStatus::parse("status", v))
            .transpose()?,
    };
    let rows = s.app.crm_syncs(&actor, filter, window).await?;
    Ok(Json(paginate(rows, page, per_page, SyncView::from)))
}

/// Retry now: a new attempt at once, attempts counted afresh.
#[utoipa::path(post, path = "/api/v1/integrations/crm/{id}/syncs/{affiliateId}/retry", tag = "integrations",
    params(("id" = String, Path), ("affiliateId" = String, Path)),
    responses((status = 202, body = SyncView), (status = 404)), security(("bearer" = [])))]
pub async fn retry(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((id, affiliate)): Path<(String, String)>,
) -> Result<(StatusCode, Json<SyncView>), ApiError> {
    let sync = s
        .app
        .retry_crm_sync(&actor, parse_id(&id)?, parse_id(&affiliate)?)
        .await?;
    let rows = s
        .app
        .crm_syncs(
            &actor,
            CrmSyncFilter {
                integration_id: Some(sync.integration_id),
                affiliate_id: Some(sync.affiliate_id),
                status: None,
            },
            afflux_store::Page { limit: 1, offset: 0 },
        )
        .await?;
    let view = rows.into_iter().next().map(SyncView::from).ok_or(ApiError::NotFound)?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}

/// Sync every approved affiliate again (after connecting, or after changing tags).
#[utoipa::path(post, path = "/api/v1/integrations/crm/{id}/resync", tag = "integrations", params(("id" = String, Path)),
    responses((status = 202, body = ResyncView), (status = 404)), security(("bearer" = [])))]
pub async fn resync(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<ResyncView>), ApiError> {
    let requested = s.app.resync_integration(&actor, parse_id(&id)?).await?;
    Ok((StatusCode::ACCEPTED, Json(ResyncView { requested })))
}
