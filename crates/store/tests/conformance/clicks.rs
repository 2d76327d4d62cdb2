//! Clicks.

use crate::fixtures::*;

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

    let outcomes = store
        .record_clicks(&[
            first.clone(),
            repeat.clone(),
            other_campaign.clone(),
            other_visitor.clone(),
        ])
        .await?;
    assert_eq!(
        outcomes.iter().map(|o| o.recorded).collect::<Vec<_>>(),
        vec![true, false, true, true],
        "the repeat within the hour is not recorded"
    );
    assert_eq!(outcomes[1].id, first.id, "a repeat names the click already stored");

    // A repeat in a later batch is recognized too; the next hour counts again.
    let later = store.record_clicks(&[repeat.clone(), next_hour.clone()]).await?;
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
async fn a_failed_batch_counts_nothing_and_a_reopened_store_knows_this_hours_clicks() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let mut tx = store.write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let spring = add_campaign(tx.as_mut(), acme.id, "spring").await?;
    let jane = add_affiliate(tx.as_mut(), acme.id, "jane@acme.test", None, "jane").await?;
    tx.commit().await?;
    let now = OffsetDateTime::now_utc();
    let first = new_click(acme.id, &spring, &jane, 7, now);
    store.record_clicks(std::slice::from_ref(&first)).await?;

    // A batch holding one impossible click (an unknown campaign) is refused whole: its other
    // click is neither stored nor remembered as counted.
    let doomed = new_click(acme.id, &spring, &jane, 8, now);
    let mut impossible = new_click(acme.id, &spring, &jane, 9, now);
    impossible.campaign_id = CampaignId::new();
    assert!(store.record_clicks(&[doomed.clone(), impossible]).await.is_err());
    assert_eq!(store.read().await?.get_click(doomed.id).await?, None);
    let retried = store.record_clicks(std::slice::from_ref(&doomed)).await?;
    assert!(
        retried[0].recorded,
        "the refused batch's click counts when it comes again"
    );

    // As after a restart: a new store on the same database knows both clicks of this hour.
    let reopened = afflux_store::connect(db.url()).await?;
    let outcomes = reopened
        .record_clicks(&[
            new_click(acme.id, &spring, &jane, 7, now),
            new_click(acme.id, &spring, &jane, 8, now),
        ])
        .await?;
    assert_eq!(
        outcomes[0],
        afflux_store::ClickOutcome {
            id: first.id,
            recorded: false
        }
    );
    assert_eq!(
        outcomes[1],
        afflux_store::ClickOutcome {
            id: doomed.id,
            recorded: false
        }
    );
    assert_eq!(reopened.read().await?.click_count(acme.id, jane.id, None).await?, 2);
    reopened.close().await;
    Ok(())
}
