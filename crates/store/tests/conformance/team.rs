//! Users, team, sessions, invitations and API keys.

use crate::fixtures::*;

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
