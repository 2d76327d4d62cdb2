//! Affiliates and memberships.

use crate::fixtures::*;

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
        assert_eq!(tx.count_affiliates(acme.id, &f).await?, expected.len() as i64, "{f:?}");
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
