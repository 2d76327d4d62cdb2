//! The affiliate portal: single-use sign-in links, sessions keyed by address, the person's
//! records across organizations, portal choices (payout method, the one slug change), opting
//! back in to email, and the home page's sums.

use afflux_domain::{
    Commission, CommissionId, CommissionKind, CommissionStatus, Conversion, ConversionId, ConversionProvider,
    ConversionSource, ConversionType, Money, PayoutRail,
};
use afflux_store::{EarningsTotal, PortalSession, PortalSignIn};

use crate::fixtures::*;

fn sign_in(email_key: &str, token: &[u8], ttl: Duration) -> PortalSignIn {
    let now = tick();
    PortalSignIn {
        id: Uuid::now_v7(),
        token_hash: token.to_vec(),
        email_key: email_key.to_owned(),
        created_at: now,
        expires_at: now + ttl,
        used_at: None,
    }
}

#[tokio::test]
async fn sign_in_links_are_used_once_and_counted_per_address() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let link = sign_in("jane@example.com", b"hash-1", Duration::minutes(15));
    let other = sign_in("bob@example.com", b"hash-2", Duration::minutes(15));
    let mut tx = store.write().await?;
    tx.insert_portal_sign_in(&link).await?;
    tx.insert_portal_sign_in(&other).await?;
    tx.commit().await?;

    let mut tx = store.write().await?;
    assert_eq!(tx.get_portal_sign_in(link.id).await?, Some(link.clone()));
    assert_eq!(tx.get_portal_sign_in_by_hash(b"hash-1").await?, Some(link.clone()));
    assert_eq!(tx.get_portal_sign_in_by_hash(b"nope").await?, None);
    let since = link.created_at - Duration::seconds(1);
    assert_eq!(tx.count_portal_sign_ins("jane@example.com", since).await?, 1);
    assert_eq!(
        tx.count_portal_sign_ins("jane@example.com", link.created_at + Duration::seconds(1))
            .await?,
        0
    );
    let used_at = tick();
    assert!(tx.use_portal_sign_in(link.id, used_at).await?);
    assert!(!tx.use_portal_sign_in(link.id, tick()).await?, "a link is used once");
    tx.commit().await?;

    let mut tx = store.read().await?;
    let stored = tx.get_portal_sign_in(link.id).await?.unwrap();
    assert_eq!(stored.used_at, Some(used_at));
    assert_eq!(tx.get_portal_sign_in(other.id).await?.unwrap().used_at, None);
    drop(tx);

    // Two links cannot share a token hash.
    let mut tx = store.write().await?;
    assert_conflict(
        tx.insert_portal_sign_in(&sign_in("x@example.com", b"hash-1", Duration::minutes(1)))
            .await,
    );
    Ok(())
}

#[tokio::test]
async fn portal_sessions_round_trip_and_end() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let now = tick();
    let session = PortalSession {
        token_hash: b"session".to_vec(),
        email_key: "jane@example.com".into(),
        created_at: now,
        expires_at: now + Duration::days(14),
    };
    let mut tx = store.write().await?;
    tx.insert_portal_session(&session).await?;
    tx.commit().await?;
    let mut tx = store.write().await?;
    assert_eq!(tx.get_portal_session(b"session").await?, Some(session));
    assert!(tx.delete_portal_session(b"session").await?);
    assert!(!tx.delete_portal_session(b"session").await?);
    assert_eq!(tx.get_portal_session(b"session").await?, None);
    Ok(())
}

#[tokio::test]
async fn one_address_has_records_in_several_organizations() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let mut tx = store.write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let globex = add_org(tx.as_mut(), "Globex").await?;
    let first = add_affiliate(tx.as_mut(), acme.id, "jane@example.com", Some("Jane"), "jane-acme").await?;
    let second = add_affiliate(tx.as_mut(), globex.id, "jane@example.com", None, "jane-globex").await?;
    add_affiliate(tx.as_mut(), acme.id, "bob@example.com", None, "bob").await?;
    tx.commit().await?;

    let mut tx = store.write().await?;
    let found = tx.list_affiliates_by_email("jane@example.com").await?;
    assert_eq!(found, vec![first.clone(), second.clone()]);
    assert!(tx.list_affiliates_by_email("nobody@example.com").await?.is_empty());

    // Profile writes are org-scoped.
    let paypal = email("pay@jane.test");
    assert!(
        !tx.update_affiliate_profile(globex.id, first.id, Some("X"), None)
            .await?
    );
    assert!(
        tx.update_affiliate_profile(acme.id, first.id, Some("Jane D"), Some(&paypal))
            .await?
    );
    let updated = tx.get_affiliate(acme.id, first.id).await?.unwrap();
    assert_eq!(updated.name.as_deref(), Some("Jane D"));
    assert_eq!(updated.paypal_email, Some(paypal));
    assert_eq!(updated.slug, first.slug);
    assert_eq!(tx.get_affiliate(globex.id, second.id).await?.unwrap(), second);
    Ok(())
}

#[tokio::test]
async fn portal_prefs_keep_the_payout_method_and_allow_one_slug_change() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let mut tx = store.write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let globex = add_org(tx.as_mut(), "Globex").await?;
    let jane = add_affiliate(tx.as_mut(), acme.id, "jane@example.com", None, "jane").await?;
    tx.commit().await?;

    let mut tx = store.write().await?;
    assert_eq!(tx.get_portal_prefs(acme.id, jane.id).await?, None);
    assert!(
        !tx.set_portal_payout_method(globex.id, jane.id, PayoutRail::PayPal)
            .await?
    );
    assert!(
        tx.set_portal_payout_method(acme.id, jane.id, PayoutRail::Manual)
            .await?
    );
    assert!(
        tx.set_portal_payout_method(acme.id, jane.id, PayoutRail::PayPal)
            .await?
    );
    let at = tick();
    assert!(!tx.mark_slug_changed(globex.id, jane.id, "jane", at).await?);
    assert!(tx.mark_slug_changed(acme.id, jane.id, "jane", at).await?);
    assert!(
        !tx.mark_slug_changed(acme.id, jane.id, "jane-2", tick()).await?,
        "the slug changes once"
    );
    tx.commit().await?;

    let mut tx = store.read().await?;
    let prefs = tx.get_portal_prefs(acme.id, jane.id).await?.unwrap();
    assert_eq!(prefs.payout_method, Some(PayoutRail::PayPal));
    assert_eq!(prefs.previous_slug.as_deref(), Some("jane"));
    assert_eq!(prefs.slug_changed_at, Some(at));
    assert_eq!(tx.get_portal_prefs(globex.id, jane.id).await?, None);
    Ok(())
}

#[tokio::test]
async fn an_address_opts_back_in_to_email() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let mut tx = store.write().await?;
    tx.suppress_email("jane@example.com", "unsubscribe", tick()).await?;
    tx.suppress_email("bob@example.com", "unsubscribe", tick()).await?;
    assert!(tx.unsuppress_email("jane@example.com").await?);
    assert!(!tx.unsuppress_email("jane@example.com").await?);
    assert!(!tx.is_suppressed("jane@example.com").await?);
    assert!(tx.is_suppressed("bob@example.com").await?);
    Ok(())
}

fn sale(campaign: &Campaign, affiliate: &Affiliate, minor: i64, at: OffsetDateTime) -> Conversion {
    let id = ConversionId::new();
    Conversion {
        id,
        org_id: campaign.org_id,
        campaign_id: campaign.id,
        affiliate_id: affiliate.id,
        kind: ConversionType::Sale,
        source: ConversionSource::Server,
        status: CommissionStatus::Pending,
        amount: Money::new(minor, Currency::USD),
        refunded_minor: 0,
        commission: Money::new(0, Currency::USD),
        initial_commission_minor: 0,
        provider: ConversionProvider::Server,
        external_id: id.to_string(),
        event_id: id.to_string(),
        customer_id: None,
        customer_email_key: None,
        customer_name: None,
        subscription_id: None,
        invoice_id: None,
        charge_id: None,
        payment_intent_id: None,
        product_id: None,
        coupon_code: None,
        click_id: None,
        self_referral: false,
        occurred_at: at,
        created_at: at,
        updated_at: at,
    }
}

fn commission(k: &Conversion, minor: i64, status: CommissionStatus, hold_until: OffsetDateTime) -> Commission {
    Commission {
        id: CommissionId::new(),
        org_id: k.org_id,
        conversion_id: k.id,
        affiliate_id: k.affiliate_id,
        campaign_id: k.campaign_id,
        kind: CommissionKind::Direct,
        status,
        amount: Money::new(minor, k.amount.currency),
        initial_minor: minor,
        hold_until,
        payout_item_id: None,
        denied_reason: None,
        created_at: k.created_at,
        updated_at: k.created_at,
    }
}

#[tokio::test]
async fn home_sums_earnings_by_status_and_hold_and_days_of_activity() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let now = tick();
    let mut tx = store.write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let shop = add_campaign(tx.as_mut(), acme.id, "shop").await?;
    let jane = add_affiliate(tx.as_mut(), acme.id, "jane@example.com", None, "jane").await?;
    let bob = add_affiliate(tx.as_mut(), acme.id, "bob@example.com", None, "bob").await?;
    let yesterday = now - Duration::days(1);
    let rows = [
        (&jane, 1_000, CommissionStatus::Pending, now + Duration::days(30), now),
        (&jane, 500, CommissionStatus::Pending, now - Duration::days(1), now),
        (
            &jane,
            2_000,
            CommissionStatus::Approved,
            now - Duration::days(5),
            yesterday,
        ),
        (&jane, 700, CommissionStatus::Denied, now, yesterday),
        (&bob, 9_999, CommissionStatus::Approved, now, now),
    ];
    for (affiliate, minor, status, hold_until, at) in rows {
        let k = sale(&shop, affiliate, minor * 10, at);
        assert!(tx.insert_conversion(&k).await?);
        tx.insert_commissions(&[commission(&k, minor, status, hold_until)])
            .await?;
    }
    tx.commit().await?;

    let mut tx = store.read().await?;
    let totals = tx.affiliate_earnings(acme.id, jane.id, now).await?;
    let find = |status, on_hold| {
        totals
            .iter()
            .find(|t: &&EarningsTotal| t.status == status && t.on_hold == on_hold)
            .map(|t| (t.amount_minor, t.count))
    };
    assert_eq!(find(CommissionStatus::Pending, true), Some((1_000, 1)));
    assert_eq!(find(CommissionStatus::Pending, false), Some((500, 1)));
    assert_eq!(find(CommissionStatus::Approved, false), Some((2_000, 1)));
    assert_eq!(find(CommissionStatus::Denied, false), Some((700, 1)));
    assert_eq!(totals.len(), 4, "bob's commission is not jane's: {totals:?}");
    assert!(totals.iter().all(|t| t.currency == Currency::USD));

    // Conversions per day from the rollups (denied ones count nowhere).
    assert_eq!(tx.affiliate_conversion_count(acme.id, jane.id).await?, 3);
    let days = tx
        .affiliate_activity(acme.id, jane.id, now.date() - Duration::days(29), now.date())
        .await?;
    let by_day: Vec<(time::Date, i64, i64)> = days.iter().map(|d| (d.day, d.clicks, d.conversions)).collect();
    let expected = vec![(yesterday.date(), 0, 1), (now.date(), 0, 2)];
    assert_eq!(by_day, expected);
    assert_eq!(tx.affiliate_earnings(acme.id, bob.id, now).await?.len(), 1);
    Ok(())
}
