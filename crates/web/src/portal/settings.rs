//! `/a/{org}/settings`: name, PayPal address and payout method, the one slug change, the tax
//! form upload and program emails.

use afflux_app::AppError;
use afflux_app::portal::{EmailPrefs, PortalSettings, ProfileInput};
use afflux_app::tax::DocumentUpload;
use afflux_domain::{MAX_TAX_DOCUMENT_BYTES, OrgId, TaxFormStatus};
use askama::Template;
use axum::Form;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::multipart;
use super::session::PortalUser;
use super::view::{Nav, app_error, not_found, parse_org, render};
use crate::AppState;

/// The upload's form fields and multipart framing around the document.
const MULTIPART_OVERHEAD: usize = 64 * 1024;

#[derive(Template)]
#[template(path = "portal/settings.html")]
struct SettingsPage {
    nav: Nav,
    settings: PortalSettings,
    /// Which form was just saved.
    saved: Option<String>,
    /// The field an error belongs to and its message.
    error: Option<(String, String)>,
}

impl SettingsPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.error.as_ref().filter(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }

    fn method_is(&self, method: &str) -> bool {
        self.settings.payout_method.to_string() == method
    }
}

#[derive(Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

async fn show(
    s: &AppState,
    viewer: &afflux_app::portal::PortalViewer,
    org: OrgId,
    saved: Option<String>,
    error: Option<(String, String)>,
) -> Response {
    let Some(nav) = Nav::new(viewer, org, "settings") else {
        return not_found();
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    match s.app.portal_settings(viewer, org).await {
        Ok(settings) => render(
            status,
            &SettingsPage {
                nav,
                settings,
                saved,
                error,
            },
        ),
        Err(e) => app_error(e),
    }
}

/// A refusal shown next to its field on the settings page; anything else as its own page.
async fn refused(s: &AppState, viewer: &afflux_app::portal::PortalViewer, org: OrgId, e: AppError) -> Response {
    let (field, message) = match e {
        AppError::Validation(v) => (v.field, v.message),
        AppError::Conflict {
            field: Some(field),
            message,
            ..
        } => (field, message),
        other => return app_error(other),
    };
    show(s, viewer, org, None, Some((field, message))).await
}

fn saved(org: OrgId, what: &str) -> Response {
    Redirect::to(&format!("/a/{org}/settings?saved={what}")).into_response()
}

pub async fn page(
    State(s): State<AppState>,
    PortalUser(viewer): PortalUser,
    Path(org): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Response {
    match parse_org(&org) {
        Some(org) => show(&s, &viewer, org, q.saved, None).await,
        None => not_found(),
    }
}

#[derive(Deserialize)]
pub struct ProfileForm {
    name: Option<String>,
    paypal_email: Option<String>,
    payout_method: String,
}

pub async fn profile(
    State(s): State<AppState>,
    PortalUser(viewer): PortalUser,
    Path(org): Path<String>,
    Form(form): Form<ProfileForm>,
) -> Response {
    let Some(org) = parse_org(&org) else {
        return not_found();
    };
    let input = ProfileInput {
        name: form.name,
        paypal_email: form.paypal_email,
        payout_method: form.payout_method,
    };
    match s.app.update_portal_profile(&viewer, org, input).await {
        Ok(()) => saved(org, "profile"),
        Err(e) => refused(&s, &viewer, org, e).await,
    }
}

#[derive(Deserialize)]
pub struct SlugForm {
    slug: String,
}

pub async fn slug(
    State(s): State<AppState>,
    PortalUser(viewer): PortalUser,
    Path(org): Path<String>,
    Form(form): Form<SlugForm>,
) -> Response {
    let Some(org) = parse_org(&org) else {
        return not_found();
    };
    match s.app.change_portal_slug(&viewer, org, &form.slug).await {
        Ok(_) => saved(org, "slug"),
        Err(e) => refused(&s, &viewer, org, e).await,
    }
}

#[derive(Deserialize)]
pub struct EmailsForm {
    emails: String,
}

pub async fn emails(
    State(s): State<AppState>,
    PortalUser(viewer): PortalUser,
    Path(org): Path<String>,
    Form(form): Form<EmailsForm>,
) -> Response {
    let Some(org) = parse_org(&org) else {
        return not_found();
    };
    let prefs = if form.emails == "on" {
        EmailPrefs::Subscribed
    } else {
        EmailPrefs::Unsubscribed
    };
    match s.app.set_portal_emails(&viewer, org, prefs).await {
        Ok(()) => saved(org, "emails"),
        Err(e) => app_error(e),
    }
}

/// The tax form: `form` (W9, W8BEN, W8BENE) and `document`, as multipart/form-data.
pub async fn tax(
    State(s): State<AppState>,
    PortalUser(viewer): PortalUser,
    Path(org): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(org) = parse_org(&org) else {
        return not_found();
    };
    if viewer.account(org).is_err() {
        return not_found();
    }
    let error = |m: &str| Some(("document".to_owned(), m.to_owned()));
    let Some(boundary) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(multipart::boundary)
    else {
        return show(&s, &viewer, org, None, error("must be sent with the upload form")).await;
    };
    let bytes = match multipart::read_limited(body, MAX_TAX_DOCUMENT_BYTES + MULTIPART_OVERHEAD).await {
        Ok(bytes) => bytes,
        Err(multipart::BodyError::TooLarge) => {
            return show(&s, &viewer, org, None, error("must be at most 10 MB")).await;
        }
        Err(multipart::BodyError::Unreadable) => {
            return show(&s, &viewer, org, None, error("could not be read; try again")).await;
        }
    };
    let Some(parts) = multipart::parse(&bytes, &boundary) else {
        return show(&s, &viewer, org, None, error("could not be read; try again")).await;
    };
    let form = parts
        .iter()
        .find(|p| p.name == "form")
        .and_then(|p| std::str::from_utf8(p.body).ok())
        .and_then(|f| f.parse::<TaxFormStatus>().ok())
        .filter(|f| *f != TaxFormStatus::None);
    let Some(form) = form else {
        let e = Some(("form".to_owned(), "choose W-9, W-8BEN or W-8BEN-E".to_owned()));
        return show(&s, &viewer, org, None, e).await;
    };
    let Some(document) = parts.iter().find(|p| p.name == "document") else {
        return show(&s, &viewer, org, None, error("is missing: choose a file")).await;
    };
    let upload = DocumentUpload {
        declared_type: document.content_type.as_deref(),
        file_name: document.file_name.as_deref(),
        bytes: document.body,
    };
    match s.app.upload_portal_tax_form(&viewer, org, form, upload).await {
        Ok(_) => saved(org, "tax"),
        Err(e) => refused(&s, &viewer, org, e).await,
    }
}
