//! CORS for the public tracking endpoints: the script runs on the brand's own site, another
//! origin. Any origin may call them; no credentials travel (the script keeps its state in the
//! brand's first-party cookie, not in Afflux cookies), so `*` is safe.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Adds `Access-Control-Allow-Origin: *` to every answer, errors included, so the script can
/// read why a call failed.
pub(crate) async fn allow_any_origin(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    response
        .headers_mut()
        .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    response
}

/// The preflight of a JSON POST. Browsers may cache it for a day (Chromium caps at two hours).
pub(crate) async fn preflight() -> Response {
    (
        StatusCode::NO_CONTENT,
        [
            (header::ACCESS_CONTROL_ALLOW_METHODS, "POST, OPTIONS"),
            (header::ACCESS_CONTROL_ALLOW_HEADERS, "Content-Type"),
            (header::ACCESS_CONTROL_MAX_AGE, "86400"),
        ],
    )
        .into_response()
}
