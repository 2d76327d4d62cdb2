//! Team notifications a member may turn on or off, per organization.

use crate::Role;
use crate::named::named_enum;

named_enum!(
    /// A team notification a member can opt out of (or into).
    NotificationEvent { NewApplication, CommissionsDue }
);

impl NotificationEvent {
    /// The stored key.
    pub fn key(self) -> &'static str {
        match self {
            NotificationEvent::NewApplication => "new_application",
            NotificationEvent::CommissionsDue => "commissions_due",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            NotificationEvent::NewApplication => "New affiliate application",
            NotificationEvent::CommissionsDue => "Commissions due reminder",
        }
    }

    /// Whether the event is on for a member who never chose.
    pub fn default_for(self, role: Role) -> bool {
        match self {
            NotificationEvent::NewApplication | NotificationEvent::CommissionsDue => {
                matches!(role, Role::Owner | Role::Admin)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_applications_default_on_for_owners_and_admins() {
        let e = NotificationEvent::NewApplication;
        assert!(e.default_for(Role::Owner) && e.default_for(Role::Admin));
        assert!(!e.default_for(Role::Manager) && !e.default_for(Role::Viewer));
        assert_eq!(e.key(), "new_application");
    }

    #[test]
    fn the_commissions_due_reminder_defaults_on_for_owners_and_admins() {
        let e = NotificationEvent::CommissionsDue;
        assert!(e.default_for(Role::Owner) && e.default_for(Role::Admin));
        assert!(!e.default_for(Role::Manager) && !e.default_for(Role::Viewer));
        assert_eq!(e.key(), "commissions_due");
    }
}
