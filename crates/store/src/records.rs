//! Rows the store keeps that are not domain entities of their own.

use afflux_domain::{Affiliate, ApiKeyId, ApiScope, Email, InviteId, JobId, Membership, OrgId, Role, UserId};
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

/// A person who can sign in to the dashboard.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub name: Option<String>,
    /// Argon2 PHC string; None until the user sets a password (owner created by the CLI).
    pub password_hash: Option<String>,
    pub created_at: OffsetDateTime,
}

/// A user's seat in an organization.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamMember {
    pub org_id: OrgId,
    pub user_id: UserId,
    pub role: Role,
    pub created_at: OffsetDateTime,
}

/// A team member with the user's identity, for listings.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberView {
    pub member: TeamMember,
    pub email: Email,
    pub name: Option<String>,
}

/// A server-side login session. Only the SHA-256 of the cookie token is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub token_hash: Vec<u8>,
    pub user_id: UserId,
    pub org_id: OrgId,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// An invitation to join an organization's team, bound to one address.
#[derive(Debug, Clone, PartialEq)]
pub struct Invite {
    pub id: InviteId,
    pub org_id: OrgId,
    pub email: Email,
    pub role: Role,
    pub token_hash: Vec<u8>,
    pub invited_by: Option<UserId>,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub accepted_at: Option<OffsetDateTime>,
}

/// An API key. The secret itself is never stored, only its SHA-256.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub org_id: OrgId,
    pub name: String,
    pub scope: ApiScope,
    /// The role the key acts with: its creator's role when it was made.
    pub role: Role,
    /// The first characters of the secret, shown in listings to tell keys apart.
    pub prefix: String,
    pub token_hash: Vec<u8>,
    pub created_by: Option<UserId>,
    pub created_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
}

/// One state change: who did what to which object, before and after.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: Uuid,
    pub org_id: OrgId,
    /// `user:<id>`, `api_key:<id>`, `operator`, `public` or `system`.
    pub actor: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub at: OffsetDateTime,
}

/// An affiliate with one of their campaign memberships: a row of the affiliates list.
#[derive(Debug, Clone, PartialEq)]
pub struct AffiliateRow {
    pub affiliate: Affiliate,
    pub membership: Membership,
}

/// Filters of the affiliates list; all optional.
#[derive(Debug, Clone, Default)]
pub struct AffiliateFilter {
    pub campaign_id: Option<afflux_domain::CampaignId>,
    pub status: Option<afflux_domain::AffiliateStatus>,
    /// Lower-cased substring of the email, name or slug.
    pub search: Option<String>,
}

/// A window of a list: `limit` rows after skipping `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl Page {
    pub const ALL: Page = Page {
        limit: i64::MAX,
        offset: 0,
    };
}

/// Where a job stands. A finished job is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Queued,
    Running,
    Dead,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "queued" => Some(JobState::Queued),
            "running" => Some(JobState::Running),
            "dead" => Some(JobState::Dead),
            _ => None,
        }
    }
}

/// A job to enqueue in the same transaction as the business write that calls for it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub id: JobId,
    pub kind: String,
    pub org_id: Option<OrgId>,
    pub payload: Value,
    /// Jobs sharing a dedupe key are enqueued once while one is still queued, running or dead.
    pub dedupe_key: Option<String>,
    pub run_at: OffsetDateTime,
    pub max_attempts: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: JobId,
    pub kind: String,
    pub org_id: Option<OrgId>,
    pub payload: Value,
    pub dedupe_key: Option<String>,
    pub state: JobState,
    pub run_at: OffsetDateTime,
    /// Claims so far, this one included.
    pub attempts: i32,
    pub max_attempts: i32,
    pub locked_until: Option<OffsetDateTime>,
    pub last_error: Option<String>,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    pub queued: i64,
    pub running: i64,
    pub dead: i64,
}

/// A click to record: one visitor following one affiliate's link to one campaign.
#[derive(Debug, Clone, PartialEq)]
pub struct NewClick {
    pub id: afflux_domain::ClickId,
    pub org_id: OrgId,
    pub campaign_id: afflux_domain::CampaignId,
    pub affiliate_id: afflux_domain::AffiliateId,
    /// A keyed hash of the visitor's IP address and user agent: raw addresses are never stored.
    pub visitor_hash: Vec<u8>,
    /// The referring site's host, for traffic-source reports.
    pub referrer_domain: Option<String>,
    pub source: afflux_domain::ClickSource,
    pub at: OffsetDateTime,
}

/// A recorded click (the same fields as when it was recorded).
pub type Click = NewClick;

/// What became of a click handed to the store: recorded, or already counted this hour (the
/// visitor's earlier click of the same link), named by the id that is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClickOutcome {
    pub id: afflux_domain::ClickId,
    pub recorded: bool,
}
