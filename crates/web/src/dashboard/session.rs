//! The session cookie and the extractors that read it.

use afflux_app::{App, SessionUser};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::page::PageError;
use crate::AppState;

pub const COOKIE: &str = "afflux_session";

/// `Set-Cookie` for a new session. HttpOnly keeps it from scripts; SameSite=Lax keeps it off
/// cross-site posts (the origin check is the second fence); it lives as long as the session.
pub fn set_cookie(app: &App, token: &str) -> HeaderValue {
    let max_age = app.config().session_days * 24 * 3600;
    cookie(app, &format!("{COOKIE}={token}; Max-Age={max_age}"))
}

pub fn clear_cookie(app: &App) -> HeaderValue {
    cookie(app, &format!("{COOKIE}=; Max-Age=0"))
}

fn cookie(app: &App, head: &str) -> HeaderValue {
    let secure = if app.config().secure_cookies() { "; Secure" } else { "" };
    // Tokens are URL-safe base64, so the value is always a valid header.
    HeaderValue::from_str(&format!("{head}; Path=/; HttpOnly; SameSite=Lax{secure}")).expect("cookie header")
}

/// The session token from the `Cookie` header(s), if any.
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

/// A redirect after a successful post that also sets (or clears) the session cookie.
pub fn redirect_with_cookie(to: &str, cookie: HeaderValue) -> Response {
    let mut response = Redirect::to(to).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    response
}

pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

/// The signed-in dashboard user. Without a live session, pages redirect to the sign-in page;
/// htmx requests get 401 with `HX-Redirect`, since htmx would swap a redirect's body into the
/// row instead of navigating.
pub struct DashboardUser(pub SessionUser);

impl FromRequestParts<AppState> for DashboardUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match MaybeUser::from_request_parts(parts, state).await? {
            MaybeUser(Some(user)) => Ok(DashboardUser(user)),
            MaybeUser(None) if is_htmx(&parts.headers) => {
                Err((StatusCode::UNAUTHORIZED, [("hx-redirect", "/login")]).into_response())
            }
            MaybeUser(None) => Err(Redirect::to("/login").into_response()),
        }
    }
}

/// The signed-in user if there is one: pages that anyone may see but that adapt to a session.
pub struct MaybeUser(pub Option<SessionUser>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(token) = token(&parts.headers) else {
            return Ok(MaybeUser(None));
        };
        let user = state
            .app
            .session(&token)
            .await
            .map_err(|e| PageError(e).into_response())?;
        Ok(MaybeUser(user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_session_among_other_cookies() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; afflux_session=abc-_123"),
        );
        assert_eq!(token(&headers).as_deref(), Some("abc-_123"));
        headers.clear();
        headers.append(header::COOKIE, HeaderValue::from_static("afflux_session="));
        assert_eq!(token(&headers), None);
        headers.clear();
        headers.append(header::COOKIE, HeaderValue::from_static("x_afflux_session=nope"));
        assert_eq!(token(&headers), None);
    }
}
