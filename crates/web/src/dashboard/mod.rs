//! The browser UI: server-rendered pages with htmx.

use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
