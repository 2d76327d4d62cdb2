//! The payouts page's Stripe Connect form: an Admin or Owner pastes the platform account's
//! secret key (checked with Stripe before it is kept) or disconnects it.

use afflux_app::money::StripeConnectKey;
use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::page::{FormErrors, PageError};
use super::payouts::{StartForm, Submitted, render_list};
use super::session::DashboardUser;
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct KeyForm {
    secret_key: String,
}

pub async fn connect(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Form(form): Form<KeyForm>,
) -> Result<Response, PageError> {
    let input = StripeConnectKey {
        secret_key: form.secret_key,
    };
    match s.app.set_stripe_connect_key(&user.actor(), input).await {
        Ok(_) => Ok(Redirect::to("/dashboard/payouts").into_response()),
        Err(e) => {
            let (status, stripe_errors) = FormErrors::from_app(e, &["secretKey"])?;
            let submitted = Submitted {
                form: StartForm::default(),
                errors: FormErrors::default(),
                nothing_payable: false,
                stripe_errors,
            };
            render_list(&s, &user, 1, submitted, status).await
        }
    }
}

pub async fn disconnect(State(s): State<AppState>, DashboardUser(user): DashboardUser) -> Result<Response, PageError> {
    s.app.remove_stripe_connect_key(&user.actor()).await?;
    Ok(Redirect::to("/dashboard/payouts").into_response())
}
