use afflux_app::money::AffiliatePatch;
use afflux_app::{AffiliateInvite, Application, StatusChange};
use afflux_domain::{AffiliateStatus, StatusAction};
use afflux_store::AffiliateFilter;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;

use super::pagination::{PageParams, paginate};
use super::views::{AffiliateView, MembershipView, NewAffiliateInput, Paginated, SlugInput};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiActor, ApiJson, OptionalJson, parse_id};

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
pub struct AffiliateQuery {
    /// Only memberships of this program.
    program_id: Option<String>,
    /// Pending, Approved, Paused, Rejected or Banned.
    status: Option<String>,
    /// Part of the email, name or slug.
    q: Option<String>,
}

/// List affiliates, one row per program membership, newest first.
#[utoipa::path(get, path = "/api/v1/affiliates", tag = "affiliates", params(PageParams, AffiliateQuery),
    responses((status = 200, body = Paginated<AffiliateView>)), security(("bearer" = [])))]
pub async fn list_affiliates(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(pages): Query<PageParams>,
    Query(q): Query<AffiliateQuery>,
) -> Result<Json<Paginated<AffiliateView>>, ApiError> {
    let (page, per_page, window) = pages.resolve()?;
    let filter = AffiliateFilter {
        campaign_id: q
            .program_id
            .as_deref()
            .map(|p| {
                p.parse().map_err(|_| ApiError::BadRequest {
                    field: Some("programId".into()),
                    message: "programId is not a valid id".into(),
                })
            })
            .transpose()?,
        status: q
            .status
            .as_deref()
            .map(|v| AffiliateStatus::parse("status", v))
            .transpose()?,
        search: q.q,
    };
    let rows = s.app.list_affiliates(&actor, filter, window).await?;
    Ok(Json(paginate(rows, page, per_page, AffiliateView::from)))
}

/// Enter an application on someone's behalf: Pending, or Approved when the program auto-approves.
#[utoipa::path(post, path = "/api/v1/affiliates", tag = "affiliates", request_body = NewAffiliateInput,
    responses((status = 201, body = AffiliateView)), security(("bearer" = [])))]
pub async fn create_affiliate(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<NewAffiliateInput>,
) -> Result<(StatusCode, Json<AffiliateView>), ApiError> {
    let application = Application {
        email: input.email,
        name: input.name,
        paypal_email: input.paypal_email,
        slug: input.slug,
        recruiter: input.recruiter,
    };
    let (affiliate, membership) = s.app.create_application(&actor, input.program_id, application).await?;
    Ok((
        StatusCode::CREATED,
        Json(AffiliateView::new(affiliate, vec![membership])),
    ))
}

/// Invite someone straight into a program: Approved, and emailed their link.
#[utoipa::path(post, path = "/api/v1/affiliates/invite", tag = "affiliates", request_body = AffiliateInvite,
    responses((status = 201, body = AffiliateView)), security(("bearer" = [])))]
pub async fn invite_affiliate(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<AffiliateInvite>,
) -> Result<(StatusCode, Json<AffiliateView>), ApiError> {
    let (affiliate, membership) = s.app.invite_affiliate(&actor, input).await?;
    Ok((
        StatusCode::CREATED,
        Json(AffiliateView::new(affiliate, vec![membership])),
    ))
}

#[utoipa::path(get, path = "/api/v1/affiliates/{id}", tag = "affiliates", params(("id" = String, Path)),
    responses((status = 200, body = AffiliateView)), security(("bearer" = [])))]
pub async fn get_affiliate(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<AffiliateView>, ApiError> {
    let detail = s.app.affiliate(&actor, parse_id(&id)?).await?;
    Ok(Json(AffiliateView::new(detail.affiliate, detail.memberships)))
}

/// Set or clear the affiliate's Stripe connected account (`stripeAccountId`: `acct_…`, or `null`;
/// Manager or above), where StripeConnect payouts go. The brand pastes the id of the account
/// the affiliate onboarded; Afflux does not run Stripe's hosted onboarding.
#[utoipa::path(patch, path = "/api/v1/affiliates/{id}", tag = "affiliates", params(("id" = String, Path)), request_body = AffiliatePatch,
    responses((status = 200, body = AffiliateView)), security(("bearer" = [])))]
pub async fn update_affiliate(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<AffiliatePatch>,
) -> Result<Json<AffiliateView>, ApiError> {
    let id = parse_id(&id)?;
    s.app.update_affiliate(&actor, id, input).await?;
    let detail = s.app.affiliate(&actor, id).await?;
    Ok(Json(AffiliateView::new(detail.affiliate, detail.memberships)))
}

/// Change the affiliate's referral slug (their old links stop tracking).
#[utoipa::path(put, path = "/api/v1/affiliates/{id}/slug", tag = "affiliates", params(("id" = String, Path)), request_body = SlugInput,
    responses((status = 200, body = AffiliateView)), security(("bearer" = [])))]
pub async fn set_slug(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SlugInput>,
) -> Result<Json<AffiliateView>, ApiError> {
    let id = parse_id(&id)?;
    s.app.set_affiliate_slug(&actor, id, &input.slug).await?;
    let detail = s.app.affiliate(&actor, id).await?;
    Ok(Json(AffiliateView::new(detail.affiliate, detail.memberships)))
}

async fn decide(
    s: AppState,
    actor: afflux_app::Actor,
    id: String,
    action: StatusAction,
    change: StatusChange,
) -> Result<Json<MembershipView>, ApiError> {
    Ok(Json(
        s.app
            .change_affiliate_status(&actor, parse_id(&id)?, action, change)
            .await?
            .into(),
    ))
}

/// Approve a membership (Pending, Rejected or Paused); emails the affiliate their link.
#[utoipa::path(post, path = "/api/v1/affiliates/{id}/approve", tag = "affiliates", params(("id" = String, Path)), request_body = Option<StatusChange>,
    responses((status = 200, body = MembershipView)), security(("bearer" = [])))]
pub async fn approve(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    OptionalJson(c): OptionalJson<StatusChange>,
) -> Result<Json<MembershipView>, ApiError> {
    decide(s, a, id, StatusAction::Approve, c).await
}

/// Reject a pending membership; emails the affiliate unless `notify` is false.
#[utoipa::path(post, path = "/api/v1/affiliates/{id}/reject", tag = "affiliates", params(("id" = String, Path)), request_body = Option<StatusChange>,
    responses((status = 200, body = MembershipView)), security(("bearer" = [])))]
pub async fn reject(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    OptionalJson(c): OptionalJson<StatusChange>,
) -> Result<Json<MembershipView>, ApiError> {
    decide(s, a, id, StatusAction::Reject, c).await
}

/// Pause an approved membership: it stops earning on new activity.
#[utoipa::path(post, path = "/api/v1/affiliates/{id}/pause", tag = "affiliates", params(("id" = String, Path)), request_body = Option<StatusChange>,
    responses((status = 200, body = MembershipView)), security(("bearer" = [])))]
pub async fn pause(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    OptionalJson(c): OptionalJson<StatusChange>,
) -> Result<Json<MembershipView>, ApiError> {
    decide(s, a, id, StatusAction::Pause, c).await
}

/// Ban a membership for good.
#[utoipa::path(post, path = "/api/v1/affiliates/{id}/ban", tag = "affiliates", params(("id" = String, Path)), request_body = Option<StatusChange>,
    responses((status = 200, body = MembershipView)), security(("bearer" = [])))]
pub async fn ban(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    OptionalJson(c): OptionalJson<StatusChange>,
) -> Result<Json<MembershipView>, ApiError> {
    decide(s, a, id, StatusAction::Ban, c).await
}
