//! Payouts: the runs with the form that starts one (Manager or above), whether PayPal's API is
//! connected, and the PayPal mass-payment file of a run. A run's page and its item actions are
//! `payout_items.rs`.

use std::collections::BTreeMap;

use afflux_app::money::{NewPayoutRun, PayoutRunDetail, PaypalSettings, StripeConnectSettings};
use afflux_app::{AppError, SessionUser};
use afflux_domain::{Currency, PayoutItem, PayoutRail, PayoutRunId, PayoutStatus, Permission};
use afflux_store::Page;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::commissions::{moment, page_number};
use super::page::{self, FormErrors, PageError, Shell};
use super::session::DashboardUser;
use crate::AppState;

/// Runs a page lists (each with its items counted).
const RUNS_PER_PAGE: i64 = 20;

/// Totals per currency, as "20.00 EUR · 10.00 USD".
pub(super) fn totals(items: &[PayoutItem]) -> String {
    let mut sums: BTreeMap<&'static str, afflux_domain::Money> = BTreeMap::new();
    for i in items {
        let sum = sums
            .entry(i.amount.currency.code())
            .or_insert(afflux_domain::Money::zero(i.amount.currency));
        sum.minor = sum.minor.saturating_add(i.amount.minor);
    }
    let parts: Vec<String> = sums.values().map(ToString::to_string).collect();
    if parts.is_empty() {
        "—".into()
    } else {
        parts.join(" · ")
    }
}

/// What the page says of PayPal's API.
pub struct PaypalView {
    pub configured: bool,
    pub hint: Option<String>,
}

impl From<PaypalSettings> for PaypalView {
    fn from(p: PaypalSettings) -> Self {
        PaypalView {
            configured: p.configured,
            hint: p.client_id_hint,
        }
    }
}

pub struct RunRow {
    id: String,
    started: String,
    started_iso: String,
    rail: PayoutRail,
    currency: String,
    items: usize,
    pending: usize,
    paid: usize,
    failed: usize,
    totals: String,
}

fn run_row(d: &PayoutRunDetail) -> RunRow {
    let (started, started_iso) = moment(d.run.created_at);
    let count = |s: PayoutStatus| d.items.iter().filter(|i| i.status == s).count();
    RunRow {
        id: d.run.id.to_string(),
        started,
        started_iso,
        rail: d.run.rail,
        currency: d.run.currency.map_or("All", Currency::code).to_owned(),
        items: d.items.len(),
        pending: count(PayoutStatus::Pending),
        paid: count(PayoutStatus::Paid),
        failed: count(PayoutStatus::Failed),
        totals: totals(&d.items),
    }
}

/// The start form as posted: text, so that what was chosen comes back on an error.
#[derive(Debug, Deserialize)]
#[serde(default)]
pub struct StartForm {
    rail: String,
    currency: String,
}

impl Default for StartForm {
    fn default() -> Self {
        StartForm {
            rail: PayoutRail::Manual.as_str().to_owned(),
            currency: String::new(),
        }
    }
}

impl StartForm {
    fn to_input(&self) -> Result<NewPayoutRun, AppError> {
        let currency = self.currency.trim();
        Ok(NewPayoutRun {
            rail: PayoutRail::parse("rail", &self.rail)?,
            currency: (!currency.is_empty()).then(|| currency.to_owned()),
        })
    }
}

#[derive(Template)]
#[template(path = "payouts.html")]
struct PayoutsPage {
    shell: Shell,
    can_run: bool,
    paypal: PaypalView,
    stripe: StripeConnectSettings,
    /// Admins and Owners connect Stripe.
    can_connect: bool,
    stripe_errors: FormErrors,
    form: StartForm,
    errors: FormErrors,
    /// The last start found nothing to pay.
    nothing_payable: bool,
    currencies: Vec<&'static str>,
    runs: Vec<RunRow>,
    page: u32,
    prev_url: Option<String>,
    next_url: Option<String>,
}

impl PayoutsPage {
    fn is_currency(&self, code: &str) -> bool {
        self.form.currency.trim().eq_ignore_ascii_case(code)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    page: Option<String>,
}

pub(super) struct Submitted {
    pub form: StartForm,
    pub errors: FormErrors,
    pub nothing_payable: bool,
    /// What the Stripe Connect form answered.
    pub stripe_errors: FormErrors,
}

pub(super) async fn render_list(
    s: &AppState,
    user: &SessionUser,
    page_no: u32,
    submitted: Submitted,
    status: StatusCode,
) -> Result<Response, PageError> {
    let actor = user.actor();
    let window = Page {
        limit: RUNS_PER_PAGE + 1,
        offset: i64::from(page_no - 1) * RUNS_PER_PAGE,
    };
    let mut runs = s.app.payout_runs(&actor, window).await?;
    let has_next = runs.len() as i64 > RUNS_PER_PAGE;
    runs.truncate(RUNS_PER_PAGE as usize);
    let mut rows = Vec::with_capacity(runs.len());
    for run in &runs {
        rows.push(run_row(&s.app.payout_run(&actor, run.id).await?));
    }
    let url = |n: u32| format!("/dashboard/payouts?page={n}");
    Ok(page::render(
        status,
        &PayoutsPage {
            shell: Shell::new(user, "payouts"),
            can_run: user.role.can(Permission::RunPayouts),
            paypal: s.app.paypal_settings(&actor).await?.into(),
            stripe: s.app.stripe_connect_settings(&actor).await?,
            can_connect: user.role.can(Permission::ManageSettings),
            stripe_errors: submitted.stripe_errors,
            form: submitted.form,
            errors: submitted.errors,
            nothing_payable: submitted.nothing_payable,
            currencies: Currency::ALL.iter().map(|c| c.code()).collect(),
            runs: rows,
            page: page_no,
            prev_url: (page_no > 1).then(|| url(page_no - 1)),
            next_url: has_next.then(|| url(page_no + 1)),
        },
    ))
}

pub async fn list(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let submitted = Submitted {
        form: StartForm::default(),
        errors: FormErrors::default(),
        nothing_payable: false,
        stripe_errors: FormErrors::default(),
    };
    render_list(&s, &user, page_number(q.page.as_deref()), submitted, StatusCode::OK).await
}

/// Starts a run and opens it; "nothing is payable" is said as a message, not an error.
pub async fn start(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Form(form): Form<StartForm>,
) -> Result<Response, PageError> {
    let result = match form.to_input() {
        Ok(input) => s.app.start_payout_run(&user.actor(), input).await,
        Err(e) => Err(e),
    };
    let (status, errors, nothing_payable) = match result {
        Ok(detail) => {
            let url = format!("/dashboard/payouts/{}?notice=started", detail.run.id);
            return Ok(Redirect::to(&url).into_response());
        }
        Err(AppError::Conflict {
            code: "nothing_payable",
            ..
        }) => (StatusCode::CONFLICT, FormErrors::default(), true),
        Err(e) => {
            let (status, errors) = FormErrors::from_app(e, &["rail", "currency"])?;
            (status, errors, false)
        }
    };
    let submitted = Submitted {
        form,
        errors,
        nothing_payable,
        stripe_errors: FormErrors::default(),
    };
    render_list(&s, &user, 1, submitted, status).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FileQuery {
    currency: String,
}

/// PayPal's mass-payment file of a run's pending items in one currency, as a download.
pub async fn paypal_file(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Path(id): Path<String>,
    Query(q): Query<FileQuery>,
) -> Result<Response, PageError> {
    let id: PayoutRunId = id.parse().map_err(|_| PageError(AppError::NotFound("payout run")))?;
    let currency = Currency::parse(&q.currency).map_err(|e| PageError(e.into()))?;
    let csv = s.app.paypal_payout_file(&user.actor(), id, currency.code()).await?;
    let disposition = format!("attachment; filename=\"paypal-payout-{id}-{}.csv\"", currency.code());
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        csv,
    )
        .into_response())
}
