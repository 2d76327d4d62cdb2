//! Settings and organizations.

use crate::fixtures::*;

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
