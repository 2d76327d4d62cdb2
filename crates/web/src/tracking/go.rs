//! `GET /go/{slug}` and `GET /go/{slug}/{campaignSlug}`: one 302 straight to the campaign's
//! destination, sent only once the click is committed. Unknown or inactive links answer a 404
//! page, never a redirect anywhere else.

use afflux_app::{AppError, Visit};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::AppState;
use crate::extract::ClientIp;

pub(super) async fn follow(
    State(s): State<AppState>,
    method: Method,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Response {
    redirect(&s, &slug, None, visit(&method, ip, &headers)).await
}

pub(super) async fn follow_campaign(
    State(s): State<AppState>,
    method: Method,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path((slug, campaign)): Path<(String, String)>,
) -> Response {
    redirect(&s, &slug, Some(&campaign), visit(&method, ip, &headers)).await
}

async fn redirect(s: &AppState, slug: &str, campaign: Option<&str>, visit: Visit) -> Response {
    match s.app.follow_link(slug, campaign, &visit).await {
        Ok(to) => (
            StatusCode::FOUND,
            [
                (header::LOCATION, to.location),
                // A cached redirect would skip the click: every follow must reach us.
                (header::CACHE_CONTROL, "no-store".to_owned()),
                (header::HeaderName::from_static("x-robots-tag"), "noindex".to_owned()),
            ],
        )
            .into_response(),
        Err(AppError::NotFound(_)) => page(
            StatusCode::NOT_FOUND,
            "Link not found",
            "This referral link does not exist or is no longer active.",
        ),
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "following a link failed");
            page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Please try the link again in a moment.",
            )
        }
    }
}

/// What counts: HEAD requests and browser prefetches are answered, never counted.
fn visit(method: &Method, ip: std::net::IpAddr, headers: &HeaderMap) -> Visit {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let prefetch = ["sec-purpose", "purpose", "x-purpose", "x-moz"].iter().any(|h| {
        header(h).is_some_and(|v| v.to_ascii_lowercase().contains("prefetch") || v.eq_ignore_ascii_case("preview"))
    });
    Visit {
        ip,
        user_agent: header("user-agent"),
        referrer: header("referer"),
        no_count: *method == Method::HEAD || prefetch,
    }
}

fn page(status: StatusCode, title: &str, text: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width\">\
         <meta name=robots content=noindex><title>{title}</title></head>\
         <body style=\"font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem\">\
         <h1>{title}</h1><p>{text}</p></body></html>"
    );
    (status, [(header::CACHE_CONTROL, "no-store")], Html(body)).into_response()
}
