//! Unauthenticated surfaces: health, the public application endpoint and one-click unsubscribe.

use afflux_app::Application;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::AppState;
use crate::api::views::AffiliateView;
use crate::error::ApiError;
use crate::extract::{ApiJson, ClientIp, parse_id};

pub async fn healthz(State(s): State<AppState>) -> Response {
    match s.app.store().read().await {
        Ok(_) => (StatusCode::OK, "ok").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// Apply to a program from a public form. Pending, or Approved when the program auto-approves;
/// invite-only and archived programs answer 404. Rate-limited per client address.
#[utoipa::path(post, path = "/api/v1/public/{organizationId}/programs/{programSlug}/apply", tag = "public",
    params(("organizationId" = String, Path), ("programSlug" = String, Path)), request_body = Application,
    responses((status = 201, body = AffiliateView)))]
pub async fn apply(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    Path((org, program)): Path<(String, String)>,
    ApiJson(input): ApiJson<Application>,
) -> Result<(StatusCode, Json<AffiliateView>), ApiError> {
    s.public_limiter.check(&format!("apply:{ip}"))?;
    let (affiliate, membership) = s.app.apply(parse_id(&org)?, &program, input).await?;
    Ok((
        StatusCode::CREATED,
        Json(AffiliateView::new(affiliate, vec![membership])),
    ))
}

/// The link in an email: a confirmation page. A GET never unsubscribes (mail scanners follow links).
pub async fn unsubscribe_page(State(s): State<AppState>, Path(token): Path<String>) -> Response {
    match s.app.unsubscribe_target(&token) {
        Ok(email) => Html(format!(
            "<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width\">\
             <title>Unsubscribe</title><link rel=stylesheet href=/static/app.css></head><body class=narrow><main>\
             <h1>Unsubscribe</h1><p>Stop emails to <b>{}</b>?</p>\
             <form method=post><button type=submit>Unsubscribe</button></form></main></body></html>",
            mask(&email)
        ))
        .into_response(),
        Err(_) => (
            StatusCode::NOT_FOUND,
            Html("<!doctype html><title>Link not valid</title><p>This unsubscribe link is not valid.</p>"),
        )
            .into_response(),
    }
}

/// RFC 8058 one-click unsubscribe (and the confirmation form): 200, never a redirect; repeats
/// succeed.
pub async fn unsubscribe(State(s): State<AppState>, Path(token): Path<String>) -> Response {
    match s.app.unsubscribe(&token).await {
        Ok(()) => Html("<!doctype html><title>Unsubscribed</title><link rel=stylesheet href=/static/app.css><main class=narrow><h1>Unsubscribed</h1><p>You will not receive these emails any more.</p></main>").into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `jane@example.com` → `j***@example.com`: enough to recognize, not to harvest.
fn mask(email: &str) -> String {
    let (local, domain) = email.split_once('@').unwrap_or((email, ""));
    let first: String = local.chars().take(1).collect();
    html_escape(&format!("{first}***@{domain}"))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
