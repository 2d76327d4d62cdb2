//! `/static/`: the stylesheet and htmx, compiled into the binary so an instance is one file and
//! pages never load anything from another site.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::LazyLock;

use axum::extract::{Path, Query};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::page;

/// (name, content type, bytes). htmx is vendored from the htmx.org npm package (0BSD).
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/app.css"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../../static/favicon.svg"),
    ),
    (
        "htmx.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/htmx.min.js"),
    ),
];

/// A fingerprint of all assets: pages link `?v=…`, so browsers may cache forever and still
/// fetch new files after an upgrade.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut hasher = DefaultHasher::new();
    FILES.iter().for_each(|(_, _, bytes)| bytes.hash(&mut hasher));
    format!("{:x}", hasher.finish())
});

/// The URL of an asset, as templates link it.
pub fn url(name: &str) -> String {
    format!("/static/{name}?v={}", *VERSION)
}

#[derive(Deserialize)]
pub struct Version {
    v: Option<String>,
}

pub async fn serve(Path(name): Path<String>, Query(q): Query<Version>) -> Response {
    let Some((_, content_type, bytes)) = FILES.iter().find(|(n, _, _)| *n == name) else {
        return page::not_found_page();
    };
    // Only the fingerprinted URL is immutable; bare links (e.g. the unsubscribe page) revalidate
    // within the hour.
    let cache = if q.v.as_deref() == Some(VERSION.as_str()) {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=3600"
    };
    (
        [(header::CONTENT_TYPE, *content_type), (header::CACHE_CONTROL, cache)],
        *bytes,
    )
        .into_response()
}
