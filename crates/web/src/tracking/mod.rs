//! The tracking surfaces: `/go/{slug}` links, the click endpoint the script reports to, and the
//! script itself at `/t.js`. The JSON endpoint is public and callable from any site (CORS).

mod click;
pub(crate) mod cors;
mod go;
mod script;

use axum::Router;
use axum::routing::{get, post};
use utoipa::OpenApi;

use crate::AppState;

/// The JSON endpoints of this module, merged into the API's OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(click::track_click), tags((name = "tracking", description = "Public, CORS-enabled endpoints the tracking script calls from the brand's pages.")))]
pub(crate) struct TrackingDoc;

pub(crate) fn routes() -> Router<AppState> {
    let api = Router::new()
        .route("/api/v1/track/click", post(click::track_click).options(cors::preflight))
        .layer(axum::middleware::from_fn(cors::allow_any_origin));
    Router::new()
        .route("/go/{slug}", get(go::follow))
        .route("/go/{slug}/{campaign}", get(go::follow_campaign))
        .route("/t.js", get(script::serve))
        .merge(api)
}
