//! Organization settings: the public profile (handle, brand colour, primary campaign) that
//! shapes the public application pages.

use afflux_app::SessionUser;
use afflux_app::applications::ProfileInput;
use afflux_domain::{CampaignId, Permission};
use afflux_store::Page;
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::page::{self, FormErrors, PageError, Shell};
use super::session::DashboardUser;
use crate::AppState;

const FIELDS: &[&str] = &["handle", "brandColor", "primaryCampaignId"];

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ProfileForm {
    handle: String,
    brand_color: String,
    /// Empty: the oldest active campaign.
    primary_campaign_id: String,
}

#[derive(Template)]
#[template(path = "org_profile.html")]
struct ProfilePage {
    shell: Shell,
    form: ProfileForm,
    /// (id, name) of the campaigns that take applications.
    campaigns: Vec<(String, String)>,
    can_manage: bool,
    errors: FormErrors,
    saved: bool,
}

async fn render(
    s: &AppState,
    user: &SessionUser,
    status: StatusCode,
    form: Option<ProfileForm>,
    errors: FormErrors,
    saved: bool,
) -> Result<Response, PageError> {
    let actor = user.actor();
    let form = match form {
        Some(f) => f,
        None => {
            let p = s.app.public_profile(&actor).await?;
            ProfileForm {
                handle: p.handle,
                brand_color: p.brand_color,
                primary_campaign_id: p.primary_campaign_id.map(|c| c.to_string()).unwrap_or_default(),
            }
        }
    };
    let campaigns = s
        .app
        .list_campaigns(&actor, false, Page::ALL)
        .await?
        .into_iter()
        .filter(|c| c.accepts_applications())
        .map(|c| (c.id.to_string(), c.name))
        .collect();
    Ok(page::render(
        status,
        &ProfilePage {
            shell: Shell::new(user, "settings"),
            form,
            campaigns,
            can_manage: user.role.can(Permission::ManageSettings),
            errors,
            saved,
        },
    ))
}

#[derive(Debug, Default, Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

pub async fn show(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    axum::extract::Query(q): axum::extract::Query<SavedQuery>,
) -> Result<Response, PageError> {
    render(
        &s,
        &user,
        StatusCode::OK,
        None,
        FormErrors::default(),
        q.saved.is_some(),
    )
    .await
}

pub async fn save(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Form(form): Form<ProfileForm>,
) -> Result<Response, PageError> {
    let primary = match form.primary_campaign_id.trim() {
        "" => Ok(None),
        id => id.parse::<CampaignId>().map(Some).map_err(|_| {
            afflux_app::AppError::Validation(afflux_domain::ValidationError::new(
                "primaryCampaignId",
                "choose a campaign",
            ))
        }),
    };
    let result = match primary {
        Ok(primary_campaign_id) => {
            let input = ProfileInput {
                handle: form.handle.clone(),
                brand_color: form.brand_color.clone(),
                primary_campaign_id,
            };
            s.app.update_public_profile(&user.actor(), input).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/dashboard/settings/profile?saved=1").into_response()),
        Err(e) => {
            let (status, errors) = FormErrors::from_app(e, FIELDS)?;
            render(&s, &user, status, Some(form), errors, false).await
        }
    }
}
