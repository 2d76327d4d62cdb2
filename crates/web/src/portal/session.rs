//! The portal session cookie and the extractor that reads it.

use afflux_app::App;
use afflux_app::portal::PortalViewer;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::view::app_error;
use crate::AppState;

/// Its own cookie, scoped to `/a`: a brand's dashboard session and a portal session in one
/// browser never stand in for each other.
pub const COOKIE: &str = "afflux_portal";

pub fn set_cookie(app: &App, token: &str) -> HeaderValue {
    let max_age = app.config().session_days * 24 * 3600;
    cookie(app, &format!("{COOKIE}={token}; Max-Age={max_age}"))
}

pub fn clear_cookie(app: &App) -> HeaderValue {
    cookie(app, &format!("{COOKIE}=; Max-Age=0"))
}

fn cookie(app: &App, head: &str) -> HeaderValue {
    let secure = if app.config().secure_cookies() { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{head}; Path=/a; HttpOnly; SameSite=Lax{secure}")).expect("cookie header")
}

pub fn token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == COOKIE && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

pub fn redirect_with_cookie(to: &str, cookie: HeaderValue) -> Response {
    let mut response = Redirect::to(to).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    response
}

/// The signed-in person; without a live session, pages redirect to the sign-in page.
pub struct PortalUser(pub PortalViewer);

impl FromRequestParts<AppState> for PortalUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(token) = token(&parts.headers) else {
            return Err(Redirect::to("/a/sign-in").into_response());
        };
        match state.app.portal_viewer(&token).await {
            Ok(Some(viewer)) => Ok(PortalUser(viewer)),
            Ok(None) => Err(Redirect::to("/a/sign-in").into_response()),
            Err(e) => Err(app_error(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_only_the_portal_cookie() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("afflux_session=dash; afflux_portal=abc-_1"),
        );
        assert_eq!(token(&headers).as_deref(), Some("abc-_1"));
        headers.clear();
        headers.append(header::COOKIE, HeaderValue::from_static("afflux_session=dash"));
        assert_eq!(token(&headers), None);
    }
}
