//! The public application page of a campaign (`/p/{organization}/{campaign}`, or the primary
//! campaign at `/p/{organization}`): the program's facts and its form, server-rendered and
//! submitted without JavaScript. Spam protection: a honeypot field and the per-IP limit.

use afflux_app::AppError;
use afflux_app::applications::RECRUITER_KEY;
use afflux_app::applications::{PublicCampaign, SubmitError};
use afflux_domain::{
    ADDRESS_PARTS, AttributionModel, COUNTRIES, Campaign, CommissionType, Currency, FieldError, FieldType, FormField,
    text_color_on,
};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};

use crate::AppState;
use crate::extract::ClientIp;

/// Bots fill every field; people never see this one. Its name cannot be a form field key
/// (keys have no hyphens).
const HONEYPOT: &str = "homepage-url";

/// The brand colour is inlined; nothing else is.
const CSP: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; \
                   form-action 'self'; frame-ancestors 'none'";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/p/{org}", get(show_primary).post(submit_primary))
        .route("/p/{org}/{campaign}", get(show).post(submit))
}

/// "30% of each sale", "$10.00 per sale".
fn commission_text(c: &Campaign) -> String {
    let value = c.commission.display_value(c.currency);
    match c.commission.kind {
        CommissionType::Percentage => format!("{value}% of each sale"),
        CommissionType::Fixed => {
            let amount = match c.currency {
                Currency::USD => format!("${value}"),
                Currency::EUR => format!("€{value}"),
                Currency::GBP => format!("£{value}"),
                other => format!("{value} {}", other.code()),
            };
            format!("{amount} per sale")
        }
    }
}

/// One field as the page shows it, with what was typed and its error.
struct FieldView {
    key: String,
    label: String,
    kind: FieldType,
    required: bool,
    options: Vec<String>,
    help: Option<String>,
    value: String,
    /// Ticked checkboxes.
    picked: Vec<String>,
    /// Address parts: (part, label, value).
    parts: Vec<(&'static str, &'static str, String)>,
    error: Option<String>,
}

impl FieldView {
    fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if self.help.is_some() {
            ids.push(format!("f-{}-help", self.key));
        }
        if self.error.is_some() {
            ids.push(format!("f-{}-error", self.key));
        }
        ids.join(" ")
    }

    fn input_type(&self) -> &'static str {
        match self.kind {
            FieldType::Email => "email",
            FieldType::Url => "url",
            FieldType::Number => "number",
            FieldType::Date => "date",
            FieldType::Phone => "tel",
            _ => "text",
        }
    }

    fn autocomplete(&self) -> &'static str {
        match (self.kind, self.key.as_str()) {
            (FieldType::Email, "email") => "email",
            (_, "name") => "name",
            (FieldType::Phone, _) => "tel",
            (FieldType::Url, _) => "url",
            (FieldType::Country, _) => "country",
            _ => "off",
        }
    }
}

fn field_view(f: &FormField, raw: &[(String, String)], errors: &[FieldError]) -> FieldView {
    let all = |key: &str| -> Vec<String> { raw.iter().filter(|(k, _)| k == key).map(|(_, v)| v.clone()).collect() };
    let first = |key: &str| all(key).into_iter().next().unwrap_or_default();
    FieldView {
        key: f.key.clone(),
        label: f.label.clone(),
        kind: f.field_type,
        required: f.required,
        options: f.options.clone(),
        help: f.help.clone(),
        value: first(&f.key),
        picked: all(&f.key),
        parts: ADDRESS_PARTS
            .iter()
            .map(|(part, label)| (*part, *label, first(&format!("{}.{part}", f.key))))
            .collect(),
        error: errors.iter().find(|e| e.key == f.key).map(|e| capitalized(&e.message)),
    }
}

fn capitalized(message: &str) -> String {
    let mut chars = message.chars();
    let first: String = chars.next().map(|c| c.to_uppercase().collect()).unwrap_or_default();
    format!("{first}{}.", chars.as_str().trim_end_matches('.'))
}

#[derive(Template)]
#[template(path = "public_apply.html")]
struct ApplyPage {
    org_name: String,
    brand_color: String,
    text_color: &'static str,
    campaign_name: String,
    description: Option<String>,
    commission: String,
    cookie_days: i32,
    attribution: &'static str,
    action: String,
    fields: Vec<FieldView>,
    error_count: usize,
    countries: &'static [(&'static str, &'static str)],
    honeypot: &'static str,
    /// After a successful submission: whether the applicant is in at once.
    done: Option<bool>,
}

fn page(view: &PublicCampaign, action: String, raw: &[(String, String)], errors: &[FieldError]) -> ApplyPage {
    let c = &view.campaign;
    ApplyPage {
        org_name: view.org.name.clone(),
        brand_color: view.profile.brand_color.clone(),
        text_color: text_color_on(&view.profile.brand_color),
        campaign_name: c.name.clone(),
        description: c.description.clone(),
        commission: commission_text(c),
        cookie_days: c.cookie_window_days,
        attribution: match c.attribution_model {
            AttributionModel::FirstTouch => "First touch",
            AttributionModel::LastTouch => "Last touch",
        },
        action,
        fields: view.form.fields.iter().map(|f| field_view(f, raw, errors)).collect(),
        error_count: errors.len(),
        countries: COUNTRIES,
        honeypot: HONEYPOT,
        done: None,
    }
}

fn html(status: StatusCode, template: &impl Template) -> Response {
    let mut response = match template.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "rendering the application page");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("Something went wrong on our side."),
            )
                .into_response()
        }
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[derive(Template)]
#[template(path = "public_message.html")]
struct MessagePage<'a> {
    title: &'a str,
    message: &'a str,
}

fn message(status: StatusCode, title: &str, message: &str) -> Response {
    html(status, &MessagePage { title, message })
}

fn error_response(e: AppError) -> Response {
    match e {
        AppError::NotFound(_) => message(
            StatusCode::NOT_FOUND,
            "Page not found",
            "This application page does not exist, or the program does not take applications.",
        ),
        AppError::RateLimited { retry_after_secs } => {
            let mut r = message(
                StatusCode::TOO_MANY_REQUESTS,
                "Slow down",
                &format!("Too many applications from your address; wait {retry_after_secs} s and try again."),
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            r
        }
        other => {
            tracing::error!(error = format!("{other:#}"), "application page");
            message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Something went wrong on our side. Try again in a moment.",
            )
        }
    }
}

/// A recruitment link (`?recruiter={slug}`) of a two-tier program.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Recruit {
    recruiter: Option<String>,
}

async fn render_form(s: &AppState, org: &str, campaign: Option<&str>, recruiter: Option<&str>) -> Response {
    match s.app.public_campaign(org, campaign).await {
        Ok(view) => {
            let action = action(org, campaign, recruiter);
            html(StatusCode::OK, &page(&view, action, &[], &[]))
        }
        Err(e) => error_response(e),
    }
}

fn action(org: &str, campaign: Option<&str>, recruiter: Option<&str>) -> String {
    let path = match campaign {
        Some(c) => format!("/p/{}/{}", urlencoding(org), urlencoding(c)),
        None => format!("/p/{}", urlencoding(org)),
    };
    match recruiter.map(urlencoding).filter(|r| !r.is_empty()) {
        Some(r) => format!("{path}?recruiter={r}"),
        None => path,
    }
}

/// Path segments come back into the page's form action: keep them to safe characters.
fn urlencoding(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

pub async fn show_primary(State(s): State<AppState>, Path(org): Path<String>, Query(q): Query<Recruit>) -> Response {
    render_form(&s, &org, None, q.recruiter.as_deref()).await
}

pub async fn show(
    State(s): State<AppState>,
    Path((org, campaign)): Path<(String, String)>,
    Query(q): Query<Recruit>,
) -> Response {
    render_form(&s, &org, Some(&campaign), q.recruiter.as_deref()).await
}

pub async fn submit_primary(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(org): Path<String>,
    Query(q): Query<Recruit>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Response {
    accept(&s, &ip.to_string(), &org, None, q.recruiter, raw).await
}

pub async fn submit(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    Path((org, campaign)): Path<(String, String)>,
    Query(q): Query<Recruit>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Response {
    accept(&s, &ip.to_string(), &org, Some(&campaign), q.recruiter, raw).await
}

async fn accept(
    s: &AppState,
    ip: &str,
    org: &str,
    campaign: Option<&str>,
    recruiter: Option<String>,
    mut raw: Vec<(String, String)>,
) -> Response {
    if let Err(e) = s.public_limiter.check(&format!("apply:{ip}")) {
        return error_response(e);
    }
    let view = match s.app.public_campaign(org, campaign).await {
        Ok(view) => view,
        Err(e) => return error_response(e),
    };
    let thanks = |approved: bool| {
        let mut done = page(&view, action(org, campaign, recruiter.as_deref()), &[], &[]);
        done.done = Some(approved);
        html(StatusCode::OK, &done)
    };
    // A filled honeypot looks like success to the bot, and nothing is stored.
    if raw.iter().any(|(k, v)| k == HONEYPOT && !v.trim().is_empty()) {
        tracing::info!("application honeypot filled; ignored");
        return thanks(view.campaign.approves_automatically());
    }
    raw.retain(|(k, _)| k != RECRUITER_KEY);
    if let Some(r) = &recruiter {
        raw.push((RECRUITER_KEY.into(), r.clone()));
    }
    match s.app.submit_application(view.org.id, view.campaign.id, &raw).await {
        Ok(done) => thanks(done.membership.status == afflux_domain::AffiliateStatus::Approved),
        Err(SubmitError::Fields(errors)) => html(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(&view, action(org, campaign, recruiter.as_deref()), &raw, &errors),
        ),
        Err(SubmitError::App(e)) => error_response(e),
    }
}
