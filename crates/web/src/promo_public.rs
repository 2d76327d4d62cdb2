//! `GET /promo/{id}`: a banner's image, public so affiliates can embed it on their sites. The
//! stored type was told by the bytes at upload, and `nosniff` keeps browsers to it. Assets never
//! change (a new upload is a new id), so caches may keep them for a year.

use afflux_app::AppError;
use afflux_domain::PromoAssetId;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::X_CONTENT_TYPE_OPTIONS, "nosniff")],
        "not found",
    )
        .into_response()
}

pub async fn image(State(s): State<AppState>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<PromoAssetId>() else {
        return not_found();
    };
    let file = match s.app.promo_image(id).await {
        Ok(file) => file,
        Err(AppError::NotFound(_)) => return not_found(),
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "serving a promo image");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let Ok(content_type) = HeaderValue::from_str(&file.content_type) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
            // Opened on its own, an image may run nothing.
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; sandbox"),
            ),
        ],
        file.bytes,
    )
        .into_response()
}
