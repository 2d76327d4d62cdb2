//! Builders of rows for the tests, and the imports every test module shares.

pub use std::collections::{BTreeMap, HashSet};
pub use std::fmt::Debug;
pub use std::sync::atomic::{AtomicI64, Ordering};

pub use afflux_domain::{
    Affiliate, AffiliateStatus, ApiKeyId, ApiScope, AttributionModel, Campaign, CampaignId, CampaignRules,
    CommissionModel, CommissionType, CommissionValue, Currency, Email, InviteId, JobId, Membership, MembershipId,
    OrgId, Organization, PlanTier, Role, Slug, SubscriptionStatus, UserId,
};
pub use afflux_domain::{
    AffiliateId, CampaignOverride, CrmVendor, Destination, Integration, IntegrationId, IntegrationSettings, SyncStatus,
};
pub use afflux_store::test_db::TestDb;
pub use afflux_store::{
    AffiliateFilter, AffiliateRow, ApiKey, AuditEntry, Backend, Invite, Job, JobCounts, JobState, MemberView, NewJob,
    Page, Session, StoreError, StoreResult, TeamMember, Tx, User,
};
pub use afflux_store::{CrmSync, CrmSyncFilter, CrmSyncRow};
pub use serde_json::json;
pub use time::{Duration, OffsetDateTime};
pub use uuid::Uuid;

/// Now, in whole microseconds (what both backends keep), strictly later than any earlier call:
/// rows created one after the other sort in creation order.
pub fn tick() -> OffsetDateTime {
    static LAST: AtomicI64 = AtomicI64::new(0);
    let now = i64::try_from(OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000).unwrap();
    let previous = LAST
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| Some(now.max(last + 1)))
        .unwrap();
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(now.max(previous + 1)) * 1_000).unwrap()
}

pub fn email(address: &str) -> Email {
    Email::parse(address).unwrap()
}

pub fn slug(s: &str) -> Slug {
    Slug::parse(s).unwrap()
}

pub fn page(limit: i64, offset: i64) -> Page {
    Page { limit, offset }
}

pub fn org(name: &str) -> Organization {
    Organization {
        id: OrgId::new(),
        name: name.to_owned(),
        plan: PlanTier::Starter,
        subscription_status: SubscriptionStatus::Trialing,
        home_currency: Currency::USD,
        sender_name: None,
        reply_to: None,
        created_at: tick(),
    }
}

pub async fn add_org(tx: &mut dyn Tx, name: &str) -> StoreResult<Organization> {
    let o = org(name);
    tx.insert_org(&o).await?;
    Ok(o)
}

pub fn user(address: &str) -> User {
    User {
        id: UserId::new(),
        email: email(address),
        name: None,
        password_hash: None,
        created_at: tick(),
    }
}

pub async fn add_user(tx: &mut dyn Tx, address: &str) -> StoreResult<User> {
    let u = user(address);
    tx.insert_user(&u).await?;
    Ok(u)
}

pub async fn add_member(tx: &mut dyn Tx, org: OrgId, user: UserId, role: Role) -> StoreResult<TeamMember> {
    let m = TeamMember {
        org_id: org,
        user_id: user,
        role,
        created_at: tick(),
    };
    tx.insert_member(&m).await?;
    Ok(m)
}

pub fn campaign(org: OrgId, slug_text: &str) -> Campaign {
    let at = tick();
    Campaign {
        id: CampaignId::new(),
        org_id: org,
        name: format!("Campaign {slug_text}"),
        slug: slug(slug_text),
        destination_url: "https://example.com/pricing".to_owned(),
        commission: CommissionValue {
            kind: CommissionType::Percentage,
            value: 2000,
        },
        currency: Currency::USD,
        commission_model: CommissionModel::Cps,
        cookie_window_days: 60,
        attribution_model: AttributionModel::LastTouch,
        auto_approve: false,
        description: None,
        terms_url: None,
        archived: false,
        rules: CampaignRules::default(),
        created_at: at,
        updated_at: at,
    }
}

pub async fn add_campaign(tx: &mut dyn Tx, org: OrgId, slug_text: &str) -> StoreResult<Campaign> {
    let c = campaign(org, slug_text);
    tx.insert_campaign(&c).await?;
    Ok(c)
}

pub fn affiliate(org: OrgId, address: &str, name: Option<&str>, slug_text: &str) -> Affiliate {
    Affiliate {
        id: AffiliateId::new(),
        org_id: org,
        email: email(address),
        name: name.map(str::to_owned),
        paypal_email: None,
        stripe_account_id: None,
        slug: slug(slug_text),
        created_at: tick(),
    }
}

pub async fn add_affiliate(
    tx: &mut dyn Tx,
    org: OrgId,
    address: &str,
    name: Option<&str>,
    slug_text: &str,
) -> StoreResult<Affiliate> {
    let a = affiliate(org, address, name, slug_text);
    tx.insert_affiliate(&a).await?;
    Ok(a)
}

pub fn membership(a: &Affiliate, c: &Campaign, status: AffiliateStatus) -> Membership {
    let at = tick();
    Membership {
        id: MembershipId::new(),
        org_id: a.org_id,
        affiliate_id: a.id,
        campaign_id: c.id,
        status,
        commission_override: None,
        recruited_by: None,
        status_reason: None,
        created_at: at,
        status_changed_at: at,
    }
}

pub async fn add_membership(
    tx: &mut dyn Tx,
    a: &Affiliate,
    c: &Campaign,
    status: AffiliateStatus,
) -> StoreResult<Membership> {
    let m = membership(a, c, status);
    tx.insert_membership(&m).await?;
    Ok(m)
}

pub fn invite(org: OrgId, address: &str, expires_at: OffsetDateTime) -> Invite {
    Invite {
        id: InviteId::new(),
        org_id: org,
        email: email(address),
        role: Role::Manager,
        token_hash: Uuid::now_v7().as_bytes().to_vec(),
        invited_by: None,
        created_at: tick(),
        expires_at,
        accepted_at: None,
    }
}

pub fn api_key(org: OrgId, name: &str) -> ApiKey {
    ApiKey {
        id: ApiKeyId::new(),
        org_id: org,
        name: name.to_owned(),
        scope: ApiScope::Read,
        role: Role::Viewer,
        prefix: "afx_1234".to_owned(),
        token_hash: Uuid::now_v7().as_bytes().to_vec(),
        created_by: None,
        created_at: tick(),
        revoked_at: None,
    }
}

pub fn audit(org: OrgId, action: &str, at: OffsetDateTime) -> AuditEntry {
    AuditEntry {
        id: Uuid::now_v7(),
        org_id: org,
        actor: "system".to_owned(),
        action: action.to_owned(),
        object_type: "campaign".to_owned(),
        object_id: Uuid::now_v7().to_string(),
        before: None,
        after: None,
        at,
    }
}

pub fn job(kind: &str, dedupe_key: Option<&str>, run_at: OffsetDateTime) -> NewJob {
    NewJob {
        id: JobId::new(),
        kind: kind.to_owned(),
        org_id: None,
        payload: json!({ "kind": kind }),
        dedupe_key: dedupe_key.map(str::to_owned),
        run_at,
        max_attempts: 5,
    }
}

/// The ids of `jobs`, in a set: the contract does not order claims.
pub fn job_ids(jobs: &[Job]) -> HashSet<JobId> {
    jobs.iter().map(|j| j.id).collect()
}

pub fn assert_conflict_on<T: Debug>(result: StoreResult<T>, needle: &str) {
    match result {
        Err(e) if e.is_conflict_on(needle) => {}
        other => panic!("expected a conflict on {needle}, got {other:?}"),
    }
}

pub fn assert_conflict<T: Debug>(result: StoreResult<T>) {
    match result {
        Err(StoreError::Conflict { .. }) => {}
        other => panic!("expected a conflict, got {other:?}"),
    }
}

/// The rows of an affiliates listing as (affiliate, membership) ids, in order.
pub fn row_ids(rows: &[AffiliateRow]) -> Vec<MembershipId> {
    rows.iter().map(|r| r.membership.id).collect()
}

pub fn integration(org: OrgId, vendor: CrmVendor) -> Integration {
    let at = tick();
    Integration {
        id: IntegrationId::new(),
        org_id: org,
        vendor,
        sealed_credentials: Uuid::now_v7().as_bytes().to_vec(),
        credential_hint: "…1234".to_owned(),
        settings: IntegrationSettings::default(),
        created_at: at,
        updated_at: at,
    }
}

pub async fn add_integration(tx: &mut dyn Tx, org: OrgId, vendor: CrmVendor) -> StoreResult<Integration> {
    let i = integration(org, vendor);
    tx.insert_integration(&i).await?;
    Ok(i)
}
