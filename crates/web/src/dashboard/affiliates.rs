//! Affiliates: the list with its All and Pending tabs, and the approve and reject decisions.

use std::collections::HashMap;

use super::commissions::page_number;
use afflux_app::{AppError, SessionUser, StatusChange};
use afflux_domain::{Affiliate, AffiliateStatus, CampaignId, Membership, Permission, StatusAction};
use afflux_store::{AffiliateFilter, Page};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use time::macros::format_description;

use super::page::{self, PageError, Shell, sentence};
use super::session::{DashboardUser, is_htmx};
use crate::AppState;

/// One membership as a table row.
struct RowView {
    membership_id: String,
    affiliate_id: String,
    program_id: String,
    name: String,
    email: String,
    slug: String,
    campaign: String,
    status: AffiliateStatus,
    pending: bool,
    reason: Option<String>,
    applied: String,
    /// Why the last decision on this row was refused (htmx answers only).
    error: Option<String>,
}

fn row_view(a: &Affiliate, m: &Membership, campaign: &str) -> RowView {
    let applied = m
        .created_at
        .format(format_description!("[year]-[month]-[day]"))
        .unwrap_or_default();
    RowView {
        membership_id: m.id.to_string(),
        affiliate_id: a.id.to_string(),
        program_id: m.campaign_id.to_string(),
        name: a.name.clone().unwrap_or_else(|| "—".into()),
        email: a.email.to_string(),
        slug: a.slug.to_string(),
        campaign: campaign.to_owned(),
        status: m.status,
        pending: m.status == AffiliateStatus::Pending,
        reason: m.status_reason.clone(),
        applied,
        error: None,
    }
}

/// `?tab=pending`, or anything else for All.
fn tab(raw: Option<&str>) -> &'static str {
    if raw == Some("pending") { "pending" } else { "all" }
}

#[derive(Deserialize)]
pub struct ListQuery {
    tab: Option<String>,
    /// Text, so that a mangled link still shows the page.
    page: Option<String>,
}

/// Memberships a page shows: an organization may hold hundreds of thousands after an import.
const PER_PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "affiliates.html")]
struct AffiliatesPage {
    shell: Shell,
    tab: &'static str,
    rows: Vec<RowView>,
    pending_count: i64,
    page: u32,
    prev_url: Option<String>,
    next_url: Option<String>,
    can_manage: bool,
    /// Owners and Admins may view an affiliate's portal.
    can_preview: bool,
}

pub async fn list(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let actor = user.actor();
    let tab = tab(q.tab.as_deref());
    let status = (tab == "pending").then_some(AffiliateStatus::Pending);
    let page_no = page_number(q.page.as_deref());
    let window = Page {
        limit: PER_PAGE + 1,
        offset: i64::from(page_no - 1) * PER_PAGE,
    };
    let mut rows = s
        .app
        .list_affiliates(
            &actor,
            AffiliateFilter {
                status,
                ..Default::default()
            },
            window,
        )
        .await?;
    let has_next = rows.len() as i64 > PER_PAGE;
    rows.truncate(PER_PAGE as usize);
    let pending = AffiliateFilter {
        status: Some(AffiliateStatus::Pending),
        ..Default::default()
    };
    let pending_count = s.app.count_affiliates(&actor, pending).await?;
    let campaigns: HashMap<CampaignId, String> = s
        .app
        .list_campaigns(&actor, true, Page::ALL)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let rows: Vec<RowView> = rows
        .iter()
        .map(|r| {
            row_view(
                &r.affiliate,
                &r.membership,
                campaigns.get(&r.membership.campaign_id).map_or("—", String::as_str),
            )
        })
        .collect();
    Ok(page::ok(&AffiliatesPage {
        shell: Shell::new(&user, "affiliates"),
        tab,
        pending_count,
        rows,
        page: page_no,
        prev_url: (page_no > 1).then(|| list_url(tab, page_no - 1)),
        next_url: has_next.then(|| list_url(tab, page_no + 1)),
        can_manage: user.role.can(Permission::ManageAffiliates),
        can_preview: user.role.can(Permission::ManageSettings),
    }))
}

fn list_url(tab: &str, page: u32) -> String {
    format!("/dashboard/affiliates?tab={tab}&page={page}")
}

#[derive(Template)]
#[template(path = "affiliate_row.html")]
struct RowFragment {
    row: RowView,
    tab: &'static str,
    can_manage: bool,
    can_preview: bool,
}

/// A decision form: which campaign membership, which tab to return to, and for rejections a
/// reason and whether to email it.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DecisionForm {
    program_id: String,
    tab: String,
    reason: String,
    notify: Option<String>,
}

pub async fn approve(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<DecisionForm>,
) -> Result<Response, PageError> {
    decide(&s, &user, &id, &headers, form, StatusAction::Approve).await
}

pub async fn reject(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<DecisionForm>,
) -> Result<Response, PageError> {
    decide(&s, &user, &id, &headers, form, StatusAction::Reject).await
}

/// Applies the decision. htmx gets the updated row (with the refusal written in it, since htmx
/// does not swap error responses); a plain form post is redirected back to the list.
async fn decide(
    s: &AppState,
    user: &SessionUser,
    id: &str,
    headers: &HeaderMap,
    form: DecisionForm,
    action: StatusAction,
) -> Result<Response, PageError> {
    let not_found = || PageError(AppError::NotFound("affiliate"));
    let affiliate_id = id.parse().map_err(|_| not_found())?;
    let program_id: CampaignId = form.program_id.parse().map_err(|_| not_found())?;
    let rejecting = action == StatusAction::Reject;
    let change = StatusChange {
        program_id: Some(program_id),
        reason: Some(form.reason.trim().to_owned()).filter(|r| rejecting && !r.is_empty()),
        notify: Some(!rejecting || form.notify.is_some()),
    };
    let actor = user.actor();
    let result = s
        .app
        .change_affiliate_status(&actor, affiliate_id, action, change)
        .await;
    let tab = tab(Some(form.tab.as_str()));
    if !is_htmx(headers) {
        result?;
        return Ok(Redirect::to(&format!("/dashboard/affiliates?tab={tab}")).into_response());
    }
    let error = match result {
        Ok(_) => None,
        Err(AppError::Validation(v)) => Some(sentence(&v.message)),
        Err(AppError::Conflict { message, .. }) => Some(sentence(&message)),
        Err(e) => return Err(e.into()),
    };
    let detail = s.app.affiliate(&actor, affiliate_id).await?;
    let membership = detail
        .memberships
        .iter()
        .find(|m| m.campaign_id == program_id)
        .ok_or_else(not_found)?;
    let campaign = s.app.campaign(&actor, program_id).await?;
    let row = RowView {
        error,
        ..row_view(&detail.affiliate, membership, &campaign.name)
    };
    Ok(page::ok(&RowFragment {
        row,
        tab,
        can_manage: user.role.can(Permission::ManageAffiliates),
        can_preview: user.role.can(Permission::ManageSettings),
    }))
}

/// "View as affiliate": the affiliate's portal home as they see it, read-only (Owner, Admin).
pub async fn portal_preview(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = id.parse().map_err(|_| PageError(AppError::NotFound("affiliate")))?;
    let home = s.app.portal_preview(&user.actor(), id).await?;
    Ok(page::ok(&crate::portal::PreviewPage::new(home)))
}
