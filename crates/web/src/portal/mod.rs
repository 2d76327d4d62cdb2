//! The affiliate portal at `/a`: passwordless sign-in by emailed link, then the person's
//! home, links, promo tools, earnings and settings in each organization they are an
//! affiliate of. Pages are server-rendered; the one script only adds copy buttons.

mod assets;
mod multipart;
mod pages;
mod session;
mod settings;
mod sign_in;
mod view;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::middleware;
use axum::routing::{get, post};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::AppState;

pub use pages::PreviewPage;

/// Like the dashboard's: only this instance's own script and styles, no framing.
const CSP: &str =
    "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub fn routes(state: AppState) -> Router<AppState> {
    let pages = Router::new()
        .route("/a", get(pages::root))
        .route("/a/sign-in", get(sign_in::page).post(sign_in::request))
        .route("/a/auth/{token}", get(sign_in::confirm_page).post(sign_in::redeem))
        .route("/a/sign-out", post(sign_in::sign_out))
        .route("/a/{org}", get(pages::home))
        .route("/a/{org}/links", get(pages::links))
        .route("/a/{org}/promo", get(pages::promo))
        .route("/a/{org}/earnings", get(pages::earnings))
        .route("/a/{org}/settings", get(settings::page))
        .route("/a/{org}/settings/profile", post(settings::profile))
        .route("/a/{org}/settings/slug", post(settings::slug))
        .route("/a/{org}/settings/tax", post(settings::tax))
        .route("/a/{org}/settings/emails", post(settings::emails))
        .layer(middleware::from_fn_with_state(state, crate::dashboard::check_origin))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    Router::new().route("/a/static/{file}", get(assets::serve)).merge(pages)
}
