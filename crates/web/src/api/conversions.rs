//! `/api/v1/conversions`: the sales list and one sale.

use afflux_domain::{CommissionStatus, ConversionSource, ConversionType};
use afflux_store::ConversionFilter;
use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use utoipa::IntoParams;

use super::conversion_views::ConversionView;
use super::pagination::{PageParams, paginate};
use super::views::Paginated;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiActor, parse_id};

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ConversionQuery {
    affiliate_id: Option<String>,
    program_id: Option<String>,
    /// Sale, Recurring, Lead or Click.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    kind: Option<String>,
    /// Coupon, Link, CustomerMatch, Click, Lead, Override, Server or Imported.
    source: Option<String>,
    /// Pending, Approved, Paid, Refunded or Denied.
    status: Option<String>,
    subscription_id: Option<String>,
    customer_id: Option<String>,
}

fn id_param<T: std::str::FromStr>(field: &str, value: Option<&str>) -> Result<Option<T>, ApiError> {
    value
        .map(|v| {
            v.trim().parse().map_err(|_| ApiError::BadRequest {
                field: Some(field.into()),
                message: format!("{field} is not an id"),
            })
        })
        .transpose()
}

impl ConversionQuery {
    fn filter(&self) -> Result<ConversionFilter, ApiError> {
        Ok(ConversionFilter {
            affiliate_id: id_param("affiliateId", self.affiliate_id.as_deref())?,
            campaign_id: id_param("programId", self.program_id.as_deref())?,
            kind: self
                .kind
                .as_deref()
                .map(|k| ConversionType::parse("type", k))
                .transpose()?,
            source: self
                .source
                .as_deref()
                .map(|k| ConversionSource::parse("source", k))
                .transpose()?,
            status: self
                .status
                .as_deref()
                .map(|k| CommissionStatus::parse("status", k))
                .transpose()?,
            subscription_id: self.subscription_id.clone(),
            customer_id: self.customer_id.clone(),
        })
    }
}

/// The organization's conversions (sales, renewals and leads), newest first.
#[utoipa::path(get, path = "/api/v1/conversions", tag = "conversions", params(PageParams, ConversionQuery),
    responses((status = 200, body = Paginated<ConversionView>)), security(("bearer" = [])))]
pub async fn list_conversions(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(pages): Query<PageParams>,
    Query(query): Query<ConversionQuery>,
) -> Result<Json<Paginated<ConversionView>>, ApiError> {
    let (page, per_page, window) = pages.resolve()?;
    let rows = s.app.list_conversions(&actor, &query.filter()?, window).await?;
    Ok(Json(paginate(rows, page, per_page, ConversionView::from)))
}

#[utoipa::path(get, path = "/api/v1/conversions/{id}", tag = "conversions", params(("id" = String, Path)),
    responses((status = 200, body = ConversionView), (status = 404)), security(("bearer" = [])))]
pub async fn get_conversion(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<ConversionView>, ApiError> {
    Ok(Json(s.app.conversion(&actor, parse_id(&id)?).await?.into()))
}
