//! Imports over the API: canonical JSON rows (at most 1,000 per request, idempotent with an
//! `Idempotency-Key`) creating the same revertible import jobs as the dashboard's CSV
//! importers, and the import history.

use afflux_app::imports::{HistoryInput, HistoryPreview, ImportDetail, RosterInput};
use afflux_domain::AffiliateStatus;
use afflux_importers::{CanonicalAffiliate, CanonicalConversion};
use afflux_store::Page;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::pagination::PageParams;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiActor, ApiJson, parse_id};

/// Affiliates to import into one campaign.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AffiliateImportRequest {
    /// The destination campaign (program) id or slug.
    pub campaign_id: String,
    /// `{email, name | firstName + lastName, status, slug, paypalEmail}`.
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<CanonicalAffiliate>,
    /// Import only rows with these statuses.
    pub status_filter: Option<Vec<AffiliateStatus>>,
    /// Invite the imported affiliates to claim their account (Growth or higher, Active).
    #[serde(default)]
    pub notify: bool,
    /// The personal note of the invitation (bold, italic, https links; ~500 characters).
    pub note: Option<String>,
}

/// Past conversions and commissions of one campaign's affiliates.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConversionImportRequest {
    pub campaign_id: String,
    /// `{externalId, affiliateEmail | affiliateSlug, saleAmountMinor, commissionMinor, currency,
    /// status (paid, unpaid, voided, refunded, fraud, lead), occurredAt, paidAt,
    /// stripeCustomerId, stripeSubscriptionId}`.
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<CanonicalConversion>,
    /// Unpaid rows become payable in the next payout run you start; otherwise they are
    /// recorded as settled history and never paid.
    #[serde(default)]
    pub confirm_unpaid_payout: bool,
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(v) => {
            let key = v.to_str().unwrap_or_default().trim();
            if key.is_empty() || key.len() > 255 {
                return Err(ApiError::BadRequest {
                    field: Some("Idempotency-Key".into()),
                    message: "Idempotency-Key must be 1 to 255 visible characters".into(),
                });
            }
            Ok(Some(key.to_owned()))
        }
    }
}

/// Import affiliates (canonical rows): dedupes by email, keeps valid free slugs.
#[utoipa::path(post, path = "/api/v1/affiliates/import", tag = "imports", request_body = AffiliateImportRequest,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = Object), (status = 402), (status = 409)), security(("bearer" = [])))]
pub async fn import_affiliates(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    headers: HeaderMap,
    ApiJson(body): ApiJson<AffiliateImportRequest>,
) -> Result<(StatusCode, Json<ImportDetail>), ApiError> {
    let key = idempotency_key(&headers)?;
    let note = if body.notify {
        Some(body.note.clone().unwrap_or_default())
    } else {
        None
    };
    let input = RosterInput {
        source: "api".into(),
        campaign: body.campaign_id,
        mapping: None,
        note_html: note,
        status_filter: body.status_filter,
    };
    let detail = s.app.import_affiliates_json(&actor, input, body.rows, key).await?;
    Ok((StatusCode::CREATED, Json(detail)))
}

/// Import past conversions and commissions (canonical rows). Paid rows are settled history.
#[utoipa::path(post, path = "/api/v1/conversions/import", tag = "imports", request_body = ConversionImportRequest,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = Object), (status = 409)), security(("bearer" = [])))]
pub async fn import_conversions(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ConversionImportRequest>,
) -> Result<(StatusCode, Json<ImportDetail>), ApiError> {
    let key = idempotency_key(&headers)?;
    let input = HistoryInput {
        source: "api".into(),
        campaign: body.campaign_id,
        confirm_unpaid_payout: body.confirm_unpaid_payout,
    };
    let detail = s.app.import_conversions_json(&actor, input, body.rows, key).await?;
    Ok((StatusCode::CREATED, Json(detail)))
}

/// A dry run: what would import, skips by reason, and how much would become payable.
#[utoipa::path(post, path = "/api/v1/conversions/import/preview", tag = "imports", request_body = ConversionImportRequest,
    responses((status = 200, body = Object)), security(("bearer" = [])))]
pub async fn preview_conversions(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<ConversionImportRequest>,
) -> Result<Json<HistoryPreview>, ApiError> {
    let input = HistoryInput {
        source: "api".into(),
        campaign: body.campaign_id,
        confirm_unpaid_payout: body.confirm_unpaid_payout,
    };
    Ok(Json(s.app.preview_conversions_json(&actor, input, body.rows).await?))
}

/// The import history, newest first.
#[utoipa::path(get, path = "/api/v1/imports", tag = "imports", params(PageParams),
    responses((status = 200, body = Object)), security(("bearer" = [])))]
pub async fn list_imports(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(params): Query<PageParams>,
) -> Result<Json<Vec<afflux_domain::Import>>, ApiError> {
    let (_, per_page, page) = params.resolve()?;
    let page = Page {
        limit: i64::from(per_page),
        ..page
    };
    Ok(Json(s.app.list_imports(&actor, page).await?))
}

/// One import with its skipped rows (line and reason; never the row's content).
#[utoipa::path(get, path = "/api/v1/imports/{id}", tag = "imports", params(("id" = String, Path)),
    responses((status = 200, body = Object)), security(("bearer" = [])))]
pub async fn get_import(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<ImportDetail>, ApiError> {
    Ok(Json(s.app.import_detail(&actor, parse_id(&id)?).await?))
}

/// Undo an import: its memberships without activity go (roster), its commissions not in a
/// payout are reversed on the ledger (history).
#[utoipa::path(post, path = "/api/v1/imports/{id}/revert", tag = "imports", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 409)), security(("bearer" = [])))]
pub async fn revert_import(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<ImportDetail>, ApiError> {
    Ok(Json(s.app.revert_import(&actor, parse_id(&id)?).await?))
}
