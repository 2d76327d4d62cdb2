//! The store conformance suite: every operation of the [`Tx`] contract, on whichever backend
//! [`TestDb`] picks (SQLite by default, PostgreSQL with `AFFLUX_TEST_DATABASE_URL`). Each test
//! gets a fresh database. A database error aborts a PostgreSQL transaction, so every write
//! expected to conflict runs in a transaction of its own, dropped afterwards.

use std::collections::HashSet;
use std::fmt::Debug;
use std::sync::atomic::{AtomicI64, Ordering};

use afflux_domain::{
    Affiliate, AffiliateStatus, ApiKeyId, ApiScope, AttributionModel, Campaign, CampaignId, CommissionModel,
    CommissionType, CommissionValue, Currency, Email, InviteId, JobId, Membership, MembershipId, OrgId, Organization,
    PlanTier, Role, Slug, SubscriptionStatus, UserId,
};
use afflux_store::test_db::TestDb;
use afflux_store::{
    AffiliateFilter, AffiliateRow, ApiKey, AuditEntry, Backend, Invite, Job, JobCounts, JobState, MemberView, NewJob,
    Page, Session, StoreError, StoreResult, TeamMember, Tx, User,
};
use serde_json::json;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// Now, in whole microseconds (what both backends keep), strictly later than any earlier call:
/// rows created one after the other sort in creation order.
fn tick() -> OffsetDateTime {
    static LAST: AtomicI64 = AtomicI64::new(0);
    let now = i64::try_from(OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000).unwrap();
    let previous = LAST
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| Some(now.max(last + 1)))
        .unwrap();
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(now.max(previous + 1)) * 1_000).unwrap()
}

fn email(address: &str) -> Email {
    Email::parse(address).unwrap()
}

fn slug(s: &str) -> Slug {
    Slug::parse(s).unwrap()
}

fn page(limit: i64, offset: i64) -> Page {
    Page { limit, offset }
}

fn org(name: &str) -> Organization {
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

async fn add_org(tx: &mut dyn Tx, name: &str) -> StoreResult<Organization> {
    let o = org(name);
    tx.insert_org(&o).await?;
    Ok(o)
}

fn user(address: &str) -> User {
    User {
        id: UserId::new(),
        email: email(address),
        name: None,
        password_hash: None,
        created_at: tick(),
    }
}

async fn add_user(tx: &mut dyn Tx, address: &str) -> StoreResult<User> {
    let u = user(address);
    tx.insert_user(&u).await?;
    Ok(u)
}

async fn add_member(tx: &mut dyn Tx, org: OrgId, user: UserId, role: Role) -> StoreResult<TeamMember> {
    let m = TeamMember {
        org_id: org,
        user_id: user,
        role,
        created_at: tick(),
    };
    tx.insert_member(&m).await?;
    Ok(m)
}

fn campaign(org: OrgId, slug_text: &str) -> Campaign {
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
        created_at: at,
        updated_at: at,
    }
}

async fn add_campaign(tx: &mut dyn Tx, org: OrgId, slug_text: &str) -> StoreResult<Campaign> {
    let c = campaign(org, slug_text);
    tx.insert_campaign(&c).await?;
    Ok(c)
}

fn affiliate(org: OrgId, address: &str, name: Option<&str>, slug_text: &str) -> Affiliate {
    Affiliate {
        id: afflux_domain::AffiliateId::new(),
        org_id: org,
        email: email(address),
        name: name.map(str::to_owned),
        paypal_email: None,
        slug: slug(slug_text),
        created_at: tick(),
    }
}

async fn add_affiliate(
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

fn membership(a: &Affiliate, c: &Campaign, status: AffiliateStatus) -> Membership {
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

async fn add_membership(
    tx: &mut dyn Tx,
    a: &Affiliate,
    c: &Campaign,
    status: AffiliateStatus,
) -> StoreResult<Membership> {
    let m = membership(a, c, status);
    tx.insert_membership(&m).await?;
    Ok(m)
}

fn invite(org: OrgId, address: &str, expires_at: OffsetDateTime) -> Invite {
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

fn api_key(org: OrgId, name: &str) -> ApiKey {
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

fn audit(org: OrgId, action: &str, at: OffsetDateTime) -> AuditEntry {
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

fn job(kind: &str, dedupe_key: Option<&str>, run_at: OffsetDateTime) -> NewJob {
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
fn job_ids(jobs: &[Job]) -> HashSet<JobId> {
    jobs.iter().map(|j| j.id).collect()
}

fn assert_conflict_on<T: Debug>(result: StoreResult<T>, needle: &str) {
    match result {
        Err(e) if e.is_conflict_on(needle) => {}
        other => panic!("expected a conflict on {needle}, got {other:?}"),
    }
}

fn assert_conflict<T: Debug>(result: StoreResult<T>) {
    match result {
        Err(StoreError::Conflict { .. }) => {}
        other => panic!("expected a conflict, got {other:?}"),
    }
}

/// The rows of an affiliates listing as (affiliate, membership) ids, in order.
fn row_ids(rows: &[AffiliateRow]) -> Vec<MembershipId> {
    rows.iter().map(|r| r.membership.id).collect()
}

// ---------------------------------------------------------------------------------------------
// The test database and transactions
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn test_databases_are_fresh_separate_and_removed_on_drop() -> StoreResult<()> {
    let first = TestDb::new().await;
    let second = TestDb::new().await;
    assert_ne!(first.url(), second.url());

    let store = first.store();
    let mut tx = store.write().await?;
    assert_eq!(tx.count_orgs().await?, 0, "a test database starts empty");
    add_org(tx.as_mut(), "Acme").await?;
    tx.commit().await?;
    assert_eq!(
        second.store().read().await?.count_orgs().await?,
        0,
        "test databases are separate"
    );

    // Connecting again to a migrated database (migrations already applied) sees the same data.
    let again = afflux_store::connect(first.url()).await?;
    assert_eq!(again.read().await?.count_orgs().await?, 1);
    again.close().await;

    let url = first.url().to_owned();
    drop(store);
    drop(first);
    match second.backend() {
        Backend::Sqlite => {
            let file = std::path::PathBuf::from(url.trim_start_matches("sqlite://"));
            assert!(!file.parent().unwrap().exists(), "{} should be removed", file.display());
        }
        Backend::Postgres => {
            use sqlx::Connection;
            let name = url.rsplit('/').next().unwrap().to_owned();
            let admin = std::env::var(afflux_store::test_db::TEST_DATABASE_URL_VAR).unwrap();
            let mut conn = sqlx::PgConnection::connect(&admin).await?;
            let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pg_database WHERE datname = $1")
                .bind(&name)
                .fetch_one(&mut conn)
                .await?;
            assert_eq!(left, 0, "database {name} should be dropped");
        }
    }
    Ok(())
}

#[tokio::test]
async fn transactions_commit_or_roll_back() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let expected = if db.url().starts_with("sqlite:") {
        Backend::Sqlite
    } else {
        Backend::Postgres
    };
    assert_eq!(store.backend(), expected);

    let mut tx = store.write().await?;
    let dropped = add_org(tx.as_mut(), "Rolled back").await?;
    tx.init_setting("rolled_back", "yes").await?;
    assert_eq!(
        tx.get_org(dropped.id).await?,
        Some(dropped.clone()),
        "a transaction sees its own writes"
    );
    drop(tx);

    let mut tx = store.write().await?;
    let kept = add_org(tx.as_mut(), "Committed").await?;
    tx.commit().await?;

    let mut tx = store.read().await?;
    assert_eq!(tx.get_org(dropped.id).await?, None);
    assert_eq!(tx.get_setting("rolled_back").await?, None);
    assert_eq!(tx.get_org(kept.id).await?, Some(kept));
    assert_eq!(tx.count_orgs().await?, 1);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Settings and organizations
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn settings_are_initialized_once() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();

    let mut tx = store.write().await?;
    assert_eq!(tx.get_setting("session_secret").await?, None);
    assert_eq!(tx.init_setting("session_secret", "first").await?, "first");
    assert_eq!(
        tx.init_setting("session_secret", "second").await?,
        "first",
        "init keeps the first value"
    );
    assert_eq!(tx.init_setting("setup_token", "token").await?, "token");
    tx.commit().await?;

    let mut tx = store.write().await?;
    assert_eq!(
        tx.init_setting("session_secret", "third").await?,
        "first",
        "also across transactions"
    );
    assert_eq!(tx.get_setting("session_secret").await?.as_deref(), Some("first"));
    assert!(tx.delete_setting("setup_token").await?);
    assert!(!tx.delete_setting("setup_token").await?);
    assert!(!tx.delete_setting("never_set").await?);
    tx.commit().await?;

    let mut tx = store.write().await?;
    assert_eq!(tx.get_setting("setup_token").await?, None);
    assert_eq!(tx.get_setting("session_secret").await?.as_deref(), Some("first"));
    assert_eq!(
        tx.init_setting("setup_token", "new").await?,
        "new",
        "a deleted setting can be set again"
    );
    Ok(())
}

#[tokio::test]
async fn organizations() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();

    let mut tx = store.write().await?;
    assert_eq!(tx.count_orgs().await?, 0);
    let mut acme = org("Acme");
    acme.plan = PlanTier::Growth;
    acme.subscription_status = SubscriptionStatus::Active;
    acme.home_currency = Currency::EUR;
    acme.sender_name = Some("Acme Partners".to_owned());
    acme.reply_to = Some(email("Partners@Acme.test"));
    tx.insert_org(&acme).await?;
    let globex = add_org(tx.as_mut(), "Globex").await?;
    tx.commit().await?;

    let mut tx = store.write().await?;
    let got = tx.get_org(acme.id).await?.expect("acme");
    assert_eq!(got, acme);
    assert_eq!(
        got.reply_to.as_ref().map(Email::as_str),
        Some("Partners@Acme.test"),
        "emails keep their case"
    );
    assert_eq!(tx.get_org(globex.id).await?, Some(globex.clone()));
    assert_eq!(tx.get_org(OrgId::new()).await?, None);
    assert_eq!(tx.count_orgs().await?, 2);

    assert!(
        tx.set_org_plan(globex.id, PlanTier::Enterprise, SubscriptionStatus::PastDue)
            .await?
    );
    assert!(
        !tx.set_org_plan(OrgId::new(), PlanTier::Pro, SubscriptionStatus::Active)
            .await?
    );
    tx.lock_org(globex.id).await?;
    tx.commit().await?;

    let mut tx = store.read().await?;
    let got = tx.get_org(globex.id).await?.expect("globex");
    assert_eq!(
        (got.plan, got.subscription_status),
        (PlanTier::Enterprise, SubscriptionStatus::PastDue)
    );
    assert_eq!(got.name, "Globex");
    assert_eq!(
        tx.get_org(acme.id).await?,
        Some(acme),
        "other organizations are untouched"
    );
    Ok(())
}

#[tokio::test]
async fn user_organizations_are_listed_with_their_role() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();

    let mut tx = store.write().await?;
    let first = add_org(tx.as_mut(), "First").await?;
    let second = add_org(tx.as_mut(), "Second").await?;
    let third = add_org(tx.as_mut(), "Third").await?;
    let jane = add_user(tx.as_mut(), "jane@example.com").await?;
    let stranger = add_user(tx.as_mut(), "stranger@example.com").await?;
    // Joined in the opposite order of the organizations' creation.
    add_member(tx.as_mut(), second.id, jane.id, Role::Viewer).await?;
    add_member(tx.as_mut(), first.id, jane.id, Role::Owner).await?;
    add_member(tx.as_mut(), third.id, stranger.id, Role::Owner).await?;
    tx.commit().await?;

    let mut tx = store.read().await?;
    assert_eq!(
        tx.list_user_orgs(jane.id).await?,
        vec![(first, Role::Owner), (second, Role::Viewer)]
    );
    assert_eq!(tx.list_user_orgs(stranger.id).await?, vec![(third, Role::Owner)]);
    assert_eq!(tx.list_user_orgs(UserId::new()).await?, vec![]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_org_serializes_writers_until_commit() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();

    let mut tx = store.write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let owner = add_user(tx.as_mut(), "owner@acme.test").await?;
    let newcomer = add_user(tx.as_mut(), "newcomer@acme.test").await?;
    add_member(tx.as_mut(), acme.id, owner.id, Role::Owner).await?;
    tx.commit().await?;

    let mut first = store.write().await?;
    first.lock_org(acme.id).await?;
    assert_eq!(first.count_members(acme.id, None).await?, 1);

    let second = tokio::spawn({
        let store = store.clone();
        async move {
            let mut tx = store.write().await?;
            tx.lock_org(acme.id).await?;
            let seats = tx.count_members(acme.id, None).await?;
            tx.commit().await?;
            Ok::<_, StoreError>(seats)
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !second.is_finished(),
        "a second writer locked the organization while the first held it"
    );

    add_member(first.as_mut(), acme.id, newcomer.id, Role::Viewer).await?;
    first.commit().await?;
    let seats = second.await.expect("second writer")?;
    assert_eq!(
        seats, 2,
        "after the lock, the second writer sees what the first committed"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_instance_serializes_first_run_setup() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();

    let mut first = store.write().await?;
    first.lock_instance().await?;
    assert_eq!(first.count_orgs().await?, 0);

    let second = tokio::spawn({
        let store = store.clone();
        async move {
            let mut tx = store.write().await?;
            tx.lock_instance().await?;
            let orgs = tx.count_orgs().await?;
            tx.commit().await?;
            Ok::<_, StoreError>(orgs)
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !second.is_finished(),
        "a second writer took the instance lock while the first held it"
    );

    add_org(first.as_mut(), "Acme").await?;
    first.commit().await?;
    assert_eq!(
        second.await.expect("second writer")?,
        1,
        "the second setup sees the first's organization"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Users, team, sessions, invitations, API keys
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn users() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();

    let mut jane = user("Jane.Doe@Example.com");
    jane.name = Some("Jane Doe".to_owned());
    let bob = user("bob@example.com");
    let mut tx = store.write().await?;
    tx.insert_user(&jane).await?;
    tx.insert_user(&bob).await?;
    tx.commit().await?;

    let mut tx = store.write().await?;
    let got = tx.get_user(jane.id).await?.expect("jane");
    assert_eq!(got, jane);
    assert_eq!(got.email.as_str(), "Jane.Doe@Example.com", "the address keeps its case");
    assert_eq!(tx.get_user(UserId::new()).await?, None);
    assert_eq!(tx.get_user_by_email("jane.doe@example.com").await?, Some(jane.clone()));
    assert_eq!(tx.get_user_by_email("bob@example.com").await?, Some(bob.clone()));
    assert_eq!(tx.get_user_by_email("nobody@example.com").await?, None);

    assert!(
        tx.set_user_password(jane.id, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA")
            .await?
    );
    assert!(!tx.set_user_password(UserId::new(), "$argon2id$x").await?);
    tx.commit().await?;

    let mut tx = store.read().await?;
    let got = tx.get_user(jane.id).await?.expect("jane");
    assert_eq!(
        got.password_hash.as_deref(),
        Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA")
    );
    assert_eq!(tx.get_user(bob.id).await?.expect("bob").password_hash, None);
    drop(tx);

    // The same address in another case is the same identity.
    let mut tx = store.write().await?;
    assert_conflict_on(tx.insert_user(&user("JANE.DOE@example.COM")).await, "email_key");
    drop(tx);
    Ok(())
}

#[tokio::test]
async fn team_members() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();

    let mut tx = store.write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let mut owner = user("owner@acme.test");
    owner.name = Some("Olivia Owner".to_owned());
    tx.insert_user(&owner).await?;
    let admin = add_user(tx.as_mut(), "admin@acme.test").await?;
    let viewer = add_user(tx.as_mut(), "viewer@acme.test").await?;
    let m_owner = add_member(tx.as_mut(), acme.id, owner.id, Role::Owner).await?;
    let m_admin = add_member(tx.as_mut(), acme.id, admin.id, Role::Admin).await?;
    let m_viewer = add_member(tx.as_mut(), acme.id, viewer.id, Role::Viewer).await?;
    tx.commit().await?;

    let mut tx = store.write().await?;
    let view = |m: &TeamMember, u: &User| MemberView {
        member: m.clone(),
        email: u.email.clone(),
        name: u.name.clone(),
    };
    assert_eq!(
        tx.list_members(acme.id).await?,
        vec![view(&m_owner, &owner), view(&m_admin, &admin), view(&m_viewer, &viewer)]
    );
    assert_eq!(tx.get_member(acme.id, admin.id).await?, Some(m_admin.clone()));
    assert_eq!(tx.get_member(acme.id, UserId::new()).await?, None);
    assert_eq!(tx.count_members(acme.id, None).await?, 3);
    assert_eq!(tx.count_members(acme.id, Some(Role::Owner)).await?, 1);
    assert_eq!(tx.count_members(acme.id, Some(Role::Viewer)).await?, 1);
    assert_eq!(tx.count_members(acme.id, Some(Role::Manager)).await?, 0);

    assert!(tx.set_member_role(acme.id, viewer.id, Role::Manager).await?);
    assert!(!tx.set_member_role(acme.id, UserId::new(), Role::Manager).await?);
    assert!(tx.delete_member(acme.id, admin.id).await?);
    assert!(!tx.delete_member(acme.id, admin.id).await?);
    tx.commit().await?;

    let mut tx = store.read().await?;
    let promoted = TeamMember {
        role: Role::Manager,
        ..m_viewer.clone()
    };
    assert_eq!(tx.get_member(acme.id, viewer.id).await?, Some(promoted.clone()));
    assert_eq!(tx.get_member(acme.id, admin.id).await?, None);
    assert_eq!(
        tx.list_members(acme.id).await?,
        vec![view(&m_owner, &owner), view(&promoted, &viewer)]
    );
    assert_eq!(tx.count_members(acme.id, None).await?, 2);
    assert_eq!(tx.count_members(acme.id, Some(Role::Viewer)).await?, 0);
    assert_eq!(tx.count_members(acme.id, Some(Role::Manager)).await?, 1);
    assert_eq!(tx.count_members(acme.id, Some(Role::Admin)).await?, 0);
    drop(tx);

    // A user holds one seat per organization.
    let mut tx = store.write().await?;
    assert_conflict(
        tx.insert_member(&TeamMember {
            role: Role::Admin,
            ..m_owner
        })
        .await,
    );
    Ok(())
}

#[tokio::test]
async fn sessions() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let now = tick();

    let mut tx = store.write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let jane = add_user(tx.as_mut(), "jane@acme.test").await?;
    let live = Session {
        token_hash: (0..=255u8).step_by(8).collect(),
        user_id: jane.id,
        org_id: acme.id,
        created_at: now,
        expires_at: now + Duration::hours(12),
    };
    let stale = Session {
        token_hash: vec![0xff; 32],
        created_at: now - Duration::days(2),
        expires_at: now - Duration::seconds(1),
        ..live.clone()
    };
    tx.insert_session(&live).await?;
    tx.insert_session(&stale).await?;
    tx.commit().await?;

    let mut tx = store.write().await?;
    assert_eq!(tx.get_session(&live.token_hash).await?, Some(live.clone()));
    assert_eq!(tx.get_session(&stale.token_hash).await?, Some(stale.clone()));
    assert_eq!(tx.get_session(&[0u8; 32]).await?, None);
    assert_eq!(tx.delete_expired_sessions(now).await?, 1);
    assert_eq!(tx.delete_expired_sessions(now).await?, 0);
    tx.commit().await?;

    let mut tx = store.write().await?;
    assert_eq!(tx.get_session(&stale.token_hash).await?, None);
    assert_eq!(tx.get_session(&live.token_hash).await?, Some(live.clone()));
    assert!(tx.delete_session(&live.token_hash).await?);
    assert!(!tx.delete_session(&live.token_hash).await?);
    assert_eq!(tx.get_session(&live.token_hash).await?, None);
    Ok(())
}

#[tokio::test]
async fn invites() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let now = tick();
    let week = now + Duration::days(7);

    let mut tx = store.write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let globex = add_org(tx.as_mut(), "Globex").await?;
    let owner = add_user(tx.as_mut(), "owner@acme.test").await?;
    let open = Invite {
        invited_by: Some(owner.id),
        role: Role::Admin,
        ..invite(acme.id, "New.Hire@Acme.test", week)
    };
    let accepted = Invite {
        accepted_at: Some(now - Duration::hours(1)),
        ..invite(acme.id, "joined@acme.test", week)
    };
    let expired = invite(acme.id, "late@acme.test", now - Duration::seconds(1));
    let open_later = invite(acme.id, "second@acme.test", week);
    let elsewhere = invite(globex.id, "someone@globex.test", week);
    for i in [&open, &accepted, &expired, &open_later, &elsewhere] {
        tx.insert_invite(i).await?;
    }
    tx.commit().await?;

    let mut tx = store.write().await?;
    assert_eq!(
        tx.list_open_invites(acme.id, now).await?,
        vec![open.clone(), open_later.clone()]
    );
    assert_eq!(tx.list_open_invites(globex.id, now).await?, vec![elsewhere.clone()]);
    let got = tx.get_invite(acme.id, open.id).await?.expect("open invite");
    assert_eq!(got, open);
    assert_eq!(got.email.as_str(), "New.Hire@Acme.test");
    assert_eq!(tx.get_invite(acme.id, accepted.id).await?, Some(accepted.clone()));
    assert_eq!(tx.get_invite(acme.id, InviteId::new()).await?, None);
    assert_eq!(tx.get_invite_by_token(&open.token_hash).await?, Some(open.clone()));
    assert_eq!(
        tx.get_invite_by_token(&elsewhere.token_hash).await?,
        Some(elsewhere.clone())
    );
    assert_eq!(tx.get_invite_by_token(&[7u8; 16]).await?, None);

    let accepted_at = now + Duration::minutes(1);
    assert!(tx.accept_invite(open.id, accepted_at).await?);
    assert!(
        !tx.accept_invite(open.id, accepted_at + Duration::minutes(1)).await?,
        "accepting twice"
    );
    assert!(!tx.accept_invite(accepted.id, accepted_at).await?);
    assert!(!tx.accept_invite(InviteId::new(), accepted_at).await?);
    assert!(tx.delete_invite(acme.id, expired.id).await?);
    assert!(!tx.delete_invite(acme.id, expired.id).await?);
    tx.commit().await?;

    let mut tx = store.read().await?;
    let got = tx.get_invite(acme.id, open.id).await?.expect("open invite");
    assert_eq!(got.accepted_at, Some(accepted_at), "the first acceptance is kept");
    assert_eq!(tx.list_open_invites(acme.id, now).await?, vec![open_later.clone()]);
    assert_eq!(tx.get_invite(acme.id, expired.id).await?, None);
    // An invitation expires at its expiry time.
    assert_eq!(
        tx.list_open_invites(acme.id, week + Duration::seconds(1)).await?,
        vec![]
    );
    drop(tx);

    let mut tx = store.write().await?;
    assert_conflict_on(
        tx.insert_invite(&Invite {
            token_hash: open_later.token_hash.clone(),
            ..invite(acme.id, "x@acme.test", week)
        })
        .await,
        "token_hash",
    );
    Ok(())
}

#[tokio::test]
async fn api_keys() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let now = tick();

    let mut tx = store.write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let owner = add_user(tx.as_mut(), "owner@acme.test").await?;
    let reader = ApiKey {
        created_by: Some(owner.id),
        ..api_key(acme.id, "Reporting")
    };
    let writer = ApiKey {
        scope: ApiScope::ReadWrite,
        role: Role::Admin,
        prefix: "afx_abcd".to_owned(),
        ..api_key(acme.id, "Zapier")
    };
    tx.insert_api_key(&reader).await?;
    tx.insert_api_key(&writer).await?;
    tx.commit().await?;

    let mut tx = store.write().await?;
    assert_eq!(tx.get_api_key(acme.id, reader.id).await?, Some(reader.clone()));
    assert_eq!(tx.get_api_key(acme.id, ApiKeyId::new()).await?, None);
    assert_eq!(tx.get_api_key_by_hash(&writer.token_hash).await?, Some(writer.clone()));
    assert_eq!(tx.get_api_key_by_hash(&[1u8; 32]).await?, None);
    assert_eq!(tx.list_api_keys(acme.id).await?, vec![reader.clone(), writer.clone()]);

    assert!(tx.revoke_api_key(acme.id, reader.id, now).await?);
    assert!(
        !tx.revoke_api_key(acme.id, reader.id, now + Duration::hours(1)).await?,
        "revoking twice"
    );
    assert!(!tx.revoke_api_key(acme.id, ApiKeyId::new(), now).await?);
    tx.commit().await?;

    let mut tx = store.read().await?;
    let revoked = ApiKey {
        revoked_at: Some(now),
        ..reader.clone()
    };
    assert_eq!(tx.get_api_key(acme.id, reader.id).await?, Some(revoked.clone()));
    assert_eq!(
        tx.get_api_key_by_hash(&reader.token_hash).await?,
        Some(revoked.clone()),
        "revoked keys are still found, marked revoked"
    );
    assert_eq!(tx.list_api_keys(acme.id).await?, vec![revoked, writer.clone()]);
    drop(tx);

    let mut tx = store.write().await?;
    assert_conflict_on(
        tx.insert_api_key(&ApiKey {
            token_hash: writer.token_hash.clone(),
            ..api_key(acme.id, "Copy")
        })
        .await,
        "token_hash",
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Campaigns
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn campaigns() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();

    let mut tx = store.write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let globex = add_org(tx.as_mut(), "Globex").await?;
    let summer = Campaign {
        commission: CommissionValue {
            kind: CommissionType::Fixed,
            value: 1250,
        },
        currency: Currency::JPY,
        commission_model: CommissionModel::Cpl,
        cookie_window_days: 90,
        attribution_model: AttributionModel::FirstTouch,
        auto_approve: true,
        description: Some("Our summer programme — 20 % off".to_owned()),
        terms_url: Some("https://acme.test/terms".to_owned()),
        ..campaign(acme.id, "Summer-Sale")
    };
    tx.insert_campaign(&summer).await?;
    let winter = add_campaign(tx.as_mut(), acme.id, "winter").await?;
    let old = Campaign {
        archived: true,
        ..campaign(acme.id, "old-one")
    };
    tx.insert_campaign(&old).await?;
    let spring = add_campaign(tx.as_mut(), acme.id, "spring").await?;
    // The same slug in another organization is fine.
    let theirs = add_campaign(tx.as_mut(), globex.id, "SUMMER-sale").await?;
    tx.commit().await?;

    let mut tx = store.read().await?;
    let got = tx.get_campaign(acme.id, summer.id).await?.expect("summer");
    assert_eq!(got, summer);
    assert_eq!(got.slug.as_str(), "Summer-Sale", "the slug keeps its case");
    assert_eq!(tx.get_campaign(acme.id, CampaignId::new()).await?, None);
    assert_eq!(
        tx.get_campaign_by_slug(acme.id, "summer-sale").await?,
        Some(summer.clone())
    );
    assert_eq!(
        tx.get_campaign_by_slug(globex.id, "summer-sale").await?,
        Some(theirs.clone())
    );
    assert_eq!(tx.get_campaign_by_slug(acme.id, "autumn").await?, None);

    let active = vec![summer.clone(), winter.clone(), spring.clone()];
    let all = vec![summer.clone(), winter.clone(), old.clone(), spring.clone()];
    assert_eq!(tx.list_campaigns(acme.id, false, Page::ALL).await?, active);
    assert_eq!(tx.list_campaigns(acme.id, true, Page::ALL).await?, all);
    assert_eq!(tx.list_campaigns(acme.id, false, page(2, 0)).await?, active[..2]);
    assert_eq!(tx.list_campaigns(acme.id, false, page(2, 2)).await?, active[2..]);
    assert_eq!(tx.list_campaigns(acme.id, true, page(2, 1)).await?, all[1..3]);
    assert_eq!(tx.list_campaigns(acme.id, true, page(10, 4)).await?, vec![]);
    assert_eq!(
        tx.list_campaigns(globex.id, true, Page::ALL).await?,
        vec![theirs.clone()]
    );
    assert_eq!(tx.count_active_campaigns(acme.id).await?, 3);
    assert_eq!(tx.count_active_campaigns(globex.id).await?, 1);
    drop(tx);

    // An update rewrites every mutable field, but never the slug.
    let updated = Campaign {
        name: "Winter 2025".to_owned(),
        slug: slug("renamed"),
        destination_url: "https://acme.test/winter".to_owned(),
        commission: CommissionValue {
            kind: CommissionType::Fixed,
            value: 500,
        },
        currency: Currency::EUR,
        commission_model: CommissionModel::Cpc,
        cookie_window_days: 7,
        attribution_model: AttributionModel::FirstTouch,
        auto_approve: true,
        description: Some("Cold".to_owned()),
        terms_url: Some("https://acme.test/winter-terms".to_owned()),
        archived: true,
        updated_at: tick(),
        ..winter.clone()
    };
    let mut tx = store.write().await?;
    assert!(tx.update_campaign(&updated).await?);
    assert!(
        !tx.update_campaign(&Campaign {
            id: CampaignId::new(),
            ..updated.clone()
        })
        .await?
    );
    tx.commit().await?;

    let mut tx = store.read().await?;
    let expected = Campaign {
        slug: winter.slug.clone(),
        ..updated.clone()
    };
    assert_eq!(tx.get_campaign(acme.id, winter.id).await?, Some(expected.clone()));
    assert_eq!(
        tx.get_campaign_by_slug(acme.id, "winter").await?,
        Some(expected.clone())
    );
    assert_eq!(tx.get_campaign_by_slug(acme.id, "renamed").await?, None);
    assert_eq!(tx.count_active_campaigns(acme.id).await?, 2);
    assert_eq!(
        tx.list_campaigns(acme.id, false, Page::ALL).await?,
        vec![summer.clone(), spring.clone()]
    );
    // Un-archiving works too.
    drop(tx);
    let mut tx = store.write().await?;
    assert!(
        tx.update_campaign(&Campaign {
            archived: false,
            ..expected.clone()
        })
        .await?
    );
    assert_eq!(tx.count_active_campaigns(acme.id).await?, 3);
    tx.commit().await?;

    // Slugs are unique per organization, whatever their case.
    let mut tx = store.write().await?;
    assert_conflict_on(tx.insert_campaign(&campaign(acme.id, "summer-SALE")).await, "slug_key");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Affiliates and memberships
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn affiliates() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();

    let mut tx = store.write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let globex = add_org(tx.as_mut(), "Globex").await?;
    let jane = Affiliate {
        paypal_email: Some(email("Jane.Pay@PayPal.test")),
        ..affiliate(acme.id, "Jane.Doe@Example.com", Some("Jane Doe"), "Jane-Recommends")
    };
    tx.insert_affiliate(&jane).await?;
    let bob = add_affiliate(tx.as_mut(), acme.id, "bob@example.com", None, "bobs-tools").await?;
    // The same person may promote another organization, under another slug.
    let jane_at_globex = add_affiliate(tx.as_mut(), globex.id, "jane.doe@example.com", None, "jane-at-globex").await?;
    tx.commit().await?;

    let mut tx = store.write().await?;
    let got = tx.get_affiliate(acme.id, jane.id).await?.expect("jane");
    assert_eq!(got, jane);
    assert_eq!(got.email.as_str(), "Jane.Doe@Example.com");
    assert_eq!(
        got.paypal_email.as_ref().map(Email::as_str),
        Some("Jane.Pay@PayPal.test")
    );
    assert_eq!(got.slug.as_str(), "Jane-Recommends");
    assert_eq!(tx.get_affiliate(acme.id, bob.id).await?, Some(bob.clone()));
    assert_eq!(
        tx.get_affiliate(acme.id, afflux_domain::AffiliateId::new()).await?,
        None
    );
    assert_eq!(
        tx.get_affiliate_by_email(acme.id, "jane.doe@example.com").await?,
        Some(jane.clone())
    );
    assert_eq!(
        tx.get_affiliate_by_email(globex.id, "jane.doe@example.com").await?,
        Some(jane_at_globex.clone())
    );
    assert_eq!(tx.get_affiliate_by_email(acme.id, "nobody@example.com").await?, None);
    // Slugs are looked up across the instance, by their lower-cased key.
    assert_eq!(tx.get_affiliate_by_slug("jane-recommends").await?, Some(jane.clone()));
    assert_eq!(
        tx.get_affiliate_by_slug("jane-at-globex").await?,
        Some(jane_at_globex.clone())
    );
    assert_eq!(tx.get_affiliate_by_slug("nobody").await?, None);

    assert!(tx.set_affiliate_slug(acme.id, jane.id, &slug("Jane-2")).await?);
    assert!(
        !tx.set_affiliate_slug(acme.id, afflux_domain::AffiliateId::new(), &slug("ghost"))
            .await?
    );
    tx.commit().await?;

    let mut tx = store.read().await?;
    assert_eq!(tx.get_affiliate_by_slug("jane-recommends").await?, None);
    let renamed = Affiliate {
        slug: slug("Jane-2"),
        ..jane.clone()
    };
    assert_eq!(tx.get_affiliate_by_slug("jane-2").await?, Some(renamed.clone()));
    assert_eq!(
        tx.get_affiliate(acme.id, jane.id).await?.expect("jane").slug.as_str(),
        "Jane-2"
    );
    drop(tx);

    // An address is unique within an organization, whatever its case...
    let mut tx = store.write().await?;
    let result = tx
        .insert_affiliate(&affiliate(acme.id, "JANE.DOE@example.com", None, "fresh-slug"))
        .await;
    assert_conflict_on(result, "email_key");
    drop(tx);
    // ...and a slug across the instance, whatever its case.
    let mut tx = store.write().await?;
    let result = tx
        .insert_affiliate(&affiliate(globex.id, "new@globex.test", None, "BOBS-tools"))
        .await;
    assert!(
        matches!(&result, Err(e) if e.is_conflict_on("slug_key") && !e.is_conflict_on("email_key")),
        "{result:?}"
    );
    drop(tx);
    let mut tx = store.write().await?;
    assert!(
        matches!(tx.set_affiliate_slug(acme.id, bob.id, &slug("jane-2")).await, Err(e) if e.is_conflict_on("slug_key")),
        "a slug taken by another affiliate is refused"
    );
    drop(tx);
    // The freed slug can be taken again.
    let mut tx = store.write().await?;
    assert!(tx.set_affiliate_slug(acme.id, bob.id, &slug("Jane-Recommends")).await?);
    tx.commit().await?;
    assert_eq!(
        store
            .read()
            .await?
            .get_affiliate_by_slug("jane-recommends")
            .await?
            .map(|a| a.id),
        Some(bob.id)
    );
    Ok(())
}

#[tokio::test]
async fn memberships() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();

    let mut tx = store.write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let summer = add_campaign(tx.as_mut(), acme.id, "summer").await?;
    let winter = add_campaign(tx.as_mut(), acme.id, "winter").await?;
    let jane = add_affiliate(tx.as_mut(), acme.id, "jane@example.com", Some("Jane"), "jane").await?;
    let bob = add_affiliate(tx.as_mut(), acme.id, "bob@example.com", None, "bobby").await?;
    let jane_summer = Membership {
        commission_override: Some(CommissionValue {
            kind: CommissionType::Percentage,
            value: 2500,
        }),
        ..membership(&jane, &summer, AffiliateStatus::Approved)
    };
    tx.insert_membership(&jane_summer).await?;
    let jane_winter = Membership {
        recruited_by: Some(bob.id),
        ..membership(&jane, &winter, AffiliateStatus::Pending)
    };
    tx.insert_membership(&jane_winter).await?;
    let bob_summer = add_membership(tx.as_mut(), &bob, &summer, AffiliateStatus::Pending).await?;
    tx.commit().await?;

    let mut tx = store.write().await?;
    assert_eq!(
        tx.get_membership(acme.id, jane.id, summer.id).await?,
        Some(jane_summer.clone())
    );
    assert_eq!(
        tx.get_membership(acme.id, jane.id, winter.id).await?,
        Some(jane_winter.clone())
    );
    assert_eq!(tx.get_membership(acme.id, bob.id, winter.id).await?, None);
    assert_eq!(
        tx.list_memberships(acme.id, jane.id).await?,
        vec![jane_summer.clone(), jane_winter.clone()]
    );
    assert_eq!(tx.list_memberships(acme.id, bob.id).await?, vec![bob_summer.clone()]);

    // Status, reason, override and status time are rewritten.
    let rejected = Membership {
        status: AffiliateStatus::Rejected,
        status_reason: Some("Not a fit".to_owned()),
        commission_override: Some(CommissionValue {
            kind: CommissionType::Fixed,
            value: 500,
        }),
        status_changed_at: tick(),
        ..jane_winter.clone()
    };
    assert!(tx.update_membership(&rejected).await?);
    let plain = Membership {
        commission_override: None,
        status_changed_at: tick(),
        ..jane_summer.clone()
    };
    assert!(tx.update_membership(&plain).await?);
    assert!(
        !tx.update_membership(&Membership {
            id: MembershipId::new(),
            ..plain.clone()
        })
        .await?
    );
    tx.commit().await?;

    let mut tx = store.read().await?;
    assert_eq!(
        tx.get_membership(acme.id, jane.id, winter.id).await?,
        Some(rejected.clone())
    );
    assert_eq!(
        tx.get_membership(acme.id, jane.id, summer.id).await?,
        Some(plain.clone()),
        "an override is cleared"
    );
    assert_eq!(
        tx.get_membership(acme.id, bob.id, summer.id).await?,
        Some(bob_summer.clone()),
        "others untouched"
    );
    drop(tx);

    let mut tx = store.write().await?;
    let restored = Membership {
        commission_override: jane_summer.commission_override,
        ..plain.clone()
    };
    assert!(tx.update_membership(&restored).await?);
    tx.commit().await?;
    assert_eq!(
        store.read().await?.get_membership(acme.id, jane.id, summer.id).await?,
        Some(restored)
    );

    // One membership per affiliate and campaign.
    let mut tx = store.write().await?;
    assert_conflict(
        tx.insert_membership(&membership(&jane, &summer, AffiliateStatus::Pending))
            .await,
    );
    Ok(())
}

#[tokio::test]
async fn affiliate_listing_filters_and_pages() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();

    let mut tx = store.write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let globex = add_org(tx.as_mut(), "Globex").await?;
    let summer = add_campaign(tx.as_mut(), acme.id, "summer").await?;
    let winter = add_campaign(tx.as_mut(), acme.id, "winter").await?;
    let theirs = add_campaign(tx.as_mut(), globex.id, "summer").await?;
    let jane = add_affiliate(
        tx.as_mut(),
        acme.id,
        "Jane.Doe@Example.com",
        Some("Jane Doe"),
        "Jane-Recommends",
    )
    .await?;
    let bob = add_affiliate(
        tx.as_mut(),
        acme.id,
        "bob@shop.test",
        Some("Robert BUILDER"),
        "bobs-tools",
    )
    .await?;
    let anon = add_affiliate(tx.as_mut(), acme.id, "anon@mail.test", None, "anon-123").await?;
    let other = add_affiliate(
        tx.as_mut(),
        globex.id,
        "builder@example.com",
        Some("Builder"),
        "other-one",
    )
    .await?;
    // Created in this order; listed newest first.
    let m1 = add_membership(tx.as_mut(), &jane, &summer, AffiliateStatus::Approved).await?;
    let m2 = add_membership(tx.as_mut(), &bob, &summer, AffiliateStatus::Pending).await?;
    let m3 = add_membership(tx.as_mut(), &jane, &winter, AffiliateStatus::Pending).await?;
    let m4 = add_membership(tx.as_mut(), &anon, &winter, AffiliateStatus::Banned).await?;
    let m5 = add_membership(tx.as_mut(), &other, &theirs, AffiliateStatus::Pending).await?;
    tx.commit().await?;

    let mut tx = store.read().await?;
    let all = tx
        .list_affiliates(acme.id, &AffiliateFilter::default(), Page::ALL)
        .await?;
    assert_eq!(
        all,
        vec![
            AffiliateRow {
                affiliate: anon.clone(),
                membership: m4.clone()
            },
            AffiliateRow {
                affiliate: jane.clone(),
                membership: m3.clone()
            },
            AffiliateRow {
                affiliate: bob.clone(),
                membership: m2.clone()
            },
            AffiliateRow {
                affiliate: jane.clone(),
                membership: m1.clone()
            },
        ]
    );

    let filter = |campaign: Option<&Campaign>, status: Option<AffiliateStatus>, search: Option<&str>| AffiliateFilter {
        campaign_id: campaign.map(|c| c.id),
        status,
        search: search.map(str::to_owned),
    };
    let cases: Vec<(AffiliateFilter, Vec<MembershipId>)> = vec![
        (filter(Some(&summer), None, None), vec![m2.id, m1.id]),
        (filter(Some(&winter), None, None), vec![m4.id, m3.id]),
        (filter(Some(&theirs), None, None), vec![]),
        (filter(None, Some(AffiliateStatus::Pending), None), vec![m3.id, m2.id]),
        (filter(None, Some(AffiliateStatus::Banned), None), vec![m4.id]),
        (filter(None, Some(AffiliateStatus::Paused), None), vec![]),
        (filter(Some(&winter), Some(AffiliateStatus::Pending), None), vec![m3.id]),
        // The search matches the email, the name (case-insensitively) or the slug.
        (filter(None, None, Some("example.com")), vec![m3.id, m1.id]),
        (filter(None, None, Some("builder")), vec![m2.id]),
        (filter(None, None, Some("recommends")), vec![m3.id, m1.id]),
        (filter(None, None, Some("anon-1")), vec![m4.id]),
        (filter(None, None, Some("jane doe")), vec![m3.id, m1.id]),
        (filter(None, None, Some("nobody")), vec![]),
        (filter(Some(&summer), None, Some("jane")), vec![m1.id]),
        (
            filter(Some(&summer), Some(AffiliateStatus::Pending), Some("bob")),
            vec![m2.id],
        ),
        (
            filter(Some(&summer), Some(AffiliateStatus::Approved), Some("bob")),
            vec![],
        ),
    ];
    for (f, expected) in cases {
        let rows = tx.list_affiliates(acme.id, &f, Page::ALL).await?;
        assert_eq!(row_ids(&rows), expected, "{f:?}");
    }

    let f = AffiliateFilter::default();
    assert_eq!(
        row_ids(&tx.list_affiliates(acme.id, &f, page(2, 0)).await?),
        vec![m4.id, m3.id]
    );
    assert_eq!(
        row_ids(&tx.list_affiliates(acme.id, &f, page(2, 1)).await?),
        vec![m3.id, m2.id]
    );
    assert_eq!(
        row_ids(&tx.list_affiliates(acme.id, &f, page(2, 3)).await?),
        vec![m1.id]
    );
    assert_eq!(row_ids(&tx.list_affiliates(acme.id, &f, page(2, 4)).await?), vec![]);
    let pending = filter(None, Some(AffiliateStatus::Pending), None);
    assert_eq!(
        row_ids(&tx.list_affiliates(acme.id, &pending, page(1, 1)).await?),
        vec![m2.id]
    );

    let theirs_rows = tx
        .list_affiliates(globex.id, &AffiliateFilter::default(), Page::ALL)
        .await?;
    assert_eq!(
        theirs_rows,
        vec![AffiliateRow {
            affiliate: other.clone(),
            membership: m5.clone()
        }]
    );
    Ok(())
}

#[tokio::test]
async fn affiliate_search_is_literal() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();

    let mut tx = store.write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let summer = add_campaign(tx.as_mut(), acme.id, "summer").await?;
    let percent = add_affiliate(tx.as_mut(), acme.id, "pct%off@deals.test", None, "pct-off").await?;
    let underscore = add_affiliate(
        tx.as_mut(),
        acme.id,
        "plain@deals.test",
        Some("snake_case fan"),
        "snake-fan",
    )
    .await?;
    let backslash = add_affiliate(tx.as_mut(), acme.id, "slash@deals.test", Some("back\\slash"), "slasher").await?;
    let ordinary = add_affiliate(
        tx.as_mut(),
        acme.id,
        "jane@example.com",
        Some("Exact Match"),
        "exact-match",
    )
    .await?;
    let m_percent = add_membership(tx.as_mut(), &percent, &summer, AffiliateStatus::Approved).await?;
    let m_underscore = add_membership(tx.as_mut(), &underscore, &summer, AffiliateStatus::Approved).await?;
    let m_backslash = add_membership(tx.as_mut(), &backslash, &summer, AffiliateStatus::Approved).await?;
    let m_ordinary = add_membership(tx.as_mut(), &ordinary, &summer, AffiliateStatus::Approved).await?;
    tx.commit().await?;

    let mut tx = store.read().await?;
    assert_eq!(
        tx.list_affiliates(acme.id, &AffiliateFilter::default(), Page::ALL)
            .await?
            .len(),
        4
    );
    // Patterns that LIKE would read as wildcards match only where they literally appear.
    let cases: Vec<(&str, Vec<MembershipId>)> = vec![
        ("%", vec![m_percent.id]),
        ("%off", vec![m_percent.id]),
        ("_", vec![m_underscore.id]),
        ("e_c", vec![m_underscore.id]),
        ("a%e", vec![]),
        ("a_e", vec![]),
        ("\\", vec![m_backslash.id]),
        ("k\\s", vec![m_backslash.id]),
        ("exact", vec![m_ordinary.id]),
    ];
    for (search, expected) in cases {
        let f = AffiliateFilter {
            search: Some(search.to_owned()),
            ..AffiliateFilter::default()
        };
        assert_eq!(
            row_ids(&tx.list_affiliates(acme.id, &f, Page::ALL).await?),
            expected,
            "search {search:?}"
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Audit log
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn audit_log() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let now = tick();

    let mut tx = store.write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let globex = add_org(tx.as_mut(), "Globex").await?;
    let created = AuditEntry {
        actor: format!("user:{}", UserId::new()),
        action: "campaign.create".to_owned(),
        after: Some(json!({ "name": "Summer", "commission": ["Percentage", 2000], "archived": false })),
        ..audit(acme.id, "campaign.create", now - Duration::seconds(2))
    };
    let updated = AuditEntry {
        actor: format!("api_key:{}", ApiKeyId::new()),
        before: Some(json!({ "name": "Summer", "tags": [], "nested": { "a": null, "b": [1, 2, { "c": "café ✓" }] } })),
        after: Some(
            json!({ "name": "Summer 2", "tags": ["x"], "nested": { "a": true, "b": -9_007_199_254_740_991_i64 } }),
        ),
        ..audit(acme.id, "campaign.update", now - Duration::seconds(1))
    };
    let archived = AuditEntry {
        actor: "operator".to_owned(),
        before: Some(json!("a bare string")),
        ..audit(acme.id, "campaign.archive", now)
    };
    let elsewhere = audit(globex.id, "campaign.create", now);
    for e in [&created, &updated, &archived, &elsewhere] {
        tx.insert_audit(e).await?;
    }
    tx.commit().await?;

    let mut tx = store.read().await?;
    let newest_first = vec![archived.clone(), updated.clone(), created.clone()];
    assert_eq!(tx.list_audit(acme.id, Page::ALL).await?, newest_first);
    assert_eq!(tx.list_audit(acme.id, page(2, 0)).await?, newest_first[..2]);
    assert_eq!(tx.list_audit(acme.id, page(2, 1)).await?, newest_first[1..]);
    assert_eq!(tx.list_audit(acme.id, page(2, 2)).await?, newest_first[2..]);
    assert_eq!(tx.list_audit(acme.id, page(2, 3)).await?, vec![]);
    assert_eq!(tx.list_audit(globex.id, Page::ALL).await?, vec![elsewhere]);
    assert_eq!(tx.list_audit(OrgId::new(), Page::ALL).await?, vec![]);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Job queue
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn job_lifecycle() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let t0 = tick();
    let lease = Duration::seconds(30);

    let mut tx = store.write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let mail = NewJob {
        org_id: Some(acme.id),
        payload: json!({ "to": "jane@example.com", "template": "welcome", "vars": { "n": [1, 2, 3] } }),
        max_attempts: 3,
        ..job("email.send", Some("welcome:jane"), t0 - Duration::seconds(2))
    };
    let report = job("report", None, t0 - Duration::seconds(1));
    let later = job("report", None, t0 + Duration::hours(1));
    for j in [&mail, &report, &later] {
        assert!(tx.enqueue_job(j).await?);
    }
    tx.commit().await?;

    let mut tx = store.write().await?;
    let got = tx.get_job(mail.id).await?.expect("mail job");
    assert_eq!(
        (got.kind.as_str(), got.org_id, &got.payload, got.dedupe_key.as_deref()),
        ("email.send", Some(acme.id), &mail.payload, Some("welcome:jane"))
    );
    assert_eq!(
        (got.state, got.run_at, got.attempts, got.max_attempts),
        (JobState::Queued, mail.run_at, 0, 3)
    );
    assert_eq!((got.locked_until, got.last_error), (None, None));
    assert!(
        (got.created_at - t0).abs() < Duration::minutes(1),
        "created_at {} is now",
        got.created_at
    );
    assert_eq!(tx.get_job(report.id).await?.expect("report").org_id, None);
    assert_eq!(tx.get_job(JobId::new()).await?, None);
    assert_eq!(
        tx.job_counts().await?,
        JobCounts {
            queued: 3,
            running: 0,
            dead: 0
        }
    );

    // Only due jobs are claimed; each becomes Running under a lease, with one more attempt.
    let claimed = tx.claim_jobs(t0, t0 + lease, 10).await?;
    assert_eq!(job_ids(&claimed), HashSet::from([mail.id, report.id]));
    for j in &claimed {
        assert_eq!(
            (j.state, j.attempts, j.locked_until),
            (JobState::Running, 1, Some(t0 + lease)),
            "{j:?}"
        );
    }
    let claimed_mail = claimed.iter().find(|j| j.id == mail.id).unwrap();
    assert_eq!(
        (&claimed_mail.payload, claimed_mail.org_id),
        (&mail.payload, Some(acme.id))
    );
    assert_eq!(
        tx.get_job(mail.id).await?.as_ref(),
        Some(claimed_mail),
        "the claim is what is stored"
    );
    assert_eq!(
        tx.job_counts().await?,
        JobCounts {
            queued: 1,
            running: 2,
            dead: 0
        }
    );
    tx.commit().await?;

    // Nothing is due while the leases hold.
    let mut tx = store.write().await?;
    assert_eq!(
        tx.claim_jobs(t0 + Duration::seconds(10), t0 + Duration::seconds(40), 10)
            .await?,
        vec![]
    );
    // An expired lease is claimed again.
    let t1 = t0 + lease + Duration::seconds(1);
    let reclaimed = tx.claim_jobs(t1, t1 + lease, 10).await?;
    assert_eq!(job_ids(&reclaimed), HashSet::from([mail.id, report.id]));
    assert!(
        reclaimed
            .iter()
            .all(|j| j.attempts == 2 && j.locked_until == Some(t1 + lease)),
        "{reclaimed:?}"
    );
    tx.commit().await?;

    // A retry requeues with the error, for later.
    let mut tx = store.write().await?;
    let retry_at = t1 + Duration::minutes(5);
    assert!(tx.retry_job(report.id, retry_at, "smtp: timeout").await?);
    let got = tx.get_job(report.id).await?.expect("report");
    assert_eq!((got.state, got.run_at, got.attempts), (JobState::Queued, retry_at, 2));
    assert_eq!(
        (got.locked_until, got.last_error.as_deref()),
        (None, Some("smtp: timeout"))
    );
    // A dead job is never claimed again.
    assert!(tx.bury_job(mail.id, "permanent: bad address").await?);
    let got = tx.get_job(mail.id).await?.expect("mail");
    assert_eq!(
        (got.state, got.last_error.as_deref()),
        (JobState::Dead, Some("permanent: bad address"))
    );
    assert_eq!(
        tx.claim_jobs(retry_at - Duration::seconds(1), retry_at + lease, 10)
            .await?,
        vec![]
    );
    assert_eq!(
        tx.job_counts().await?,
        JobCounts {
            queued: 2,
            running: 0,
            dead: 1
        }
    );
    tx.commit().await?;

    let mut tx = store.write().await?;
    let far = t0 + Duration::days(1);
    let claimed = tx.claim_jobs(far, far + lease, 10).await?;
    assert_eq!(job_ids(&claimed), HashSet::from([report.id, later.id]));
    let report_again = claimed.iter().find(|j| j.id == report.id).unwrap();
    assert_eq!(report_again.attempts, 3);
    assert_eq!(
        tx.list_dead_jobs(10)
            .await?
            .iter()
            .map(|j| (j.id, j.state))
            .collect::<Vec<_>>(),
        vec![(mail.id, JobState::Dead)]
    );
    assert_eq!(
        tx.job_counts().await?,
        JobCounts {
            queued: 0,
            running: 2,
            dead: 1
        }
    );

    // Finished jobs are deleted.
    assert!(tx.complete_job(report.id).await?);
    assert!(!tx.complete_job(report.id).await?);
    assert_eq!(tx.get_job(report.id).await?, None);
    assert!(!tx.retry_job(report.id, far, "gone").await?);
    assert!(!tx.bury_job(report.id, "gone").await?);
    assert!(tx.complete_job(mail.id).await?, "a dead job can be discarded");
    tx.commit().await?;

    let mut tx = store.read().await?;
    assert_eq!(
        tx.job_counts().await?,
        JobCounts {
            queued: 0,
            running: 1,
            dead: 0
        }
    );
    assert_eq!(tx.list_dead_jobs(10).await?, vec![]);
    Ok(())
}

#[tokio::test]
async fn job_dedupe_keys() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let t0 = tick();
    let due = t0 - Duration::seconds(1);

    let mut tx = store.write().await?;
    let first = job("payout.sync", Some("sync:acme"), due);
    assert!(tx.enqueue_job(&first).await?);
    let twin = job("payout.sync", Some("sync:acme"), due);
    assert!(!tx.enqueue_job(&twin).await?, "refused while the first is queued");
    assert_eq!(tx.get_job(twin.id).await?, None);
    assert!(
        tx.enqueue_job(&job("payout.sync", Some("sync:globex"), due)).await?,
        "another key is another job"
    );
    assert!(tx.enqueue_job(&job("report", None, t0 + Duration::hours(1))).await?);
    assert!(
        tx.enqueue_job(&job("report", None, t0 + Duration::hours(1))).await?,
        "jobs without a key never collide"
    );
    tx.commit().await?;

    let mut tx = store.write().await?;
    let claimed = tx.claim_jobs(t0, t0 + Duration::minutes(1), 1).await?;
    assert_eq!(
        job_ids(&claimed),
        HashSet::from([first.id]),
        "the earliest due job first"
    );
    assert!(
        !tx.enqueue_job(&job("payout.sync", Some("sync:acme"), due)).await?,
        "refused while running"
    );
    assert!(tx.complete_job(first.id).await?);
    let second = job("payout.sync", Some("sync:acme"), due);
    assert!(
        tx.enqueue_job(&second).await?,
        "accepted again once the first completed"
    );
    tx.commit().await?;

    let mut tx = store.write().await?;
    assert!(tx.bury_job(second.id, "failed for good").await?);
    assert!(
        !tx.enqueue_job(&job("payout.sync", Some("sync:acme"), due)).await?,
        "refused while dead"
    );
    assert_eq!(
        tx.job_counts().await?,
        JobCounts {
            queued: 3,
            running: 0,
            dead: 1
        }
    );
    tx.commit().await?;
    Ok(())
}

#[tokio::test]
async fn claims_respect_the_limit_and_the_due_time() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let t0 = tick();

    let mut tx = store.write().await?;
    let jobs: Vec<NewJob> = (0..5)
        .map(|i| job("tick", None, t0 - Duration::seconds(10 - i)))
        .collect();
    for j in &jobs {
        assert!(tx.enqueue_job(j).await?);
    }
    let exactly_now = job("tick", None, t0);
    let soon = job("tick", None, t0 + Duration::microseconds(1));
    assert!(tx.enqueue_job(&exactly_now).await?);
    assert!(tx.enqueue_job(&soon).await?);
    tx.commit().await?;

    let lease_until = t0 + Duration::minutes(1);
    let mut tx = store.write().await?;
    let first = tx.claim_jobs(t0, lease_until, 2).await?;
    assert_eq!(
        job_ids(&first),
        HashSet::from([jobs[0].id, jobs[1].id]),
        "the earliest due jobs first"
    );
    let rest = tx.claim_jobs(t0, lease_until, 10).await?;
    assert_eq!(
        job_ids(&rest),
        HashSet::from([jobs[2].id, jobs[3].id, jobs[4].id, exactly_now.id]),
        "due at now is due"
    );
    assert_eq!(tx.claim_jobs(t0, lease_until, 10).await?, vec![]);
    assert_eq!(tx.get_job(soon.id).await?.expect("soon").state, JobState::Queued);
    assert_eq!(
        job_ids(&tx.claim_jobs(t0 + Duration::microseconds(1), lease_until, 10).await?),
        HashSet::from([soon.id])
    );
    tx.commit().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_claims_take_each_job_once() -> StoreResult<()> {
    const JOBS: usize = 40;
    const WORKERS: usize = 4;
    let db = TestDb::new().await;
    let store = db.store();
    let now = tick();

    let mut tx = store.write().await?;
    let mut queued = HashSet::new();
    for i in 0..JOBS {
        let j = NewJob {
            payload: json!({ "i": i }),
            ..job("work", None, now - Duration::seconds(1))
        };
        assert!(tx.enqueue_job(&j).await?);
        queued.insert(j.id);
    }
    tx.commit().await?;

    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(WORKERS));
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (store, barrier) = (store.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                let mut mine = Vec::new();
                loop {
                    let mut tx = store.write().await?;
                    let claimed = tx.claim_jobs(now, now + Duration::minutes(5), 2).await?;
                    tx.commit().await?;
                    if claimed.is_empty() {
                        return Ok::<_, StoreError>(mine);
                    }
                    mine.extend(claimed.into_iter().map(|j| j.id));
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();

    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.expect("worker")?);
    }
    let distinct: HashSet<JobId> = all.iter().copied().collect();
    assert_eq!(all.len(), JOBS, "claims: {all:?}");
    assert_eq!(distinct, queued, "every job claimed exactly once");

    let mut tx = store.read().await?;
    assert_eq!(
        tx.job_counts().await?,
        JobCounts {
            queued: 0,
            running: JOBS as i64,
            dead: 0
        }
    );
    for id in &queued {
        assert_eq!(tx.get_job(*id).await?.expect("job").attempts, 1);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Suppressions
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn email_suppressions() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let now = tick();

    let mut tx = store.write().await?;
    assert!(!tx.is_suppressed("jane@example.com").await?);
    tx.suppress_email("jane@example.com", "unsubscribed", now).await?;
    tx.suppress_email("jane@example.com", "bounced", now + Duration::seconds(1))
        .await?;
    tx.commit().await?;

    let mut tx = store.read().await?;
    assert!(tx.is_suppressed("jane@example.com").await?);
    assert!(!tx.is_suppressed("bob@example.com").await?);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Tenant isolation
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn org_scoped_operations_never_cross_tenants() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let now = tick();

    // Everything lives in Acme; Globex exists but holds nothing.
    let mut tx = store.write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let globex = add_org(tx.as_mut(), "Globex").await?;
    let owner = add_user(tx.as_mut(), "owner@acme.test").await?;
    let member = add_member(tx.as_mut(), acme.id, owner.id, Role::Owner).await?;
    let inv = invite(acme.id, "new@acme.test", now + Duration::days(7));
    tx.insert_invite(&inv).await?;
    let key = api_key(acme.id, "Reporting");
    tx.insert_api_key(&key).await?;
    let camp = add_campaign(tx.as_mut(), acme.id, "summer").await?;
    let aff = add_affiliate(tx.as_mut(), acme.id, "jane@example.com", Some("Jane"), "jane").await?;
    let mem = add_membership(tx.as_mut(), &aff, &camp, AffiliateStatus::Pending).await?;
    tx.insert_audit(&audit(acme.id, "campaign.create", now)).await?;
    tx.commit().await?;

    let other = globex.id;
    let mut tx = store.read().await?;
    assert_eq!(tx.get_member(other, owner.id).await?, None);
    assert_eq!(tx.list_members(other).await?, vec![]);
    assert_eq!(tx.count_members(other, None).await?, 0);
    assert_eq!(tx.count_members(other, Some(Role::Owner)).await?, 0);
    assert_eq!(tx.get_invite(other, inv.id).await?, None);
    assert_eq!(tx.list_open_invites(other, now).await?, vec![]);
    assert_eq!(tx.get_api_key(other, key.id).await?, None);
    assert_eq!(tx.list_api_keys(other).await?, vec![]);
    assert_eq!(tx.get_campaign(other, camp.id).await?, None);
    assert_eq!(tx.get_campaign_by_slug(other, "summer").await?, None);
    assert_eq!(tx.list_campaigns(other, true, Page::ALL).await?, vec![]);
    assert_eq!(tx.count_active_campaigns(other).await?, 0);
    assert_eq!(tx.get_affiliate(other, aff.id).await?, None);
    assert_eq!(tx.get_affiliate_by_email(other, "jane@example.com").await?, None);
    assert_eq!(tx.get_membership(other, aff.id, camp.id).await?, None);
    assert_eq!(tx.list_memberships(other, aff.id).await?, vec![]);
    let by_campaign = AffiliateFilter {
        campaign_id: Some(camp.id),
        ..AffiliateFilter::default()
    };
    for f in [
        AffiliateFilter::default(),
        by_campaign,
        AffiliateFilter {
            search: Some("jane".into()),
            ..AffiliateFilter::default()
        },
    ] {
        assert_eq!(tx.list_affiliates(other, &f, Page::ALL).await?, vec![], "{f:?}");
    }
    assert_eq!(tx.list_audit(other, Page::ALL).await?, vec![]);
    drop(tx);

    let mut tx = store.write().await?;
    assert!(!tx.set_member_role(other, owner.id, Role::Viewer).await?);
    assert!(!tx.delete_member(other, owner.id).await?);
    assert!(!tx.delete_invite(other, inv.id).await?);
    assert!(!tx.revoke_api_key(other, key.id, now).await?);
    assert!(
        !tx.update_campaign(&Campaign {
            org_id: other,
            name: "Hijacked".into(),
            archived: true,
            ..camp.clone()
        })
        .await?
    );
    assert!(!tx.set_affiliate_slug(other, aff.id, &slug("hijacked")).await?);
    let hijacked = Membership {
        org_id: other,
        status: AffiliateStatus::Banned,
        status_changed_at: tick(),
        ..mem.clone()
    };
    assert!(!tx.update_membership(&hijacked).await?);
    tx.commit().await?;

    // Acme's rows are untouched.
    let mut tx = store.read().await?;
    assert_eq!(tx.get_member(acme.id, owner.id).await?, Some(member));
    assert_eq!(tx.get_invite(acme.id, inv.id).await?, Some(inv));
    assert_eq!(tx.get_api_key(acme.id, key.id).await?, Some(key));
    assert_eq!(tx.get_campaign(acme.id, camp.id).await?, Some(camp));
    assert_eq!(tx.get_affiliate(acme.id, aff.id).await?, Some(aff.clone()));
    assert_eq!(tx.get_membership(acme.id, aff.id, mem.campaign_id).await?, Some(mem));
    assert_eq!(tx.list_audit(acme.id, Page::ALL).await?.len(), 1);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Clicks
// ---------------------------------------------------------------------------------------------

fn new_click(org: OrgId, c: &Campaign, a: &Affiliate, visitor: u8, at: OffsetDateTime) -> afflux_store::NewClick {
    afflux_store::NewClick {
        id: afflux_domain::ClickId::new(),
        org_id: org,
        campaign_id: c.id,
        affiliate_id: a.id,
        visitor_hash: vec![visitor; 32],
        referrer_domain: Some("news.example".into()),
        source: afflux_domain::ClickSource::Link,
        at,
    }
}

#[tokio::test]
async fn clicks_count_once_per_visitor_link_and_hour() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let mut tx = store.write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let other = add_org(tx.as_mut(), "Other").await?;
    let spring = add_campaign(tx.as_mut(), acme.id, "spring").await?;
    let fall = add_campaign(tx.as_mut(), acme.id, "fall").await?;
    let jane = add_affiliate(tx.as_mut(), acme.id, "jane@acme.test", None, "jane").await?;
    tx.commit().await?;

    // 1_800_000_000 is a whole hour (500,000 × 3,600 s).
    let hour_start = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    let first = new_click(acme.id, &spring, &jane, 1, hour_start + Duration::minutes(5));
    let repeat = new_click(acme.id, &spring, &jane, 1, hour_start + Duration::minutes(50));
    let other_campaign = new_click(acme.id, &fall, &jane, 1, hour_start + Duration::minutes(6));
    let other_visitor = new_click(acme.id, &spring, &jane, 2, hour_start + Duration::minutes(7));
    let next_hour = new_click(acme.id, &spring, &jane, 1, hour_start + Duration::minutes(65));

    let mut tx = store.write().await?;
    let outcomes = tx
        .insert_clicks(&[
            first.clone(),
            repeat.clone(),
            other_campaign.clone(),
            other_visitor.clone(),
        ])
        .await?;
    tx.commit().await?;
    assert_eq!(
        outcomes.iter().map(|o| o.recorded).collect::<Vec<_>>(),
        vec![true, false, true, true],
        "the repeat within the hour is not recorded"
    );
    assert_eq!(outcomes[1].id, first.id, "a repeat names the click already stored");

    // A repeat in a later batch is recognized too; the next hour counts again.
    let mut tx = store.write().await?;
    let later = tx.insert_clicks(&[repeat.clone(), next_hour.clone()]).await?;
    tx.commit().await?;
    assert_eq!(
        later[0],
        afflux_store::ClickOutcome {
            id: first.id,
            recorded: false
        }
    );
    assert!(later[1].recorded);

    let mut tx = store.read().await?;
    assert_eq!(tx.click_count(acme.id, jane.id, None).await?, 4);
    assert_eq!(tx.click_count(acme.id, jane.id, Some(spring.id)).await?, 3);
    assert_eq!(tx.click_count(acme.id, jane.id, Some(fall.id)).await?, 1);
    assert_eq!(
        tx.click_count(other.id, jane.id, None).await?,
        0,
        "counters are per organization"
    );
    let stored = tx.get_click(first.id).await?.expect("the first click is stored");
    assert_eq!(stored, first);
    assert_eq!(tx.get_click(repeat.id).await?, None, "the repeat was not stored");
    Ok(())
}

#[tokio::test]
async fn organization_profiles_are_updated_within_their_org() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let mut tx = store.write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let other = add_org(tx.as_mut(), "Other").await?;
    tx.commit().await?;

    let renamed = Organization {
        name: "Acme Courses".into(),
        sender_name: Some("Acme Partners".into()),
        reply_to: Some(email("partners@acme.test")),
        home_currency: Currency::EUR,
        // Plan and status are the operator's: a profile update never changes them.
        plan: PlanTier::Starter,
        subscription_status: SubscriptionStatus::Canceled,
        ..acme.clone()
    };
    let mut tx = store.write().await?;
    assert!(tx.update_org_profile(&renamed).await?);
    assert!(
        !tx.update_org_profile(&Organization {
            id: OrgId::new(),
            ..renamed.clone()
        })
        .await?
    );
    tx.commit().await?;

    let mut tx = store.read().await?;
    let stored = tx.get_org(acme.id).await?.expect("org");
    assert_eq!(stored.name, "Acme Courses");
    assert_eq!(stored.sender_name.as_deref(), Some("Acme Partners"));
    assert_eq!(stored.reply_to, Some(email("partners@acme.test")));
    assert_eq!(stored.home_currency, Currency::EUR);
    assert_eq!(
        (stored.plan, stored.subscription_status),
        (acme.plan, acme.subscription_status)
    );
    assert_eq!(tx.get_org(other.id).await?.expect("other org"), other);
    Ok(())
}

#[tokio::test]
async fn a_reopened_store_still_recognizes_this_hours_clicks() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let mut tx = store.write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let spring = add_campaign(tx.as_mut(), acme.id, "spring").await?;
    let jane = add_affiliate(tx.as_mut(), acme.id, "jane@acme.test", None, "jane").await?;
    tx.commit().await?;
    let now = OffsetDateTime::now_utc();
    let first = new_click(acme.id, &spring, &jane, 7, now);
    let mut tx = store.write().await?;
    tx.insert_clicks(std::slice::from_ref(&first)).await?;
    tx.commit().await?;
    // A click rolled back is not remembered as counted.
    let rolled_back = new_click(acme.id, &spring, &jane, 8, now);
    let mut tx = store.write().await?;
    tx.insert_clicks(std::slice::from_ref(&rolled_back)).await?;
    drop(tx);

    // As after a restart: a new store on the same database.
    let reopened = afflux_store::connect(db.url()).await?;
    let mut tx = reopened.write().await?;
    let outcomes = tx
        .insert_clicks(&[
            new_click(acme.id, &spring, &jane, 7, now),
            new_click(acme.id, &spring, &jane, 8, now),
        ])
        .await?;
    tx.commit().await?;
    assert_eq!(
        outcomes[0],
        afflux_store::ClickOutcome {
            id: first.id,
            recorded: false
        }
    );
    assert!(outcomes[1].recorded, "the rolled-back click never counted");
    let mut tx = store.write().await?;
    let again = tx.insert_clicks(&[new_click(acme.id, &spring, &jane, 8, now)]).await?;
    drop(tx);
    assert!(
        !again[0].recorded || store.backend() == Backend::Sqlite,
        "PostgreSQL's unique key sees the other store's click"
    );
    Ok(())
}
