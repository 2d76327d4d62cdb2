use afflux_domain::{AffiliateId, ApiKeyId, ApiScope, OrgId, Permission, Role, UserId};

use crate::{AppError, AppResult};

/// Who is acting, in which organization, with which role.
#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    pub org_id: OrgId,
    pub role: Role,
    pub kind: ActorKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ActorKind {
    /// A team member signed in to the dashboard.
    User(UserId),
    /// An API key; it acts with the role of the member who created it, within its scope.
    ApiKey { id: ApiKeyId, scope: ApiScope },
    /// The operator at the command line.
    Operator,
    /// An affiliate in the portal, acting on their own record only.
    Affiliate(AffiliateId),
}

impl Actor {
    pub fn operator(org_id: OrgId) -> Self {
        Self {
            org_id,
            role: Role::Owner,
            kind: ActorKind::Operator,
        }
    }

    /// Refuses unless the role grants `permission` and, for a change, the key scope allows writes.
    pub fn authorize(&self, permission: Permission, writes: bool) -> AppResult<()> {
        if writes
            && let ActorKind::ApiKey {
                scope: ApiScope::Read, ..
            } = self.kind
        {
            return Err(AppError::forbidden(
                "this API key has the read scope; this needs read_write",
            ));
        }
        if !self.role.can(permission) {
            return Err(AppError::forbidden(format!("the {} role may not do this", self.role)));
        }
        Ok(())
    }

    pub fn user_id(&self) -> Option<UserId> {
        match self.kind {
            ActorKind::User(id) => Some(id),
            _ => None,
        }
    }

    /// How the audit log names this actor.
    pub fn audit_name(&self) -> String {
        match &self.kind {
            ActorKind::User(id) => format!("user:{id}"),
            ActorKind::ApiKey { id, .. } => format!("api_key:{id}"),
            ActorKind::Operator => "operator".into(),
            ActorKind::Affiliate(id) => format!("affiliate:{id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_keys_cannot_write_and_roles_bound_keys() {
        let org = OrgId::new();
        let read = Actor {
            org_id: org,
            role: Role::Owner,
            kind: ActorKind::ApiKey {
                id: ApiKeyId::new(),
                scope: ApiScope::Read,
            },
        };
        assert!(read.authorize(Permission::ManageCampaigns, false).is_ok());
        assert!(matches!(
            read.authorize(Permission::ManageCampaigns, true),
            Err(AppError::Forbidden(_))
        ));
        let viewer = Actor {
            org_id: org,
            role: Role::Viewer,
            kind: ActorKind::User(UserId::new()),
        };
        assert!(viewer.authorize(Permission::ViewData, false).is_ok());
        assert!(viewer.authorize(Permission::ManageAffiliates, true).is_err());
        assert_eq!(Actor::operator(org).audit_name(), "operator");
    }
}
