//! Settings → Import: upload another platform's roster (step 1) or commission history (step 2),
//! see a dry-run preview, then import it; the import history with its counts, notification
//! counters and skipped rows; revert; and a sample of the claim email sent to yourself.
//!
//! A previewed file is kept in this process's memory for a few minutes under a random token, so
//! "Import" does not ask for the file again; behind a load balancer without sticky sessions the
//! confirmation may land on another node and asks for the upload again.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use afflux_app::imports::{HistoryInput, HistoryPreview, ImportDetail, RosterInput, RosterPreview};
use afflux_app::{AppError, SessionUser};
use afflux_domain::{Import, ImportId, OrgId, Permission};
use afflux_importers::ColumnMapping;
use askama::Template;
use axum::Form;
use axum::extract::multipart::Multipart;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::page::{self, FormErrors, PageError, Shell};
use super::session::DashboardUser;
use crate::AppState;

/// Largest file the dashboard takes (the CLI streams any size).
pub const UPLOAD_LIMIT: usize = 50 * 1024 * 1024;
const KEEP_FOR: Duration = Duration::from_secs(15 * 60);
const FIELDS: &[&str] = &["file", "campaign", "source", "mapping", "note"];

/// Uploads awaiting their "Import" click: token → (organization, form, bytes, when).
type Pending = HashMap<String, (OrgId, UploadForm, Arc<Vec<u8>>, Instant)>;
static PENDING: LazyLock<Mutex<Pending>> = LazyLock::new(|| Mutex::new(HashMap::new()));

#[derive(Debug, Clone, Default)]
pub struct UploadForm {
    step: String,
    source: String,
    campaign: String,
    map_email: String,
    map_name: String,
    map_status: String,
    map_slug: String,
    map_paypal: String,
    notify: bool,
    note: String,
    confirm_unpaid_payout: bool,
}

impl UploadForm {
    fn mapping(&self) -> Option<ColumnMapping> {
        let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        (self.source == "custom").then(|| ColumnMapping {
            email: self.map_email.trim().to_owned(),
            name: opt(&self.map_name),
            status: opt(&self.map_status),
            slug: opt(&self.map_slug),
            paypal_email: opt(&self.map_paypal),
            ..ColumnMapping::default()
        })
    }

    fn roster(&self) -> RosterInput {
        RosterInput {
            source: self.source.clone(),
            campaign: self.campaign.clone(),
            mapping: self.mapping(),
            note_html: self.notify.then(|| self.note.clone()),
            status_filter: None,
        }
    }

    fn history(&self) -> HistoryInput {
        HistoryInput {
            source: self.source.clone(),
            campaign: self.campaign.clone(),
            confirm_unpaid_payout: self.confirm_unpaid_payout,
        }
    }
}

struct CampaignOption {
    id: String,
    name: String,
}

struct Row {
    id: String,
    kind: &'static str,
    source: String,
    status: String,
    created: String,
    imported: i64,
    skipped: i64,
    notify: Option<String>,
}

fn row(i: &Import) -> Row {
    Row {
        id: i.id.to_string(),
        kind: if i.kind == afflux_domain::ImportKind::Roster {
            "Roster"
        } else {
            "History"
        },
        source: i.source.clone(),
        status: i.status.to_string(),
        created: i.created_at.date().to_string(),
        imported: i.rows_imported,
        skipped: i.rows_skipped,
        notify: i
            .notify
            .then(|| format!("{} sent · {} failed", i.notify_sent, i.notify_failed)),
    }
}

enum Preview {
    None,
    Roster(RosterPreview),
    History(HistoryPreview),
}

#[derive(Template)]
#[template(path = "imports.html")]
struct ImportsPage {
    shell: Shell,
    campaigns: Vec<CampaignOption>,
    imports: Vec<Row>,
    form: UploadForm,
    errors: FormErrors,
    preview: Preview,
    token: String,
    can_manage: bool,
    notice: Option<String>,
}

fn money(map: &std::collections::BTreeMap<String, i64>) -> String {
    if map.is_empty() {
        return "nothing".into();
    }
    map.iter()
        .map(|(currency, minor)| match afflux_domain::Currency::parse(currency) {
            Ok(c) => format!("{} {currency}", afflux_domain::Money::new(*minor, c).major_string()),
            Err(_) => format!("{minor} {currency}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn reasons(map: &std::collections::BTreeMap<String, i64>) -> String {
    if map.is_empty() {
        return "none".into();
    }
    map.iter()
        .map(|(r, n)| format!("{r}: {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the page shows besides the history: the form as sent, its errors, a preview.
struct Shown {
    form: UploadForm,
    errors: FormErrors,
    preview: Preview,
    token: String,
    notice: Option<String>,
}

impl Shown {
    fn form(form: UploadForm) -> Self {
        Shown {
            form,
            errors: FormErrors::default(),
            preview: Preview::None,
            token: String::new(),
            notice: None,
        }
    }
}

async fn render(s: &AppState, user: &SessionUser, status: StatusCode, shown: Shown) -> Result<Response, PageError> {
    let Shown {
        form,
        errors,
        preview,
        token,
        notice,
    } = shown;
    let actor = user.actor();
    let campaigns = s
        .app
        .list_campaigns(&actor, false, afflux_store::Page::ALL)
        .await?
        .into_iter()
        .map(|c| CampaignOption {
            id: c.id.to_string(),
            name: c.name,
        })
        .collect();
    let imports = s
        .app
        .list_imports(&actor, afflux_store::Page { limit: 50, offset: 0 })
        .await?
        .iter()
        .map(row)
        .collect();
    Ok(page::render(
        status,
        &ImportsPage {
            shell: Shell::new(user, "settings"),
            campaigns,
            imports,
            form,
            errors,
            preview,
            token,
            can_manage: user.role.can(Permission::ManageAffiliates),
            notice,
        },
    ))
}

pub async fn show(State(s): State<AppState>, DashboardUser(user): DashboardUser) -> Result<Response, PageError> {
    let form = UploadForm {
        step: "roster".into(),
        source: "rewardful".into(),
        ..UploadForm::default()
    };
    render(&s, &user, StatusCode::OK, Shown::form(form)).await
}

async fn read(mut multipart: Multipart) -> Result<(UploadForm, Vec<u8>, String, String), AppError> {
    let mut form = UploadForm::default();
    let (mut bytes, mut action, mut token) = (vec![], String::new(), String::new());
    let bad = |_| {
        AppError::Validation(afflux_domain::ValidationError::new(
            "file",
            "the upload could not be read (at most 50 MiB)",
        ))
    };
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            bytes = field.bytes().await.map_err(bad)?.to_vec();
            continue;
        }
        let value = field.text().await.map_err(bad)?;
        match name.as_str() {
            "step" => form.step = value,
            "source" => form.source = value,
            "campaign" => form.campaign = value,
            "map_email" => form.map_email = value,
            "map_name" => form.map_name = value,
            "map_status" => form.map_status = value,
            "map_slug" => form.map_slug = value,
            "map_paypal" => form.map_paypal = value,
            "notify" => form.notify = value == "on",
            "note" => form.note = value,
            "confirm_unpaid_payout" => form.confirm_unpaid_payout = value == "on",
            "action" => action = value,
            "token" => token = value,
            _ => {}
        }
    }
    Ok((form, bytes, action, token))
}

fn reader(bytes: Arc<Vec<u8>>) -> afflux_app::imports::ImportFile {
    struct Shared(Arc<Vec<u8>>, usize);
    impl std::io::Read for Shared {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let rest = &self.0[self.1..];
            let n = rest.len().min(buf.len());
            buf[..n].copy_from_slice(&rest[..n]);
            self.1 += n;
            Ok(n)
        }
    }
    Box::new(Shared(bytes, 0))
}

/// Preview (keeps the file) or import (the kept file, or the one just uploaded).
pub async fn upload(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let actor = user.actor();
    let fail = |form: UploadForm, e: AppError| async {
        let (status, errors) = FormErrors::from_app(e, FIELDS)?;
        render(
            &s,
            &user,
            status,
            Shown {
                errors,
                ..Shown::form(form)
            },
        )
        .await
    };
    let (mut form, bytes, action, token) = match read(multipart).await {
        Ok(read) => read,
        Err(e) => return fail(UploadForm::default(), e).await,
    };
    let bytes = if bytes.is_empty() && !token.is_empty() {
        let kept = {
            let mut pending = PENDING.lock().expect("pending uploads");
            pending.retain(|_, (_, _, _, at)| at.elapsed() < KEEP_FOR);
            pending.remove(&token)
        };
        match kept {
            Some((org, kept, bytes, _)) if org == actor.org_id => {
                form = kept;
                bytes
            }
            _ => {
                let e = AppError::Validation(afflux_domain::ValidationError::new(
                    "file",
                    "the previewed file is no longer here; choose it again",
                ));
                return fail(form, e).await;
            }
        }
    } else if bytes.is_empty() {
        let e = AppError::Validation(afflux_domain::ValidationError::new("file", "choose a CSV file"));
        return fail(form, e).await;
    } else {
        Arc::new(bytes)
    };
    let history = form.step == "history";
    if action == "preview" {
        let preview = if history {
            s.app
                .preview_history_file(&actor, form.history(), reader(bytes.clone()))
                .await
                .map(Preview::History)
        } else {
            s.app
                .preview_roster_file(&actor, form.roster(), reader(bytes.clone()))
                .await
                .map(Preview::Roster)
        };
        return match preview {
            Ok(preview) => {
                let token = format!("{}{}", afflux_domain::Slug::generate(), afflux_domain::Slug::generate());
                PENDING
                    .lock()
                    .expect("pending uploads")
                    .insert(token.clone(), (actor.org_id, form.clone(), bytes, Instant::now()));
                render(
                    &s,
                    &user,
                    StatusCode::OK,
                    Shown {
                        preview,
                        token,
                        ..Shown::form(form)
                    },
                )
                .await
            }
            Err(e) => fail(form, e).await,
        };
    }
    let done: Result<ImportDetail, AppError> = if history {
        s.app
            .import_history_file(&actor, form.history(), reader(bytes), &|_| {})
            .await
    } else {
        s.app
            .import_roster_file(&actor, form.roster(), reader(bytes), &|_| {})
            .await
    };
    match done {
        Ok(detail) => Ok(Redirect::to(&format!("/dashboard/settings/import/{}", detail.import.id)).into_response()),
        Err(e) => fail(form, e).await,
    }
}

#[derive(Template)]
#[template(path = "import_detail.html")]
struct DetailPage {
    shell: Shell,
    row: Row,
    skips: String,
    payable: String,
    settled: String,
    history: bool,
    skipped_rows: Vec<(i64, String)>,
    link_continuity: Option<&'static str>,
    can_revert: bool,
    error: Option<String>,
}

fn import_id(raw: &str) -> Result<ImportId, PageError> {
    raw.parse().map_err(|_| PageError(AppError::NotFound("import")))
}

pub async fn detail(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let d = s.app.import_detail(&user.actor(), import_id(&id)?).await?;
    let i = &d.import;
    Ok(page::ok(&DetailPage {
        shell: Shell::new(&user, "settings"),
        row: row(i),
        skips: reasons(&i.skips),
        payable: money(&i.payable),
        settled: money(&i.settled),
        history: i.kind == afflux_domain::ImportKind::History,
        skipped_rows: d.skipped_rows.iter().map(|r| (r.line, r.reason.clone())).collect(),
        link_continuity: d.link_continuity,
        can_revert: user.role.can(Permission::ManageAffiliates)
            && matches!(
                i.status,
                afflux_domain::ImportStatus::Completed | afflux_domain::ImportStatus::Failed
            ),
        error: i.error.clone(),
    }))
}

pub async fn revert(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = import_id(&id)?;
    s.app.revert_import(&user.actor(), id).await?;
    Ok(Redirect::to(&format!("/dashboard/settings/import/{id}")).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SampleForm {
    note: String,
}

/// "Send a sample to myself".
pub async fn sample(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Form(input): Form<SampleForm>,
) -> Result<Response, PageError> {
    let form = UploadForm {
        step: "roster".into(),
        source: "rewardful".into(),
        notify: true,
        note: input.note.clone(),
        ..UploadForm::default()
    };
    match s.app.send_import_sample(&user.actor(), &input.note).await {
        Ok(()) => {
            let notice = Some(format!("A preview was sent to {}.", user.user.email));
            render(
                &s,
                &user,
                StatusCode::OK,
                Shown {
                    notice,
                    ..Shown::form(form)
                },
            )
            .await
        }
        Err(e) => {
            let (status, errors) = FormErrors::from_app(e, FIELDS)?;
            render(
                &s,
                &user,
                status,
                Shown {
                    errors,
                    ..Shown::form(form)
                },
            )
            .await
        }
    }
}

/// Template helpers.
impl ImportsPage {
    fn roster_preview(&self) -> Option<&RosterPreview> {
        match &self.preview {
            Preview::Roster(p) => Some(p),
            _ => None,
        }
    }

    fn history_preview(&self) -> Option<&HistoryPreview> {
        match &self.preview {
            Preview::History(p) => Some(p),
            _ => None,
        }
    }

    fn reasons(&self, map: &std::collections::BTreeMap<String, i64>) -> String {
        reasons(map)
    }

    fn money(&self, map: &std::collections::BTreeMap<String, i64>) -> String {
        money(map)
    }
}
