//! The HTTP surfaces of Afflux: the JSON API (`/api/v1`), the dashboard, public pages.
//! A handler parses, calls one app verb, renders.

mod api;
mod dashboard;
mod error;
mod extract;
mod hooks;
mod portal;
mod promo_public;
mod public;
mod public_pages;
mod rate_limit;
mod tracking;

use std::sync::Arc;
use std::time::Duration;

use afflux_app::App;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use tower_http::trace::TraceLayer;

pub use error::ApiError;
pub use rate_limit::RateLimiter;

/// Request bodies above this answer 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    api_limiter: Arc<RateLimiter>,
    public_limiter: Arc<RateLimiter>,
}

/// Per-node request limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Requests per minute per API key.
    pub api_per_minute: u32,
    /// Public form submissions per minute per client address.
    pub public_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            api_per_minute: 600,
            public_per_minute: 10,
        }
    }
}

pub fn router(app: App, limits: Limits) -> Router {
    let state = AppState {
        app,
        api_limiter: Arc::new(RateLimiter::new(limits.api_per_minute, Duration::from_secs(60))),
        public_limiter: Arc::new(RateLimiter::new(limits.public_per_minute, Duration::from_secs(60))),
    };
    Router::new()
        .route("/healthz", get(public::healthz))
        .route(
            "/unsubscribe/{token}",
            get(public::unsubscribe_page).post(public::unsubscribe),
        )
        .route("/promo/{id}", get(promo_public::image))
        .merge(public_pages::routes())
        .merge(api::routes())
        .merge(tracking::routes())
        .merge(hooks::routes())
        .merge(portal::routes(state.clone()))
        .merge(dashboard::routes(state.clone()))
        .fallback(dashboard::not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
