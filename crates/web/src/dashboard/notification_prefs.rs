//! The signed-in member's own notification preferences in this organization.

use afflux_app::applications::NotificationPref;
use afflux_domain::NotificationEvent;
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::page::{self, PageError, Shell};
use super::session::DashboardUser;
use crate::AppState;

#[derive(Template)]
#[template(path = "notification_prefs.html")]
struct PrefsPage {
    shell: Shell,
    prefs: Vec<NotificationPref>,
    saved: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

pub async fn show(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    let prefs = s.app.notification_prefs(&user.actor()).await?;
    Ok(page::ok(&PrefsPage {
        shell: Shell::new(&user, "settings"),
        prefs,
        saved: q.saved.is_some(),
    }))
}

/// Every event's checkbox: a ticked one is posted with its key, an unticked one is absent.
pub async fn save(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let actor = user.actor();
    for &event in NotificationEvent::ALL {
        let on = form.iter().any(|(k, _)| k == event.key());
        s.app.set_notification_pref(&actor, event, on).await?;
    }
    Ok(Redirect::to("/dashboard/settings/notifications?saved=1").into_response())
}
