//! Loading exchange rates through the API: JSON rows or the ECB's own CSV, all or nothing.
//! Rates are instance-wide, so only the Owner of an instance's only organization may load them
//! (see [`afflux_app::App::put_fx_rates`]); the operator uses `afflux fx import`.

use afflux_app::money::{FxImport, FxRatesInput};
use afflux_domain::Permission;
use axum::Json;
use axum::body::{Body, HttpBody};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiActor, parse_json};

/// The ECB history file is a few MB; anything much larger is not a rate file.
const MAX_RATES_BODY_BYTES: usize = 16 * 1024 * 1024;

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FxImportView {
    /// Rates stored, EUR's own (1 for each date) included.
    rates: usize,
    first_date: Option<String>,
    last_date: Option<String>,
}

impl From<FxImport> for FxImportView {
    fn from(i: FxImport) -> Self {
        Self {
            rates: i.rates,
            first_date: i.first_date.map(|d| d.to_string()),
            last_date: i.last_date.map(|d| d.to_string()),
        }
    }
}

/// Reads at most [`MAX_RATES_BODY_BYTES`] (the global body limit is for small JSON requests).
async fn read_body(mut body: Body) -> Result<Vec<u8>, ApiError> {
    let mut kept: Vec<u8> = Vec::new();
    while let Some(frame) = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|e| ApiError::BadRequest {
            field: None,
            message: format!("the request body could not be read: {e}"),
        })?;
        let Ok(data) = frame.into_data() else { continue };
        if kept.len() + data.len() > MAX_RATES_BODY_BYTES {
            return Err(ApiError::PayloadTooLarge);
        }
        kept.extend_from_slice(&data);
    }
    Ok(kept)
}

fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Load exchange rates, all or nothing: JSON `{"rates": [{"date": "2026-11-20", "base": "EUR",
/// "quote": "USD", "rate": "1.0712"}]}` (at most 10,000; `base` must be EUR), or the ECB
/// reference-rate CSV (daily or history file) with `Content-Type: text/csv`. Rates of a date
/// and currency already stored are replaced. Only the Owner of the instance's only
/// organization (403 otherwise: the operator runs `afflux fx import`). 400 `unsupported_currency`,
/// `currency_must_be_3_letters`, `invalid_fx_rate` (not a positive decimal), `fx_base_must_be_eur`
/// or `validation_failed` (a bad date or CSV line), naming the field or line.
#[utoipa::path(post, path = "/api/v1/fx/rates", tag = "money",
    request_body(description = "JSON rates, or the ECB CSV as text/csv", content(
        (FxRatesInput = "application/json"), ("text/csv"))),
    responses((status = 200, body = FxImportView), (status = 400), (status = 403), (status = 413), (status = 415)),
    security(("bearer" = [])))]
pub async fn load_rates(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    // Refused before megabytes are read; the app checks again, with the instance's organizations.
    actor.authorize(Permission::ManageBilling, true)?;
    let imported = match media_type(&headers).as_str() {
        "application/json" => {
            let input: FxRatesInput = parse_json(&read_body(body).await?)?;
            s.app.put_fx_rates(&actor, &input).await?
        }
        "text/csv" => {
            let bytes = read_body(body).await?;
            let csv = String::from_utf8(bytes).map_err(|_| ApiError::BadRequest {
                field: Some("csv".into()),
                message: "the CSV must be UTF-8 text".into(),
            })?;
            s.app.import_fx_rates_as(&actor, &csv).await?
        }
        _ => {
            let body = serde_json::json!({
                "error": "unsupported_media_type",
                "message": "send JSON (application/json) or the ECB CSV (text/csv)",
            });
            return Ok((StatusCode::UNSUPPORTED_MEDIA_TYPE, Json(body)).into_response());
        }
    };
    Ok(Json(FxImportView::from(imported)).into_response())
}
