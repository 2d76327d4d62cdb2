//! The "Welcome emails" section of a campaign's settings: the approval email's text and the
//! follow-ups sent N days after approval, each with merge fields.

use afflux_app::applications::StepInput;
use afflux_app::{AppError, SessionUser};
use afflux_domain::{CampaignId, MERGE_FIELDS, Permission};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::page::{self, FormErrors, PageError, Shell};
use super::session::DashboardUser;
use crate::AppState;

const FIELDS: &[&str] = &["delayDays", "subject", "body"];

struct StepView {
    index: usize,
    delay_days: String,
    subject: String,
    body: String,
}

#[derive(Template)]
#[template(path = "welcome.html")]
struct WelcomePage {
    shell: Shell,
    campaign_id: String,
    campaign_name: String,
    steps: Vec<StepView>,
    merge_fields: Vec<String>,
    can_manage: bool,
    /// The step whose save was refused, with what was typed.
    error_step: Option<usize>,
    errors: FormErrors,
}

fn not_found() -> PageError {
    PageError(AppError::NotFound("program"))
}

async fn render(
    s: &AppState,
    user: &SessionUser,
    id: CampaignId,
    status: StatusCode,
    refused: Option<(StepForm, FormErrors)>,
) -> Result<Response, PageError> {
    let (campaign, sequence) = s.app.welcome_sequence(&user.actor(), id).await?;
    let mut steps: Vec<StepView> = sequence
        .steps
        .iter()
        .enumerate()
        .map(|(index, st)| StepView {
            index,
            delay_days: st.delay_days.to_string(),
            subject: st.subject.clone(),
            body: st.body.clone(),
        })
        .collect();
    // The blank "add a follow-up" step.
    steps.push(StepView {
        index: steps.len(),
        delay_days: "3".into(),
        subject: String::new(),
        body: String::new(),
    });
    let (error_step, errors) = match refused {
        Some((form, errors)) => {
            if let Some(view) = steps.iter_mut().find(|v| v.index == form.step) {
                view.delay_days = form.delay_days;
                view.subject = form.subject;
                view.body = form.body;
            }
            (Some(form.step), errors)
        }
        None => (None, FormErrors::default()),
    };
    Ok(page::render(
        status,
        &WelcomePage {
            shell: Shell::new(user, "campaigns"),
            campaign_id: campaign.id.to_string(),
            campaign_name: campaign.name,
            steps,
            merge_fields: MERGE_FIELDS.iter().map(|f| format!("{{{{{f}}}}}")).collect(),
            can_manage: user.role.can(Permission::ManageCampaigns),
            error_step,
            errors,
        },
    ))
}

pub async fn show(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = id.parse().map_err(|_| not_found())?;
    render(&s, &user, id, StatusCode::OK, None).await
}

/// A step as posted: `op` is save or remove.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct StepForm {
    op: String,
    step: usize,
    delay_days: String,
    subject: String,
    body: String,
}

pub async fn edit(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Path(id): Path<String>,
    Form(form): Form<StepForm>,
) -> Result<Response, PageError> {
    let id: CampaignId = id.parse().map_err(|_| not_found())?;
    let input = match form.op.as_str() {
        "remove" => Ok(None),
        _ => match form.delay_days.trim() {
            "" if form.step == 0 => Ok(0),
            d => d.parse::<i32>().map_err(|_| {
                AppError::Validation(afflux_domain::ValidationError::new(
                    "delayDays",
                    "enter a whole number of days",
                ))
            }),
        }
        .map(|delay_days| {
            Some(StepInput {
                delay_days,
                subject: form.subject.clone(),
                body: form.body.clone(),
            })
        }),
    };
    let result = match input {
        Ok(input) => s.app.edit_welcome_step(&user.actor(), id, form.step, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/dashboard/campaigns/{id}/welcome")).into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_app(e, FIELDS)?;
            render(&s, &user, id, status, Some((form, errors))).await
        }
    }
}
