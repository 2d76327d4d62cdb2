//! `/a/sign-in`, the emailed link (`/a/auth/{token}`) and signing out.

use afflux_app::AppError;
use afflux_app::portal::SignInProblem;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::session::{clear_cookie, redirect_with_cookie, set_cookie, token};
use super::view::{app_error, ok, render};
use crate::AppState;
use crate::extract::ClientIp;

#[derive(Template)]
#[template(path = "portal/sign_in.html")]
struct SignInPage {
    email: String,
    error: Option<String>,
    sent: bool,
}

#[derive(Deserialize)]
pub struct EmailQuery {
    email: Option<String>,
}

/// The sign-in form; `?email=` fills it in (the "Claim your account" links point here).
pub async fn page(Query(q): Query<EmailQuery>) -> Response {
    ok(&SignInPage {
        email: q.email.unwrap_or_default(),
        error: None,
        sent: false,
    })
}

#[derive(Deserialize)]
pub struct SignInForm {
    email: String,
}

/// Sends a link when the address is an affiliate's and answers "check your inbox" either way.
pub async fn request(State(s): State<AppState>, ClientIp(ip): ClientIp, Form(form): Form<SignInForm>) -> Response {
    if let Err(e) = s.public_limiter.check(&format!("portal-sign-in:{ip}")) {
        return app_error(e);
    }
    match s.app.request_portal_sign_in(&form.email).await {
        Ok(()) => ok(&SignInPage {
            email: form.email,
            error: None,
            sent: true,
        }),
        Err(AppError::Validation(v)) => render(
            StatusCode::BAD_REQUEST,
            &SignInPage {
                email: form.email,
                error: Some(format!("Email {}", v.message)),
                sent: false,
            },
        ),
        Err(e) => app_error(e),
    }
}

#[derive(Template)]
#[template(path = "portal/auth.html")]
struct AuthPage {
    token: String,
    problem: Option<SignInProblem>,
}

fn problem_page(problem: SignInProblem) -> Response {
    render(
        StatusCode::GONE,
        &AuthPage {
            token: String::new(),
            problem: Some(problem),
        },
    )
}

/// A GET never uses the link (mail scanners follow links): it shows a button that does, or
/// explains why the link no longer works and offers a new one.
pub async fn confirm_page(State(s): State<AppState>, Path(link): Path<String>) -> Response {
    match s.app.check_portal_sign_in(&link).await {
        Ok(Ok(())) => ok(&AuthPage {
            token: link,
            problem: None,
        }),
        Ok(Err(problem)) => problem_page(problem),
        Err(e) => app_error(e),
    }
}

pub async fn redeem(State(s): State<AppState>, Path(link): Path<String>) -> Response {
    match s.app.redeem_portal_sign_in(&link).await {
        Ok(Ok(session)) => redirect_with_cookie("/a", set_cookie(&s.app, &session)),
        Ok(Err(problem)) => problem_page(problem),
        Err(e) => app_error(e),
    }
}

pub async fn sign_out(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(session) = token(&headers)
        && let Err(e) = s.app.portal_sign_out(&session).await
    {
        return app_error(e);
    }
    redirect_with_cookie("/a/sign-in", clear_cookie(&s.app))
}
