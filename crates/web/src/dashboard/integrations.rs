//! Integrations: connect a CRM or email tool with a live test call, choose where affiliates land
//! (the destination from the vendor's live picker, tags, per-program overrides), and watch and
//! retry the syncs. Owners and Admins manage; everyone else sees how the syncs stand.

use std::collections::HashMap;

use afflux_app::{AppError, IntegrationSummary, SessionUser};
use afflux_domain::{AffiliateId, Campaign, CampaignId, CrmVendor, IntegrationId, Permission, SyncStatus};
use afflux_store::{CrmSyncFilter, CrmSyncRow, Page};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use time::OffsetDateTime;
use time::macros::format_description;

use super::integration_forms::{
    ConnectForm, Connected, FieldView, OverrideForm, PickerView, ProgramView, RetryForm, SETTINGS_FIELDS, SettingsForm,
    Submitted, capitalized, connect_fields, destination_noun, join_tags, program_views, slug,
};
use super::page::{self, FormErrors, PageError, Shell, sentence};
use super::session::{DashboardUser, is_htmx};
use crate::AppState;

/// The sync table shows the most recently updated syncs only.
const SYNC_ROWS: i64 = 100;

pub struct CountView {
    label: &'static str,
    css: String,
    count: i64,
}

pub struct SyncRowView {
    integration_id: String,
    affiliate_id: String,
    email: String,
    name: Option<String>,
    status: SyncStatus,
    attempts: i32,
    last_error: Option<String>,
    updated: String,
    updated_iso: String,
    /// Why "Retry now" was refused (htmx answers only).
    error: Option<String>,
}

pub struct ConnectedView {
    id: String,
    hint: String,
    connected_on: String,
    noun: &'static str,
    /// The noun as a label: "Tag", "Audience" …
    noun_label: String,
    counts: Vec<CountView>,
    destination: Option<String>,
    picker: PickerView,
    system_tag: String,
    default_tags: String,
    sync_on_import: bool,
    settings_errors: FormErrors,
    programs: Vec<ProgramView>,
    syncs: Vec<SyncRowView>,
}

pub struct VendorCard {
    slug: String,
    vendor: &'static str,
    name: &'static str,
    fields: Vec<FieldView>,
    errors: FormErrors,
    /// The connect form was just refused: a connected card opens its "Replace" panel.
    refused: bool,
    connected: Option<ConnectedView>,
}

#[derive(Template)]
#[template(path = "integrations.html")]
struct IntegrationsPage {
    shell: Shell,
    can_manage: bool,
    can_retry: bool,
    /// `all` or a sync status: the sync tables' filter.
    status_filter: String,
    statuses: Vec<&'static str>,
    notice: Option<String>,
    cards: Vec<VendorCard>,
}

impl IntegrationsPage {
    fn is_filter(&self, status: &str) -> bool {
        self.status_filter == status
    }

    fn connected(&self) -> impl Iterator<Item = &VendorCard> {
        self.cards.iter().filter(|c| c.connected.is_some())
    }

    fn available(&self) -> impl Iterator<Item = &VendorCard> {
        self.cards.iter().filter(|c| c.connected.is_none())
    }
}

fn date(at: OffsetDateTime) -> String {
    at.format(format_description!("[year]-[month]-[day]"))
        .unwrap_or_default()
}

fn moment(at: OffsetDateTime) -> (String, String) {
    let shown = at.format(format_description!("[year]-[month]-[day] [hour]:[minute] UTC"));
    let iso = at.format(&time::format_description::well_known::Rfc3339);
    (shown.unwrap_or_default(), iso.unwrap_or_default())
}

fn sync_row(r: CrmSyncRow) -> SyncRowView {
    let (updated, updated_iso) = moment(r.sync.updated_at);
    SyncRowView {
        integration_id: r.sync.integration_id.to_string(),
        affiliate_id: r.sync.affiliate_id.to_string(),
        email: r.email,
        name: r.name,
        status: r.sync.status,
        attempts: r.sync.attempts,
        last_error: r.sync.last_error,
        updated,
        updated_iso,
        error: None,
    }
}

fn connected_view(
    summary: &IntegrationSummary,
    campaigns: &[Campaign],
    syncs: Vec<CrmSyncRow>,
    submitted: &mut Submitted,
) -> ConnectedView {
    let i = &summary.integration;
    let c = Connected {
        id: i.id,
        vendor: i.vendor,
        noun: destination_noun(i.vendor),
    };
    let settings = &i.settings;
    let (system_tag, default_tags, sync_on_import, settings_errors) = match submitted {
        Submitted::Settings { id, form, errors } if *id == i.id => (
            form.system_tag.clone(),
            form.default_tags.clone(),
            form.sync_on_import.is_some(),
            std::mem::take(errors),
        ),
        _ => (
            settings.system_tag.clone(),
            join_tags(&settings.default_tags),
            settings.sync_on_import,
            FormErrors::default(),
        ),
    };
    let programs = program_views(&c, settings, campaigns, submitted);
    ConnectedView {
        id: i.id.to_string(),
        hint: i.credential_hint.clone(),
        connected_on: date(i.created_at),
        noun: c.noun,
        noun_label: capitalized(c.noun),
        counts: SyncStatus::ALL
            .iter()
            .map(|s| CountView {
                label: s.as_str(),
                css: s.as_str().to_ascii_lowercase(),
                count: summary.counts.get(s).copied().unwrap_or(0),
            })
            .collect(),
        destination: settings.destination.as_ref().map(|d| d.name.clone()),
        picker: PickerView::new(&c, None, settings.destination.as_ref()),
        system_tag,
        default_tags,
        sync_on_import,
        settings_errors,
        programs,
        syncs: syncs.into_iter().map(sync_row).collect(),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    status: Option<String>,
    notice: Option<String>,
    vendor: Option<String>,
    /// Text, so that a mangled link still shows the page.
    count: Option<String>,
}

fn status_filter(raw: Option<&str>) -> Option<SyncStatus> {
    raw.and_then(|s| SyncStatus::parse("status", s).ok())
}

/// The message after a redirect: chosen from a fixed set, never text from the URL.
fn notice(q: &ListQuery) -> Option<String> {
    let vendor = q
        .vendor
        .as_deref()
        .and_then(|v| CrmVendor::parse("vendor", v).ok())
        .map_or("The integration", CrmVendor::display_name);
    let count: usize = q.count.as_deref().and_then(|c| c.parse().ok()).unwrap_or(0);
    Some(match q.notice.as_deref()? {
        "connected" => format!(
            "{vendor} is connected. Affiliates approved from now on are synced; choose where they land below, \
             and use “Resync all approved affiliates” for those approved before."
        ),
        "saved" => format!("{vendor} settings saved."),
        "override-saved" => "The program's override is saved.".to_owned(),
        "override-cleared" => "The program's override is cleared: it uses the integration's settings.".to_owned(),
        "resynced" if count == 1 => "A sync of 1 approved affiliate was requested.".to_owned(),
        "resynced" => format!("Syncs of {count} approved affiliates were requested."),
        "retried" => "A new attempt was requested.".to_owned(),
        "disconnected" => format!("{vendor} is disconnected: its credentials and sync states were deleted."),
        _ => return None,
    })
}

async fn render_page(
    s: &AppState,
    user: &SessionUser,
    q: &ListQuery,
    mut submitted: Submitted,
    status: StatusCode,
) -> Result<Response, PageError> {
    let actor = user.actor();
    let filter = status_filter(q.status.as_deref());
    let summaries = s.app.integrations(&actor).await?;
    let campaigns = if summaries.is_empty() {
        Vec::new()
    } else {
        s.app.list_campaigns(&actor, true, Page::ALL).await?
    };
    let mut by_vendor: HashMap<CrmVendor, ConnectedView> = HashMap::new();
    for summary in &summaries {
        let sync_filter = CrmSyncFilter {
            integration_id: Some(summary.integration.id),
            affiliate_id: None,
            status: filter,
        };
        let rows = s
            .app
            .crm_syncs(
                &actor,
                sync_filter,
                Page {
                    limit: SYNC_ROWS,
                    offset: 0,
                },
            )
            .await?;
        let view = connected_view(summary, &campaigns, rows, &mut submitted);
        by_vendor.insert(summary.integration.vendor, view);
    }
    let cards = CrmVendor::ALL
        .iter()
        .map(|&vendor| {
            let (form, errors) = match &mut submitted {
                Submitted::Connect {
                    vendor: v,
                    form,
                    errors,
                } if *v == vendor => (Some(&*form), std::mem::take(errors)),
                _ => (None, FormErrors::default()),
            };
            VendorCard {
                slug: slug(vendor),
                vendor: vendor.as_str(),
                name: vendor.display_name(),
                fields: connect_fields(vendor, form, &errors),
                errors,
                refused: form.is_some(),
                connected: by_vendor.remove(&vendor),
            }
        })
        .collect();
    Ok(page::render(
        status,
        &IntegrationsPage {
            shell: Shell::new(user, "integrations"),
            can_manage: user.role.can(Permission::ManageSettings),
            can_retry: user.role.can(Permission::ManageAffiliates),
            status_filter: filter.map_or_else(|| "all".to_owned(), |s| s.as_str().to_owned()),
            statuses: SyncStatus::ALL.iter().map(|s| s.as_str()).collect(),
            notice: notice(q),
            cards,
        },
    ))
}

pub async fn list(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    render_page(&s, &user, &q, Submitted::Nothing, StatusCode::OK).await
}

/// Back to the page after a successful post, with its message and at the vendor's card.
fn back(notice: &str, vendor: CrmVendor, extra: &str) -> Response {
    let url = format!(
        "/dashboard/integrations?notice={notice}&vendor={}{extra}#vendor-{}",
        vendor.as_str(),
        slug(vendor)
    );
    Redirect::to(&url).into_response()
}

fn not_found() -> PageError {
    PageError(AppError::NotFound("integration"))
}

fn integration_id(raw: &str) -> Result<IntegrationId, PageError> {
    raw.parse().map_err(|_| not_found())
}

pub async fn connect(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Form(form): Form<ConnectForm>,
) -> Result<Response, PageError> {
    let vendor = CrmVendor::parse("vendor", &form.vendor).map_err(|e| PageError(e.into()))?;
    match s.app.connect_integration(&user.actor(), form.to_input()).await {
        Ok(_) => Ok(back("connected", vendor, "")),
        Err(e) => {
            let keys: Vec<&str> = vendor.credential_fields().iter().map(|f| f.key()).collect();
            let (status, errors) = FormErrors::from_app(e, &keys)?;
            let submitted = Submitted::Connect { vendor, form, errors };
            render_page(&s, &user, &ListQuery::default(), submitted, status).await
        }
    }
}

pub async fn settings(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Path(id): Path<String>,
    Form(form): Form<SettingsForm>,
) -> Result<Response, PageError> {
    let actor = user.actor();
    let id = integration_id(&id)?;
    let vendor = s.app.integration(&actor, id).await?.integration.vendor;
    let result = match form.to_patch() {
        Ok(patch) => s.app.update_integration(&actor, id, patch).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => Ok(back("saved", vendor, "")),
        Err(e) => {
            let (status, errors) = FormErrors::from_app(e, SETTINGS_FIELDS)?;
            let submitted = Submitted::Settings { id, form, errors };
            render_page(&s, &user, &ListQuery::default(), submitted, status).await
        }
    }
}

pub async fn program_override(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Path((id, program)): Path<(String, String)>,
    Form(form): Form<OverrideForm>,
) -> Result<Response, PageError> {
    let actor = user.actor();
    let id = integration_id(&id)?;
    let campaign: CampaignId = program.parse().map_err(|_| PageError(AppError::NotFound("program")))?;
    let vendor = s.app.integration(&actor, id).await?.integration.vendor;
    if form.clearing() {
        return match s.app.set_integration_override(&actor, id, campaign, None).await {
            // Already cleared (a second click, another tab): the outcome asked for.
            Ok(_) | Err(AppError::NotFound("program override")) => Ok(back("override-cleared", vendor, "")),
            Err(e) => Err(e.into()),
        };
    }
    let result = match form.to_input() {
        Ok(input) => s.app.set_integration_override(&actor, id, campaign, Some(input)).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => Ok(back("override-saved", vendor, "")),
        Err(e) => {
            let (status, errors) = FormErrors::from_app(e, &["destination", "tags"])?;
            let submitted = Submitted::Override {
                id,
                program: campaign.to_string(),
                form,
                errors,
            };
            render_page(&s, &user, &ListQuery::default(), submitted, status).await
        }
    }
}

#[derive(Template)]
#[template(path = "integrations_picker.html")]
struct PickerFragment {
    picker: PickerView,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PickerQuery {
    program: Option<String>,
}

/// The live picker as a fragment for htmx: the vendor's list, or its error with the saved
/// choice kept (htmx swaps 200 answers only, so a vendor's refusal is a 200 too).
pub async fn destinations(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Path(id): Path<String>,
    Query(q): Query<PickerQuery>,
) -> Result<Response, PageError> {
    let actor = user.actor();
    let id = integration_id(&id)?;
    let summary = s.app.integration(&actor, id).await?;
    let i = &summary.integration;
    let program: Option<CampaignId> = match q.program.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => Some(p.parse().map_err(|_| PageError(AppError::NotFound("program")))?),
        None => None,
    };
    let current = match program {
        Some(p) => i
            .settings
            .campaign_overrides
            .get(&p)
            .and_then(|o| o.destination.as_ref()),
        None => i.settings.destination.as_ref(),
    };
    let live = match s.app.integration_destinations(&actor, id).await {
        Ok(list) => Ok(list),
        Err(AppError::Integration(e)) => Err(sentence(&e.to_string())),
        Err(e) => return Err(e.into()),
    };
    let c = Connected {
        id,
        vendor: i.vendor,
        noun: destination_noun(i.vendor),
    };
    let picker = PickerView::new(&c, program, current).answered(live, current);
    Ok(page::ok(&PickerFragment { picker }))
}

pub async fn resync(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let actor = user.actor();
    let id = integration_id(&id)?;
    let vendor = s.app.integration(&actor, id).await?.integration.vendor;
    let requested = s.app.resync_integration(&actor, id).await?;
    Ok(back("resynced", vendor, &format!("&count={requested}")))
}

pub async fn remove(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let actor = user.actor();
    let id = integration_id(&id)?;
    let vendor = s.app.integration(&actor, id).await?.integration.vendor;
    s.app.remove_integration(&actor, id).await?;
    let url = format!("/dashboard/integrations?notice=disconnected&vendor={}", vendor.as_str());
    Ok(Redirect::to(&url).into_response())
}

#[derive(Template)]
#[template(path = "integrations_sync_row.html")]
struct SyncRowFragment {
    row: SyncRowView,
    can_retry: bool,
    status_filter: String,
}

/// "Retry now". htmx gets the updated row (a refusal written in it); a plain post goes back to
/// the page with the same status filter.
pub async fn retry(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Path((id, affiliate)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<RetryForm>,
) -> Result<Response, PageError> {
    let actor = user.actor();
    let id = integration_id(&id)?;
    let affiliate: AffiliateId = affiliate.parse().map_err(|_| PageError(AppError::NotFound("sync")))?;
    let vendor = s.app.integration(&actor, id).await?.integration.vendor;
    let result = s.app.retry_crm_sync(&actor, id, affiliate).await;
    let status_filter = status_filter(Some(form.status.as_str())).map_or("all", SyncStatus::as_str);
    if !is_htmx(&headers) {
        result?;
        let extra = if status_filter == "all" {
            String::new()
        } else {
            format!("&status={status_filter}")
        };
        return Ok(back("retried", vendor, &extra));
    }
    let error = match result {
        Ok(_) => None,
        Err(AppError::Validation(v)) => Some(sentence(&v.message)),
        Err(AppError::Conflict { message, .. }) => Some(sentence(&message)),
        Err(e) => return Err(e.into()),
    };
    let filter = CrmSyncFilter {
        integration_id: Some(id),
        affiliate_id: Some(affiliate),
        status: None,
    };
    let row = s.app.crm_syncs(&actor, filter, Page { limit: 1, offset: 0 }).await?;
    let row = row.into_iter().next().ok_or(PageError(AppError::NotFound("sync")))?;
    Ok(page::ok(&SyncRowFragment {
        row: SyncRowView { error, ..sync_row(row) },
        can_retry: user.role.can(Permission::ManageAffiliates),
        status_filter: status_filter.to_owned(),
    }))
}
