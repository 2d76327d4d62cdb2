//! Reports (summary, daily series, leaderboard, traffic sources) and CSV exports (conversions,
//! commissions, payout items). Reports read the store's daily rollups; exports are streamed a
//! page at a time.

use afflux_app::exports::{CsvExport, ExportKind};
use afflux_app::reports::{HomeAmounts, ReportWindow};
use afflux_domain::{AffiliateId, CampaignId, Currency, Money};
use afflux_store::CurrencyTotals;
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::Date;
use time::macros::format_description;
use utoipa::{IntoParams, ToSchema};

use super::money::AmountView;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::ApiActor;

fn bad(field: &str, message: &str) -> ApiError {
    ApiError::BadRequest {
        field: Some(field.into()),
        message: message.into(),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// 30 (the default) or 90: the last that many UTC days, today included.
    days: Option<String>,
    /// One program's figures; all programs without it.
    program_id: Option<String>,
}

impl ReportQuery {
    fn resolve(&self) -> Result<(u32, Option<CampaignId>), ApiError> {
        let days = match &self.days {
            None => 30,
            Some(d) => d.trim().parse().map_err(|_| bad("days", "days must be 30 or 90"))?,
        };
        let program = self
            .program_id
            .as_deref()
            .map(|p| p.parse().map_err(|_| bad("programId", "programId is not a valid id")))
            .transpose()?;
        Ok((days, program))
    }
}

/// One currency's figures.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CurrencyView {
    currency: Currency,
    /// First sales (renewals add revenue, not sales).
    sales: i64,
    leads: i64,
    /// Sales and renewals less refunds.
    revenue: AmountView,
    /// Commissions earned (direct, two-tier and pay-per-click), after refunds; denied ones
    /// excluded.
    earnings: AmountView,
}

impl From<&CurrencyTotals> for CurrencyView {
    fn from(t: &CurrencyTotals) -> Self {
        Self {
            currency: t.currency,
            sales: t.sales,
            leads: t.leads,
            revenue: Money::new(t.revenue_minor, t.currency).into(),
            earnings: Money::new(t.commission_minor, t.currency).into(),
        }
    }
}

fn currencies(totals: &[CurrencyTotals]) -> Vec<CurrencyView> {
    totals.iter().map(CurrencyView::from).collect()
}

/// Amounts of every currency in the organization's home currency, at the newest loaded
/// exchange rates.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HomeView {
    revenue: AmountView,
    earnings: AmountView,
    /// Currencies left out of these sums for want of an exchange rate (`afflux fx import`).
    missing_rates: Vec<Currency>,
    /// False when a currency was left out.
    complete: bool,
}

impl From<HomeAmounts> for HomeView {
    fn from(h: HomeAmounts) -> Self {
        Self {
            revenue: h.revenue.into(),
            earnings: h.earnings.into(),
            complete: h.missing_rates.is_empty(),
            missing_rates: h.missing_rates,
        }
    }
}

/// The window a report covers.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WindowView {
    days: u32,
    /// First and last UTC day, inclusive (`YYYY-MM-DD`).
    from: String,
    to: String,
    program_id: Option<CampaignId>,
}

fn window(w: ReportWindow, program_id: Option<CampaignId>) -> WindowView {
    WindowView {
        days: w.days,
        from: w.from.to_string(),
        to: w.to.to_string(),
        program_id,
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SummaryView {
    window: WindowView,
    clicks: i64,
    sales: i64,
    leads: i64,
    /// Sales per click in basis points (1 % = 100), rounded half away from zero; null without
    /// clicks.
    conversion_rate_bps: Option<i64>,
    /// Affiliates with a click, sale, lead or commission in the window.
    active_affiliates: i64,
    by_currency: Vec<CurrencyView>,
    home_currency: HomeView,
}

/// Summary of the last 30 or 90 days: clicks, sales, leads, conversion rate, earnings per
/// currency and in the home currency, active affiliates. 404 for a program that is not the
/// organization's.
#[utoipa::path(get, path = "/api/v1/reports/summary", tag = "reports", params(ReportQuery),
    responses((status = 200, body = SummaryView), (status = 400), (status = 404)), security(("bearer" = [])))]
pub async fn summary(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<ReportQuery>,
) -> Result<Json<SummaryView>, ApiError> {
    let (days, program) = q.resolve()?;
    let r = s.app.report_summary(&actor, days, program).await?;
    Ok(Json(SummaryView {
        window: window(r.window, r.program_id),
        clicks: r.clicks,
        sales: r.sales,
        leads: r.leads,
        conversion_rate_bps: r.conversion_rate_bps,
        active_affiliates: r.active_affiliates,
        by_currency: currencies(&r.currencies),
        home_currency: r.home.into(),
    }))
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DayView {
    date: String,
    clicks: i64,
    sales: i64,
    leads: i64,
    by_currency: Vec<CurrencyView>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DailyView {
    window: WindowView,
    /// Every day of the window, oldest first (days without activity as zeros).
    series: Vec<DayView>,
}

/// The window day by day.
#[utoipa::path(get, path = "/api/v1/reports/daily", tag = "reports", params(ReportQuery),
    responses((status = 200, body = DailyView), (status = 400), (status = 404)), security(("bearer" = [])))]
pub async fn daily(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<ReportQuery>,
) -> Result<Json<DailyView>, ApiError> {
    let (days, program) = q.resolve()?;
    let r = s.app.report_daily(&actor, days, program).await?;
    Ok(Json(DailyView {
        window: window(r.window, r.program_id),
        series: r
            .days
            .iter()
            .map(|d| DayView {
                date: d.day.to_string(),
                clicks: d.clicks,
                sales: d.currencies.iter().map(|c| c.sales).sum(),
                leads: d.currencies.iter().map(|c| c.leads).sum(),
                by_currency: currencies(&d.currencies),
            })
            .collect(),
    }))
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LeaderView {
    rank: u32,
    affiliate_id: AffiliateId,
    name: Option<String>,
    email: String,
    slug: String,
    clicks: i64,
    sales: i64,
    leads: i64,
    conversion_rate_bps: Option<i64>,
    by_currency: Vec<CurrencyView>,
    home_currency: HomeView,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LeaderboardView {
    window: WindowView,
    /// At most ten, ranked by sales, then revenue, leads and earnings (amounts of different
    /// currencies only break ties); affiliates with clicks only are not ranked.
    entries: Vec<LeaderView>,
}

/// The top ten affiliates of the window.
#[utoipa::path(get, path = "/api/v1/reports/leaderboard", tag = "reports", params(ReportQuery),
    responses((status = 200, body = LeaderboardView), (status = 400), (status = 404)), security(("bearer" = [])))]
pub async fn leaderboard(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<ReportQuery>,
) -> Result<Json<LeaderboardView>, ApiError> {
    let (days, program) = q.resolve()?;
    let r = s.app.report_leaderboard(&actor, days, program).await?;
    Ok(Json(LeaderboardView {
        window: window(r.window, r.program_id),
        entries: r
            .entries
            .into_iter()
            .map(|e| LeaderView {
                rank: e.rank,
                affiliate_id: e.affiliate.id,
                name: e.affiliate.name,
                email: e.affiliate.email.to_string(),
                slug: e.affiliate.slug.to_string(),
                clicks: e.totals.clicks,
                sales: e.totals.sales(),
                leads: e.totals.leads(),
                conversion_rate_bps: e.conversion_rate_bps,
                by_currency: currencies(&e.totals.currencies),
                home_currency: e.home.into(),
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct SourcesQuery {
    /// How many sites, 1–100 (default 10).
    limit: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourceView {
    /// The referring site; null for visits that named none.
    referrer_domain: Option<String>,
    clicks: i64,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourcesView {
    window: WindowView,
    /// Most clicks first.
    sources: Vec<SourceView>,
}

/// Clicks by referring site.
#[utoipa::path(get, path = "/api/v1/reports/sources", tag = "reports", params(ReportQuery, SourcesQuery),
    responses((status = 200, body = SourcesView), (status = 400), (status = 404)), security(("bearer" = [])))]
pub async fn sources(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<ReportQuery>,
    Query(l): Query<SourcesQuery>,
) -> Result<Json<SourcesView>, ApiError> {
    let (days, program) = q.resolve()?;
    let limit = match &l.limit {
        None => 10,
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| bad("limit", "limit must be between 1 and 100"))?,
    };
    let r = s.app.report_sources(&actor, days, program, limit).await?;
    Ok(Json(SourcesView {
        window: window(r.window, r.program_id),
        sources: r
            .sources
            .into_iter()
            .map(|s| SourceView {
                referrer_domain: s.referrer_domain,
                clicks: s.clicks,
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// First UTC day, `YYYY-MM-DD` (default: 29 days before `to`).
    from: Option<String>,
    /// Last UTC day, inclusive (default: today).
    to: Option<String>,
}

fn date(field: &str, raw: &Option<String>) -> Result<Option<Date>, ApiError> {
    raw.as_deref()
        .map(|v| {
            Date::parse(v.trim(), format_description!("[year]-[month]-[day]"))
                .map_err(|_| bad(field, &format!("{field} must be a date: YYYY-MM-DD")))
        })
        .transpose()
}

/// Streams the file: the header row at once, then a page of rows at a time. A failure midway
/// ends the response early (the client sees a broken transfer, never a short file that looks
/// complete).
async fn export(s: AppState, actor: afflux_app::Actor, kind: ExportKind, q: ExportQuery) -> Result<Response, ApiError> {
    let (from, to) = (date("from", &q.from)?, date("to", &q.to)?);
    let export = s.app.export_csv(&actor, kind, from, to).await?;
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

/// Conversions of the window by the day they happened, as CSV (RFC 4180, CRLF, a header row;
/// cells a spreadsheet would run as formulas start with `'`).
#[utoipa::path(get, path = "/api/v1/exports/conversions.csv", tag = "reports", params(ExportQuery),
    responses((status = 200, content_type = "text/csv"), (status = 400)), security(("bearer" = [])))]
pub async fn export_conversions(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    export(s, actor, ExportKind::Conversions, q).await
}

/// Commissions of the window by the day they were earned, as CSV.
#[utoipa::path(get, path = "/api/v1/exports/commissions.csv", tag = "reports", params(ExportQuery),
    responses((status = 200, content_type = "text/csv"), (status = 400)), security(("bearer" = [])))]
pub async fn export_commissions(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    export(s, actor, ExportKind::Commissions, q).await
}

/// Payout items of the window by the day their run made them, as CSV.
#[utoipa::path(get, path = "/api/v1/exports/payouts.csv", tag = "reports", params(ExportQuery),
    responses((status = 200, content_type = "text/csv"), (status = 400)), security(("bearer" = [])))]
pub async fn export_payouts(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    export(s, actor, ExportKind::Payouts, q).await
}
