//! The portal's stylesheet additions and its copy-button script, compiled into the binary.

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::view::not_found;

const FILES: &[(&str, &str, &str)] = &[
    (
        "portal.css",
        "text/css; charset=utf-8",
        include_str!("../../templates/portal/portal.css"),
    ),
    (
        "portal.js",
        "text/javascript; charset=utf-8",
        include_str!("../../templates/portal/portal.js"),
    ),
];

pub async fn serve(Path(name): Path<String>) -> Response {
    let Some((_, content_type, body)) = FILES.iter().find(|(n, _, _)| *n == name) else {
        return not_found();
    };
    (
        [
            (header::CONTENT_TYPE, *content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        *body,
    )
        .into_response()
}
