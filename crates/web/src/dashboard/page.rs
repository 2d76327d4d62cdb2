//! Rendering: templates to responses, app errors to friendly pages, form errors to fields.

use afflux_app::{AppError, SessionUser};
use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

/// Renders a template; a template that fails to render is our bug, logged and shown as a 500.
pub fn render(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "rendering a template");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<!doctype html><title>Error</title><p>Something went wrong on our side."),
            )
                .into_response()
        }
    }
}

pub fn ok(template: &impl Template) -> Response {
    render(StatusCode::OK, template)
}

/// What the signed-in layout (`shell.html`) shows around every dashboard page.
pub struct Shell {
    pub org_name: String,
    pub org_id: String,
    pub email: String,
    /// The nav entry to mark as current.
    pub section: &'static str,
}

impl Shell {
    pub fn new(user: &SessionUser, section: &'static str) -> Self {
        Shell {
            org_name: user.org.name.clone(),
            org_id: user.org.id.to_string(),
            email: user.user.email.to_string(),
            section,
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let mut response = render(status, &ErrorPage { title, message });
    // Error pages are per-request answers, never to be reused from a cache.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    response
}

pub fn not_found_page() -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        "Page not found",
        "This page does not exist, or it belongs to an account you are not signed in to.",
    )
}

pub fn forbidden_page(message: &str) -> Response {
    error_page(StatusCode::FORBIDDEN, "Not allowed", message)
}

pub fn invalid_invite_page() -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        "Invitation no longer valid",
        "This invitation has expired, was already accepted or was withdrawn. Ask the person who invited you for a new one.",
    )
}

/// An app error shown as a page. Messages of refusals are written for people and shown;
/// internal errors are logged and never shown.
#[derive(Debug)]
pub struct PageError(pub AppError);

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self.0 {
            AppError::NotFound(_) => not_found_page(),
            AppError::Forbidden(message) => forbidden_page(&sentence(&message)),
            AppError::Unauthorized(_) => Redirect::to("/login").into_response(),
            AppError::Validation(v) => error_page(StatusCode::BAD_REQUEST, "Cannot do that", &sentence(&v.message)),
            AppError::Conflict { message, .. } => {
                error_page(StatusCode::CONFLICT, "Cannot do that", &sentence(&message))
            }
            AppError::PlanRequired { required, .. } => error_page(
                StatusCode::PAYMENT_REQUIRED,
                "Plan upgrade needed",
                &format!("This needs the {required} plan or higher."),
            ),
            AppError::PaidPlanRequired { required, .. } => error_page(
                StatusCode::PAYMENT_REQUIRED,
                "Paid plan needed",
                &format!("This needs an active {required} subscription or higher."),
            ),
            AppError::RateLimited { retry_after_secs } => error_page(
                StatusCode::TOO_MANY_REQUESTS,
                "Slow down",
                &format!("Too many attempts; wait {retry_after_secs} s and try again."),
            ),
            AppError::Integration(e) => {
                error_page(StatusCode::BAD_GATEWAY, "The vendor said no", &sentence(&e.to_string()))
            }
            AppError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "internal error");
                error_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "Something went wrong on our side. Try again in a moment.",
                )
            }
        }
    }
}

/// App messages are lower-case clauses ("must be 10 to 128 characters"); pages show sentences.
pub fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    let mut out: String = chars.next().map(|c| c.to_uppercase().collect()).unwrap_or_default();
    out.push_str(chars.as_str());
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// Errors of a submitted form: messages next to the fields they name, the rest above the form.
#[derive(Debug, Default)]
pub struct FormErrors {
    fields: Vec<(String, String)>,
    pub general: Option<String>,
}

impl FormErrors {
    /// Sorts an app error into the form: refusals a person can fix become messages (with the
    /// status to answer); anything else is a page error.
    pub fn from_app(e: AppError, fields: &[&str]) -> Result<(StatusCode, Self), PageError> {
        let (status, field, message) = match e {
            AppError::Validation(v) => (StatusCode::UNPROCESSABLE_ENTITY, Some(v.field), v.message),
            AppError::Conflict { field, message, .. } => (StatusCode::CONFLICT, field, message),
            AppError::Unauthorized(message) => (StatusCode::UNAUTHORIZED, None, message),
            AppError::RateLimited { retry_after_secs } => (
                StatusCode::TOO_MANY_REQUESTS,
                None,
                format!("too many attempts, wait {retry_after_secs} s"),
            ),
            AppError::PlanRequired { required, .. } => (
                StatusCode::PAYMENT_REQUIRED,
                None,
                format!("this needs the {required} plan or higher"),
            ),
            AppError::PaidPlanRequired { required, .. } => (
                StatusCode::PAYMENT_REQUIRED,
                None,
                format!("this needs an active {required} subscription or higher"),
            ),
            AppError::Integration(e) => {
                let field = match &e {
                    afflux_integrations::crm::CrmError::MissingCredential(f) => Some(f.key().to_owned()),
                    _ => None,
                };
                (StatusCode::UNPROCESSABLE_ENTITY, field, e.to_string())
            }
            other => return Err(PageError(other)),
        };
        let mut errors = FormErrors::default();
        match field.filter(|f| fields.contains(&f.as_str())) {
            Some(field) => errors.fields.push((field, sentence(&message))),
            None => errors.general = Some(sentence(&message)),
        }
        Ok((status, errors))
    }

    pub fn field(field: &str, message: &str) -> Self {
        FormErrors {
            fields: vec![(field.to_owned(), sentence(message))],
            general: None,
        }
    }

    pub fn get(&self, field: impl AsRef<str>) -> Option<&str> {
        self.fields
            .iter()
            .find(|(f, _)| f == field.as_ref())
            .map(|(_, m)| m.as_str())
    }
}

#[cfg(test)]
mod tests {
    use afflux_domain::ValidationError;

    use super::*;

    #[test]
    fn errors_land_next_to_known_fields() {
        let e = AppError::Validation(ValidationError::new("password", "must be 10 to 128 characters"));
        let (status, errors) = FormErrors::from_app(e, &["email", "password"]).unwrap();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(errors.get("password"), Some("Must be 10 to 128 characters."));
        let e = AppError::Validation(ValidationError::new("termsUrl", "is not a URL"));
        let (_, errors) = FormErrors::from_app(e, &["email"]).unwrap();
        assert_eq!(errors.general.as_deref(), Some("Is not a URL."));
        assert!(FormErrors::from_app(AppError::NotFound("x"), &[]).is_err());
    }
}
