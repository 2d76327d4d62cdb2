//! Coupons: `/api/v1/programs/{id}/coupons` (campaign coupons) and
//! `/api/v1/affiliates/{id}/coupons` (an affiliate's promotion codes).

use afflux_app::conversions::{NewCampaignCoupon, NewPromotionCode};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::conversion_views::CouponView;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiActor, ApiJson, parse_id};

/// A program's coupons and its affiliates' promotion codes, oldest first.
#[utoipa::path(get, path = "/api/v1/programs/{id}/coupons", tag = "programs", params(("id" = String, Path)),
    responses((status = 200, body = Vec<CouponView>)), security(("bearer" = [])))]
pub async fn list_program_coupons(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Vec<CouponView>>, ApiError> {
    let coupons = s.app.program_coupons(&actor, parse_id(&id)?).await?;
    Ok(Json(coupons.into_iter().map(CouponView::from).collect()))
}

/// Register a campaign coupon (the Stripe coupon it mirrors, optional). Codes are unique in
/// the organization, case-insensitively (409 `code_taken`).
#[utoipa::path(post, path = "/api/v1/programs/{id}/coupons", tag = "programs", params(("id" = String, Path)), request_body = NewCampaignCoupon,
    responses((status = 201, body = CouponView), (status = 409)), security(("bearer" = [])))]
pub async fn create_program_coupon(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<NewCampaignCoupon>,
) -> Result<(StatusCode, Json<CouponView>), ApiError> {
    let coupon = s.app.create_campaign_coupon(&actor, parse_id(&id)?, input).await?;
    Ok((StatusCode::CREATED, Json(coupon.into())))
}

/// An affiliate's promotion codes, oldest first.
#[utoipa::path(get, path = "/api/v1/affiliates/{id}/coupons", tag = "affiliates", params(("id" = String, Path)),
    responses((status = 200, body = Vec<CouponView>)), security(("bearer" = [])))]
pub async fn list_affiliate_coupons(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Vec<CouponView>>, ApiError> {
    let coupons = s.app.affiliate_coupons(&actor, parse_id(&id)?).await?;
    Ok(Json(coupons.into_iter().map(CouponView::from).collect()))
}

/// Give an affiliate a promotion code: a sale carrying it (by code, Stripe promotion code or
/// Stripe coupon) is credited to them, ahead of a tracked click unless the code says otherwise.
#[utoipa::path(post, path = "/api/v1/affiliates/{id}/coupons", tag = "affiliates", params(("id" = String, Path)), request_body = NewPromotionCode,
    responses((status = 201, body = CouponView), (status = 409)), security(("bearer" = [])))]
pub async fn create_affiliate_coupon(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<NewPromotionCode>,
) -> Result<(StatusCode, Json<CouponView>), ApiError> {
    let coupon = s.app.create_promotion_code(&actor, parse_id(&id)?, input).await?;
    Ok((StatusCode::CREATED, Json(coupon.into())))
}
