//! Tenant isolation: no organization sees another's rows.

use crate::fixtures::*;

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
