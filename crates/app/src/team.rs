use afflux_domain::{Email, InviteId, Permission, Role, UserId, ValidationError};
use afflux_store::{Invite, MemberView, TeamMember, Tx, User};
use time::{Duration, OffsetDateTime};

use crate::mail::EmailJob;
use crate::secrets::sha256;
use crate::{Actor, App, AppError, AppResult, audit, passwords};

/// Invitations expire after seven days.
const INVITE_TTL: Duration = Duration::days(7);

pub struct TeamView {
    pub members: Vec<MemberView>,
    pub invites: Vec<Invite>,
}

/// How an invitation is accepted: by the signed-in user whose email it names, or by someone
/// setting a password for that email.
pub enum InviteAcceptance {
    SignedIn(UserId),
    NewPassword { password: String, name: Option<String> },
}

impl App {
    pub async fn team(&self, actor: &Actor) -> AppResult<TeamView> {
        actor.authorize(Permission::ViewData, false)?;
        let mut tx = self.store().read().await?;
        let members = tx.list_members(actor.org_id).await?;
        let invites = tx.list_open_invites(actor.org_id, OffsetDateTime::now_utc()).await?;
        Ok(TeamView { members, invites })
    }

    pub(crate) async fn insert_invite(
        &self,
        tx: &mut dyn Tx,
        actor: &Actor,
        email: &Email,
        role: Role,
    ) -> AppResult<(Invite, String)> {
        let now = OffsetDateTime::now_utc();
        let id = InviteId::new();
        let token = self.invite_token(id);
        let invite = Invite {
            id,
            org_id: actor.org_id,
            email: email.clone(),
            role,
            token_hash: sha256(&token),
            invited_by: actor.user_id(),
            created_at: now,
            expires_at: now + INVITE_TTL,
            accepted_at: None,
        };
        tx.insert_invite(&invite).await?;
        let summary = serde_json::json!({ "email": email, "role": role });
        audit::record(
            tx,
            actor.org_id,
            &actor.audit_name(),
            "team.invited",
            ("invite", &id),
            None::<&()>,
            Some(&summary),
        )
        .await?;
        Ok((invite, token))
    }

    /// The link token of an invite is derived from its id, so the email job can rebuild the link
    /// from the id alone and the database holds only the token's hash.
    pub(crate) fn invite_token(&self, id: InviteId) -> String {
        self.secrets().derive_token("invite", id.0.as_bytes())
    }

    pub async fn invite_member(&self, actor: &Actor, email: &str, role: Role) -> AppResult<Invite> {
        actor.authorize(Permission::ManageTeam, true)?;
        let email = Email::parse(email)?;
        if !role.invitable() {
            return Err(ValidationError::new(
                "role",
                "Owner cannot be invited; invite an Admin and transfer ownership",
            )
            .into());
        }
        let mut tx = self.store().write().await?;
        tx.lock_org(actor.org_id).await?;
        let org = tx
            .get_org(actor.org_id)
            .await?
            .ok_or(AppError::NotFound("organization"))?;
        if let Some(user) = tx.get_user_by_email(&email.key()).await?
            && tx.get_member(actor.org_id, user.id).await?.is_some()
        {
            return Err(AppError::conflict(
                "already_member",
                Some("email"),
                "this person is already on the team",
            ));
        }
        let now = OffsetDateTime::now_utc();
        let open = tx.list_open_invites(actor.org_id, now).await?;
        if open.iter().any(|i| i.email == email) {
            return Err(AppError::conflict(
                "already_invited",
                Some("email"),
                "an invitation to this address is still open",
            ));
        }
        if let Some(max) = org.max_seats() {
            let used = tx.count_members(actor.org_id, None).await? as u64 + open.len() as u64;
            if used >= max {
                return Err(AppError::PlanRequired {
                    required: afflux_domain::PlanTier::Growth,
                    status: org.subscription_status,
                });
            }
        }
        let (invite, _) = self.insert_invite(tx.as_mut(), actor, &email, role).await?;
        self.enqueue_email(
            tx.as_mut(),
            EmailJob::TeamInvite {
                org_id: actor.org_id,
                invite_id: invite.id,
            },
        )
        .await?;
        tx.commit().await?;
        self.wake_worker();
        Ok(invite)
    }

    pub async fn cancel_invite(&self, actor: &Actor, id: InviteId) -> AppResult<()> {
        actor.authorize(Permission::ManageTeam, true)?;
        let mut tx = self.store().write().await?;
        let invite = tx
            .get_invite(actor.org_id, id)
            .await?
            .ok_or(AppError::NotFound("invite"))?;
        if invite.role == Role::Owner {
            // The owner's own setup link (from `afflux org create`): canceling it would leave
            // the organization's Owner with no way to set a password.
            return Err(AppError::conflict(
                "owner_setup_invite",
                None,
                "the Owner's setup invitation cannot be canceled",
            ));
        }
        tx.delete_invite(actor.org_id, id).await?;
        let summary = serde_json::json!({ "email": invite.email, "role": invite.role });
        audit::record(
            tx.as_mut(),
            actor.org_id,
            &actor.audit_name(),
            "team.invite_canceled",
            ("invite", &id),
            Some(&summary),
            None::<&()>,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// An open invite for a link token; expired, accepted and unknown tokens all answer 404.
    pub async fn open_invite(&self, token: &str) -> AppResult<Invite> {
        let mut tx = self.store().read().await?;
        let invite = tx
            .get_invite_by_token(&sha256(token))
            .await?
            .ok_or(AppError::NotFound("invite"))?;
        if invite.accepted_at.is_some() || invite.expires_at <= OffsetDateTime::now_utc() {
            return Err(AppError::NotFound("invite"));
        }
        Ok(invite)
    }

    /// Joins the invited address to the team. The invite binds only to its own address: a
    /// signed-in user with another email is refused, and a new account gets the invited email.
    pub async fn accept_invite(&self, token: &str, how: InviteAcceptance) -> AppResult<(Invite, UserId)> {
        let invite = self.open_invite(token).await?;
        let new_hash = match &how {
            InviteAcceptance::NewPassword { password, .. } => {
                passwords::validate(password)?;
                Some(passwords::hash(password).await?)
            }
            InviteAcceptance::SignedIn(_) => None,
        };
        let now = OffsetDateTime::now_utc();
        let mut tx = self.store().write().await?;
        tx.lock_org(invite.org_id).await?;
        let existing = tx.get_user_by_email(&invite.email.key()).await?;
        let user_id = match (&how, existing) {
            (InviteAcceptance::SignedIn(id), Some(user)) if user.id == *id => user.id,
            (InviteAcceptance::SignedIn(_), _) => {
                return Err(AppError::forbidden("this invitation was sent to another email address"));
            }
            (InviteAcceptance::NewPassword { .. }, Some(user)) if user.password_hash.is_some() => {
                return Err(AppError::conflict(
                    "login_required",
                    None,
                    "an account with this email exists: sign in to accept",
                ));
            }
            (InviteAcceptance::NewPassword { .. }, Some(user)) => {
                tx.set_user_password(user.id, new_hash.as_deref().unwrap_or_default())
                    .await?;
                user.id
            }
            (InviteAcceptance::NewPassword { name, .. }, None) => {
                let user = User {
                    id: UserId::new(),
                    email: invite.email.clone(),
                    name: name.clone(),
                    password_hash: new_hash,
                    created_at: now,
                };
                tx.insert_user(&user).await?;
                user.id
            }
        };
        if !tx.accept_invite(invite.id, now).await? {
            return Err(AppError::NotFound("invite"));
        }
        if tx.get_member(invite.org_id, user_id).await?.is_none() {
            tx.insert_member(&TeamMember {
                org_id: invite.org_id,
                user_id,
                role: invite.role,
                created_at: now,
            })
            .await?;
        }
        let after = serde_json::json!({ "userId": user_id, "role": invite.role });
        audit::record(
            tx.as_mut(),
            invite.org_id,
            &format!("user:{user_id}"),
            "team.joined",
            ("invite", &invite.id),
            None::<&()>,
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok((invite, user_id))
    }

    /// Changes a member's role. Only Owners manage the team, and the last Owner cannot be
    /// demoted.
    pub async fn set_member_role(&self, actor: &Actor, user: UserId, role: Role) -> AppResult<()> {
        actor.authorize(Permission::ManageTeam, true)?;
        let mut tx = self.store().write().await?;
        tx.lock_org(actor.org_id).await?;
        let member = tx
            .get_member(actor.org_id, user)
            .await?
            .ok_or(AppError::NotFound("team member"))?;
        if member.role == Role::Owner && role != Role::Owner {
            ensure_another_owner(tx.as_mut(), actor).await?;
        }
        tx.set_member_role(actor.org_id, user, role).await?;
        let (before, after) = (
            serde_json::json!({ "role": member.role }),
            serde_json::json!({ "role": role }),
        );
        audit::record(
            tx.as_mut(),
            actor.org_id,
            &actor.audit_name(),
            "team.role_changed",
            ("user", &user),
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn remove_member(&self, actor: &Actor, user: UserId) -> AppResult<()> {
        actor.authorize(Permission::ManageTeam, true)?;
        let mut tx = self.store().write().await?;
        tx.lock_org(actor.org_id).await?;
        let member = tx
            .get_member(actor.org_id, user)
            .await?
            .ok_or(AppError::NotFound("team member"))?;
        if member.role == Role::Owner {
            ensure_another_owner(tx.as_mut(), actor).await?;
        }
        tx.delete_member(actor.org_id, user).await?;
        let before = serde_json::json!({ "role": member.role });
        audit::record(
            tx.as_mut(),
            actor.org_id,
            &actor.audit_name(),
            "team.removed",
            ("user", &user),
            Some(&before),
            None::<&()>,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn ensure_another_owner(tx: &mut dyn Tx, actor: &Actor) -> AppResult<()> {
    if tx.count_members(actor.org_id, Some(Role::Owner)).await? <= 1 {
        return Err(AppError::conflict(
            "last_owner",
            Some("role"),
            "an organization must keep at least one Owner",
        ));
    }
    Ok(())
}
