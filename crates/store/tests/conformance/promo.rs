//! Promo assets: stored with their banner bytes, listed in order, moved, deleted, and served
//! publicly by id for banners only.

use afflux_domain::{PromoAsset, PromoAssetId, PromoKind, PromoMove};

use crate::fixtures::*;

fn asset(org: OrgId, campaign: CampaignId, kind: PromoKind, title: &str, position: i32) -> PromoAsset {
    let banner = kind == PromoKind::Banner;
    PromoAsset {
        id: PromoAssetId::new(),
        org_id: org,
        campaign_id: campaign,
        kind,
        title: title.to_owned(),
        body: (!banner).then(|| format!("Try it: {{{{referral_link}}}} ({title})")),
        content_type: banner.then(|| "image/png".to_owned()),
        width: banner.then_some(728),
        height: banner.then_some(90),
        position,
        created_at: tick(),
    }
}

fn titles(assets: &[PromoAsset]) -> Vec<&str> {
    assets.iter().map(|a| a.title.as_str()).collect()
}

#[tokio::test]
async fn assets_are_listed_in_order_and_banners_keep_their_bytes() -> StoreResult<()> {
    let db = TestDb::new().await;
    let mut tx = db.store().write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let spring = add_campaign(tx.as_mut(), acme.id, "spring").await?;
    let autumn = add_campaign(tx.as_mut(), acme.id, "autumn").await?;
    let banner = asset(acme.id, spring.id, PromoKind::Banner, "Leaderboard", 2);
    let swipe = asset(acme.id, spring.id, PromoKind::EmailSwipe, "Launch email", 1);
    let link = asset(acme.id, spring.id, PromoKind::TextLink, "Footer link", 3);
    let elsewhere = asset(acme.id, autumn.id, PromoKind::TextLink, "Autumn link", 1);
    let bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    tx.insert_promo_asset(&banner, Some(&bytes)).await?;
    tx.insert_promo_asset(&swipe, None).await?;
    tx.insert_promo_asset(&link, None).await?;
    tx.insert_promo_asset(&elsewhere, None).await?;
    tx.commit().await?;

    let mut tx = db.store().read().await?;
    let listed = tx.list_promo_assets(acme.id, spring.id).await?;
    assert_eq!(listed, vec![swipe.clone(), banner.clone(), link.clone()]);
    assert_eq!(
        titles(&tx.list_promo_assets(acme.id, autumn.id).await?),
        ["Autumn link"]
    );
    assert_eq!(tx.get_promo_asset(acme.id, banner.id).await?, Some(banner.clone()));
    assert_eq!(
        tx.get_promo_image(banner.id).await?,
        Some(("image/png".to_owned(), bytes))
    );
    // Only banners have an image to serve.
    assert_eq!(tx.get_promo_image(swipe.id).await?, None);
    assert_eq!(tx.get_promo_image(PromoAssetId::new()).await?, None);
    Ok(())
}

#[tokio::test]
async fn a_banner_needs_its_image_and_other_kinds_have_none() -> StoreResult<()> {
    let db = TestDb::new().await;
    let mut tx = db.store().write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let spring = add_campaign(tx.as_mut(), acme.id, "spring").await?;
    tx.commit().await?;

    let mut tx = db.store().write().await?;
    let bare = asset(acme.id, spring.id, PromoKind::Banner, "No bytes", 1);
    assert!(tx.insert_promo_asset(&bare, None).await.is_err());
    drop(tx);
    let mut tx = db.store().write().await?;
    let swipe = asset(acme.id, spring.id, PromoKind::EmailSwipe, "With bytes", 1);
    assert!(tx.insert_promo_asset(&swipe, Some(b"x")).await.is_err());
    drop(tx);
    let mut tx = db.store().read().await?;
    assert!(tx.list_promo_assets(acme.id, spring.id).await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn moving_swaps_with_the_nearest_neighbour_and_stops_at_the_ends() -> StoreResult<()> {
    let db = TestDb::new().await;
    let mut tx = db.store().write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let spring = add_campaign(tx.as_mut(), acme.id, "spring").await?;
    let autumn = add_campaign(tx.as_mut(), acme.id, "autumn").await?;
    // Gaps in the positions (a deleted asset) do not matter.
    let a = asset(acme.id, spring.id, PromoKind::TextLink, "A", 1);
    let b = asset(acme.id, spring.id, PromoKind::TextLink, "B", 4);
    let c = asset(acme.id, spring.id, PromoKind::TextLink, "C", 9);
    let other = asset(acme.id, autumn.id, PromoKind::TextLink, "Other", 5);
    for x in [&a, &b, &c, &other] {
        tx.insert_promo_asset(x, None).await?;
    }

    assert!(tx.move_promo_asset(acme.id, c.id, PromoMove::Up).await?);
    assert_eq!(
        titles(&tx.list_promo_assets(acme.id, spring.id).await?),
        ["A", "C", "B"]
    );
    assert!(tx.move_promo_asset(acme.id, c.id, PromoMove::Up).await?);
    assert_eq!(
        titles(&tx.list_promo_assets(acme.id, spring.id).await?),
        ["C", "A", "B"]
    );
    assert!(!tx.move_promo_asset(acme.id, c.id, PromoMove::Up).await?);
    assert!(tx.move_promo_asset(acme.id, a.id, PromoMove::Down).await?);
    assert_eq!(
        titles(&tx.list_promo_assets(acme.id, spring.id).await?),
        ["C", "B", "A"]
    );
    assert!(!tx.move_promo_asset(acme.id, a.id, PromoMove::Down).await?);
    // The positions in use stay the same set; the other campaign is untouched.
    let positions: Vec<i32> = tx
        .list_promo_assets(acme.id, spring.id)
        .await?
        .iter()
        .map(|x| x.position)
        .collect();
    assert_eq!(positions, [1, 4, 9]);
    assert_eq!(tx.get_promo_asset(acme.id, other.id).await?.unwrap().position, 5);
    assert!(!tx.move_promo_asset(acme.id, PromoAssetId::new(), PromoMove::Up).await?);
    Ok(())
}

#[tokio::test]
async fn another_organization_can_neither_see_move_nor_delete_an_asset() -> StoreResult<()> {
    let db = TestDb::new().await;
    let mut tx = db.store().write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let globex = add_org(tx.as_mut(), "Globex").await?;
    let spring = add_campaign(tx.as_mut(), acme.id, "spring").await?;
    let a = asset(acme.id, spring.id, PromoKind::TextLink, "A", 1);
    let b = asset(acme.id, spring.id, PromoKind::Banner, "B", 2);
    tx.insert_promo_asset(&a, None).await?;
    tx.insert_promo_asset(&b, Some(b"GIF89a")).await?;

    assert_eq!(tx.get_promo_asset(globex.id, a.id).await?, None);
    assert!(tx.list_promo_assets(globex.id, spring.id).await?.is_empty());
    assert!(!tx.move_promo_asset(globex.id, b.id, PromoMove::Up).await?);
    assert!(!tx.delete_promo_asset(globex.id, a.id).await?);
    assert_eq!(titles(&tx.list_promo_assets(acme.id, spring.id).await?), ["A", "B"]);

    assert!(tx.delete_promo_asset(acme.id, b.id).await?);
    assert!(!tx.delete_promo_asset(acme.id, b.id).await?);
    assert_eq!(tx.get_promo_image(b.id).await?, None);
    assert_eq!(titles(&tx.list_promo_assets(acme.id, spring.id).await?), ["A"]);
    Ok(())
}
