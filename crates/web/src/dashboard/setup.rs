//! First-run setup, sign-in and sign-out.

use afflux_app::{AppError, Setup};
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::page::{self, FormErrors, PageError};
use super::session::{self, MaybeUser};
use crate::AppState;

/// `/`: the setup page on a fresh instance, the dashboard otherwise.
pub async fn root(State(s): State<AppState>) -> Result<Redirect, PageError> {
    Ok(Redirect::to(if s.app.needs_setup().await? {
        "/setup"
    } else {
        "/dashboard"
    }))
}

pub async fn dashboard_home() -> Redirect {
    Redirect::to("/dashboard/campaigns")
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SetupForm {
    token: String,
    org_name: String,
    name: String,
    email: String,
    password: String,
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    form: SetupForm,
    errors: FormErrors,
    /// The token came with the link: keep it hidden rather than asking for it.
    token_known: bool,
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

pub async fn setup_page(State(s): State<AppState>, Query(q): Query<TokenQuery>) -> Result<Response, PageError> {
    if !s.app.needs_setup().await? {
        return Ok(Redirect::to("/login").into_response());
    }
    let token = q.token.unwrap_or_default();
    let token_known = !token.is_empty();
    Ok(page::ok(&SetupPage {
        form: SetupForm {
            token,
            ..Default::default()
        },
        errors: FormErrors::default(),
        token_known,
    }))
}

pub async fn setup(State(s): State<AppState>, Form(form): Form<SetupForm>) -> Result<Response, PageError> {
    if !s.app.needs_setup().await? {
        return Ok(Redirect::to("/login").into_response());
    }
    let SetupForm {
        token,
        org_name,
        name,
        email,
        password,
    } = form;
    let input = Setup {
        token: token.trim().to_owned(),
        org_name: org_name.clone(),
        name: Some(name.clone()).filter(|n| !n.trim().is_empty()),
        email: email.clone(),
        password,
    };
    let (status, errors) = match s.app.setup(input).await {
        Ok(token) => {
            return Ok(session::redirect_with_cookie(
                "/dashboard",
                session::set_cookie(&s.app, &token),
            ));
        }
        // Still not set up, so the refusal means the token was wrong: ask for it.
        Err(AppError::Forbidden(_)) => (
            axum::http::StatusCode::FORBIDDEN,
            FormErrors::field(
                "token",
                "this setup token is not valid; copy it again from the server's output",
            ),
        ),
        Err(e) => FormErrors::from_app(e, &["orgName", "name", "email", "password"])?,
    };
    let token_known = errors.get("token").is_none();
    let form = SetupForm {
        token,
        org_name,
        name,
        email,
        password: String::new(),
    };
    Ok(page::render(
        status,
        &SetupPage {
            form,
            errors,
            token_known,
        },
    ))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    email: String,
    errors: FormErrors,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn login_page(State(s): State<AppState>, MaybeUser(user): MaybeUser) -> Result<Response, PageError> {
    if user.is_some() {
        return Ok(Redirect::to("/dashboard").into_response());
    }
    if s.app.needs_setup().await? {
        return Ok(Redirect::to("/setup").into_response());
    }
    Ok(page::ok(&LoginPage {
        email: String::new(),
        errors: FormErrors::default(),
    }))
}

pub async fn login(State(s): State<AppState>, Form(form): Form<LoginForm>) -> Result<Response, PageError> {
    match s.app.login(&form.email, &form.password).await {
        Ok(token) => Ok(session::redirect_with_cookie(
            "/dashboard",
            session::set_cookie(&s.app, &token),
        )),
        Err(e) => {
            let (status, errors) = FormErrors::from_app(e, &[])?;
            Ok(page::render(
                status,
                &LoginPage {
                    email: form.email,
                    errors,
                },
            ))
        }
    }
}

/// Ends the session server-side, then drops the cookie. The cookie goes even if the database
/// is unreachable: the person asked to be signed out of this browser.
pub async fn logout(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = session::token(&headers)
        && let Err(e) = s.app.logout(&token).await
    {
        tracing::error!(error = %e, "ending a session");
    }
    session::redirect_with_cookie("/login", session::clear_cookie(&s.app))
}
