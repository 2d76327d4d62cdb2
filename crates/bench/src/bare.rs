//! The yardstick: a bare axum server answering `/go/{slug}` with the same 302 Afflux sends
//! (destination, `via`, a fresh time-ordered click id), and doing nothing else: no lookup, no
//! logging, no database.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

pub async fn start(destination: String) -> anyhow::Result<SocketAddr> {
    let app = Router::new().route(
        "/go/{slug}",
        get(move |Path(slug): Path<String>| {
            let location = format!("{destination}?via={slug}&afx_click={}", uuid::Uuid::now_v7());
            async move { (StatusCode::FOUND, [(header::LOCATION, location)]).into_response() }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(addr)
}
