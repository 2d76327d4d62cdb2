//! The "Application form" section of a campaign's settings: add, remove, relabel, reorder and
//! require fields; and an affiliate's answers as the brand reads them.

use afflux_app::AppError;
use afflux_app::applications::FormEdit;
use afflux_domain::{AffiliateId, ApplicationForm, Campaign, CampaignId, EMAIL_KEY, FieldInput, FieldType, Permission};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::page::{self, FormErrors, PageError, Shell};
use super::session::DashboardUser;
use crate::AppState;

const FIELDS: &[&str] = &["label", "fieldType", "options", "help", "key", "email"];

struct FieldRow {
    key: String,
    label: String,
    type_label: &'static str,
    required: bool,
    has_options: bool,
    options: String,
    help: String,
    is_email: bool,
    first: bool,
    last: bool,
}

fn rows(form: &ApplicationForm) -> Vec<FieldRow> {
    let n = form.fields.len();
    form.fields
        .iter()
        .enumerate()
        .map(|(i, f)| FieldRow {
            key: f.key.clone(),
            label: f.label.clone(),
            type_label: f.field_type.label(),
            required: f.required,
            has_options: f.field_type.has_options(),
            options: f.options.join("\n"),
            help: f.help.clone().unwrap_or_default(),
            is_email: f.key == EMAIL_KEY,
            first: i == 0,
            last: i + 1 == n,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "application_form.html")]
struct FormPage {
    shell: Shell,
    campaign_id: String,
    campaign_name: String,
    public_path: Option<String>,
    rows: Vec<FieldRow>,
    types: Vec<(&'static str, &'static str)>,
    can_manage: bool,
    /// The field whose edit was refused (None: the add form).
    error_key: Option<String>,
    errors: FormErrors,
    /// What the add form held when it was refused.
    added: EditForm,
}

fn not_found() -> PageError {
    PageError(AppError::NotFound("program"))
}

async fn render(
    s: &AppState,
    user: &afflux_app::SessionUser,
    id: CampaignId,
    status: StatusCode,
    error_key: Option<String>,
    errors: FormErrors,
    added: EditForm,
) -> Result<Response, PageError> {
    let actor = user.actor();
    let (campaign, form): (Campaign, ApplicationForm) = s.app.application_form(&actor, id).await?;
    let profile = s.app.public_profile(&actor).await?;
    Ok(page::render(
        status,
        &FormPage {
            shell: Shell::new(user, "campaigns"),
            campaign_id: campaign.id.to_string(),
            public_path: campaign
                .accepts_applications()
                .then(|| format!("/p/{}/{}", profile.handle, campaign.slug.key())),
            campaign_name: campaign.name,
            rows: rows(&form),
            types: FieldType::ALL.iter().map(|t| (t.as_str(), t.label())).collect(),
            can_manage: user.role.can(Permission::ManageCampaigns),
            error_key,
            errors,
            added,
        },
    ))
}

pub async fn show(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = id.parse().map_err(|_| not_found())?;
    render(
        &s,
        &user,
        id,
        StatusCode::OK,
        None,
        FormErrors::default(),
        EditForm::default(),
    )
    .await
}

/// One edit as posted: `op` is add, update, remove, up, down or reset.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EditForm {
    op: String,
    key: String,
    label: String,
    field_type: String,
    /// A checkbox: present when ticked.
    required: Option<String>,
    options: String,
    help: String,
}

impl EditForm {
    fn field(&self) -> Result<FieldInput, AppError> {
        let field_type = match self.field_type.trim() {
            "" => None,
            t => Some(FieldType::parse("fieldType", t)?),
        };
        Ok(FieldInput {
            label: self.label.clone(),
            field_type,
            required: self.required.is_some(),
            options: self.options.clone(),
            help: self.help.clone(),
        })
    }

    fn edit(&self) -> Result<FormEdit, AppError> {
        let key = self.key.clone();
        Ok(match self.op.as_str() {
            "add" => FormEdit::Add(self.field()?),
            "update" => FormEdit::Update {
                key,
                field: self.field()?,
            },
            "remove" => FormEdit::Remove { key },
            "up" | "down" => FormEdit::Move {
                key,
                up: self.op == "up",
            },
            "reset" => FormEdit::Reset,
            _ => return Err(AppError::NotFound("form action")),
        })
    }
}

pub async fn edit(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Path(id): Path<String>,
    Form(form): Form<EditForm>,
) -> Result<Response, PageError> {
    let id: CampaignId = id.parse().map_err(|_| not_found())?;
    let result = match form.edit() {
        Ok(edit) => s.app.edit_application_form(&user.actor(), id, edit).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/dashboard/campaigns/{id}/application-form")).into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_app(e, FIELDS)?;
            let error_key = (form.op != "add").then(|| form.key.clone());
            let added = if form.op == "add" { form } else { EditForm::default() };
            render(&s, &user, id, status, error_key, errors, added).await
        }
    }
}

struct AnswerRow {
    campaign: String,
    applied: String,
    answers: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "application_answers.html")]
struct AnswersPage {
    shell: Shell,
    email: String,
    name: String,
    rows: Vec<AnswerRow>,
}

/// What the affiliate answered on each campaign's form, labelled as the form is now.
pub async fn answers(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id: AffiliateId = id.parse().map_err(|_| PageError(AppError::NotFound("affiliate")))?;
    let actor = user.actor();
    let applications = s.app.affiliate_applications(&actor, id).await?;
    let rows = applications
        .applications
        .into_iter()
        .map(|a| AnswerRow {
            campaign: a.campaign.name.clone(),
            answers: a.labelled(),
            applied: a.applied_on,
        })
        .collect();
    Ok(page::ok(&AnswersPage {
        shell: Shell::new(&user, "affiliates"),
        email: applications.affiliate.email.to_string(),
        name: applications.affiliate.name.unwrap_or_default(),
        rows,
    }))
}
