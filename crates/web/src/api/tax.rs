//! Tax in the API: each affiliate's tax form (status and a privately stored document), the
//! yearly report of payouts in USD and the 1099-NEC export.

use afflux_app::AppError;
use afflux_app::tax::{DocumentUpload, SetTaxForm, TaxReport, TaxReportRow, tax_year};
use afflux_domain::{
    AffiliateId, MAX_TAX_DOCUMENT_BYTES, Money, Permission, TAX_REMINDER_THRESHOLD_USD_MINOR,
    TAX_REPORTING_THRESHOLD_USD_MINOR, TaxFormStatus,
};
use afflux_store::TaxForm;
use axum::Json;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::money::AmountView;
use super::views::rfc3339;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiActor, ApiJson, parse_id};

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaxDocumentView {
    /// As told by the file's bytes: `application/pdf`, `image/png` or `image/jpeg`.
    content_type: String,
    file_name: String,
    /// Bytes.
    size: i64,
    uploaded_at: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaxFormView {
    affiliate_id: AffiliateId,
    /// None, W9, W8BEN or W8BENE.
    status: TaxFormStatus,
    /// The stored document, if any (its content only through the document endpoint).
    document: Option<TaxDocumentView>,
    /// Absent until a status or document was recorded.
    updated_at: Option<String>,
}

impl TaxFormView {
    fn new(affiliate_id: AffiliateId, form: Option<TaxForm>) -> Self {
        match form {
            None => Self {
                affiliate_id,
                status: TaxFormStatus::None,
                document: None,
                updated_at: None,
            },
            Some(f) => Self {
                affiliate_id,
                status: f.status,
                document: f.document.map(|d| TaxDocumentView {
                    content_type: d.content_type,
                    file_name: d.file_name,
                    size: d.size,
                    uploaded_at: rfc3339(d.uploaded_at),
                }),
                updated_at: Some(rfc3339(f.updated_at)),
            },
        }
    }
}

/// The affiliate's tax form: which one the organization holds, and its document's description.
#[utoipa::path(get, path = "/api/v1/affiliates/{id}/tax-form", tag = "tax", params(("id" = String, Path)),
    responses((status = 200, body = TaxFormView), (status = 404)), security(("bearer" = [])))]
pub async fn get_tax_form(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<TaxFormView>, ApiError> {
    let affiliate: AffiliateId = parse_id(&id)?;
    let form = s.app.tax_form(&actor, affiliate).await?;
    Ok(Json(TaxFormView::new(affiliate, form)))
}

/// Record which tax form the organization holds for the affiliate (Admin or Owner).
#[utoipa::path(put, path = "/api/v1/affiliates/{id}/tax-form", tag = "tax", params(("id" = String, Path)), request_body = SetTaxForm,
    responses((status = 200, body = TaxFormView), (status = 404)), security(("bearer" = [])))]
pub async fn set_tax_form(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SetTaxForm>,
) -> Result<Json<TaxFormView>, ApiError> {
    let affiliate: AffiliateId = parse_id(&id)?;
    let form = s.app.set_tax_form_status(&actor, affiliate, input).await?;
    Ok(Json(TaxFormView::new(affiliate, Some(form))))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct DocumentQuery {
    /// The name to give the file on download (made safe: letters, digits, `.`, `-`, `_`).
    file_name: Option<String>,
}

/// Store the affiliate's signed tax form (Admin or Owner): the file as the raw request body, a
/// PDF, PNG or JPEG (told by its bytes; a `Content-Type` that disagrees is refused) of at most
/// 10 MB. Stored encrypted; replaces any document before it. 413 `payload_too_large`, 415
/// `unsupported_document_type`.
#[utoipa::path(put, path = "/api/v1/affiliates/{id}/tax-form/document", tag = "tax", params(("id" = String, Path), DocumentQuery),
    request_body(description = "The file, at most 10 MB", content(("application/pdf"), ("image/png"), ("image/jpeg"))),
    responses((status = 200, body = TaxFormView), (status = 404), (status = 413), (status = 415)), security(("bearer" = [])))]
pub async fn upload_document(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    Query(q): Query<DocumentQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let affiliate: AffiliateId = parse_id(&id)?;
    // Refused before 10 MB are read.
    actor.authorize(Permission::ManageSettings, true)?;
    let bytes = read_document(body).await?;
    let upload = DocumentUpload {
        declared_type: headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()),
        file_name: q.file_name.as_deref(),
        bytes: &bytes,
    };
    match s.app.upload_tax_document(&actor, affiliate, upload).await {
        Ok(form) => Ok(Json(TaxFormView::new(affiliate, Some(form))).into_response()),
        Err(AppError::Validation(v)) if v.code == "unsupported_document_type" => {
            let body = serde_json::json!({
                "error": v.code,
                "message": format!("{} {}", v.field, v.message),
                "field": v.field,
            });
            Ok((StatusCode::UNSUPPORTED_MEDIA_TYPE, Json(body)).into_response())
        }
        Err(AppError::Validation(v)) if v.code == "payload_too_large" => Err(ApiError::PayloadTooLarge),
        Err(e) => Err(e.into()),
    }
}

/// Reads at most [`MAX_TAX_DOCUMENT_BYTES`]. A larger body is read on (up to as much again,
/// kept nowhere) so that the client, still sending, gets the 413 rather than a reset connection.
async fn read_document(mut body: Body) -> Result<Bytes, ApiError> {
    const DRAIN_LIMIT: usize = 2 * MAX_TAX_DOCUMENT_BYTES;
    let mut kept: Vec<u8> = Vec::new();
    let mut seen: usize = 0;
    while let Some(frame) = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|e| ApiError::BadRequest {
            field: None,
            message: format!("the request body could not be read: {e}"),
        })?;
        let Ok(data) = frame.into_data() else { continue };
        seen = seen.saturating_add(data.len());
        if seen <= MAX_TAX_DOCUMENT_BYTES {
            kept.extend_from_slice(&data);
        } else if seen > DRAIN_LIMIT {
            break;
        }
    }
    if seen > MAX_TAX_DOCUMENT_BYTES {
        return Err(ApiError::PayloadTooLarge);
    }
    Ok(Bytes::from(kept))
}

/// Download the affiliate's tax document (Admin or Owner) as an attachment; never shown inline.
#[utoipa::path(get, path = "/api/v1/affiliates/{id}/tax-form/document", tag = "tax", params(("id" = String, Path)),
    responses((status = 200, content(("application/pdf"), ("image/png"), ("image/jpeg"))), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn download_document(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let document = s.app.tax_document(&actor, parse_id(&id)?).await?;
    let mut response = document.bytes.into_response();
    let headers = response.headers_mut();
    let value = |v: &str| HeaderValue::from_str(v).map_err(|e| ApiError::App(anyhow::Error::from(e).into()));
    headers.insert(header::CONTENT_TYPE, value(&document.info.content_type)?);
    // The file name was made safe (letters, digits, `.`, `-`, `_`) when it was stored.
    headers.insert(
        header::CONTENT_DISPOSITION,
        value(&format!("attachment; filename=\"{}\"", document.info.file_name))?,
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    Ok(response)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// The calendar year (UTC); the current one when omitted.
    year: Option<String>,
}

fn year(q: &YearQuery) -> Result<i32, ApiError> {
    let parsed = q
        .year
        .as_deref()
        .map(|y| {
            y.trim().parse::<i32>().map_err(|_| ApiError::BadRequest {
                field: Some("year".into()),
                message: "year must be a year such as 2026".into(),
            })
        })
        .transpose()?;
    Ok(tax_year(parsed)?)
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaxReportRowView {
    affiliate_id: AffiliateId,
    name: Option<String>,
    email: String,
    /// The tax form on file (None when there is none).
    status: TaxFormStatus,
    /// What was paid in the year, per currency, as paid.
    paid: Vec<AmountView>,
    /// The year's payouts in USD, at the year's last available rate.
    total_usd: AmountView,
    /// Paid USD 600 or more in the year.
    reportable: bool,
    /// Reportable and not certified foreign (a W-9 or no form): in the 1099-NEC export.
    files_1099_nec: bool,
}

impl From<TaxReportRow> for TaxReportRowView {
    fn from(r: TaxReportRow) -> Self {
        Self {
            affiliate_id: r.affiliate.id,
            name: r.affiliate.name,
            email: r.affiliate.email.as_str().to_owned(),
            status: r.status,
            paid: r.paid.into_iter().map(AmountView::from).collect(),
            total_usd: r.total_usd.into(),
            reportable: r.assessment.reportable,
            files_1099_nec: r.assessment.files_1099_nec,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaxReportView {
    year: i32,
    /// Other currencies are converted at the newest ECB rate on or before this date.
    rates_on: String,
    reporting_threshold: AmountView,
    reminder_threshold: AmountView,
    /// Every affiliate paid in the year, the highest USD total first.
    affiliates: Vec<TaxReportRowView>,
}

impl From<TaxReport> for TaxReportView {
    fn from(r: TaxReport) -> Self {
        Self {
            year: r.year,
            rates_on: r.rates_on.to_string(),
            reporting_threshold: Money::new(TAX_REPORTING_THRESHOLD_USD_MINOR, afflux_domain::Currency::USD).into(),
            reminder_threshold: Money::new(TAX_REMINDER_THRESHOLD_USD_MINOR, afflux_domain::Currency::USD).into(),
            affiliates: r.rows.into_iter().map(TaxReportRowView::from).collect(),
        }
    }
}

/// What each affiliate was paid in a calendar year, in USD (other currencies at the year's last
/// available ECB rate; 409 `fx_rate_missing` when one is not loaded), with their tax form and
/// whether they reach the USD 600 reporting line.
#[utoipa::path(get, path = "/api/v1/tax/report", tag = "tax", params(YearQuery),
    responses((status = 200, body = TaxReportView), (status = 409)), security(("bearer" = [])))]
pub async fn report(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<YearQuery>,
) -> Result<Json<TaxReportView>, ApiError> {
    let year = year(&q)?;
    Ok(Json(s.app.tax_report(&actor, year).await?.into()))
}

/// The year's 1099-NEC recipients as CSV with a header row: recipient name, email, tax form
/// status, total paid in USD, year. Affiliates paid USD 600 or more, except those with a W-8
/// form. Cells a spreadsheet would run as a formula start with `'`.
#[utoipa::path(get, path = "/api/v1/tax/1099-nec.csv", tag = "tax", params(YearQuery),
    responses((status = 200, content_type = "text/csv"), (status = 409)), security(("bearer" = [])))]
pub async fn nec_csv(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<YearQuery>,
) -> Result<Response, ApiError> {
    let year = year(&q)?;
    let csv = s.app.tax_1099_nec_csv(&actor, year).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"1099-nec-{year}.csv\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        csv,
    )
        .into_response())
}
