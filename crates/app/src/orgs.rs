use afflux_domain::{
    ApiScope, Currency, Email, OrgId, Organization, PlanTier, Role, SubscriptionStatus, UserId, bounded_text,
};
use afflux_store::{TeamMember, Tx, User};
use time::OffsetDateTime;

use crate::{Actor, App, AppError, AppResult, audit};

/// An organization as the operator creates it.
#[derive(Debug, Clone)]
pub struct NewOrg {
    pub name: String,
    pub owner_email: String,
    pub plan: Option<PlanTier>,
    pub status: Option<SubscriptionStatus>,
}

#[derive(Debug, Clone)]
pub struct CreatedOrg {
    pub org: Organization,
    pub owner_id: UserId,
    /// A read_write API key acting as Owner, shown this once.
    pub api_key: String,
    /// Where the owner sets a password, when they have none yet.
    pub owner_setup_url: Option<String>,
}

impl App {
    /// `afflux org create`: the organization, its Owner (an existing user of that email, or a
    /// new one without a password plus a link to set it) and a first API key, in one transaction.
    pub async fn create_org(&self, input: NewOrg) -> AppResult<CreatedOrg> {
        let name = bounded_text("name", &input.name, 120)?;
        let email = Email::parse(&input.owner_email).map_err(|e| e.at("ownerEmail"))?;
        let plan = input.plan.unwrap_or(self.config().default_plan);
        let status = input.status.unwrap_or(self.config().default_status);
        let now = OffsetDateTime::now_utc();

        let mut tx = self.store().write().await?;
        let owner = match tx.get_user_by_email(&email.key()).await? {
            Some(user) => user,
            None => {
                let user = User {
                    id: UserId::new(),
                    email: email.clone(),
                    name: None,
                    password_hash: None,
                    created_at: now,
                };
                tx.insert_user(&user).await?;
                user
            }
        };
        let org = self
            .insert_org(tx.as_mut(), &name, owner.id, plan, status, "operator")
            .await?;
        let actor = Actor::operator(org.id);
        let (_, api_key) = self
            .insert_api_key(tx.as_mut(), &actor, "Initial key", ApiScope::ReadWrite)
            .await?;
        let owner_setup_url = match owner.password_hash {
            Some(_) => None,
            None => {
                let (_, token) = self.insert_invite(tx.as_mut(), &actor, &email, Role::Owner).await?;
                Some(self.config().url(&format!("/invites/{token}")))
            }
        };
        tx.commit().await?;
        Ok(CreatedOrg {
            org,
            owner_id: owner.id,
            api_key,
            owner_setup_url,
        })
    }

    /// Inserts an organization with `owner` as its Owner.
    pub(crate) async fn insert_org(
        &self,
        tx: &mut dyn Tx,
        name: &str,
        owner: UserId,
        plan: PlanTier,
        status: SubscriptionStatus,
        actor: &str,
    ) -> AppResult<Organization> {
        let now = OffsetDateTime::now_utc();
        let org = Organization {
            id: OrgId::new(),
            name: name.to_owned(),
            plan,
            subscription_status: status,
            home_currency: Currency::USD,
            sender_name: None,
            reply_to: None,
            created_at: now,
        };
        tx.insert_org(&org).await?;
        self.create_org_profile(tx, &org).await?;
        tx.insert_member(&TeamMember {
            org_id: org.id,
            user_id: owner,
            role: Role::Owner,
            created_at: now,
        })
        .await?;
        audit::record(
            tx,
            org.id,
            actor,
            "organization.created",
            ("organization", &org.id),
            None::<&()>,
            Some(&org),
        )
        .await?;
        Ok(org)
    }

    /// `afflux org set-plan`: the operator records the tier and subscription status.
    pub async fn set_plan(&self, org_id: OrgId, plan: PlanTier, status: SubscriptionStatus) -> AppResult<Organization> {
        let mut tx = self.store().write().await?;
        let before = tx.get_org(org_id).await?.ok_or(AppError::NotFound("organization"))?;
        tx.set_org_plan(org_id, plan, status).await?;
        let after = Organization {
            plan,
            subscription_status: status,
            ..before.clone()
        };
        audit::record(
            tx.as_mut(),
            org_id,
            "operator",
            "organization.plan_changed",
            ("organization", &org_id),
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn organization(&self, actor: &Actor) -> AppResult<Organization> {
        let mut tx = self.store().read().await?;
        tx.get_org(actor.org_id)
            .await?
            .ok_or(AppError::NotFound("organization"))
    }
}

/// A change to the organization's profile: absent fields keep their value, an empty string
/// clears an optional one.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrgPatch {
    pub name: Option<String>,
    /// Display name of the organization's emails (the organization name when empty).
    pub sender_name: Option<String>,
    /// Reply-To address of the organization's emails.
    pub reply_to: Option<String>,
}

impl App {
    pub async fn update_org_profile(&self, actor: &Actor, patch: OrgPatch) -> AppResult<Organization> {
        actor.authorize(afflux_domain::Permission::ManageSettings, true)?;
        let mut tx = self.store().write().await?;
        let before = tx
            .get_org(actor.org_id)
            .await?
            .ok_or(AppError::NotFound("organization"))?;
        let mut after = before.clone();
        if let Some(name) = &patch.name {
            after.name = bounded_text("name", name, 120)?;
        }
        if let Some(sender) = &patch.sender_name {
            after.sender_name = afflux_domain::optional_text("senderName", Some(sender), 120)?;
        }
        if let Some(reply_to) = &patch.reply_to {
            after.reply_to = match reply_to.trim() {
                "" => None,
                address => Some(Email::parse(address).map_err(|e| e.at("replyTo"))?),
            };
        }
        if after != before {
            tx.update_org_profile(&after).await?;
            audit::record(
                tx.as_mut(),
                actor.org_id,
                &actor.audit_name(),
                "organization.updated",
                ("organization", &actor.org_id),
                Some(&before),
                Some(&after),
            )
            .await?;
            tx.commit().await?;
        }
        Ok(after)
    }
}
