//! Tax: the yearly report of what affiliates were paid in USD (those over the 1099-NEC line
//! flagged when no form is on file), its 1099-NEC CSV, and every affiliate's tax form status,
//! which Admins and Owners set and whose documents only they download (the API's rules: the
//! verbs check them).

use afflux_app::tax::{SetTaxForm, TaxReport, tax_year};
use afflux_app::{AppError, SessionUser};
use afflux_domain::{AffiliateId, Permission, TaxFormStatus};
use afflux_store::{AffiliateFilter, Page};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use time::OffsetDateTime;

use super::commissions::page_number;
use super::page::{self, PageError, Shell, sentence};
use super::session::DashboardUser;
use crate::AppState;

/// Affiliates a page of the forms list shows.
const PER_PAGE: usize = 50;
/// Years the selector offers, the current one first.
const YEARS_OFFERED: i32 = 6;

/// `?year=` as a tax year; anything unusable is the current year.
fn year_of(raw: Option<&str>) -> i32 {
    let parsed = raw.and_then(|y| y.trim().parse().ok());
    tax_year(parsed).unwrap_or_else(|_| OffsetDateTime::now_utc().year())
}

fn list_url(year: i32, page: u32) -> String {
    format!("/dashboard/tax?year={year}&page={page}")
}

pub struct ReportRow {
    affiliate_id: String,
    email: String,
    name: Option<String>,
    status: &'static str,
    paid: String,
    total_usd: String,
    reportable: bool,
    files_1099_nec: bool,
    /// Over the reporting line with no form on file.
    form_missing: bool,
}

fn report_rows(report: &TaxReport) -> Vec<ReportRow> {
    report
        .rows
        .iter()
        .map(|r| ReportRow {
            affiliate_id: r.affiliate.id.to_string(),
            email: r.affiliate.email.to_string(),
            name: r.affiliate.name.clone(),
            status: r.status.as_str(),
            paid: r.paid.iter().map(ToString::to_string).collect::<Vec<_>>().join(" · "),
            total_usd: r.total_usd.to_string(),
            reportable: r.assessment.reportable,
            files_1099_nec: r.assessment.files_1099_nec,
            form_missing: r.assessment.reportable && r.status == TaxFormStatus::None,
        })
        .collect()
}

pub struct FormRow {
    id: String,
    email: String,
    name: Option<String>,
    status: &'static str,
    document: Option<String>,
}

#[derive(Template)]
#[template(path = "tax.html")]
struct TaxPage {
    shell: Shell,
    year: i32,
    years: Vec<i32>,
    rates_on: String,
    /// `None` when the report could not be made (a missing exchange rate: `report_alert`).
    report: Option<Vec<ReportRow>>,
    report_alert: Option<String>,
    reportable: usize,
    missing_forms: usize,
    forms: Vec<FormRow>,
    statuses: Vec<&'static str>,
    can_manage: bool,
    page: u32,
    prev_url: Option<String>,
    next_url: Option<String>,
    notice: Option<&'static str>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TaxQuery {
    year: Option<String>,
    page: Option<String>,
    notice: Option<String>,
}

async fn form_rows(s: &AppState, user: &SessionUser, page_no: u32) -> Result<(Vec<FormRow>, bool), PageError> {
    let actor = user.actor();
    // An affiliate in several campaigns is listed once.
    // TODO(pagination): like the Affiliates page, fine for the first thousands of affiliates.
    let mut seen = std::collections::HashSet::new();
    let affiliates: Vec<_> = s
        .app
        .list_affiliates(&actor, AffiliateFilter::default(), Page::ALL)
        .await?
        .into_iter()
        .filter(|r| seen.insert(r.affiliate.id))
        .map(|r| r.affiliate)
        .collect();
    let start = (page_no as usize - 1) * PER_PAGE;
    let has_next = affiliates.len() > start + PER_PAGE;
    let mut rows = Vec::new();
    for a in affiliates.into_iter().skip(start).take(PER_PAGE) {
        let form = s.app.tax_form(&actor, a.id).await?;
        rows.push(FormRow {
            id: a.id.to_string(),
            email: a.email.to_string(),
            name: a.name.clone(),
            status: form.as_ref().map_or(TaxFormStatus::None, |f| f.status).as_str(),
            document: form.and_then(|f| f.document).map(|d| {
                let kb = (d.size + 1023) / 1024;
                format!("{} ({kb} KB, {})", d.file_name, d.uploaded_at.date())
            }),
        });
    }
    Ok((rows, has_next))
}

pub async fn show(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Query(q): Query<TaxQuery>,
) -> Result<Response, PageError> {
    let actor = user.actor();
    let year = year_of(q.year.as_deref());
    let page_no = page_number(q.page.as_deref());
    let (report, report_alert, rates_on) = match s.app.tax_report(&actor, year).await {
        Ok(r) => (Some(report_rows(&r)), None, r.rates_on.to_string()),
        Err(AppError::Conflict {
            code: "fx_rate_missing",
            message,
            ..
        }) => (None, Some(sentence(&message)), String::new()),
        Err(e) => return Err(e.into()),
    };
    let (forms, has_next) = form_rows(&s, &user, page_no).await?;
    let current = OffsetDateTime::now_utc().year();
    let mut years: Vec<i32> = (0..YEARS_OFFERED).map(|i| current - i).filter(|y| *y >= 2000).collect();
    if !years.contains(&year) {
        years.push(year);
    }
    let rows = report.as_deref().unwrap_or_default();
    Ok(page::ok(&TaxPage {
        shell: Shell::new(&user, "tax"),
        year,
        years,
        rates_on,
        reportable: rows.iter().filter(|r| r.reportable).count(),
        missing_forms: rows.iter().filter(|r| r.form_missing).count(),
        report,
        report_alert,
        forms,
        statuses: TaxFormStatus::ALL.iter().map(|s| s.as_str()).collect(),
        can_manage: user.role.can(Permission::ManageSettings),
        page: page_no,
        prev_url: (page_no > 1).then(|| list_url(year, page_no - 1)),
        next_url: has_next.then(|| list_url(year, page_no + 1)),
        notice: match q.notice.as_deref() {
            Some("saved") => Some("The tax form status is saved."),
            _ => None,
        },
    }))
}

/// The status form, with the year and page to return to.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StatusForm {
    status: String,
    year: String,
    page: String,
}

fn affiliate_id(raw: &str) -> Result<AffiliateId, PageError> {
    raw.parse().map_err(|_| PageError(AppError::NotFound("affiliate")))
}

/// Records which form the organization holds (Admin or Owner, checked by the verb).
pub async fn set_status(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Path(id): Path<String>,
    Form(form): Form<StatusForm>,
) -> Result<Response, PageError> {
    let id = affiliate_id(&id)?;
    let status = TaxFormStatus::parse("status", form.status.trim()).map_err(|e| PageError(e.into()))?;
    s.app
        .set_tax_form_status(&user.actor(), id, SetTaxForm { status })
        .await?;
    let back = format!(
        "{}&notice=saved#tax-{id}",
        list_url(year_of(Some(form.year.as_str())), page_number(Some(form.page.as_str())))
    );
    Ok(Redirect::to(&back).into_response())
}

/// The affiliate's tax document as a download (Admin or Owner; audited by the verb).
pub async fn document(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let document = s.app.tax_document(&user.actor(), affiliate_id(&id)?).await?;
    let mut response = document.bytes.into_response();
    let headers = response.headers_mut();
    let value = |v: &str| HeaderValue::from_str(v).map_err(|e| PageError(anyhow::Error::from(e).into()));
    headers.insert(header::CONTENT_TYPE, value(&document.info.content_type)?);
    // The file name was made safe (letters, digits, `.`, `-`, `_`) when it was stored.
    headers.insert(
        header::CONTENT_DISPOSITION,
        value(&format!("attachment; filename=\"{}\"", document.info.file_name))?,
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    Ok(response)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct YearQuery {
    year: Option<String>,
}

/// The year's 1099-NEC recipients as CSV; a missing exchange rate is a page saying so.
pub async fn nec_csv(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Query(q): Query<YearQuery>,
) -> Result<Response, PageError> {
    let year = year_of(q.year.as_deref());
    let csv = s.app.tax_1099_nec_csv(&user.actor(), year).await?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"1099-nec-{year}.csv\""),
            ),
        ],
        csv,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unusable_years_are_the_current_one() {
        let current = OffsetDateTime::now_utc().year();
        assert_eq!(year_of(None), current);
        assert_eq!(year_of(Some("1999")), current);
        assert_eq!(year_of(Some("x")), current);
        assert_eq!(year_of(Some(" 2024 ")), 2024);
    }
}
