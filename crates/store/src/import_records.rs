//! Records of import jobs that are not domain types.

/// What reverting a roster import removed, and how many of its memberships stayed because
/// they already have activity (clicks or conversions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RevertCounts {
    pub memberships_removed: i64,
    pub affiliates_removed: i64,
    pub memberships_kept: i64,
}
