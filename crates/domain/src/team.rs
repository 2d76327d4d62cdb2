use serde::{Deserialize, Serialize};

use crate::ValidationError;
use crate::named::named_enum;

named_enum!(
    /// A team member's role, from most to least powerful.
    Role { Owner, Admin, Manager, Viewer }
);

/// What a role may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    ViewData,
    ManageCampaigns,
    ManageAffiliates,
    RunPayouts,
    ManageSettings,
    ManageApiKeys,
    ManageTeam,
    ManageBilling,
}

impl Role {
    /// Owner: everything. Admin: everything but billing and team. Manager: campaigns,
    /// affiliates and payouts. Viewer: read-only.
    pub fn can(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Owner => true,
            Role::Admin => !matches!(permission, ManageTeam | ManageBilling),
            Role::Manager => matches!(permission, ViewData | ManageCampaigns | ManageAffiliates | RunPayouts),
            Role::Viewer => permission == ViewData,
        }
    }

    /// Roles that can be given by invitation: everything but Owner.
    pub fn invitable(self) -> bool {
        self != Role::Owner
    }
}

/// What an API key may do: `read` is GETs only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApiScope {
    Read,
    ReadWrite,
}

impl ApiScope {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiScope::Read => "read",
            ApiScope::ReadWrite => "read_write",
        }
    }

    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        match input.trim() {
            "read" => Ok(ApiScope::Read),
            "read_write" => Ok(ApiScope::ReadWrite),
            _ => Err(ValidationError::new("scope", "must be read or read_write")),
        }
    }
}

impl std::str::FromStr for ApiScope {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_permissions() {
        assert!(Role::Owner.can(Permission::ManageTeam));
        assert!(!Role::Admin.can(Permission::ManageTeam));
        assert!(Role::Admin.can(Permission::ManageApiKeys));
        assert!(Role::Manager.can(Permission::RunPayouts));
        assert!(!Role::Manager.can(Permission::ManageSettings));
        assert!(Role::Viewer.can(Permission::ViewData));
        assert!(!Role::Viewer.can(Permission::ManageAffiliates));
        assert!(!Role::Owner.invitable() && Role::Viewer.invitable());
    }

    #[test]
    fn scopes() {
        assert_eq!(ApiScope::parse("read_write").unwrap(), ApiScope::ReadWrite);
        assert!(ApiScope::parse("write").is_err());
    }
}
