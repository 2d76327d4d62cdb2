//! A payout run's page: its items with their actions (mark paid with a reference, mark failed
//! with a reason, retry a failed one) and the PayPal files of its pending items.

use std::collections::BTreeSet;

use afflux_app::money::PayoutRunDetail;
use afflux_app::{AppError, SessionUser};
use afflux_domain::{
    AffiliateId, Currency, PayoutItem, PayoutItemId, PayoutRail, PayoutRunId, PayoutStatus, Permission,
};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::commissions::{When, affiliate_emails, email_of, moment};
use super::page::{self, PageError, Shell, sentence};
use super::payouts::{PaypalView, totals};
use super::session::{DashboardUser, is_htmx};
use crate::AppState;

pub struct ItemRow {
    id: String,
    run_id: String,
    email: String,
    amount: String,
    status: PayoutStatus,
    pending: bool,
    failed: bool,
    reference: Option<String>,
    failure_reason: Option<String>,
    attempts: i32,
    updated: When,
    /// Why the last action on this row was refused (htmx answers only).
    error: Option<String>,
    /// The form to show open again after its refusal: `paid`, `failed` or none.
    open: &'static str,
}

fn item_row(i: &PayoutItem, email: String) -> ItemRow {
    ItemRow {
        id: i.id.to_string(),
        run_id: i.run_id.to_string(),
        email,
        amount: i.amount.to_string(),
        status: i.status,
        pending: i.status == PayoutStatus::Pending,
        failed: i.status == PayoutStatus::Failed,
        reference: i.reference.clone(),
        failure_reason: i.failure_reason.clone(),
        attempts: i.attempts,
        updated: When::new(i.updated_at),
        error: None,
        open: "",
    }
}

/// A PayPal file to download: one per currency among the pending items.
pub struct FileLink {
    currency: &'static str,
    url: String,
}

#[derive(Template)]
#[template(path = "payout_run.html")]
struct RunPage {
    shell: Shell,
    id: String,
    started: String,
    started_iso: String,
    rail: PayoutRail,
    currency: String,
    totals: String,
    items: Vec<ItemRow>,
    files: Vec<FileLink>,
    paypal: PaypalView,
    /// Some item is pending: the file section shows (its links, or why there are none).
    has_pending: bool,
    can_run: bool,
    notice: Option<&'static str>,
    alert: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RunQuery {
    notice: Option<String>,
}

fn not_found() -> PageError {
    PageError(AppError::NotFound("payout run"))
}

fn run_id(raw: &str) -> Result<PayoutRunId, PageError> {
    raw.parse().map_err(|_| not_found())
}

/// The message after a redirect: chosen from a fixed set, never text from the URL.
fn notice(raw: Option<&str>) -> Option<&'static str> {
    Some(match raw? {
        "started" => "The payout run is started. Pay each item, then mark it paid with the payment's reference.",
        "paid" => "The item is marked paid: its commissions are Paid and the ledger records the payout.",
        "failed" => "The item is marked failed. Retry it once the problem is solved.",
        "retried" => "The item is pending again.",
        _ => return None,
    })
}

async fn render_run(
    s: &AppState,
    user: &SessionUser,
    detail: PayoutRunDetail,
    notice: Option<&'static str>,
    alert: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let actor = user.actor();
    let emails = affiliate_emails(s, &actor).await?;
    let run = &detail.run;
    let (started, started_iso) = moment(run.created_at);
    let paypal: PaypalView = s.app.paypal_settings(&actor).await?.into();
    let pending: BTreeSet<Currency> = detail
        .items
        .iter()
        .filter(|i| i.status == PayoutStatus::Pending)
        .map(|i| i.amount.currency)
        .collect();
    let has_pending = !pending.is_empty();
    // With PayPal's API connected the app offers no file: the API sends PayPal runs itself,
    // and a file as well could pay them twice.
    let files = pending
        .into_iter()
        .filter(|_| !paypal.configured)
        .map(|c| FileLink {
            currency: c.code(),
            url: format!("/dashboard/payouts/{}/paypal.csv?currency={}", run.id, c.code()),
        })
        .collect();
    Ok(page::render(
        status,
        &RunPage {
            shell: Shell::new(user, "payouts"),
            id: run.id.to_string(),
            started,
            started_iso,
            rail: run.rail,
            currency: run.currency.map_or("All", Currency::code).to_owned(),
            totals: totals(&detail.items),
            items: detail
                .items
                .iter()
                .map(|i| item_row(i, email_of(&emails, i.affiliate_id)))
                .collect(),
            files,
            has_pending,
            paypal,
            can_run: user.role.can(Permission::RunPayouts),
            notice,
            alert,
        },
    ))
}

pub async fn show(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Path(id): Path<String>,
    Query(q): Query<RunQuery>,
) -> Result<Response, PageError> {
    let detail = s.app.payout_run(&user.actor(), run_id(&id)?).await?;
    render_run(&s, &user, detail, notice(q.notice.as_deref()), None, StatusCode::OK).await
}

#[derive(Template)]
#[template(path = "payout_item_row.html")]
struct ItemFragment {
    row: ItemRow,
    can_run: bool,
}

/// The item forms: a reference to mark paid, a reason to mark failed; retry takes neither.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ItemForm {
    reference: String,
    reason: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    Paid,
    Failed,
    Retry,
}

pub async fn mark_paid(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Path(ids): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<ItemForm>,
) -> Result<Response, PageError> {
    act(&s, &user, ids, &headers, form, Action::Paid).await
}

pub async fn mark_failed(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Path(ids): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<ItemForm>,
) -> Result<Response, PageError> {
    act(&s, &user, ids, &headers, form, Action::Failed).await
}

pub async fn retry(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Path(ids): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<ItemForm>,
) -> Result<Response, PageError> {
    act(&s, &user, ids, &headers, form, Action::Retry).await
}

/// Applies an item action, the item looked up in its run first (another organization's run, or
/// an item of another run, is not found). htmx gets the updated row with any refusal written in
/// it; a plain post goes back to the run, or shows it again with the refusal.
async fn act(
    s: &AppState,
    user: &SessionUser,
    (run, item): (String, String),
    headers: &HeaderMap,
    form: ItemForm,
    action: Action,
) -> Result<Response, PageError> {
    let actor = user.actor();
    let run = run_id(&run)?;
    let item: PayoutItemId = item.parse().map_err(|_| not_found())?;
    let detail = s.app.payout_run(&actor, run).await?;
    let affiliate: AffiliateId = detail
        .items
        .iter()
        .find(|i| i.id == item)
        .ok_or_else(not_found)?
        .affiliate_id;
    let (result, done) = match action {
        Action::Paid => (s.app.mark_payout_paid(&actor, item, &form.reference).await, "paid"),
        Action::Failed => (s.app.mark_payout_failed(&actor, item, &form.reason).await, "failed"),
        Action::Retry => (s.app.retry_payout_item(&actor, item).await, "retried"),
    };
    let refusal = match result {
        Ok(_) => None,
        Err(AppError::Validation(v)) => Some((
            StatusCode::UNPROCESSABLE_ENTITY,
            sentence(&format!("the {} {}", v.field, v.message)),
        )),
        Err(AppError::Conflict { message, .. }) => Some((StatusCode::CONFLICT, sentence(&message))),
        Err(e) => return Err(e.into()),
    };
    if !is_htmx(headers) {
        let Some((status, message)) = refusal else {
            let url = format!("/dashboard/payouts/{run}?notice={done}#item-{item}");
            return Ok(Redirect::to(&url).into_response());
        };
        let detail = s.app.payout_run(&actor, run).await?;
        return render_run(s, user, detail, None, Some(message), status).await;
    }
    let detail = s.app.payout_run(&actor, run).await?;
    let after = detail.items.iter().find(|i| i.id == item).ok_or_else(not_found)?;
    let email = s.app.affiliate(&actor, affiliate).await?.affiliate.email.to_string();
    Ok(page::ok(&ItemFragment {
        row: ItemRow {
            // The refused form opens again (retry has none).
            open: if refusal.is_some() && action != Action::Retry {
                done
            } else {
                ""
            },
            error: refusal.map(|(_, m)| m),
            ..item_row(after, email)
        },
        can_run: user.role.can(Permission::RunPayouts),
    }))
}
