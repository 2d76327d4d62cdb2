//! CRM integrations and the per-affiliate syncs to them.

use crate::fixtures::*;

/// Settings using every field, the campaign overrides keyed by campaign id.
fn full_settings(campaigns: &[CampaignId]) -> IntegrationSettings {
    let mut overrides = BTreeMap::new();
    overrides.insert(
        campaigns[0],
        CampaignOverride {
            destination: Some(Destination {
                id: "list_vip".into(),
                name: "VIP partners".into(),
            }),
            tags: vec!["Spring".into(), "VIP".into()],
        },
    );
    overrides.insert(campaigns[1], CampaignOverride::default());
    IntegrationSettings {
        destination: Some(Destination {
            id: "list_1".into(),
            name: "Partners".into(),
        }),
        system_tag: "Afflux affiliate".into(),
        default_tags: vec!["partner".into(), "2026".into()],
        sync_on_import: true,
        campaign_overrides: overrides,
        vendor_state: BTreeMap::from([
            ("region".to_owned(), "eu".to_owned()),
            ("fieldId".to_owned(), "str::afflux-slug".to_owned()),
        ]),
    }
}

#[tokio::test]
async fn integrations_round_trip_and_are_one_per_vendor() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();

    let mut tx = store.write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let globex = add_org(tx.as_mut(), "Globex").await?;
    let spring = add_campaign(tx.as_mut(), acme.id, "spring").await?;
    let summer = add_campaign(tx.as_mut(), acme.id, "summer").await?;
    let mailchimp = Integration {
        settings: full_settings(&[spring.id, summer.id]),
        ..integration(acme.id, CrmVendor::Mailchimp)
    };
    tx.insert_integration(&mailchimp).await?;
    let klaviyo = add_integration(tx.as_mut(), acme.id, CrmVendor::Klaviyo).await?;

    // A second integration of a vendor is a conflict, and the transaction goes on.
    let twin = tx.insert_integration(&integration(acme.id, CrmVendor::Mailchimp)).await;
    assert_conflict_on(twin, "integrations_org_vendor");
    let ortto = add_integration(tx.as_mut(), acme.id, CrmVendor::Ortto).await?;
    // Another organization may connect the same vendor.
    let theirs = add_integration(tx.as_mut(), globex.id, CrmVendor::Mailchimp).await?;
    tx.commit().await?;

    let mut tx = store.read().await?;
    let got = tx.get_integration(acme.id, mailchimp.id).await?.expect("mailchimp");
    assert_eq!(got, mailchimp, "settings, credentials and times round-trip");
    assert_eq!(got.settings.campaign_overrides[&spring.id].tags, ["Spring", "VIP"]);
    assert_eq!(got.settings.vendor_state["region"], "eu");
    assert_eq!(tx.get_integration(acme.id, klaviyo.id).await?, Some(klaviyo.clone()));
    assert_eq!(tx.get_integration(acme.id, IntegrationId::new()).await?, None);
    assert_eq!(
        tx.list_integrations(acme.id).await?,
        vec![mailchimp.clone(), klaviyo.clone(), ortto.clone()],
        "oldest first"
    );
    assert_eq!(tx.list_integrations(globex.id).await?, vec![theirs.clone()]);
    drop(tx);

    // An update rewrites credentials, hint, settings and update time, nothing else.
    let mut tx = store.write().await?;
    let mut settings = IntegrationSettings::default();
    settings.vendor_state.insert("listId".into(), "abc".into());
    let updated = Integration {
        sealed_credentials: vec![9, 9, 9],
        credential_hint: "…9999".into(),
        settings,
        updated_at: tick(),
        ..klaviyo.clone()
    };
    assert!(tx.update_integration(&updated).await?);
    let ignored = Integration {
        vendor: CrmVendor::Beehiiv,
        created_at: tick(),
        ..updated.clone()
    };
    assert!(tx.update_integration(&ignored).await?);
    assert_eq!(tx.get_integration(acme.id, klaviyo.id).await?, Some(updated.clone()));
    assert!(
        !tx.update_integration(&integration(acme.id, CrmVendor::Beehiiv)).await?,
        "a missing integration"
    );

    assert!(tx.delete_integration(acme.id, ortto.id).await?);
    assert!(!tx.delete_integration(acme.id, ortto.id).await?);
    assert_eq!(tx.get_integration(acme.id, ortto.id).await?, None);
    // The vendor can be connected again once disconnected.
    let ortto_again = add_integration(tx.as_mut(), acme.id, CrmVendor::Ortto).await?;
    tx.commit().await?;

    let mut tx = store.read().await?;
    let ids: Vec<IntegrationId> = tx.list_integrations(acme.id).await?.iter().map(|i| i.id).collect();
    assert_eq!(ids, vec![mailchimp.id, klaviyo.id, ortto_again.id]);
    Ok(())
}

/// An organization with one integration and three affiliates.
struct World {
    org: OrgId,
    integration: IntegrationId,
    jane: Affiliate,
    joe: Affiliate,
    ann: Affiliate,
}

async fn world(tx: &mut dyn Tx, name: &str) -> StoreResult<World> {
    let org = add_org(tx, name).await?;
    let key = name.to_lowercase();
    let i = add_integration(tx, org.id, CrmVendor::Mailchimp).await?;
    let jane = add_affiliate(
        tx,
        org.id,
        &format!("Jane@{key}.test"),
        Some("Jane Doe"),
        &format!("{key}-jane"),
    )
    .await?;
    let joe = add_affiliate(tx, org.id, &format!("joe@{key}.test"), None, &format!("{key}-joe")).await?;
    let ann = add_affiliate(
        tx,
        org.id,
        &format!("ann@{key}.test"),
        Some("Ann"),
        &format!("{key}-ann"),
    )
    .await?;
    Ok(World {
        org: org.id,
        integration: i.id,
        jane,
        joe,
        ann,
    })
}

#[tokio::test]
async fn each_request_starts_a_generation_and_overtakes_older_runs() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();

    let mut tx = store.write().await?;
    let w = world(tx.as_mut(), "Acme").await?;
    let t1 = tick();
    let first = tx.request_crm_sync(w.org, w.integration, w.jane.id, t1).await?;
    assert_eq!(
        first,
        CrmSync {
            org_id: w.org,
            integration_id: w.integration,
            affiliate_id: w.jane.id,
            status: SyncStatus::Pending,
            attempts: 0,
            last_error: None,
            progress: json!({}),
            requested_gen: 1,
            synced_gen: 0,
            requested_at: t1,
            synced_at: None,
            updated_at: t1,
        }
    );
    assert_eq!(
        tx.get_crm_sync(w.org, w.integration, w.jane.id).await?,
        Some(first.clone())
    );
    assert_eq!(tx.get_crm_sync(w.org, w.integration, w.joe.id).await?, None);

    // A run of generation 1 fails once, then succeeds.
    let t2 = tick();
    let retrying = CrmSync {
        status: SyncStatus::Retrying,
        attempts: 1,
        last_error: Some("503 from vendor".into()),
        progress: json!({ "contactId": "c_1", "tagged": ["Spring"] }),
        updated_at: t2,
        ..first.clone()
    };
    assert!(tx.update_crm_sync(&retrying).await?);
    assert_eq!(
        tx.get_crm_sync(w.org, w.integration, w.jane.id).await?,
        Some(retrying.clone())
    );
    let t3 = tick();
    let synced = CrmSync {
        status: SyncStatus::Succeeded,
        attempts: 2,
        last_error: None,
        synced_gen: 1,
        synced_at: Some(t3),
        updated_at: t3,
        ..retrying.clone()
    };
    assert!(tx.update_crm_sync(&synced).await?);
    tx.commit().await?;

    // A new request resets the run's state and keeps what was synced.
    let mut tx = store.write().await?;
    let t4 = tick();
    let second = tx.request_crm_sync(w.org, w.integration, w.jane.id, t4).await?;
    assert_eq!(
        second,
        CrmSync {
            status: SyncStatus::Pending,
            attempts: 0,
            last_error: None,
            progress: json!({}),
            requested_gen: 2,
            requested_at: t4,
            updated_at: t4,
            ..synced.clone()
        }
    );
    assert_eq!((second.synced_gen, second.synced_at), (1, Some(t3)));

    // A run of generation 2 is overtaken by a third request: its write is refused.
    let running = CrmSync {
        status: SyncStatus::Retrying,
        attempts: 1,
        last_error: Some("429".into()),
        progress: json!({ "step": 1 }),
        updated_at: tick(),
        ..second.clone()
    };
    assert!(tx.update_crm_sync(&running).await?);
    let t5 = tick();
    let third = tx.request_crm_sync(w.org, w.integration, w.jane.id, t5).await?;
    assert_eq!(
        (
            third.requested_gen,
            third.status,
            third.attempts,
            &third.last_error,
            &third.progress
        ),
        (3, SyncStatus::Pending, 0, &None, &json!({}))
    );
    let stale = CrmSync {
        status: SyncStatus::Succeeded,
        synced_gen: 2,
        synced_at: Some(tick()),
        updated_at: tick(),
        ..running.clone()
    };
    assert!(!tx.update_crm_sync(&stale).await?, "an overtaken run cannot write");
    assert_eq!(
        tx.get_crm_sync(w.org, w.integration, w.jane.id).await?,
        Some(third.clone())
    );
    let current = CrmSync {
        status: SyncStatus::Failed,
        attempts: 5,
        last_error: Some("invalid email".into()),
        updated_at: tick(),
        ..third.clone()
    };
    assert!(tx.update_crm_sync(&current).await?);
    assert!(
        !tx.update_crm_sync(&CrmSync {
            affiliate_id: w.joe.id,
            ..current.clone()
        })
        .await?,
        "no row, nothing written"
    );
    tx.commit().await?;

    let mut tx = store.read().await?;
    assert_eq!(tx.get_crm_sync(w.org, w.integration, w.jane.id).await?, Some(current));
    Ok(())
}

#[tokio::test]
async fn syncs_list_newest_first_with_filters_pages_and_counts() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();

    let mut tx = store.write().await?;
    let w = world(tx.as_mut(), "Acme").await?;
    let second = add_integration(tx.as_mut(), w.org, CrmVendor::Klaviyo).await?.id;
    let jane = tx.request_crm_sync(w.org, w.integration, w.jane.id, tick()).await?;
    let joe = tx.request_crm_sync(w.org, w.integration, w.joe.id, tick()).await?;
    let ann = tx.request_crm_sync(w.org, w.integration, w.ann.id, tick()).await?;
    let jane_k = tx.request_crm_sync(w.org, second, w.jane.id, tick()).await?;
    // Joe's sync succeeds last: it is the most recently updated.
    let at = tick();
    let joe = CrmSync {
        status: SyncStatus::Succeeded,
        attempts: 1,
        synced_gen: 1,
        synced_at: Some(at),
        updated_at: at,
        ..joe
    };
    assert!(tx.update_crm_sync(&joe).await?);
    tx.commit().await?;

    let mut tx = store.read().await?;
    let all = tx.list_crm_syncs(w.org, &CrmSyncFilter::default(), Page::ALL).await?;
    let syncs: Vec<&CrmSync> = all.iter().map(|r| &r.sync).collect();
    assert_eq!(syncs, vec![&joe, &jane_k, &ann, &jane]);
    assert_eq!(
        all.iter()
            .map(|r| (r.email.as_str(), r.name.as_deref()))
            .collect::<Vec<_>>(),
        vec![
            ("joe@acme.test", None),
            ("Jane@acme.test", Some("Jane Doe")),
            ("ann@acme.test", Some("Ann")),
            ("Jane@acme.test", Some("Jane Doe")),
        ],
        "the affiliate's email as written, and name"
    );
    assert_eq!(
        all[0],
        CrmSyncRow {
            sync: joe.clone(),
            email: "joe@acme.test".into(),
            name: None
        }
    );

    let listed = |rows: Vec<CrmSyncRow>| rows.into_iter().map(|r| r.sync).collect::<Vec<_>>();
    let by_integration = CrmSyncFilter {
        integration_id: Some(w.integration),
        ..CrmSyncFilter::default()
    };
    assert_eq!(
        listed(tx.list_crm_syncs(w.org, &by_integration, Page::ALL).await?),
        vec![joe.clone(), ann.clone(), jane.clone()]
    );
    let by_affiliate = CrmSyncFilter {
        affiliate_id: Some(w.jane.id),
        ..CrmSyncFilter::default()
    };
    assert_eq!(
        listed(tx.list_crm_syncs(w.org, &by_affiliate, Page::ALL).await?),
        vec![jane_k.clone(), jane.clone()]
    );
    let pending_here = CrmSyncFilter {
        status: Some(SyncStatus::Pending),
        ..by_integration.clone()
    };
    assert_eq!(
        listed(tx.list_crm_syncs(w.org, &pending_here, Page::ALL).await?),
        vec![ann.clone(), jane.clone()]
    );
    let all_three = CrmSyncFilter {
        integration_id: Some(second),
        affiliate_id: Some(w.jane.id),
        status: Some(SyncStatus::Pending),
    };
    assert_eq!(
        listed(tx.list_crm_syncs(w.org, &all_three, Page::ALL).await?),
        vec![jane_k.clone()]
    );
    let failed = CrmSyncFilter {
        status: Some(SyncStatus::Failed),
        ..CrmSyncFilter::default()
    };
    assert_eq!(tx.list_crm_syncs(w.org, &failed, Page::ALL).await?, vec![]);

    // Pages.
    let everything = CrmSyncFilter::default();
    assert_eq!(
        listed(tx.list_crm_syncs(w.org, &everything, page(2, 0)).await?),
        vec![joe.clone(), jane_k.clone()]
    );
    assert_eq!(
        listed(tx.list_crm_syncs(w.org, &everything, page(2, 2)).await?),
        vec![ann.clone(), jane.clone()]
    );
    assert_eq!(tx.list_crm_syncs(w.org, &everything, page(2, 4)).await?, vec![]);

    // Counts per status, of one integration.
    assert_eq!(
        tx.count_crm_syncs(w.org, w.integration).await?,
        vec![(SyncStatus::Pending, 2), (SyncStatus::Succeeded, 1)]
    );
    assert_eq!(tx.count_crm_syncs(w.org, second).await?, vec![(SyncStatus::Pending, 1)]);
    assert_eq!(tx.count_crm_syncs(w.org, IntegrationId::new()).await?, vec![]);
    Ok(())
}

#[tokio::test]
async fn syncs_updated_together_list_by_affiliate() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();

    let mut tx = store.write().await?;
    let w = world(tx.as_mut(), "Acme").await?;
    let at = tick();
    for a in [&w.ann, &w.jane, &w.joe] {
        tx.request_crm_sync(w.org, w.integration, a.id, at).await?;
    }
    tx.commit().await?;

    let mut tx = store.read().await?;
    let rows = tx.list_crm_syncs(w.org, &CrmSyncFilter::default(), Page::ALL).await?;
    let mut expected = vec![w.ann.id, w.jane.id, w.joe.id];
    expected.sort();
    assert_eq!(
        rows.iter().map(|r| r.sync.affiliate_id).collect::<Vec<_>>(),
        expected,
        "ties in update time go by affiliate id"
    );
    Ok(())
}

#[tokio::test]
async fn deleting_an_integration_deletes_its_syncs() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();

    let mut tx = store.write().await?;
    let w = world(tx.as_mut(), "Acme").await?;
    let kept = add_integration(tx.as_mut(), w.org, CrmVendor::Klaviyo).await?.id;
    for a in [&w.jane, &w.joe] {
        tx.request_crm_sync(w.org, w.integration, a.id, tick()).await?;
    }
    let survivor = tx.request_crm_sync(w.org, kept, w.jane.id, tick()).await?;
    tx.commit().await?;

    let mut tx = store.write().await?;
    assert!(tx.delete_integration(w.org, w.integration).await?);
    assert_eq!(tx.get_crm_sync(w.org, w.integration, w.jane.id).await?, None);
    assert_eq!(tx.count_crm_syncs(w.org, w.integration).await?, vec![]);
    tx.commit().await?;

    let mut tx = store.read().await?;
    let rows = tx.list_crm_syncs(w.org, &CrmSyncFilter::default(), Page::ALL).await?;
    assert_eq!(rows.into_iter().map(|r| r.sync).collect::<Vec<_>>(), vec![survivor]);
    drop(tx);

    // The deleted integration takes no new requests.
    let mut tx = store.write().await?;
    assert!(
        tx.request_crm_sync(w.org, w.integration, w.jane.id, tick())
            .await
            .is_err(),
        "a deleted integration"
    );
    Ok(())
}

#[tokio::test]
async fn crm_rows_never_cross_tenants() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();

    let mut tx = store.write().await?;
    let acme = world(tx.as_mut(), "Acme").await?;
    let globex = world(tx.as_mut(), "Globex").await?;
    let sync = tx
        .request_crm_sync(acme.org, acme.integration, acme.jane.id, tick())
        .await?;
    let their_sync = tx
        .request_crm_sync(globex.org, globex.integration, globex.jane.id, tick())
        .await?;
    let acme_integration = tx.get_integration(acme.org, acme.integration).await?.expect("acme's");
    tx.commit().await?;

    let other = globex.org;
    let mut tx = store.read().await?;
    assert_eq!(tx.get_integration(other, acme.integration).await?, None);
    assert_eq!(
        tx.list_integrations(other)
            .await?
            .iter()
            .map(|i| i.id)
            .collect::<Vec<_>>(),
        vec![globex.integration]
    );
    assert_eq!(tx.get_crm_sync(other, acme.integration, acme.jane.id).await?, None);
    assert_eq!(tx.count_crm_syncs(other, acme.integration).await?, vec![]);
    for f in [
        CrmSyncFilter {
            integration_id: Some(acme.integration),
            ..CrmSyncFilter::default()
        },
        CrmSyncFilter {
            affiliate_id: Some(acme.jane.id),
            ..CrmSyncFilter::default()
        },
    ] {
        assert_eq!(tx.list_crm_syncs(other, &f, Page::ALL).await?, vec![], "{f:?}");
    }
    let theirs = tx.list_crm_syncs(other, &CrmSyncFilter::default(), Page::ALL).await?;
    assert_eq!(theirs.into_iter().map(|r| r.sync).collect::<Vec<_>>(), vec![their_sync]);
    drop(tx);

    let mut tx = store.write().await?;
    let hijacked = Integration {
        org_id: other,
        credential_hint: "hijacked".into(),
        ..acme_integration.clone()
    };
    assert!(!tx.update_integration(&hijacked).await?);
    assert!(!tx.delete_integration(other, acme.integration).await?);
    let overwrite = CrmSync {
        org_id: other,
        status: SyncStatus::Failed,
        ..sync.clone()
    };
    assert!(!tx.update_crm_sync(&overwrite).await?);
    tx.commit().await?;

    // A request naming another organization's integration or affiliate is refused, each in a
    // transaction of its own (an error ends a PostgreSQL transaction).
    for (integration, affiliate) in [
        (acme.integration, acme.jane.id),
        (acme.integration, globex.jane.id),
        (globex.integration, acme.jane.id),
    ] {
        let mut tx = store.write().await?;
        let result = tx.request_crm_sync(other, integration, affiliate, tick()).await;
        assert!(result.is_err(), "{integration} / {affiliate}: {result:?}");
    }

    // Acme's rows are untouched.
    let mut tx = store.read().await?;
    assert_eq!(
        tx.get_integration(acme.org, acme.integration).await?,
        Some(acme_integration)
    );
    assert_eq!(
        tx.get_crm_sync(acme.org, acme.integration, acme.jane.id).await?,
        Some(sync)
    );
    assert_eq!(tx.get_crm_sync(other, acme.integration, globex.jane.id).await?, None);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_concurrent_request_waits_and_takes_the_next_generation() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();

    let mut tx = store.write().await?;
    let w = world(tx.as_mut(), "Acme").await?;
    tx.commit().await?;

    let request = {
        let (org, integration, affiliate) = (w.org, w.integration, w.jane.id);
        move |store: std::sync::Arc<dyn afflux_store::Store>| async move {
            let mut tx = store.write().await?;
            let sync = tx.request_crm_sync(org, integration, affiliate, tick()).await?;
            tx.commit().await?;
            Ok::<_, StoreError>(sync.requested_gen)
        }
    };

    // The row does not exist yet: the second waits for the first's insert.
    let mut first = store.write().await?;
    let created = first.request_crm_sync(w.org, w.integration, w.jane.id, tick()).await?;
    assert_eq!(created.requested_gen, 1);
    let second = tokio::spawn(request(store.clone()));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!second.is_finished(), "the second request did not wait");
    first.commit().await?;
    assert_eq!(second.await.expect("second")?, 2);

    // Many at once: each gets a generation of its own.
    let tasks: Vec<_> = (0..6).map(|_| tokio::spawn(request(store.clone()))).collect();
    let mut gens = Vec::new();
    for t in tasks {
        gens.push(t.await.expect("request")?);
    }
    gens.sort_unstable();
    assert_eq!(gens, (3..=8).collect::<Vec<i64>>());
    Ok(())
}
