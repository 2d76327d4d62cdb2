//! Campaigns: the list and the creation form.

use afflux_app::{Decimal, NewCampaign};
use afflux_domain::{AttributionModel, Campaign, CommissionModel, CommissionType, Permission, ValidationError};
use afflux_store::Page;
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::page::{self, FormErrors, PageError, Shell};
use super::session::DashboardUser;
use crate::AppState;

/// A campaign as the list shows it, formatted for people.
struct CampaignRow {
    id: String,
    name: String,
    slug: String,
    commission: String,
    model: String,
    cookie_days: i32,
    archived: bool,
}

impl From<Campaign> for CampaignRow {
    fn from(c: Campaign) -> Self {
        let value = c.commission.display_value(c.currency);
        let commission = match c.commission.kind {
            CommissionType::Percentage => format!("{value} %"),
            CommissionType::Fixed => format!("{value} {}", c.currency.code()),
        };
        let model = match c.commission_model {
            CommissionModel::Cps => "Per sale",
            CommissionModel::Cpc => "Per click",
            CommissionModel::Cpl => "Per lead",
        };
        let touch = match c.attribution_model {
            AttributionModel::FirstTouch => "first touch",
            AttributionModel::LastTouch => "last touch",
        };
        CampaignRow {
            id: c.id.to_string(),
            name: c.name,
            slug: c.slug.to_string(),
            commission,
            model: format!("{model} · {touch}"),
            cookie_days: c.cookie_window_days,
            archived: c.archived,
        }
    }
}

#[derive(Template)]
#[template(path = "campaigns.html")]
struct CampaignsPage {
    shell: Shell,
    campaigns: Vec<CampaignRow>,
    can_manage: bool,
}

pub async fn list(State(s): State<AppState>, DashboardUser(user): DashboardUser) -> Result<Response, PageError> {
    let campaigns = s.app.list_campaigns(&user.actor(), true, Page::ALL).await?;
    Ok(page::ok(&CampaignsPage {
        shell: Shell::new(&user, "campaigns"),
        campaigns: campaigns.into_iter().map(CampaignRow::from).collect(),
        can_manage: user.role.can(Permission::ManageCampaigns),
    }))
}

/// The form as posted: all text, so that whatever was typed comes back on an error. Field
/// names are the API's, so validation errors name them.
#[derive(Debug, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CampaignForm {
    name: String,
    slug: String,
    destination_url: String,
    default_commission_type: String,
    default_commission_value: String,
    cookie_window_days: String,
    attribution_model: String,
    /// A checkbox: present when ticked.
    auto_approve: Option<String>,
    description: String,
}

impl Default for CampaignForm {
    fn default() -> Self {
        Self {
            name: String::new(),
            slug: String::new(),
            destination_url: String::new(),
            default_commission_type: "Percentage".into(),
            default_commission_value: String::new(),
            cookie_window_days: Campaign::DEFAULT_COOKIE_WINDOW_DAYS.to_string(),
            attribution_model: "LastTouch".into(),
            auto_approve: None,
            description: String::new(),
        }
    }
}

const FIELDS: &[&str] = &[
    "name",
    "slug",
    "destinationUrl",
    "defaultCommissionValue",
    "cookieWindowDays",
    "description",
];

fn non_empty(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl CampaignForm {
    fn to_input(&self) -> Result<NewCampaign, ValidationError> {
        let days = self.cookie_window_days.trim();
        let cookie_window_days = days
            .parse()
            .map_err(|_| ValidationError::new("cookieWindowDays", "must be a whole number of days"))?;
        Ok(NewCampaign {
            name: self.name.clone(),
            slug: non_empty(&self.slug),
            destination_url: self.destination_url.trim().to_owned(),
            default_commission_type: CommissionType::parse("defaultCommissionType", &self.default_commission_type)?,
            default_commission_value: Decimal(self.default_commission_value.trim().to_owned()),
            currency: None,
            default_commission_model: None,
            cookie_window_days: Some(cookie_window_days),
            attribution_model: Some(AttributionModel::parse("attributionModel", &self.attribution_model)?),
            auto_approve: Some(self.auto_approve.is_some()),
            description: non_empty(&self.description),
            terms_url: None,
            rules: None,
        })
    }
}

#[derive(Template)]
#[template(path = "campaign_new.html")]
struct NewCampaignPage {
    shell: Shell,
    form: CampaignForm,
    errors: FormErrors,
}

pub async fn new_page(DashboardUser(user): DashboardUser) -> Result<Response, PageError> {
    if !user.role.can(Permission::ManageCampaigns) {
        return Ok(page::forbidden_page(&format!(
            "The {} role may not create campaigns.",
            user.role
        )));
    }
    Ok(page::ok(&NewCampaignPage {
        shell: Shell::new(&user, "campaigns"),
        form: CampaignForm::default(),
        errors: FormErrors::default(),
    }))
}

pub async fn create(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Form(form): Form<CampaignForm>,
) -> Result<Response, PageError> {
    let result = match form.to_input() {
        Ok(input) => s.app.create_campaign(&user.actor(), input).await,
        Err(e) => Err(e.into()),
    };
    let (status, errors) = match result {
        Ok(_) => return Ok(Redirect::to("/dashboard/campaigns").into_response()),
        Err(e) => FormErrors::from_app(e, FIELDS)?,
    };
    Ok(page::render(
        status,
        &NewCampaignPage {
            shell: Shell::new(&user, "campaigns"),
            form,
            errors,
        },
    ))
}
