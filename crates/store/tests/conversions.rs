//! Store conformance for conversions: conversions, customer bindings, processed events, coupons
//! and organization secrets, on whichever backend [`TestDb`] picks (SQLite by default,
//! PostgreSQL with `AFFLUX_TEST_DATABASE_URL`). Writes expected to conflict run in a
//! transaction of their own, except where the contract says the transaction stays usable.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use afflux_domain::{
    Affiliate, AffiliateId, AffiliateStatus, AttributionModel, Campaign, CampaignId, CampaignRules, CommissionModel,
    CommissionStatus, CommissionType, CommissionValue, Conversion, ConversionId, ConversionProvider, ConversionSource,
    ConversionType, Coupon, CouponCode, CouponId, Currency, Email, Membership, MembershipId, Money, OrgId,
    Organization, PlanTier, Slug, SubscriptionStatus,
};
use afflux_store::test_db::TestDb;
use afflux_store::{
    ConversionFilter, CustomerBinding, OrgSecret, Page, PaymentRef, ProcessedEvent, Store, StoreError, StoreResult, Tx,
};
use serde_json::json;
use time::OffsetDateTime;

/// Now in whole microseconds, strictly later than any earlier call.
fn tick() -> OffsetDateTime {
    static LAST: AtomicI64 = AtomicI64::new(0);
    let now = i64::try_from(OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000).unwrap();
    let previous = LAST
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| Some(now.max(last + 1)))
        .unwrap();
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(now.max(previous + 1)) * 1_000).unwrap()
}

/// An organization with one campaign and two approved affiliates.
struct World {
    org: OrgId,
    campaign: CampaignId,
    jane: AffiliateId,
    joe: AffiliateId,
}

async fn world(tx: &mut dyn Tx, name: &str) -> StoreResult<World> {
    let org = Organization {
        id: OrgId::new(),
        name: name.to_owned(),
        plan: PlanTier::Enterprise,
        subscription_status: SubscriptionStatus::Active,
        home_currency: Currency::USD,
        sender_name: None,
        reply_to: None,
        created_at: tick(),
    };
    tx.insert_org(&org).await?;
    let at = tick();
    let campaign = Campaign {
        id: CampaignId::new(),
        org_id: org.id,
        name: "Pro".into(),
        slug: Slug::parse("pro").unwrap(),
        destination_url: "https://example.com".into(),
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
        rules: CampaignRules::default(),
        created_at: at,
        updated_at: at,
    };
    tx.insert_campaign(&campaign).await?;
    let mut ids = vec![];
    for who in ["jane", "joe"] {
        let a = Affiliate {
            id: AffiliateId::new(),
            org_id: org.id,
            email: Email::parse(&format!("{who}@{name}.test")).unwrap(),
            name: None,
            paypal_email: None,
            stripe_account_id: None,
            slug: Slug::parse(&format!("{who}-{name}")).unwrap(),
            created_at: tick(),
        };
        tx.insert_affiliate(&a).await?;
        let at = tick();
        tx.insert_membership(&Membership {
            id: MembershipId::new(),
            org_id: org.id,
            affiliate_id: a.id,
            campaign_id: campaign.id,
            status: AffiliateStatus::Approved,
            commission_override: None,
            recruited_by: None,
            status_reason: None,
            created_at: at,
            status_changed_at: at,
        })
        .await?;
        ids.push(a.id);
    }
    Ok(World {
        org: org.id,
        campaign: campaign.id,
        jane: ids[0],
        joe: ids[1],
    })
}

fn conversion(w: &World, affiliate: AffiliateId, external_id: &str, amount: i64) -> Conversion {
    let at = tick();
    Conversion {
        id: ConversionId::new(),
        org_id: w.org,
        campaign_id: w.campaign,
        affiliate_id: affiliate,
        kind: ConversionType::Sale,
        source: ConversionSource::Server,
        status: CommissionStatus::Pending,
        amount: Money::new(amount, Currency::EUR),
        refunded_minor: 0,
        commission: Money::new(amount / 5, Currency::EUR),
        initial_commission_minor: amount / 5,
        provider: ConversionProvider::Server,
        external_id: external_id.to_owned(),
        event_id: external_id.to_owned(),
        customer_id: Some("cus_1".into()),
        customer_email_key: Some("buyer@example.com".into()),
        customer_name: Some("Buyer".into()),
        subscription_id: None,
        invoice_id: None,
        charge_id: None,
        payment_intent_id: None,
        product_id: Some("prod_1".into()),
        coupon_code: None,
        click_id: None,
        self_referral: false,
        occurred_at: at,
        created_at: at,
        updated_at: at,
    }
}

fn binding(w: &World, key: &str, affiliate: AffiliateId) -> CustomerBinding {
    CustomerBinding {
        org_id: w.org,
        customer_key: key.to_owned(),
        affiliate_id: affiliate,
        campaign_id: w.campaign,
        conversion_id: None,
        created_at: tick(),
    }
}

fn event(org: OrgId, id: &str) -> ProcessedEvent {
    ProcessedEvent {
        org_id: org,
        provider: "stripe".into(),
        event_id: id.to_owned(),
        request_hash: Some(vec![1, 2, 3]),
        result: None,
        created_at: tick(),
    }
}

fn coupon(w: &World, code: &str, affiliate: Option<AffiliateId>, promo: Option<&str>) -> Coupon {
    Coupon {
        id: CouponId::new(),
        org_id: w.org,
        campaign_id: w.campaign,
        affiliate_id: affiliate,
        parent_id: None,
        code: CouponCode::parse(code).unwrap(),
        stripe_coupon_id: None,
        stripe_promotion_code_id: promo.map(str::to_owned),
        overrides_click: true,
        created_at: tick(),
    }
}

async fn setup(store: &dyn Store) -> StoreResult<(World, World)> {
    let mut tx = store.write().await?;
    let acme = world(tx.as_mut(), "acme").await?;
    let other = world(tx.as_mut(), "other").await?;
    tx.commit().await?;
    Ok((acme, other))
}

fn all() -> Page {
    Page::ALL
}

#[tokio::test]
async fn conversions_round_trip_and_are_unique_per_external_id() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let (w, other) = setup(store.as_ref()).await?;

    let mut tx = store.write().await?;
    let first = conversion(&w, w.jane, "order-1", 9900);
    assert!(tx.insert_conversion(&first).await?);
    // Another conversion of the same sale changes nothing and leaves the transaction usable.
    let again = conversion(&w, w.joe, "order-1", 100);
    assert!(!tx.insert_conversion(&again).await?);
    assert_eq!(tx.get_conversion(w.org, again.id).await?, None);
    // The same external id from another provider, or in another organization, is another sale.
    let mut stripe = conversion(&w, w.joe, "order-1", 500);
    stripe.provider = ConversionProvider::Stripe;
    assert!(tx.insert_conversion(&stripe).await?);
    let elsewhere = conversion(&other, other.jane, "order-1", 700);
    assert!(tx.insert_conversion(&elsewhere).await?);
    tx.commit().await?;

    let mut tx = store.read().await?;
    assert_eq!(tx.get_conversion(w.org, first.id).await?, Some(first.clone()));
    assert_eq!(tx.get_conversion(other.org, first.id).await?, None, "tenant isolation");
    let by_key = tx
        .get_conversion_by_external_id(w.org, ConversionProvider::Server, "order-1")
        .await?;
    assert_eq!(by_key.map(|c| c.id), Some(first.id));
    let by_key = tx
        .get_conversion_by_external_id(w.org, ConversionProvider::Stripe, "order-1")
        .await?;
    assert_eq!(by_key.map(|c| c.id), Some(stripe.id));
    assert_eq!(
        tx.get_conversion_by_external_id(w.org, ConversionProvider::Script, "order-1")
            .await?,
        None
    );
    Ok(())
}

#[tokio::test]
async fn conversions_list_filters_pages_and_updates() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let (w, other) = setup(store.as_ref()).await?;

    let mut tx = store.write().await?;
    let a = conversion(&w, w.jane, "a", 1000);
    let mut b = conversion(&w, w.joe, "b", 2000);
    b.kind = ConversionType::Lead;
    b.source = ConversionSource::Lead;
    b.subscription_id = Some("sub_9".into());
    let mut c = conversion(&w, w.jane, "c", 3000);
    c.charge_id = Some("ch_3".into());
    c.payment_intent_id = Some("pi_3".into());
    c.invoice_id = Some("in_3".into());
    for k in [&a, &b, &c] {
        assert!(tx.insert_conversion(k).await?);
    }
    tx.insert_conversion(&conversion(&other, other.jane, "x", 1)).await?;
    tx.commit().await?;

    let mut tx = store.write().await?;
    let ids = |rows: Vec<Conversion>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
    let everything = tx.list_conversions(w.org, &ConversionFilter::default(), all()).await?;
    assert_eq!(ids(everything), vec![c.id, b.id, a.id], "newest first, own org only");
    let jane = ConversionFilter {
        affiliate_id: Some(w.jane),
        ..Default::default()
    };
    assert_eq!(ids(tx.list_conversions(w.org, &jane, all()).await?), vec![c.id, a.id]);
    let leads = ConversionFilter {
        kind: Some(ConversionType::Lead),
        source: Some(ConversionSource::Lead),
        subscription_id: Some("sub_9".into()),
        ..Default::default()
    };
    assert_eq!(ids(tx.list_conversions(w.org, &leads, all()).await?), vec![b.id]);
    let second_page = Page { limit: 1, offset: 1 };
    assert_eq!(
        ids(tx
            .list_conversions(w.org, &ConversionFilter::default(), second_page)
            .await?),
        vec![b.id]
    );
    let refunded = ConversionFilter {
        status: Some(CommissionStatus::Refunded),
        ..Default::default()
    };
    assert!(tx.list_conversions(w.org, &refunded, all()).await?.is_empty());

    // Refunds find their conversion by charge, payment intent or invoice.
    for payment in [
        PaymentRef {
            charge_id: Some("ch_3".into()),
            ..Default::default()
        },
        PaymentRef {
            charge_id: Some("ch_unknown".into()),
            payment_intent_id: Some("pi_3".into()),
            ..Default::default()
        },
        PaymentRef {
            invoice_id: Some("in_3".into()),
            ..Default::default()
        },
    ] {
        let found = tx.find_conversion_by_payment(w.org, &payment).await?;
        assert_eq!(found.map(|k| k.id), Some(c.id), "{payment:?}");
        assert_eq!(tx.find_conversion_by_payment(other.org, &payment).await?, None);
    }
    assert_eq!(
        tx.find_conversion_by_payment(w.org, &PaymentRef::default()).await?,
        None
    );

    let mut changed = c.clone();
    changed.status = CommissionStatus::Refunded;
    changed.refunded_minor = 3000;
    changed.commission = Money::new(0, Currency::EUR);
    changed.updated_at = tick();
    assert!(tx.update_conversion(&changed).await?);
    let mut foreign = changed.clone();
    foreign.org_id = other.org;
    assert!(!tx.update_conversion(&foreign).await?, "tenant isolation");
    tx.commit().await?;
    let mut tx = store.read().await?;
    let stored = tx.get_conversion(w.org, c.id).await?.unwrap();
    assert_eq!(stored, changed);
    assert_eq!(stored.initial_commission_minor, 600, "the initial commission is kept");
    assert_eq!(ids(tx.list_conversions(w.org, &refunded, all()).await?), vec![c.id]);
    Ok(())
}

#[tokio::test]
async fn the_first_customer_binding_wins() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let (w, other) = setup(store.as_ref()).await?;

    let mut tx = store.write().await?;
    let jane = binding(&w, "stripe:cus_1", w.jane);
    assert_eq!(tx.bind_customer(&jane).await?, jane);
    let joe = binding(&w, "stripe:cus_1", w.joe);
    assert_eq!(tx.bind_customer(&joe).await?, jane, "the existing binding is answered");
    let elsewhere = binding(&other, "stripe:cus_1", other.joe);
    assert_eq!(tx.bind_customer(&elsewhere).await?, elsewhere);
    tx.commit().await?;

    let mut tx = store.read().await?;
    assert_eq!(tx.get_customer_binding(w.org, "stripe:cus_1").await?, Some(jane));
    assert_eq!(tx.get_customer_binding(w.org, "email:x@example.com").await?, None);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_bindings_of_one_customer_keep_the_first_committed() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let (w, _) = setup(store.as_ref()).await?;

    let mut first = store.write().await?;
    let jane = binding(&w, "ext:buyer-7", w.jane);
    first.bind_customer(&jane).await?;
    let second = tokio::spawn({
        let store = store.clone();
        let joe = binding(&w, "ext:buyer-7", w.joe);
        async move {
            let mut tx = store.write().await?;
            let stored = tx.bind_customer(&joe).await?;
            tx.commit().await?;
            Ok::<_, StoreError>(stored)
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!second.is_finished(), "the second binding did not wait for the first");
    first.commit().await?;
    let stored = second.await.expect("second writer")?;
    assert_eq!(stored.affiliate_id, w.jane);
    Ok(())
}

#[tokio::test]
async fn events_are_claimed_once_and_answer_with_their_result() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let (w, other) = setup(store.as_ref()).await?;

    let mut tx = store.write().await?;
    assert!(tx.claim_event(&event(w.org, "evt_1")).await?);
    assert!(!tx.claim_event(&event(w.org, "evt_1")).await?);
    assert!(tx.claim_event(&event(other.org, "evt_1")).await?, "per organization");
    let mut s2s = event(w.org, "evt_1");
    s2s.provider = "s2s".into();
    assert!(tx.claim_event(&s2s).await?, "per provider");
    assert!(
        tx.set_event_result(w.org, "stripe", "evt_1", &json!({"conversionId": "c1"}))
            .await?
    );
    assert!(!tx.set_event_result(w.org, "stripe", "evt_404", &json!({})).await?);
    tx.commit().await?;

    let mut tx = store.read().await?;
    let stored = tx.get_event(w.org, "stripe", "evt_1").await?.unwrap();
    assert_eq!(stored.result, Some(json!({"conversionId": "c1"})));
    assert_eq!(stored.request_hash, Some(vec![1, 2, 3]));
    assert_eq!(tx.get_event(other.org, "stripe", "evt_1").await?.unwrap().result, None);
    assert_eq!(tx.get_event(w.org, "stripe", "evt_2").await?, None);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_concurrent_claim_waits_for_the_first_and_sees_its_outcome() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let (w, _) = setup(store.as_ref()).await?;

    let org = w.org;
    let claim = move |store: std::sync::Arc<dyn Store>, id: &'static str| async move {
        let mut tx = store.write().await?;
        let taken = tx.claim_event(&event(org, id)).await?;
        if taken {
            tx.set_event_result(org, "stripe", id, &json!("second")).await?;
        }
        tx.commit().await?;
        Ok::<_, StoreError>(taken)
    };

    // The first commits: the second finds the event taken.
    let mut first = store.write().await?;
    assert!(first.claim_event(&event(w.org, "evt_a")).await?);
    first
        .set_event_result(w.org, "stripe", "evt_a", &json!("first"))
        .await?;
    let second = tokio::spawn(claim(store.clone(), "evt_a"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!second.is_finished(), "the second claim did not wait");
    first.commit().await?;
    assert!(!second.await.expect("second")?);

    // The first rolls back: the second takes the event.
    let mut first = store.write().await?;
    assert!(first.claim_event(&event(w.org, "evt_b")).await?);
    let second = tokio::spawn(claim(store.clone(), "evt_b"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(first);
    assert!(second.await.expect("second")?);

    let mut tx = store.read().await?;
    assert_eq!(
        tx.get_event(w.org, "stripe", "evt_a").await?.unwrap().result,
        Some(json!("first"))
    );
    assert_eq!(
        tx.get_event(w.org, "stripe", "evt_b").await?.unwrap().result,
        Some(json!("second"))
    );
    Ok(())
}

#[tokio::test]
async fn coupons_are_found_by_code_and_promotion_code() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let (w, other) = setup(store.as_ref()).await?;

    let mut tx = store.write().await?;
    let mut campaign_coupon = coupon(&w, "SPRING", None, None);
    campaign_coupon.stripe_coupon_id = Some("co_spring".into());
    tx.insert_coupon(&campaign_coupon).await?;
    let mut sarah = coupon(&w, "Sarah20", Some(w.jane), Some("promo_1"));
    sarah.parent_id = Some(campaign_coupon.id);
    tx.insert_coupon(&sarah).await?;
    let joe = coupon(&w, "JOE10", Some(w.joe), None);
    tx.insert_coupon(&joe).await?;
    // Taken codes and Stripe ids conflict, and the transaction goes on.
    let taken = tx.insert_coupon(&coupon(&w, "sarah20", Some(w.joe), None)).await;
    assert!(matches!(&taken, Err(e) if e.is_conflict_on("code_key")), "{taken:?}");
    let taken = tx
        .insert_coupon(&coupon(&w, "OTHER", Some(w.joe), Some("promo_1")))
        .await;
    assert!(
        matches!(&taken, Err(e) if e.is_conflict_on("stripe_promotion_code_id")),
        "{taken:?}"
    );
    let mut dup = coupon(&w, "SPRING2", None, None);
    dup.stripe_coupon_id = Some("co_spring".into());
    let taken = tx.insert_coupon(&dup).await;
    assert!(
        matches!(&taken, Err(e) if e.is_conflict_on("stripe_coupon_id")),
        "{taken:?}"
    );
    // Another organization may use the same code.
    tx.insert_coupon(&coupon(&other, "SARAH20", Some(other.jane), Some("promo_1")))
        .await?;
    tx.commit().await?;

    let mut tx = store.read().await?;
    assert_eq!(tx.get_coupon(w.org, sarah.id).await?, Some(sarah.clone()));
    assert_eq!(tx.get_coupon(other.org, sarah.id).await?, None);
    assert_eq!(tx.get_coupon_by_code(w.org, "SARAH20").await?, Some(sarah.clone()));
    assert_eq!(tx.get_coupon_by_code(w.org, "NOPE").await?, None);
    let by_coupon = tx.get_coupon_by_stripe_coupon(w.org, "co_spring").await?;
    assert_eq!(by_coupon.map(|c| c.id), Some(campaign_coupon.id));
    assert_eq!(tx.get_coupon_by_stripe_coupon(other.org, "co_spring").await?, None);
    let by_promo = tx.get_coupon_by_promotion_code(w.org, "promo_1").await?;
    assert_eq!(by_promo.map(|c| c.id), Some(sarah.id));
    let ids = |rows: Vec<Coupon>| rows.into_iter().map(|c| c.id).collect::<Vec<_>>();
    assert_eq!(
        ids(tx.list_coupons(w.org, None, None).await?),
        vec![campaign_coupon.id, sarah.id, joe.id]
    );
    assert_eq!(ids(tx.list_coupons(w.org, None, Some(w.joe)).await?), vec![joe.id]);
    assert_eq!(
        ids(tx.list_coupons(w.org, Some(w.campaign), Some(w.jane)).await?),
        vec![sarah.id]
    );
    assert!(tx.list_coupons(w.org, Some(other.campaign), None).await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn org_secrets_are_replaced_and_isolated() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let (w, other) = setup(store.as_ref()).await?;
    let secret = |org: OrgId, bytes: &[u8]| OrgSecret {
        org_id: org,
        name: "stripe_webhook_secret".into(),
        ciphertext: bytes.to_vec(),
        updated_at: tick(),
    };

    let mut tx = store.write().await?;
    tx.put_org_secret(&secret(w.org, b"one")).await?;
    let replaced = secret(w.org, b"two");
    tx.put_org_secret(&replaced).await?;
    tx.commit().await?;

    let mut tx = store.write().await?;
    assert_eq!(tx.get_org_secret(w.org, "stripe_webhook_secret").await?, Some(replaced));
    assert_eq!(tx.get_org_secret(other.org, "stripe_webhook_secret").await?, None);
    assert!(!tx.delete_org_secret(other.org, "stripe_webhook_secret").await?);
    assert!(tx.delete_org_secret(w.org, "stripe_webhook_secret").await?);
    assert_eq!(tx.get_org_secret(w.org, "stripe_webhook_secret").await?, None);
    Ok(())
}

#[tokio::test]
async fn bulk_operations_agree_with_the_single_ones() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let (w, other) = setup(store.as_ref()).await?;

    let mut tx = store.write().await?;
    assert!(tx.claim_event(&event(w.org, "evt_1")).await?);
    let claimed = tx
        .claim_events(&[event(w.org, "evt_1"), event(w.org, "evt_2"), event(other.org, "evt_1")])
        .await?;
    assert_eq!(claimed, vec![false, true, true]);
    let mut done = event(w.org, "evt_2");
    done.result = Some(json!({ "status": 201 }));
    let mut done_other = event(other.org, "evt_1");
    done_other.result = Some(json!("other"));
    tx.finish_events(&[done, done_other]).await?;
    assert_eq!(
        tx.get_event(w.org, "stripe", "evt_2").await?.unwrap().result,
        Some(json!({ "status": 201 }))
    );
    assert_eq!(
        tx.get_event(other.org, "stripe", "evt_1").await?.unwrap().result,
        Some(json!("other"))
    );
    assert_eq!(
        tx.get_event(w.org, "stripe", "evt_1").await?.unwrap().result,
        None,
        "untouched"
    );
    assert!(tx.claim_events(&[]).await?.is_empty());

    let existing = conversion(&w, w.jane, "sale-0", 100);
    assert!(tx.insert_conversion(&existing).await?);
    let a = conversion(&w, w.jane, "sale-1", 200);
    let dup = conversion(&w, w.joe, "sale-0", 300);
    let b = conversion(&other, other.joe, "sale-0", 400);
    assert_eq!(
        tx.insert_conversions(&[a.clone(), dup.clone(), b.clone()]).await?,
        vec![true, false, true]
    );
    assert_eq!(tx.get_conversion(w.org, a.id).await?, Some(a));
    assert_eq!(tx.get_conversion(w.org, dup.id).await?, None);
    assert_eq!(tx.get_conversion(other.org, b.id).await?, Some(b));

    tx.bind_customer(&binding(&w, "k1", w.jane)).await?;
    tx.bind_customers(&[
        binding(&w, "k2", w.jane),
        binding(&w, "k1", w.joe),
        binding(&other, "k1", other.joe),
    ])
    .await?;
    let keys = ["k1".to_owned(), "k2".to_owned(), "k3".to_owned()];
    let mut found = tx.get_customer_bindings(w.org, &keys).await?;
    found.sort_by(|x, y| x.customer_key.cmp(&y.customer_key));
    let owners: Vec<(&str, AffiliateId)> = found
        .iter()
        .map(|b| (b.customer_key.as_str(), b.affiliate_id))
        .collect();
    assert_eq!(owners, vec![("k1", w.jane), ("k2", w.jane)], "the first binding wins");
    assert_eq!(tx.get_customer_bindings(other.org, &keys).await?.len(), 1);
    assert!(tx.get_customer_bindings(w.org, &[]).await?.is_empty());

    let entries: Vec<afflux_store::AuditEntry> = (0..2)
        .map(|i| afflux_store::AuditEntry {
            id: uuid::Uuid::now_v7(),
            org_id: w.org,
            actor: "system".into(),
            action: format!("bulk.{i}"),
            object_type: "conversion".into(),
            object_id: i.to_string(),
            before: None,
            after: Some(json!({ "i": i })),
            at: tick(),
        })
        .collect();
    tx.insert_audits(&entries).await?;
    let logged = tx.list_audit(w.org, Page::ALL).await?;
    assert!(entries.iter().all(|e| logged.contains(e)), "{logged:?}");
    tx.commit().await?;
    Ok(())
}

#[tokio::test]
async fn attribution_targets_join_affiliate_membership_and_campaign() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let (w, other) = setup(store.as_ref()).await?;

    let mut tx = store.write().await?;
    let mut membership = tx.get_membership(w.org, w.joe, w.campaign).await?.unwrap();
    membership.status = AffiliateStatus::Paused;
    membership.commission_override = Some(CommissionValue {
        kind: CommissionType::Fixed,
        value: 750,
    });
    tx.update_membership(&membership).await?;
    tx.commit().await?;

    let mut tx = store.read().await?;
    let jane = tx.attribution_targets_by_slug("jane-acme").await?;
    assert_eq!(jane.len(), 1);
    let t = &jane[0];
    assert_eq!((t.org_id, t.affiliate_id, t.campaign_id), (w.org, w.jane, w.campaign));
    assert_eq!(t.affiliate_email_key, "jane@acme.test");
    assert_eq!(t.status, AffiliateStatus::Approved);
    assert_eq!(t.commission_override, None);
    assert_eq!(
        t.commission,
        CommissionValue {
            kind: CommissionType::Percentage,
            value: 2000
        }
    );
    assert_eq!((t.currency, t.commission_model), (Currency::USD, CommissionModel::Cps));
    assert_eq!(
        (t.cookie_window_days, t.attribution_model),
        (60, AttributionModel::LastTouch)
    );
    assert!(tx.attribution_targets_by_slug("nobody").await?.is_empty());

    let joe = tx.attribution_target(w.org, w.joe, w.campaign).await?.unwrap();
    assert_eq!(joe.status, AffiliateStatus::Paused);
    assert_eq!(joe.commission_override.map(|o| o.value), Some(750));
    assert_eq!(
        tx.attribution_target(other.org, w.joe, w.campaign).await?,
        None,
        "tenant isolation"
    );
    assert_eq!(tx.attribution_target(w.org, w.joe, other.campaign).await?, None);
    Ok(())
}
