//! Rendering for the portal: the layout's navigation, error pages, and the activity chart
//! drawn as inline SVG on the server.

use afflux_app::AppError;
use afflux_app::portal::{ActivityChart, PortalViewer};
use afflux_domain::OrgId;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

pub fn render(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "rendering a portal template");
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

#[derive(Template)]
#[template(path = "portal/message.html")]
pub struct MessagePage<'a> {
    pub title: &'a str,
    pub message: &'a str,
}

pub fn message(status: StatusCode, title: &str, message: &str) -> Response {
    render(status, &MessagePage { title, message })
}

pub fn not_found() -> Response {
    message(
        StatusCode::NOT_FOUND,
        "Page not found",
        "This page does not exist, or it belongs to an account you are not signed in to.",
    )
}

/// An app error as a portal page; internal errors are logged, never shown.
pub fn app_error(e: AppError) -> Response {
    match e {
        AppError::NotFound(_) => not_found(),
        AppError::Unauthorized(_) => Redirect::to("/a/sign-in").into_response(),
        AppError::Validation(v) => message(StatusCode::BAD_REQUEST, "Cannot do that", &v.message),
        AppError::Conflict { message: m, .. } => message(StatusCode::CONFLICT, "Cannot do that", &m),
        AppError::RateLimited { retry_after_secs } => message(
            StatusCode::TOO_MANY_REQUESTS,
            "Slow down",
            &format!("Too many requests; wait {retry_after_secs} s and try again."),
        ),
        AppError::Forbidden(m) => message(StatusCode::FORBIDDEN, "Not allowed", &m),
        other => {
            tracing::error!(error = format!("{:#}", anyhow::Error::from(other)), "portal error");
            message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Something went wrong on our side. Try again in a moment.",
            )
        }
    }
}

/// What the signed-in layout shows around every portal page.
pub struct Nav {
    pub org_id: String,
    pub org_name: String,
    pub email: String,
    /// The nav entry to mark as current.
    pub section: &'static str,
    /// Every organization the person is an affiliate of: (id, name), for the switcher.
    pub orgs: Vec<(String, String)>,
}

impl Nav {
    pub fn new(viewer: &PortalViewer, org: OrgId, section: &'static str) -> Option<Nav> {
        let account = viewer.account(org).ok()?;
        Some(Nav {
            org_id: org.to_string(),
            org_name: account.org.name.clone(),
            email: account.affiliate.email.to_string(),
            section,
            orgs: viewer
                .accounts
                .iter()
                .map(|a| (a.org.id.to_string(), a.org.name.clone()))
                .collect(),
        })
    }
}

/// Ids in paths: a malformed one names nothing (the caller answers 404).
pub fn parse_org(raw: &str) -> Option<OrgId> {
    raw.parse().ok()
}

const CHART_W: i64 = 600;
const CHART_H: i64 = 160;

/// The 30-day chart: a bar per day for clicks and a line for conversions, on one scale. Only
/// numbers and dates go into the markup, so it is built here rather than in the template.
pub fn chart_svg(chart: &ActivityChart) -> String {
    let days = chart.days.len().max(1) as i64;
    let peak = chart.peak().max(1);
    let slot = CHART_W / days;
    let y = |v: i64| CHART_H - v * (CHART_H - 10) / peak;
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {CHART_W} {h}\" role=\"img\" aria-labelledby=\"chart-title chart-desc\" \
         preserveAspectRatio=\"none\"><title id=\"chart-title\">Clicks and conversions, last 30 days</title>\
         <desc id=\"chart-desc\">{clicks} clicks and {conversions} conversions; the table below lists every day.</desc>\
         <line x1=\"0\" y1=\"{CHART_H}\" x2=\"{CHART_W}\" y2=\"{CHART_H}\" stroke=\"#57606a\"/>",
        h = CHART_H + 2,
        clicks = chart.days.iter().map(|d| d.clicks).sum::<i64>(),
        conversions = chart.days.iter().map(|d| d.conversions).sum::<i64>(),
    );
    for (i, d) in chart.days.iter().enumerate() {
        let x = i as i64 * slot + 2;
        if d.clicks > 0 {
            svg.push_str(&format!(
                "<rect class=\"bar\" x=\"{x}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#0e7c7b\"><title>{}: {} clicks</title></rect>",
                y(d.clicks),
                slot - 4,
                CHART_H - y(d.clicks),
                d.day,
                d.clicks
            ));
        }
    }
    let points: Vec<String> = chart
        .days
        .iter()
        .enumerate()
        .map(|(i, d)| format!("{},{}", i as i64 * slot + slot / 2, y(d.conversions)))
        .collect();
    svg.push_str(&format!(
        "<polyline points=\"{}\" fill=\"none\" stroke=\"#b35c00\" stroke-width=\"3\"/>",
        points.join(" ")
    ));
    for (i, d) in chart.days.iter().enumerate().filter(|(_, d)| d.conversions > 0) {
        svg.push_str(&format!(
            "<circle cx=\"{}\" cy=\"{}\" r=\"5\" fill=\"#b35c00\"><title>{}: {} conversions</title></circle>",
            i as i64 * slot + slot / 2,
            y(d.conversions),
            d.day,
            d.conversions
        ));
    }
    svg.push_str("</svg>");
    svg
}
