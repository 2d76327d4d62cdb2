//! Reports: the summary cards of the last 30 or 90 days (optionally one campaign), the daily
//! chart (server-drawn SVG, `chart.rs`), the top-10 leaderboard, traffic sources, and the CSV
//! exports of the same days as downloads.

use afflux_app::exports::{CsvExport, ExportKind};
use afflux_app::reports::HomeAmounts;
use afflux_app::{AppError, SessionUser};
use afflux_domain::{CampaignId, Money, ValidationError};
use afflux_store::{CurrencyTotals, Page};
use askama::Template;
use axum::body::{Body, Bytes};
use axum::extract::multipart::Multipart;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use super::chart::{ChartDay, daily_svg};
use super::page::{self, PageError, Shell, sentence};
use super::session::DashboardUser;
use crate::AppState;

/// Referring sites the page lists.
const SOURCES_SHOWN: i64 = 10;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReportsQuery {
    /// `30` or `90`; anything else is 30 (a mangled link still shows the page).
    days: Option<String>,
    /// A campaign id, or empty for all.
    program: Option<String>,
    notice: Option<String>,
}

/// 30 or 90 days, as asked; 30 otherwise.
fn period(raw: Option<&str>) -> u32 {
    match raw.map(str::trim) {
        Some("90") => 90,
        _ => 30,
    }
}

/// The campaign asked for; an id that does not parse is nobody's campaign (404).
fn program_filter(raw: Option<&str>) -> Result<Option<CampaignId>, PageError> {
    match raw.map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(None),
        Some(p) => p
            .parse()
            .map(Some)
            .map_err(|_| PageError(AppError::NotFound("program"))),
    }
}

/// Basis points as a percentage with two decimals ("40.00 %"); "—" without clicks.
pub(super) fn percent(bps: Option<i64>) -> String {
    match bps {
        Some(bps) => format!("{}.{:02} %", bps / 100, (bps % 100).abs()),
        None => "—".into(),
    }
}

/// Amounts per currency, as "15.00 EUR · 8.00 USD" ("—" for none).
fn per_currency(totals: &[CurrencyTotals], amount: impl Fn(&CurrencyTotals) -> i64) -> String {
    let parts: Vec<String> = totals
        .iter()
        .map(|t| Money::new(amount(t), t.currency).to_string())
        .collect();
    if parts.is_empty() {
        "—".into()
    } else {
        parts.join(" · ")
    }
}

fn missing(home: &HomeAmounts) -> String {
    home.missing_rates
        .iter()
        .map(|c| c.code())
        .collect::<Vec<_>>()
        .join(", ")
}

pub struct CurrencyRow {
    currency: &'static str,
    sales: i64,
    leads: i64,
    revenue: String,
    earnings: String,
}

pub struct DayRow {
    day: String,
    clicks: i64,
    sales: i64,
    leads: i64,
}

pub struct LeaderRow {
    rank: u32,
    email: String,
    name: Option<String>,
    clicks: i64,
    sales: i64,
    leads: i64,
    conversion_rate: String,
    /// In the home currency; says which currencies were left out for want of a rate.
    earnings_home: String,
    missing_rates: String,
    earnings_native: String,
}

pub struct SourceView {
    /// `None`: visits without a referrer (typed, bookmarked, apps).
    domain: Option<String>,
    clicks: i64,
    share: String,
}

pub struct ProgramOption {
    id: String,
    name: String,
}

pub struct ExportLink {
    label: &'static str,
    url: String,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    shell: Shell,
    days: u32,
    /// The campaign shown, its id, or empty for all.
    program: String,
    program_name: Option<String>,
    programs: Vec<ProgramOption>,
    from: String,
    to: String,
    clicks: i64,
    sales: i64,
    leads: i64,
    conversion_rate: String,
    earnings_home: String,
    revenue_home: String,
    missing_rates: String,
    active_affiliates: i64,
    home_currency: &'static str,
    currencies: Vec<CurrencyRow>,
    has_data: bool,
    chart: String,
    series: Vec<DayRow>,
    leaders: Vec<LeaderRow>,
    sources: Vec<SourceView>,
    exports: Vec<ExportLink>,
    /// The newest date with exchange rates, and how many currencies it has.
    fx_latest: Option<(String, i64)>,
    /// The Owner of the instance's only organization may upload the ECB file here.
    can_load_rates: bool,
    notice: Option<&'static str>,
    /// Why an upload of rates was refused.
    alert: Option<String>,
}

impl ReportsPage {
    fn period_url(&self, days: u32) -> String {
        if self.program.is_empty() {
            format!("/dashboard/reports?days={days}")
        } else {
            format!("/dashboard/reports?days={days}&program={}", self.program)
        }
    }

    fn is_program(&self, id: &str) -> bool {
        self.program == id
    }
}

pub async fn show(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Query(q): Query<ReportsQuery>,
) -> Result<Response, PageError> {
    render(&s, &user, &q, None, StatusCode::OK).await
}

async fn render(
    s: &AppState,
    user: &SessionUser,
    q: &ReportsQuery,
    alert: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let actor = user.actor();
    let days = period(q.days.as_deref());
    let program = program_filter(q.program.as_deref())?;
    // First: a campaign that is not the organization's answers 404 before anything is read.
    let summary = s.app.report_summary(&actor, days, program).await?;
    let daily = s.app.report_daily(&actor, days, program).await?;
    let board = s.app.report_leaderboard(&actor, days, program).await?;
    let sources = s.app.report_sources(&actor, days, program, SOURCES_SHOWN).await?;
    let campaigns = s.app.list_campaigns(&actor, true, Page::ALL).await?;

    let series: Vec<DayRow> = daily
        .days
        .iter()
        .map(|d| DayRow {
            day: d.day.to_string(),
            clicks: d.clicks,
            sales: d.currencies.iter().map(|c| c.sales).sum(),
            leads: d.currencies.iter().map(|c| c.leads).sum(),
        })
        .collect();
    let chart_days: Vec<ChartDay> = daily
        .days
        .iter()
        .zip(&series)
        .map(|(d, row)| ChartDay {
            day: d.day,
            clicks: d.clicks,
            sales: row.sales,
        })
        .collect();
    let has_data = summary.clicks > 0 || !summary.currencies.is_empty() || !board.entries.is_empty();
    let source_clicks: i64 = sources.sources.iter().map(|s| s.clicks).sum();
    let program_id = program.map(|p| p.to_string()).unwrap_or_default();
    let program_name = program.and_then(|p| campaigns.iter().find(|c| c.id == p).map(|c| c.name.clone()));
    let title = match &program_name {
        Some(name) => format!("Clicks and sales per day, last {days} days, {name}"),
        None => format!("Clicks and sales per day, last {days} days"),
    };
    let exports = [
        ("Sales and conversions", ExportKind::Conversions),
        ("Commissions", ExportKind::Commissions),
        ("Payouts", ExportKind::Payouts),
    ]
    .into_iter()
    .map(|(label, kind)| ExportLink {
        label,
        url: format!("/dashboard/reports/{}.csv?days={days}", kind.name()),
    })
    .collect();
    let fx_latest = s.app.latest_fx_date().await?.map(|(d, n)| (d.to_string(), n));
    let can_load_rates = s.app.may_load_fx_rates(&actor).await?;
    Ok(page::render(
        status,
        &ReportsPage {
            shell: Shell::new(user, "reports"),
            days,
            program: program_id,
            program_name,
            programs: campaigns
                .iter()
                .map(|c| ProgramOption {
                    id: c.id.to_string(),
                    name: c.name.clone(),
                })
                .collect(),
            from: summary.window.from.to_string(),
            to: summary.window.to.to_string(),
            clicks: summary.clicks,
            sales: summary.sales,
            leads: summary.leads,
            conversion_rate: percent(summary.conversion_rate_bps),
            earnings_home: summary.home.earnings.to_string(),
            revenue_home: summary.home.revenue.to_string(),
            missing_rates: missing(&summary.home),
            active_affiliates: summary.active_affiliates,
            home_currency: user.org.home_currency.code(),
            currencies: summary
                .currencies
                .iter()
                .map(|t| CurrencyRow {
                    currency: t.currency.code(),
                    sales: t.sales,
                    leads: t.leads,
                    revenue: Money::new(t.revenue_minor, t.currency).to_string(),
                    earnings: Money::new(t.commission_minor, t.currency).to_string(),
                })
                .collect(),
            has_data,
            chart: daily_svg(&chart_days, &title),
            series,
            leaders: board
                .entries
                .iter()
                .map(|e| LeaderRow {
                    rank: e.rank,
                    email: e.affiliate.email.to_string(),
                    name: e.affiliate.name.clone(),
                    clicks: e.totals.clicks,
                    sales: e.totals.sales(),
                    leads: e.totals.leads(),
                    conversion_rate: percent(e.conversion_rate_bps),
                    earnings_home: e.home.earnings.to_string(),
                    missing_rates: missing(&e.home),
                    // Shown beside the converted sum only when another currency went into it.
                    earnings_native: if e.totals.currencies.iter().all(|t| t.currency == user.org.home_currency) {
                        String::new()
                    } else {
                        per_currency(&e.totals.currencies, |t| t.commission_minor)
                    },
                })
                .collect(),
            sources: sources
                .sources
                .iter()
                .map(|src| SourceView {
                    domain: src.referrer_domain.clone(),
                    clicks: src.clicks,
                    share: percent(afflux_app::reports::conversion_rate_bps(src.clicks, source_clicks)),
                })
                .collect(),
            exports,
            fx_latest,
            can_load_rates,
            notice: match q.notice.as_deref() {
                Some("rates") => Some("The exchange rates are loaded."),
                _ => None,
            },
            alert,
        },
    ))
}

/// Rates files are a few MB; the page's upload allows this much.
pub const RATES_UPLOAD_LIMIT: usize = 16 * 1024 * 1024;

/// Loads the ECB reference-rate CSV uploaded from the page (the file field `file`), all or
/// nothing; a refusal is shown on the page, a role or instance that may not load rates is a 403.
pub async fn load_rates(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let unreadable = |_| {
        AppError::Validation(ValidationError::new(
            "file",
            "the upload could not be read (at most 16 MiB)",
        ))
    };
    let mut csv = None;
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        if field.name() == Some("file") {
            let bytes = field.bytes().await.map_err(unreadable)?;
            csv = Some(
                String::from_utf8(bytes.to_vec())
                    .map_err(|_| AppError::Validation(ValidationError::new("file", "the file must be UTF-8 text"))),
            );
        }
    }
    let result = match csv {
        None => Err(AppError::Validation(ValidationError::new(
            "file",
            "choose the ECB CSV file",
        ))),
        Some(Err(e)) => Err(e),
        Some(Ok(csv)) => s.app.import_fx_rates_as(&user.actor(), &csv).await.map(|_| ()),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/dashboard/reports?notice=rates").into_response()),
        Err(AppError::Validation(v)) => {
            let message = format!("The rates were not loaded: {}", sentence(&v.message));
            render(
                &s,
                &user,
                &ReportsQuery::default(),
                Some(message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExportQuery {
    days: Option<String>,
}

/// The export of the page's days (all campaigns), streamed a page of rows at a time as the
/// API's is; a failure midway breaks the transfer rather than ending a short file.
async fn export(s: AppState, user: SessionUser, kind: ExportKind, q: ExportQuery) -> Result<Response, PageError> {
    let days = period(q.days.as_deref());
    let today = OffsetDateTime::now_utc().date();
    let from = today - Duration::days(i64::from(days) - 1);
    let export = s.app.export_csv(&user.actor(), kind, Some(from), Some(today)).await?;
    let file_name = export.file_name();
    let chunks = futures_util::stream::unfold(Some(export), |state: Option<CsvExport>| async move {
        let mut export = state?;
        match export.next_chunk().await {
            Ok(Some(chunk)) => Some((Ok(Bytes::from(chunk)), Some(export))),
            Ok(None) => None,
            Err(e) => {
                tracing::error!(error = %e, "a CSV export failed midway");
                Some((Err(std::io::Error::other(e.to_string())), None))
            }
        }
    });
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        Body::from_stream(chunks),
    )
        .into_response())
}

pub async fn export_conversions(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Query(q): Query<ExportQuery>,
) -> Result<Response, PageError> {
    export(s, user, ExportKind::Conversions, q).await
}

pub async fn export_commissions(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Query(q): Query<ExportQuery>,
) -> Result<Response, PageError> {
    export(s, user, ExportKind::Commissions, q).await
}

pub async fn export_payouts(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Query(q): Query<ExportQuery>,
) -> Result<Response, PageError> {
    export(s, user, ExportKind::Payouts, q).await
}

#[cfg(test)]
mod tests {
    use afflux_domain::Currency;

    use super::*;

    #[test]
    fn periods_and_percentages() {
        assert_eq!(period(Some("90")), 90);
        assert_eq!(period(Some(" 90 ")), 90);
        assert_eq!(period(Some("7")), 30);
        assert_eq!(period(None), 30);
        assert_eq!(percent(Some(4_000)), "40.00 %");
        assert_eq!(percent(Some(3_333)), "33.33 %");
        assert_eq!(percent(Some(5)), "0.05 %");
        assert_eq!(percent(None), "—");
        assert!(program_filter(Some("")).unwrap().is_none());
        assert!(program_filter(Some("nope")).is_err());
    }

    #[test]
    fn amounts_per_currency() {
        let t = |currency, commission_minor| CurrencyTotals {
            currency,
            sales: 0,
            leads: 0,
            revenue_minor: 0,
            commission_minor,
        };
        let totals = [t(Currency::EUR, 1_500), t(Currency::USD, 800)];
        assert_eq!(per_currency(&totals, |t| t.commission_minor), "15.00 EUR · 8.00 USD");
        assert_eq!(per_currency(&[], |t| t.commission_minor), "—");
    }
}
