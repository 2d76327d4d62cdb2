//! What CRM sync keeps: per affiliate and integration, where the sync stands.

use afflux_domain::{AffiliateId, IntegrationId, OrgId, SyncStatus};
use serde_json::Value;
use time::OffsetDateTime;

/// The sync of one affiliate to one integration. Each request (an approval, a status change,
/// "retry now") bumps `requested_gen`; a sync run finishes a generation by writing
/// `synced_gen`, and a write from a run that a newer request overtook is refused.
#[derive(Debug, Clone, PartialEq)]
pub struct CrmSync {
    pub org_id: OrgId,
    pub integration_id: IntegrationId,
    pub affiliate_id: AffiliateId,
    pub status: SyncStatus,
    /// Attempts of the current generation.
    pub attempts: i32,
    pub last_error: Option<String>,
    /// The connector's progress within the current generation (reset by each request).
    pub progress: Value,
    pub requested_gen: i64,
    pub synced_gen: i64,
    pub requested_at: OffsetDateTime,
    pub synced_at: Option<OffsetDateTime>,
    pub updated_at: OffsetDateTime,
}

/// Filters of the sync list; all optional.
#[derive(Debug, Clone, Default)]
pub struct CrmSyncFilter {
    pub integration_id: Option<IntegrationId>,
    pub affiliate_id: Option<AffiliateId>,
    pub status: Option<SyncStatus>,
}

/// A sync with the affiliate it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct CrmSyncRow {
    pub sync: CrmSync,
    pub email: String,
    pub name: Option<String>,
}
