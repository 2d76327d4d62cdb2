//! Campaigns.

use crate::fixtures::*;

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
