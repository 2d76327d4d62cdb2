//! Team invitations: the link in the invitation email, accepted by the signed-in invitee or by
//! setting a password for the invited address.

use afflux_app::{AppError, InviteAcceptance, SessionUser};
use afflux_domain::OrgId;
use afflux_store::Invite;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::page::{self, FormErrors, PageError};
use super::session::{self, MaybeUser};
use crate::AppState;

#[derive(Template)]
#[template(path = "invite.html")]
struct InvitePage {
    org_name: String,
    role: String,
    email: String,
    signed_in_as_invited: bool,
    /// Someone else is signed in in this browser: said plainly, so nobody accepts by mistake.
    signed_in_as: Option<String>,
    /// What was typed as the name (not called `name`: that is the input macro's parameter).
    person_name: String,
    errors: FormErrors,
}

/// The open invite, or `None` when the link is expired, used or unknown.
async fn open(s: &AppState, token: &str) -> Result<Option<Invite>, PageError> {
    match s.app.open_invite(token).await {
        Ok(invite) => Ok(Some(invite)),
        Err(AppError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The inviting organization's name. Read straight from the store: the invitee is not a member
/// yet, so no actor-scoped verb applies, and the link token already proved the invitation.
async fn org_name(s: &AppState, org: OrgId) -> Result<String, PageError> {
    let mut tx = s.app.store().read().await.map_err(AppError::from)?;
    let org = tx
        .get_org(org)
        .await
        .map_err(AppError::from)?
        .ok_or(AppError::NotFound("organization"))?;
    Ok(org.name)
}

async fn render(
    s: &AppState,
    invite: &Invite,
    user: Option<&SessionUser>,
    name: String,
    status: StatusCode,
    errors: FormErrors,
) -> Result<Response, PageError> {
    let invited = user.is_some_and(|u| u.user.email == invite.email);
    Ok(page::render(
        status,
        &InvitePage {
            org_name: org_name(s, invite.org_id).await?,
            role: invite.role.to_string(),
            email: invite.email.to_string(),
            signed_in_as_invited: invited,
            signed_in_as: user.filter(|_| !invited).map(|u| u.user.email.to_string()),
            person_name: name,
            errors,
        },
    ))
}

pub async fn invite_page(
    State(s): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let Some(invite) = open(&s, &token).await? else {
        return Ok(page::invalid_invite_page());
    };
    render(
        &s,
        &invite,
        user.as_ref(),
        String::new(),
        StatusCode::OK,
        FormErrors::default(),
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AcceptForm {
    /// `signed-in` (the Accept button) or `password` (the new-account form).
    how: String,
    name: String,
    password: String,
}

pub async fn accept(
    State(s): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(form): Form<AcceptForm>,
) -> Result<Response, PageError> {
    let Some(invite) = open(&s, &token).await? else {
        return Ok(page::invalid_invite_page());
    };
    let name = form.name.trim().to_owned();
    let how = match (form.how.as_str(), &user) {
        ("signed-in", Some(u)) => InviteAcceptance::SignedIn(u.user.id),
        // The session ended between showing the button and pressing it.
        ("signed-in", None) => return Ok(Redirect::to("/login").into_response()),
        _ => InviteAcceptance::NewPassword {
            password: form.password,
            name: Some(name.clone()).filter(|n| !n.is_empty()),
        },
    };
    match s.app.accept_invite(&token, how).await {
        Ok((invite, user_id)) => {
            // The browser now belongs to the invitee's session in the joined organization; an
            // earlier session in it is ended rather than left orphaned.
            if let Some(old) = session::token(&headers) {
                s.app.logout(&old).await?;
            }
            let token = s.app.session_for(user_id, invite.org_id).await?;
            Ok(session::redirect_with_cookie(
                "/dashboard",
                session::set_cookie(&s.app, &token),
            ))
        }
        Err(AppError::NotFound(_)) => Ok(page::invalid_invite_page()),
        Err(e) => {
            let (status, errors) = FormErrors::from_app(e, &["name", "password"])?;
            render(&s, &invite, user.as_ref(), name, status, errors).await
        }
    }
}
