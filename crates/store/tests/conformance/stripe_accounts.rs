//! Affiliates' Stripe connected accounts: kept with the affiliate, set and cleared within its
//! organization only.

use afflux_domain::StripeAccountId;

use crate::fixtures::*;

fn acct(id: &str) -> StripeAccountId {
    StripeAccountId::parse("stripeAccountId", id).unwrap()
}

#[tokio::test]
async fn stripe_accounts_are_set_and_cleared_per_organization() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();

    let mut tx = store.write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let globex = add_org(tx.as_mut(), "Globex").await?;
    let pro = add_campaign(tx.as_mut(), acme.id, "pro").await?;
    // Inserted with an account, it reads back with it.
    let jane = Affiliate {
        stripe_account_id: Some(acct("acct_1AffluxJane0000001")),
        ..affiliate(acme.id, "jane@example.com", None, "jane")
    };
    tx.insert_affiliate(&jane).await?;
    let bob = add_affiliate(tx.as_mut(), acme.id, "bob@example.com", None, "bob").await?;
    add_membership(tx.as_mut(), &bob, &pro, AffiliateStatus::Approved).await?;
    tx.commit().await?;

    let mut tx = store.write().await?;
    assert_eq!(tx.get_affiliate(acme.id, jane.id).await?, Some(jane.clone()));
    assert_eq!(
        tx.get_affiliate(acme.id, bob.id).await?.unwrap().stripe_account_id,
        None
    );
    let bobs = acct("acct_1AffluxBob00000002");
    assert!(tx.set_affiliate_stripe_account(acme.id, bob.id, Some(&bobs)).await?);
    // Another organization's affiliate is not touched.
    assert!(
        !tx.set_affiliate_stripe_account(globex.id, bob.id, Some(&acct("acct_1Intruder000000003")))
            .await?
    );
    assert!(
        !tx.set_affiliate_stripe_account(acme.id, AffiliateId::new(), Some(&bobs))
            .await?
    );
    assert!(tx.set_affiliate_stripe_account(acme.id, jane.id, None).await?);
    tx.commit().await?;

    let mut tx = store.read().await?;
    assert_eq!(
        tx.get_affiliate(acme.id, bob.id).await?.unwrap().stripe_account_id,
        Some(bobs.clone())
    );
    assert_eq!(
        tx.get_affiliate(acme.id, jane.id).await?.unwrap().stripe_account_id,
        None
    );
    // Every read of an affiliate carries it: by email, by slug, in lists.
    assert_eq!(
        tx.get_affiliate_by_email(acme.id, "bob@example.com")
            .await?
            .unwrap()
            .stripe_account_id,
        Some(bobs.clone())
    );
    assert_eq!(
        tx.get_affiliate_by_slug("bob").await?.unwrap().stripe_account_id,
        Some(bobs.clone())
    );
    let rows = tx
        .list_affiliates(acme.id, &AffiliateFilter::default(), page(10, 0))
        .await?;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].affiliate.stripe_account_id, Some(bobs.clone()));
    let everywhere = tx.list_affiliates_by_email("bob@example.com").await?;
    assert_eq!(everywhere[0].stripe_account_id, Some(bobs));
    Ok(())
}
