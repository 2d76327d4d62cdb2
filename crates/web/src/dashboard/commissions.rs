//! Commissions: the list by status (50 a page), the Deny decision, and the balances per
//! affiliate and currency. Also what the Payouts pages share: affiliate emails, times, page numbers.

use std::collections::HashMap;

use afflux_app::money::DenyCommission;
use afflux_app::{Actor, AppError, SessionUser};
use afflux_domain::{
    AffiliateId, CampaignId, Commission, CommissionId, CommissionKind, CommissionStatus, Currency, Money, Permission,
};
use afflux_store::{AffiliateFilter, Balance, CommissionFilter, Page};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use time::OffsetDateTime;
use time::macros::format_description;

use super::page::{self, PageError, Shell, sentence};
use super::session::{DashboardUser, is_htmx};
use crate::AppState;

/// Commissions a page shows.
const PER_PAGE: i64 = 50;

/// A moment as people read it, and as `<time datetime>` wants it.
pub(super) fn moment(at: OffsetDateTime) -> (String, String) {
    let shown = at.format(format_description!("[year]-[month]-[day] [hour]:[minute] UTC"));
    let iso = at.format(&time::format_description::well_known::Rfc3339);
    (shown.unwrap_or_default(), iso.unwrap_or_default())
}

/// A moment in a table cell: the day shown, the minute on hover, the instant for machines.
pub struct When {
    pub day: String,
    pub full: String,
    pub iso: String,
}

impl When {
    pub(super) fn new(at: OffsetDateTime) -> Self {
        let (full, iso) = moment(at);
        When {
            day: at
                .format(format_description!("[year]-[month]-[day]"))
                .unwrap_or_default(),
            full,
            iso,
        }
    }
}

/// Affiliates' emails by id: one listing of the organization's affiliates.
// TODO(pagination): like the Affiliates page, fine for the first thousands of affiliates.
pub(super) async fn affiliate_emails(s: &AppState, actor: &Actor) -> Result<HashMap<AffiliateId, String>, PageError> {
    let rows = s
        .app
        .list_affiliates(actor, AffiliateFilter::default(), Page::ALL)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.affiliate.id, r.affiliate.email.to_string()))
        .collect())
}

pub(super) fn email_of(emails: &HashMap<AffiliateId, String>, id: AffiliateId) -> String {
    emails.get(&id).cloned().unwrap_or_else(|| "—".into())
}

/// `?page=` as a page number from 1; anything else is the first page.
pub(super) fn page_number(raw: Option<&str>) -> u32 {
    raw.and_then(|p| p.trim().parse().ok()).filter(|p| *p >= 1).unwrap_or(1)
}

/// One commission as a table row.
pub struct RowView {
    id: String,
    email: String,
    program: String,
    kind: CommissionKind,
    status: CommissionStatus,
    amount: String,
    hold_until: When,
    created: When,
    denied_reason: Option<String>,
    in_payout: bool,
    /// Pending or Approved and in no payout.
    deniable: bool,
    /// Why the last Deny of this row was refused (htmx answers only).
    error: Option<String>,
}

fn row_view(c: &Commission, email: String, program: String) -> RowView {
    RowView {
        id: c.id.to_string(),
        email,
        program,
        kind: c.kind,
        status: c.status,
        amount: c.amount.to_string(),
        hold_until: When::new(c.hold_until),
        created: When::new(c.created_at),
        denied_reason: c.denied_reason.clone(),
        in_payout: c.payout_item_id.is_some() && c.status != CommissionStatus::Paid,
        deniable: matches!(c.status, CommissionStatus::Pending | CommissionStatus::Approved)
            && c.payout_item_id.is_none(),
        error: None,
    }
}

/// One affiliate's balance in one currency (its own column), signed amounts that add up to the net.
pub struct BalanceView {
    email: String,
    currency: String,
    earned: String,
    reversed: String,
    clawback: String,
    adjustment: String,
    paid: String,
    net: String,
    /// The net in the organization's home currency, when a rate is loaded.
    net_home: Option<String>,
    owed: bool,
}

fn balance_view(b: &Balance, home: Option<Money>, emails: &HashMap<AffiliateId, String>) -> BalanceView {
    let c = b.currency;
    // The currency has its own column; a sum without one (never written so far) as minor units.
    let amount = |minor: i64| match c {
        Some(c) => Money::new(minor, c).major_string(),
        None => minor.to_string(),
    };
    BalanceView {
        email: b.affiliate_id.map_or_else(|| "—".into(), |id| email_of(emails, id)),
        currency: c.map_or("—", Currency::code).to_owned(),
        earned: amount(b.earned),
        reversed: amount(b.reversed),
        clawback: amount(b.clawback),
        adjustment: amount(b.adjustment),
        paid: amount(b.payout),
        net: amount(b.net()),
        net_home: home.map(|m| m.to_string()),
        owed: b.net() != 0,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    status: Option<String>,
    /// Text, so that a mangled link still shows the page.
    page: Option<String>,
    notice: Option<String>,
}

/// `Pending` … `Denied`, or `all` for anything else.
fn status_filter(raw: Option<&str>) -> Option<CommissionStatus> {
    raw.and_then(|s| CommissionStatus::parse("status", s).ok())
}

fn filter_name(status: Option<CommissionStatus>) -> &'static str {
    status.map_or("all", CommissionStatus::as_str)
}

fn list_url(status: Option<CommissionStatus>, page: u32) -> String {
    format!("/dashboard/commissions?status={}&page={page}", filter_name(status))
}

#[derive(Template)]
#[template(path = "commissions.html")]
struct CommissionsPage {
    shell: Shell,
    /// `all` or a status: the tab shown.
    filter: &'static str,
    statuses: Vec<&'static str>,
    page: u32,
    prev_url: Option<String>,
    next_url: Option<String>,
    rows: Vec<RowView>,
    can_deny: bool,
    notice: Option<&'static str>,
    /// A refused Deny posted without htmx.
    alert: Option<String>,
    balances: Vec<BalanceView>,
    home_currency: &'static str,
}

impl CommissionsPage {
    fn is_filter(&self, status: &str) -> bool {
        self.filter == status
    }
}

async fn render_list(
    s: &AppState,
    user: &SessionUser,
    q: &ListQuery,
    alert: Option<String>,
    status_code: StatusCode,
) -> Result<Response, PageError> {
    let actor = user.actor();
    let status = status_filter(q.status.as_deref());
    let page_no = page_number(q.page.as_deref());
    let filter = CommissionFilter {
        status,
        ..CommissionFilter::default()
    };
    let window = Page {
        limit: PER_PAGE + 1,
        offset: i64::from(page_no - 1) * PER_PAGE,
    };
    let mut commissions = s.app.commissions(&actor, filter, window).await?;
    let has_next = commissions.len() as i64 > PER_PAGE;
    commissions.truncate(PER_PAGE as usize);
    let emails = affiliate_emails(s, &actor).await?;
    let programs: HashMap<CampaignId, String> = s
        .app
        .list_campaigns(&actor, true, Page::ALL)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let rows = commissions
        .iter()
        .map(|c| {
            let program = programs.get(&c.campaign_id).cloned().unwrap_or_else(|| "—".into());
            row_view(c, email_of(&emails, c.affiliate_id), program)
        })
        .collect();
    let balances = s
        .app
        .balances(&actor, None)
        .await?
        .iter()
        .map(|(b, home)| balance_view(b, *home, &emails))
        .collect();
    let notice = match q.notice.as_deref() {
        Some("denied") => Some("The commission is denied: what it earned was reversed."),
        _ => None,
    };
    Ok(page::render(
        status_code,
        &CommissionsPage {
            shell: Shell::new(user, "commissions"),
            filter: filter_name(status),
            statuses: CommissionStatus::ALL.iter().map(|s| s.as_str()).collect(),
            page: page_no,
            prev_url: (page_no > 1).then(|| list_url(status, page_no - 1)),
            next_url: has_next.then(|| list_url(status, page_no + 1)),
            rows,
            can_deny: user.role.can(Permission::ManageAffiliates),
            notice,
            alert,
            balances,
            home_currency: user.org.home_currency.code(),
        },
    ))
}

pub async fn list(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    render_list(&s, &user, &q, None, StatusCode::OK).await
}

#[derive(Template)]
#[template(path = "commissions_row.html")]
struct RowFragment {
    row: RowView,
    filter: &'static str,
    page: u32,
    can_deny: bool,
}

/// The Deny form: the reason, and the tab and page to return to.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DenyForm {
    reason: String,
    status: String,
    page: String,
}

/// A refusal a person can act on, as a sentence; anything else stays an error page.
fn refusal(e: AppError) -> Result<(StatusCode, String), PageError> {
    match e {
        AppError::Validation(v) if v.field == "reason" => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            sentence(&format!("the reason {}", v.message)),
        )),
        AppError::Validation(v) => Ok((StatusCode::UNPROCESSABLE_ENTITY, sentence(&v.message))),
        AppError::Conflict { message, .. } => Ok((StatusCode::CONFLICT, sentence(&message))),
        other => Err(other.into()),
    }
}

/// Denies a commission. htmx gets the updated row (with a refusal written in it, since htmx does
/// not swap error responses); a plain post goes back to the same tab and page, or shows the list
/// again with the refusal.
pub async fn deny(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<DenyForm>,
) -> Result<Response, PageError> {
    let id: CommissionId = id.parse().map_err(|_| PageError(AppError::NotFound("commission")))?;
    let actor = user.actor();
    let input = DenyCommission {
        reason: form.reason.clone(),
    };
    let result = s.app.deny_commission(&actor, id, input).await;
    let status = status_filter(Some(form.status.as_str()));
    let page_no = page_number(Some(form.page.as_str()));
    if !is_htmx(&headers) {
        return match result {
            Ok(_) => Ok(Redirect::to(&format!("{}&notice=denied", list_url(status, page_no))).into_response()),
            Err(e) => {
                let (code, message) = refusal(e)?;
                let q = ListQuery {
                    status: Some(filter_name(status).to_owned()),
                    page: Some(page_no.to_string()),
                    notice: None,
                };
                render_list(
                    &s,
                    &user,
                    &q,
                    Some(format!("The commission was not denied. {message}")),
                    code,
                )
                .await
            }
        };
    }
    let error = match result {
        Ok(_) => None,
        Err(e) => Some(refusal(e)?.1),
    };
    let commission = s.app.commission(&actor, id).await?;
    let email = s.app.affiliate(&actor, commission.affiliate_id).await?.affiliate.email;
    let program = s.app.campaign(&actor, commission.campaign_id).await?.name;
    Ok(page::ok(&RowFragment {
        row: RowView {
            error,
            ..row_view(&commission, email.to_string(), program)
        },
        filter: filter_name(status),
        page: page_no,
        can_deny: user.role.can(Permission::ManageAffiliates),
    }))
}
