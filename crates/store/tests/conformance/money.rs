//! The money side: commissions (and their mirror on the conversion), the append-only ledger,
//! payout runs and items, exchange rates, and the campaign rules they read.

use afflux_domain::{
    Commission, CommissionId, CommissionKind, CommissionStatus, Conversion, ConversionId, ConversionProvider,
    ConversionSource, ConversionType, FxRate, LedgerEntry, LedgerEntryId, LedgerKind, Money, PayableTotal, PayoutItem,
    PayoutItemId, PayoutRail, PayoutRun, PayoutRunId, PayoutStatus, ProductRule, RecurringDuration, TierRule,
    TierThreshold,
};
use afflux_store::{AssignedCommissions, Balance, CommissionFilter, PayoutItemFilter, Store, TierStats};
use time::macros::date;

use crate::fixtures::*;

/// An organization with two campaigns (USD; the second with a minimum payout) and two affiliates
/// approved in both; Joe was recruited by Jane.
struct World {
    org: OrgId,
    usd: Campaign,
    min: Campaign,
    jane: Affiliate,
    joe: Affiliate,
}

async fn world(tx: &mut dyn Tx, name: &str) -> StoreResult<World> {
    let org = add_org(tx, name).await?;
    let usd = add_campaign(tx, org.id, "usd").await?;
    let min = Campaign {
        rules: CampaignRules {
            minimum_payout_minor: 5000,
            ..CampaignRules::default()
        },
        ..campaign(org.id, "minimum")
    };
    tx.insert_campaign(&min).await?;
    let lower = name.to_lowercase();
    let jane = add_affiliate(
        tx,
        org.id,
        &format!("jane@{lower}.test"),
        None,
        &format!("jane-{lower}"),
    )
    .await?;
    let joe = add_affiliate(tx, org.id, &format!("joe@{lower}.test"), None, &format!("joe-{lower}")).await?;
    for c in [&usd, &min] {
        add_membership(tx, &jane, c, AffiliateStatus::Approved).await?;
        tx.insert_membership(&Membership {
            recruited_by: Some(jane.id),
            ..membership(&joe, c, AffiliateStatus::Approved)
        })
        .await?;
    }
    Ok(World {
        org: org.id,
        usd,
        min,
        jane,
        joe,
    })
}

async fn two_worlds(store: &dyn Store) -> StoreResult<(World, World)> {
    let mut tx = store.write().await?;
    let acme = world(tx.as_mut(), "Acme").await?;
    let globex = world(tx.as_mut(), "Globex").await?;
    tx.commit().await?;
    Ok((acme, globex))
}

/// A sale recorded without a commission yet (the commission mirror fills it in).
fn conversion(campaign: &Campaign, affiliate: &Affiliate, amount: Money) -> Conversion {
    let at = tick();
    let id = ConversionId::new();
    Conversion {
        id,
        org_id: campaign.org_id,
        campaign_id: campaign.id,
        affiliate_id: affiliate.id,
        kind: ConversionType::Sale,
        source: ConversionSource::Server,
        status: CommissionStatus::Pending,
        amount,
        refunded_minor: 0,
        commission: Money::new(0, amount.currency),
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

async fn add_conversion(
    tx: &mut dyn Tx,
    campaign: &Campaign,
    affiliate: &Affiliate,
    amount: Money,
) -> StoreResult<Conversion> {
    let k = conversion(campaign, affiliate, amount);
    assert!(tx.insert_conversion(&k).await?);
    Ok(k)
}

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::USD)
}

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

/// The direct commission of `k`, Pending with its hold ending in `hold_days`.
fn direct(k: &Conversion, amount: Money, hold_days: i64) -> Commission {
    let at = tick();
    Commission {
        id: CommissionId::new(),
        org_id: k.org_id,
        conversion_id: k.id,
        affiliate_id: k.affiliate_id,
        campaign_id: k.campaign_id,
        kind: CommissionKind::Direct,
        status: CommissionStatus::Pending,
        amount,
        initial_minor: amount.minor,
        hold_until: at + Duration::days(hold_days),
        payout_item_id: None,
        denied_reason: None,
        created_at: at,
        updated_at: at,
    }
}

/// The two-tier override `recruiter` earns on `k`.
fn override_of(k: &Conversion, recruiter: &Affiliate, amount: Money) -> Commission {
    Commission {
        affiliate_id: recruiter.id,
        kind: CommissionKind::Override,
        ..direct(k, amount, 30)
    }
}

fn with_status(k: Commission, status: CommissionStatus) -> Commission {
    Commission { status, ..k }
}

/// An Approved direct commission on a new sale.
async fn add_approved(tx: &mut dyn Tx, c: &Campaign, a: &Affiliate, amount: Money) -> StoreResult<Commission> {
    let k = add_conversion(tx, c, a, amount).await?;
    let commission = with_status(direct(&k, amount, -1), CommissionStatus::Approved);
    tx.insert_commissions(std::slice::from_ref(&commission)).await?;
    Ok(commission)
}

fn entry(org: OrgId, affiliate: AffiliateId, kind: LedgerKind, amount: Money) -> LedgerEntry {
    LedgerEntry {
        id: LedgerEntryId::new(),
        org_id: org,
        affiliate_id: affiliate,
        kind,
        amount,
        commission_id: None,
        payout_item_id: None,
        memo: None,
        created_at: tick(),
    }
}

fn run(org: OrgId, currency: Option<Currency>) -> PayoutRun {
    PayoutRun {
        id: PayoutRunId::new(),
        org_id: org,
        rail: PayoutRail::PayPal,
        currency,
        created_by: None,
        created_at: tick(),
    }
}

fn item(run: &PayoutRun, affiliate: AffiliateId, amount: Money) -> PayoutItem {
    let at = tick();
    PayoutItem {
        id: PayoutItemId::new(),
        org_id: run.org_id,
        run_id: run.id,
        affiliate_id: affiliate,
        amount,
        status: PayoutStatus::Pending,
        reference: None,
        failure_reason: None,
        attempts: 0,
        created_at: at,
        updated_at: at,
    }
}

/// A run of `org` with one item for `affiliate`.
async fn add_item(tx: &mut dyn Tx, org: OrgId, affiliate: AffiliateId) -> StoreResult<PayoutItem> {
    let r = run(org, Some(Currency::USD));
    tx.insert_payout_run(&r).await?;
    let i = item(&r, affiliate, usd(0));
    tx.insert_payout_items(std::slice::from_ref(&i)).await?;
    Ok(i)
}

fn ids(commissions: &[Commission]) -> Vec<CommissionId> {
    commissions.iter().map(|k| k.id).collect()
}

/// A run of `org` with one item per affiliate and currency given.
async fn add_run(
    tx: &mut dyn Tx,
    org: OrgId,
    items: &[(AffiliateId, Currency)],
) -> StoreResult<(PayoutRun, Vec<PayoutItem>)> {
    let r = run(org, None);
    tx.insert_payout_run(&r).await?;
    let items: Vec<PayoutItem> = items
        .iter()
        .map(|&(affiliate, currency)| item(&r, affiliate, Money::new(0, currency)))
        .collect();
    tx.insert_payout_items(&items).await?;
    Ok((r, items))
}

fn total(affiliate: &Affiliate, amount: Money, commissions: i64, minimum: i64) -> PayableTotal {
    PayableTotal {
        affiliate_id: affiliate.id,
        amount,
        commissions,
        minimum_payout_minor: minimum,
    }
}

/// Totals in a stable order, whatever order the backend sorts ids in.
fn sorted(mut totals: Vec<PayableTotal>) -> Vec<PayableTotal> {
    totals.sort_by_key(|t| {
        (
            t.affiliate_id,
            t.amount.currency.code(),
            t.minimum_payout_minor,
            t.amount.minor,
        )
    });
    totals
}

fn held(item: &PayoutItem, commissions: i64, total_minor: i64) -> AssignedCommissions {
    AssignedCommissions {
        item: item.id,
        commissions,
        total_minor,
    }
}

/// What a run's items hold, by item id as the store answers.
fn by_item(mut held: Vec<AssignedCommissions>) -> Vec<AssignedCommissions> {
    held.sort_by_key(|h| h.item);
    held
}

fn assert_conflict_named<T: Debug>(result: StoreResult<T>, name: &str) {
    match result {
        Err(StoreError::Conflict { constraint }) if constraint == name => {}
        other => panic!("expected a conflict named {name}, got {other:?}"),
    }
}

/// Runs one statement on the database behind the store, outside it.
async fn raw_sql(db: &TestDb, sql: &str) -> Result<u64, sqlx::Error> {
    use sqlx::Connection;
    match db.backend() {
        Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(db.url()).await?;
            Ok(sqlx::query(sql).execute(&mut c).await?.rows_affected())
        }
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(db.url()).await?;
            Ok(sqlx::query(sql).execute(&mut c).await?.rows_affected())
        }
    }
}

#[tokio::test]
async fn commissions_round_trip_filter_and_mirror_onto_their_conversion() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let (w, other) = two_worlds(store.as_ref()).await?;

    let mut tx = store.write().await?;
    let jane_sale = add_conversion(tx.as_mut(), &w.usd, &w.jane, usd(10_000)).await?;
    let joe_sale = add_conversion(tx.as_mut(), &w.min, &w.joe, eur(5_000)).await?;
    let jane_direct = direct(&jane_sale, usd(2_000), 30);
    let joe_direct = with_status(direct(&joe_sale, eur(1_000), 0), CommissionStatus::Approved);
    // Jane's override on Joe's sale is written after Joe's own: the conversion keeps the direct.
    let jane_override = override_of(&joe_sale, &w.jane, eur(100));
    let all = vec![jane_direct.clone(), joe_direct.clone(), jane_override.clone()];
    tx.insert_commissions(&all).await?;
    tx.insert_commissions(&[]).await?;

    // One commission per conversion and kind; the transaction goes on.
    let twin = direct(&jane_sale, usd(1), 30);
    assert_conflict_on(tx.insert_commissions(&[twin]).await, "conversion_id");
    tx.commit().await?;

    let mut tx = store.read().await?;
    assert_eq!(
        tx.get_commission(w.org, jane_direct.id).await?,
        Some(jane_direct.clone())
    );
    assert_eq!(
        tx.get_commission(w.org, jane_override.id).await?,
        Some(jane_override.clone())
    );
    assert_eq!(tx.get_commission(w.org, CommissionId::new()).await?, None);
    assert_eq!(tx.get_commission(other.org, jane_direct.id).await?, None);

    let newest_first: Vec<Commission> = all.iter().rev().cloned().collect();
    assert_eq!(
        tx.list_commissions(w.org, &CommissionFilter::default(), Page::ALL)
            .await?,
        newest_first
    );
    assert_eq!(
        tx.list_commissions(w.org, &CommissionFilter::default(), page(2, 1))
            .await?,
        newest_first[1..]
    );
    let cases = [
        (
            CommissionFilter {
                affiliate_id: Some(w.jane.id),
                ..CommissionFilter::default()
            },
            vec![jane_override.id, jane_direct.id],
        ),
        (
            CommissionFilter {
                campaign_id: Some(w.min.id),
                ..CommissionFilter::default()
            },
            vec![jane_override.id, joe_direct.id],
        ),
        (
            CommissionFilter {
                conversion_id: Some(jane_sale.id),
                ..CommissionFilter::default()
            },
            vec![jane_direct.id],
        ),
        (
            CommissionFilter {
                status: Some(CommissionStatus::Pending),
                ..CommissionFilter::default()
            },
            vec![jane_override.id, jane_direct.id],
        ),
        (
            CommissionFilter {
                currency: Some(Currency::EUR),
                status: Some(CommissionStatus::Approved),
                ..CommissionFilter::default()
            },
            vec![joe_direct.id],
        ),
    ];
    for (f, want) in cases {
        assert_eq!(ids(&tx.list_commissions(w.org, &f, Page::ALL).await?), want, "{f:?}");
    }
    assert_eq!(
        tx.list_commissions(other.org, &CommissionFilter::default(), Page::ALL)
            .await?,
        vec![]
    );

    // The direct commissions show on their conversions.
    let got = tx.get_conversion(w.org, jane_sale.id).await?.unwrap();
    assert_eq!(
        (got.status, got.commission, got.initial_commission_minor),
        (CommissionStatus::Pending, usd(2_000), 2_000)
    );
    assert_eq!(got.updated_at, jane_direct.updated_at);
    let got = tx.get_conversion(w.org, joe_sale.id).await?.unwrap();
    assert_eq!(
        (got.status, got.commission, got.initial_commission_minor),
        (CommissionStatus::Approved, eur(1_000), 1_000),
        "the override leaves the conversion alone"
    );
    drop(tx);

    // An update rewrites status, amount, payout item, denied reason and update time, and the
    // mirror follows.
    let mut tx = store.write().await?;
    let refunded = Commission {
        status: CommissionStatus::Refunded,
        amount: usd(500),
        denied_reason: Some("refunded in part".into()),
        updated_at: tick(),
        ..jane_direct.clone()
    };
    let ignored = Commission {
        kind: CommissionKind::Override,
        initial_minor: 1,
        hold_until: tick(),
        created_at: tick(),
        ..refunded.clone()
    };
    assert!(tx.update_commission(&ignored).await?);
    assert_eq!(tx.get_commission(w.org, jane_direct.id).await?, Some(refunded.clone()));
    let got = tx.get_conversion(w.org, jane_sale.id).await?.unwrap();
    assert_eq!(
        (got.status, got.commission, got.initial_commission_minor, got.updated_at),
        (CommissionStatus::Refunded, usd(500), 2_000, refunded.updated_at)
    );
    assert_eq!(
        (got.amount, got.refunded_minor),
        (usd(10_000), 0),
        "the sale is untouched"
    );

    let denied = Commission {
        status: CommissionStatus::Denied,
        updated_at: tick(),
        ..jane_override.clone()
    };
    assert!(tx.update_commission(&denied).await?);
    let got = tx.get_conversion(w.org, joe_sale.id).await?.unwrap();
    assert_eq!((got.status, got.commission), (CommissionStatus::Approved, eur(1_000)));

    assert!(
        !tx.update_commission(&direct(&jane_sale, usd(1), 1)).await?,
        "a missing commission"
    );
    let theirs = Commission {
        org_id: other.org,
        status: CommissionStatus::Paid,
        ..refunded.clone()
    };
    assert!(!tx.update_commission(&theirs).await?, "another organization's");
    tx.commit().await?;

    let mut tx = store.read().await?;
    assert_eq!(tx.get_commission(w.org, jane_direct.id).await?, Some(refunded));
    assert_eq!(
        tx.get_conversion(w.org, jane_sale.id).await?.unwrap().status,
        CommissionStatus::Refunded
    );
    Ok(())
}

#[tokio::test]
async fn due_commissions_are_approved_oldest_hold_first() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let (w, other) = two_worlds(store.as_ref()).await?;

    let mut tx = store.write().await?;
    let mut made = vec![];
    for (who, hold_days, status) in [
        (&w.jane, -3, CommissionStatus::Pending),
        (&w.joe, -5, CommissionStatus::Pending),
        (&w.jane, 5, CommissionStatus::Pending),
        (&w.joe, -9, CommissionStatus::Denied),
    ] {
        let k = add_conversion(tx.as_mut(), &w.usd, who, usd(1_000)).await?;
        made.push((k.clone(), with_status(direct(&k, usd(200), hold_days), status)));
    }
    let theirs_sale = add_conversion(tx.as_mut(), &other.usd, &other.jane, usd(1_000)).await?;
    let theirs = direct(&theirs_sale, usd(100), -4);
    let override_due = override_of(&made[1].0, &w.jane, usd(20));
    let override_due = Commission {
        hold_until: tick() - Duration::days(1),
        ..override_due
    };
    let mut all: Vec<Commission> = made.iter().map(|(_, c)| c.clone()).collect();
    all.extend([theirs.clone(), override_due.clone()]);
    tx.insert_commissions(&all).await?;
    tx.commit().await?;
    let (jane_due, joe_due, not_yet, denied) = (&made[0].1, &made[1].1, &made[2].1, &made[3].1);

    // Oldest hold first, across organizations (the sweep is instance-wide).
    let now = tick();
    let mut tx = store.write().await?;
    let first = tx.approve_due_commissions(now, 1).await?;
    assert_eq!(ids(&first), vec![joe_due.id]);
    let approved = Commission {
        status: CommissionStatus::Approved,
        updated_at: now,
        ..joe_due.clone()
    };
    assert_eq!(first, vec![approved.clone()], "answered as they are now");
    let rest = tx.approve_due_commissions(now, 10).await?;
    assert_eq!(ids(&rest), vec![theirs.id, jane_due.id, override_due.id]);
    assert!(
        rest.iter()
            .all(|k| k.status == CommissionStatus::Approved && k.updated_at == now)
    );
    assert_eq!(tx.approve_due_commissions(now, 10).await?, vec![]);
    tx.commit().await?;

    let mut tx = store.read().await?;
    assert_eq!(tx.get_commission(w.org, joe_due.id).await?, Some(approved));
    assert_eq!(tx.get_commission(w.org, not_yet.id).await?, Some(not_yet.clone()));
    assert_eq!(tx.get_commission(w.org, denied.id).await?, Some(denied.clone()));
    // The direct ones show Approved on their conversions; the override changes nothing there.
    let joe_sale = tx.get_conversion(w.org, made[1].0.id).await?.unwrap();
    assert_eq!(
        (joe_sale.status, joe_sale.updated_at),
        (CommissionStatus::Approved, now)
    );
    let jane_sale = tx.get_conversion(w.org, made[0].0.id).await?.unwrap();
    assert_eq!(jane_sale.status, CommissionStatus::Approved);
    let later = tx.get_conversion(w.org, made[2].0.id).await?.unwrap();
    assert_eq!(later.status, CommissionStatus::Pending);
    let denied_sale = tx.get_conversion(w.org, made[3].0.id).await?.unwrap();
    assert_eq!(denied_sale.status, CommissionStatus::Denied);
    Ok(())
}

#[tokio::test]
async fn tier_stats_count_approved_and_paid_direct_sales() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let (w, other) = two_worlds(store.as_ref()).await?;

    let mut tx = store.write().await?;
    let mut all = vec![];
    for (amount, status) in [
        (usd(10_000), CommissionStatus::Approved),
        (usd(5_000), CommissionStatus::Paid),
        // Counts as a sale, not as revenue: another currency than the campaign's.
        (eur(7_000), CommissionStatus::Approved),
        (usd(9_000), CommissionStatus::Pending),
        (usd(3_000), CommissionStatus::Refunded),
        (usd(2_000), CommissionStatus::Denied),
    ] {
        let k = add_conversion(tx.as_mut(), &w.usd, &w.jane, amount).await?;
        all.push(with_status(direct(&k, Money::new(100, amount.currency), 0), status));
    }
    // Jane's override on Joe's sale and her sale in the other campaign do not count.
    let joe_sale = add_conversion(tx.as_mut(), &w.usd, &w.joe, usd(4_000)).await?;
    all.push(with_status(direct(&joe_sale, usd(800), 0), CommissionStatus::Approved));
    all.push(with_status(
        override_of(&joe_sale, &w.jane, usd(80)),
        CommissionStatus::Approved,
    ));
    let elsewhere = add_conversion(tx.as_mut(), &w.min, &w.jane, usd(6_000)).await?;
    all.push(with_status(direct(&elsewhere, usd(100), 0), CommissionStatus::Approved));
    tx.insert_commissions(&all).await?;
    tx.commit().await?;

    let mut tx = store.read().await?;
    assert_eq!(
        tx.tier_stats(w.org, w.jane.id, w.usd.id).await?,
        TierStats {
            sales: 3,
            revenue_minor: 15_000
        }
    );
    assert_eq!(
        tx.tier_stats(w.org, w.joe.id, w.usd.id).await?,
        TierStats {
            sales: 1,
            revenue_minor: 4_000
        }
    );
    assert_eq!(
        tx.tier_stats(w.org, w.jane.id, w.min.id).await?,
        TierStats {
            sales: 1,
            revenue_minor: 6_000
        }
    );
    assert_eq!(tx.tier_stats(w.org, w.joe.id, w.min.id).await?, TierStats::default());
    assert_eq!(
        tx.tier_stats(other.org, w.jane.id, w.usd.id).await?,
        TierStats::default()
    );
    Ok(())
}

#[tokio::test]
async fn the_ledger_is_append_only_and_sums_into_balances() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let (w, other) = two_worlds(store.as_ref()).await?;

    let mut tx = store.write().await?;
    let k = add_approved(tx.as_mut(), &w.usd, &w.jane, usd(10_000)).await?;
    let i = add_item(tx.as_mut(), w.org, w.jane.id).await?;
    let (org, jane, joe) = (w.org, w.jane.id, w.joe.id);
    let entries = vec![
        LedgerEntry {
            commission_id: Some(k.id),
            memo: Some("sale".into()),
            ..entry(org, jane, LedgerKind::Earned, usd(2_000))
        },
        entry(org, jane, LedgerKind::Earned, usd(1_000)),
        entry(org, jane, LedgerKind::Reversed, usd(-1_000)),
        LedgerEntry {
            payout_item_id: Some(i.id),
            ..entry(org, jane, LedgerKind::Payout, usd(-1_500))
        },
        entry(org, jane, LedgerKind::Adjustment, usd(50)),
        entry(org, jane, LedgerKind::Earned, eur(700)),
        entry(org, joe, LedgerKind::Earned, usd(300)),
        entry(org, joe, LedgerKind::Clawback, usd(-100)),
    ];
    tx.insert_ledger_entries(&entries).await?;
    tx.insert_ledger_entries(&[]).await?;
    let theirs = entry(other.org, other.jane.id, LedgerKind::Earned, usd(9_999));
    tx.insert_ledger_entries(std::slice::from_ref(&theirs)).await?;
    tx.commit().await?;

    let mut tx = store.read().await?;
    let newest_first: Vec<LedgerEntry> = entries.iter().rev().cloned().collect();
    assert_eq!(tx.list_ledger(org, None, Page::ALL).await?, newest_first);
    assert_eq!(tx.list_ledger(org, None, page(3, 1)).await?, newest_first[1..4]);
    let janes: Vec<LedgerEntry> = newest_first
        .iter()
        .filter(|e| e.affiliate_id == jane)
        .cloned()
        .collect();
    assert_eq!(tx.list_ledger(org, Some(jane), Page::ALL).await?, janes);
    assert_eq!(tx.list_ledger(other.org, None, Page::ALL).await?, vec![theirs.clone()]);
    assert_eq!(tx.list_ledger(other.org, Some(jane), Page::ALL).await?, vec![]);

    let jane_usd = Balance {
        affiliate_id: Some(jane),
        currency: Some(Currency::USD),
        earned: 3_000,
        reversed: -1_000,
        clawback: 0,
        payout: -1_500,
        adjustment: 50,
    };
    let jane_eur = Balance {
        affiliate_id: Some(jane),
        currency: Some(Currency::EUR),
        earned: 700,
        ..Balance::default()
    };
    let joe_usd = Balance {
        affiliate_id: Some(joe),
        currency: Some(Currency::USD),
        earned: 300,
        clawback: -100,
        ..Balance::default()
    };
    assert_eq!(jane_usd.net(), 550);
    let sorted = |mut b: Vec<Balance>| {
        b.sort_by_key(|b| (b.affiliate_id, b.currency));
        b
    };
    assert_eq!(
        sorted(tx.balances(org, None).await?),
        sorted(vec![jane_usd.clone(), jane_eur.clone(), joe_usd.clone()])
    );
    assert_eq!(
        sorted(tx.balances(org, Some(jane)).await?),
        sorted(vec![jane_usd, jane_eur])
    );
    assert_eq!(tx.balances(org, Some(joe)).await?, vec![joe_usd]);
    assert_eq!(tx.balances(other.org, Some(jane)).await?, vec![]);
    assert_eq!(tx.balances(other.org, None).await?.len(), 1);
    drop(tx);

    // The schema itself refuses to change or delete an entry.
    for sql in [
        "UPDATE ledger_entries SET amount_minor = 0",
        "DELETE FROM ledger_entries",
    ] {
        let refused = raw_sql(&db, sql).await;
        match refused {
            Err(sqlx::Error::Database(e)) if e.message().contains("append-only") => {}
            other => panic!("{sql}: expected the ledger to refuse, got {other:?}"),
        }
    }
    let mut tx = store.read().await?;
    assert_eq!(tx.list_ledger(org, None, Page::ALL).await?, newest_first);
    Ok(())
}

#[tokio::test]
async fn payable_totals_sum_per_affiliate_currency_and_campaign() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let (w, other) = two_worlds(store.as_ref()).await?;

    let mut tx = store.write().await?;
    add_approved(tx.as_mut(), &w.min, &w.jane, usd(10_000)).await?;
    add_approved(tx.as_mut(), &w.usd, &w.joe, usd(2_000)).await?;
    add_approved(tx.as_mut(), &w.usd, &w.jane, eur(3_000)).await?;
    add_approved(tx.as_mut(), &w.usd, &w.jane, usd(4_000)).await?;
    add_approved(tx.as_mut(), &w.usd, &w.jane, usd(1_000)).await?;
    let pending_sale = add_conversion(tx.as_mut(), &w.usd, &w.jane, usd(500)).await?;
    tx.insert_commissions(&[direct(&pending_sale, usd(100), 10)]).await?;
    let paid_sale = add_conversion(tx.as_mut(), &w.usd, &w.jane, usd(500)).await?;
    tx.insert_commissions(&[with_status(direct(&paid_sale, usd(100), -10), CommissionStatus::Paid)])
        .await?;
    add_approved(tx.as_mut(), &other.usd, &other.jane, usd(1_000)).await?;
    tx.commit().await?;

    let mut tx = store.read().await?;
    let expected = vec![
        total(&w.jane, usd(10_000), 1, 5_000),
        total(&w.joe, usd(2_000), 1, 0),
        total(&w.jane, eur(3_000), 1, 0),
        total(&w.jane, usd(5_000), 2, 0),
    ];
    assert_eq!(
        sorted(tx.payable_totals(w.org, None).await?),
        sorted(expected.clone()),
        "per campaign, each with its minimum; pending and paid ones left out"
    );
    assert_eq!(
        sorted(tx.payable_totals(w.org, Some(Currency::USD)).await?),
        sorted(vec![expected[0], expected[1], expected[3]])
    );
    assert_eq!(tx.payable_totals(w.org, Some(Currency::EUR)).await?, vec![expected[2]]);
    assert_eq!(tx.payable_totals(w.org, Some(Currency::JPY)).await?, vec![]);
    assert_eq!(
        tx.payable_totals(other.org, None).await?,
        vec![total(&other.jane, usd(1_000), 1, 0)]
    );
    Ok(())
}

#[tokio::test]
async fn payout_runs_and_items_round_trip() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let (w, other) = two_worlds(store.as_ref()).await?;

    let mut tx = store.write().await?;
    let owner = add_user(tx.as_mut(), "owner@acme.test").await?;
    let first = PayoutRun {
        rail: PayoutRail::StripeConnect,
        created_by: Some(owner.id),
        ..run(w.org, None)
    };
    let second = PayoutRun {
        rail: PayoutRail::Manual,
        ..run(w.org, Some(Currency::EUR))
    };
    for r in [&first, &second] {
        tx.insert_payout_run(r).await?;
    }
    let items = vec![
        item(&first, w.jane.id, usd(1_000)),
        item(&first, w.joe.id, eur(2_000)),
        item(&second, w.jane.id, eur(300)),
    ];
    tx.insert_payout_items(&items).await?;
    tx.insert_payout_items(&[]).await?;
    tx.commit().await?;

    let mut tx = store.read().await?;
    assert_eq!(tx.get_payout_run(w.org, first.id).await?, Some(first.clone()));
    assert_eq!(tx.get_payout_run(w.org, second.id).await?, Some(second.clone()));
    assert_eq!(tx.get_payout_run(w.org, PayoutRunId::new()).await?, None);
    assert_eq!(
        tx.list_payout_runs(w.org, Page::ALL).await?,
        vec![second.clone(), first.clone()],
        "newest first"
    );
    assert_eq!(tx.list_payout_runs(w.org, page(1, 1)).await?, vec![first.clone()]);
    assert_eq!(tx.get_payout_item(w.org, items[1].id).await?, Some(items[1].clone()));
    assert_eq!(tx.get_payout_item(w.org, PayoutItemId::new()).await?, None);
    assert_eq!(
        tx.list_payout_items(w.org, &PayoutItemFilter::default(), Page::ALL)
            .await?,
        items,
        "oldest first"
    );
    assert_eq!(
        tx.list_payout_items(w.org, &PayoutItemFilter::default(), page(1, 2))
            .await?,
        items[2..]
    );
    let by_run = PayoutItemFilter {
        run_id: Some(first.id),
        ..PayoutItemFilter::default()
    };
    assert_eq!(tx.list_payout_items(w.org, &by_run, Page::ALL).await?, items[..2]);
    let by_affiliate = PayoutItemFilter {
        affiliate_id: Some(w.jane.id),
        ..PayoutItemFilter::default()
    };
    assert_eq!(
        tx.list_payout_items(w.org, &by_affiliate, Page::ALL).await?,
        vec![items[0].clone(), items[2].clone()]
    );
    drop(tx);

    // An update rewrites status, reference, failure reason, attempts and update time.
    let mut tx = store.write().await?;
    let paid = PayoutItem {
        status: PayoutStatus::Paid,
        reference: Some("tr_123".into()),
        failure_reason: Some("first try timed out".into()),
        attempts: 2,
        updated_at: tick(),
        ..items[0].clone()
    };
    let ignored = PayoutItem {
        amount: usd(1),
        affiliate_id: w.joe.id,
        created_at: tick(),
        ..paid.clone()
    };
    assert!(tx.update_payout_item(&ignored).await?);
    assert!(!tx.update_payout_item(&item(&first, w.jane.id, usd(1))).await?);
    assert!(
        !tx.update_payout_item(&PayoutItem {
            org_id: other.org,
            ..paid.clone()
        })
        .await?
    );
    tx.commit().await?;

    let mut tx = store.read().await?;
    assert_eq!(tx.get_payout_item(w.org, paid.id).await?, Some(paid.clone()));
    let by_status = PayoutItemFilter {
        status: Some(PayoutStatus::Paid),
        ..PayoutItemFilter::default()
    };
    assert_eq!(tx.list_payout_items(w.org, &by_status, Page::ALL).await?, vec![paid]);
    assert_eq!(tx.get_payout_run(other.org, first.id).await?, None);
    assert_eq!(tx.list_payout_runs(other.org, Page::ALL).await?, vec![]);
    assert_eq!(tx.get_payout_item(other.org, items[0].id).await?, None);
    assert_eq!(
        tx.list_payout_items(other.org, &PayoutItemFilter::default(), Page::ALL)
            .await?,
        vec![]
    );
    Ok(())
}

#[tokio::test]
async fn a_run_takes_what_is_payable_into_one_payout_item_ever() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let (w, other) = two_worlds(store.as_ref()).await?;

    let mut tx = store.write().await?;
    let k1 = add_approved(tx.as_mut(), &w.usd, &w.jane, usd(1_000)).await?;
    let k2 = add_approved(tx.as_mut(), &w.min, &w.jane, usd(2_000)).await?;
    let in_euros = add_approved(tx.as_mut(), &w.usd, &w.jane, eur(3_000)).await?;
    let joes = add_approved(tx.as_mut(), &w.usd, &w.joe, usd(4_000)).await?;
    let theirs = add_approved(tx.as_mut(), &other.usd, &other.jane, usd(5_000)).await?;
    let (first, items) = add_run(
        tx.as_mut(),
        w.org,
        &[(w.jane.id, Currency::USD), (w.joe.id, Currency::USD)],
    )
    .await?;
    let (their_run, their_items) = add_run(tx.as_mut(), other.org, &[(other.jane.id, Currency::USD)]).await?;
    tx.commit().await?;

    let mut tx = store.write().await?;
    // Another organization's run, or this run through another organization, takes nothing.
    assert_eq!(tx.assign_run_commissions(w.org, their_run.id).await?, vec![]);
    assert_eq!(tx.assign_run_commissions(other.org, first.id).await?, vec![]);
    assert_eq!(
        by_item(tx.assign_run_commissions(w.org, first.id).await?),
        by_item(vec![held(&items[0], 2, 3_000), held(&items[1], 1, 4_000)]),
        "every payable commission of an item's affiliate and currency, nothing in euros"
    );
    tx.commit().await?;

    let mut tx = store.write().await?;
    let with_item = |k: &Commission, i: &PayoutItem| Commission {
        payout_item_id: Some(i.id),
        ..k.clone()
    };
    assert_eq!(
        tx.payout_item_commissions(w.org, items[0].id).await?,
        vec![with_item(&k1, &items[0]), with_item(&k2, &items[0])],
        "oldest first"
    );
    assert_eq!(
        tx.payout_item_commissions(w.org, items[1].id).await?,
        vec![with_item(&joes, &items[1])]
    );
    assert_eq!(tx.payout_item_commissions(other.org, items[0].id).await?, vec![]);
    assert_eq!(tx.get_commission(other.org, theirs.id).await?, Some(theirs.clone()));
    assert_eq!(
        tx.payable_totals(w.org, None).await?,
        vec![total(&w.jane, eur(3_000), 1, 0)]
    );

    // A second run finds them taken; a commission approved since goes into it.
    let later = add_approved(tx.as_mut(), &w.usd, &w.jane, usd(600)).await?;
    let (second, again) = add_run(
        tx.as_mut(),
        w.org,
        &[(w.jane.id, Currency::USD), (w.joe.id, Currency::USD)],
    )
    .await?;
    assert_eq!(
        by_item(tx.assign_run_commissions(w.org, second.id).await?),
        by_item(vec![held(&again[0], 1, 600), held(&again[1], 0, 0)])
    );
    assert_eq!(
        ids(&tx.payout_item_commissions(w.org, again[0].id).await?),
        vec![later.id]
    );
    assert_eq!(
        by_item(tx.assign_run_commissions(other.org, their_run.id).await?),
        vec![held(&their_items[0], 1, 5_000)]
    );
    tx.commit().await?;

    // The unique key is the last word: a commission whose item was wiped outside the store is
    // still one item's, and a run taking it again is a conflict.
    raw_sql(
        &db,
        &format!(
            "UPDATE commissions SET payout_item_id = NULL WHERE {}",
            id_is(&db, k1.id.0)
        ),
    )
    .await
    .expect("raw update");
    let mut tx = store.write().await?;
    let (third, _) = add_run(tx.as_mut(), w.org, &[(w.jane.id, Currency::USD)]).await?;
    assert_conflict_named(
        tx.assign_run_commissions(w.org, third.id).await,
        "payout_item_commissions",
    );
    drop(tx);
    let mut tx = store.read().await?;
    assert_eq!(
        tx.get_commission(w.org, in_euros.id).await?.unwrap().payout_item_id,
        None
    );
    Ok(())
}

/// `id = <literal>` for a raw statement on either backend.
fn id_is(db: &TestDb, id: Uuid) -> String {
    match db.backend() {
        Backend::Sqlite => format!("id = X'{}'", id.simple()),
        Backend::Postgres => format!("id = '{id}'"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_runs_cannot_take_the_same_commission() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let (w, _) = two_worlds(store.as_ref()).await?;

    let mut tx = store.write().await?;
    let shared = add_approved(tx.as_mut(), &w.usd, &w.jane, usd(1_000)).await?;
    let (first_run, first_items) = add_run(tx.as_mut(), w.org, &[(w.jane.id, Currency::USD)]).await?;
    let (second_run, second_items) = add_run(tx.as_mut(), w.org, &[(w.jane.id, Currency::USD)]).await?;
    tx.commit().await?;

    let mut first = store.write().await?;
    assert_eq!(
        first.assign_run_commissions(w.org, first_run.id).await?,
        vec![held(&first_items[0], 1, 1_000)]
    );
    let second = tokio::spawn({
        let store = store.clone();
        let (org, run) = (w.org, second_run.id);
        async move {
            let mut tx = store.write().await?;
            let held = tx.assign_run_commissions(org, run).await?;
            tx.commit().await?;
            Ok::<_, StoreError>(held)
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!second.is_finished(), "the second run did not wait for the first");
    first.commit().await?;
    assert_eq!(
        second.await.expect("second run")?,
        vec![held(&second_items[0], 0, 0)],
        "the second run finds the commission taken"
    );

    let mut tx = store.read().await?;
    assert_eq!(
        ids(&tx.payout_item_commissions(w.org, first_items[0].id).await?),
        vec![shared.id]
    );
    assert_eq!(tx.payout_item_commissions(w.org, second_items[0].id).await?, vec![]);
    assert_eq!(
        tx.get_commission(w.org, shared.id).await?.unwrap().payout_item_id,
        Some(first_items[0].id)
    );
    Ok(())
}

#[tokio::test]
async fn clawbacks_are_netted_into_one_payout_item() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let (w, other) = two_worlds(store.as_ref()).await?;

    let (org, jane, joe) = (w.org, w.jane.id, w.joe.id);
    let c1 = entry(org, jane, LedgerKind::Clawback, usd(-100));
    let earned = entry(org, jane, LedgerKind::Earned, usd(1_000));
    let c2 = entry(org, joe, LedgerKind::Clawback, usd(-200));
    let c3 = entry(org, jane, LedgerKind::Clawback, eur(-300));
    let theirs = entry(other.org, other.jane.id, LedgerKind::Clawback, usd(-400));
    let mut tx = store.write().await?;
    tx.insert_ledger_entries(&[c1.clone(), earned, c2.clone(), c3.clone(), theirs.clone()])
        .await?;
    let first = add_item(tx.as_mut(), org, jane).await?;
    let second = add_item(tx.as_mut(), org, jane).await?;
    tx.commit().await?;

    let mut tx = store.write().await?;
    assert_eq!(
        tx.open_clawbacks(org, None).await?,
        vec![c1.clone(), c2.clone(), c3.clone()],
        "oldest first"
    );
    assert_eq!(
        tx.open_clawbacks(org, Some(Currency::USD)).await?,
        vec![c1.clone(), c2.clone()]
    );
    assert_eq!(tx.open_clawbacks(org, Some(Currency::GBP)).await?, vec![]);

    tx.assign_clawbacks(org, first.id, &[c1.id]).await?;
    tx.assign_clawbacks(org, first.id, &[]).await?;
    assert_eq!(tx.open_clawbacks(org, None).await?, vec![c2.clone(), c3.clone()]);
    // Netted once, ever: a second time is a conflict that writes nothing, and the transaction
    // goes on.
    let again = tx.assign_clawbacks(org, second.id, &[c2.id, c1.id]).await;
    assert_conflict_named(again, "payout_item_clawbacks");
    assert_eq!(tx.open_clawbacks(org, None).await?, vec![c2.clone(), c3.clone()]);
    tx.assign_clawbacks(org, second.id, &[c2.id]).await?;
    // Another organization's entry is not netted here.
    tx.assign_clawbacks(org, second.id, &[theirs.id]).await?;
    tx.commit().await?;

    let mut tx = store.read().await?;
    assert_eq!(tx.open_clawbacks(org, None).await?, vec![c3]);
    assert_eq!(tx.open_clawbacks(other.org, None).await?, vec![theirs]);
    Ok(())
}

#[tokio::test]
async fn fx_rates_are_replaced_and_found_on_or_before_a_date() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let rate = |date, currency, per_eur_micros| FxRate {
        date,
        currency,
        per_eur_micros,
    };

    let mut tx = store.write().await?;
    assert_eq!(tx.latest_fx_date().await?, None);
    assert_eq!(tx.fx_rate(Currency::USD, date!(2024 - 01 - 02)).await?, None);
    tx.put_fx_rates(&[
        rate(date!(2024 - 01 - 02), Currency::USD, 1_100_000),
        rate(date!(2024 - 01 - 02), Currency::JPY, 155_500_000),
        rate(date!(2024 - 01 - 03), Currency::USD, 1_000_000),
        // The last of a date and currency wins.
        rate(date!(2024 - 01 - 03), Currency::USD, 1_090_000),
    ])
    .await?;
    tx.put_fx_rates(&[]).await?;
    tx.commit().await?;

    let mut tx = store.write().await?;
    let usd_2nd = rate(date!(2024 - 01 - 02), Currency::USD, 1_100_000);
    let usd_3rd = rate(date!(2024 - 01 - 03), Currency::USD, 1_090_000);
    assert_eq!(tx.fx_rate(Currency::USD, date!(2024 - 01 - 02)).await?, Some(usd_2nd));
    assert_eq!(tx.fx_rate(Currency::USD, date!(2024 - 01 - 03)).await?, Some(usd_3rd));
    assert_eq!(
        tx.fx_rate(Currency::USD, date!(2024 - 02 - 29)).await?,
        Some(usd_3rd),
        "the newest on or before"
    );
    assert_eq!(tx.fx_rate(Currency::USD, date!(2024 - 01 - 01)).await?, None);
    assert_eq!(
        tx.fx_rate(Currency::JPY, date!(2024 - 01 - 05)).await?.map(|r| r.date),
        Some(date!(2024 - 01 - 02))
    );
    assert_eq!(tx.fx_rate(Currency::GBP, date!(2024 - 01 - 05)).await?, None);
    assert_eq!(tx.latest_fx_date().await?, Some((date!(2024 - 01 - 03), 1)));

    // A rate loaded again replaces the stored one.
    let corrected = rate(date!(2024 - 01 - 02), Currency::USD, 1_101_000);
    tx.put_fx_rates(&[corrected, rate(date!(2024 - 01 - 03), Currency::GBP, 860_000)])
        .await?;
    assert_eq!(tx.fx_rate(Currency::USD, date!(2024 - 01 - 02)).await?, Some(corrected));
    assert_eq!(tx.latest_fx_date().await?, Some((date!(2024 - 01 - 03), 2)));

    // A long history loads in one call.
    let history: Vec<FxRate> = (0..2_500)
        .map(|i| rate(date!(2000 - 01 - 01) + Duration::days(i), Currency::CHF, 1_500_000 + i))
        .collect();
    tx.put_fx_rates(&history).await?;
    assert_eq!(
        tx.fx_rate(Currency::CHF, date!(2030 - 01 - 01)).await?,
        history.last().copied()
    );
    assert_eq!(
        tx.fx_rate(Currency::CHF, date!(2000 - 01 - 01)).await?,
        history.first().copied()
    );
    tx.commit().await?;
    Ok(())
}

#[tokio::test]
async fn campaign_rules_round_trip() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();

    let mut tx = store.write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let rules = CampaignRules {
        hold_days: 14,
        minimum_payout_minor: 2_500,
        recurring: RecurringDuration::Months { months: 12 },
        tiers: vec![
            TierRule {
                name: "Silver".into(),
                threshold: TierThreshold::Sales { count: 10 },
                commission: CommissionValue {
                    kind: CommissionType::Percentage,
                    value: 2500,
                },
            },
            TierRule {
                name: "Gold".into(),
                threshold: TierThreshold::Revenue { minor: 1_000_000 },
                commission: CommissionValue {
                    kind: CommissionType::Fixed,
                    value: 5_000,
                },
            },
        ],
        products: vec![ProductRule {
            product_id: "prod_pro".into(),
            commission: CommissionValue {
                kind: CommissionType::Percentage,
                value: 3000,
            },
        }],
        two_tier_percent: Some(10),
        cpc_budget_minor: Some(100_000),
        // Partner emails: stored with the rules.
        thank_you_email: afflux_domain::ThankYouEmail {
            enabled: true,
            ..Default::default()
        },
        milestones: vec![afflux_domain::Milestone {
            name: "Ten sales".into(),
            threshold: afflux_domain::MilestoneThreshold::SalesCount { count: 10 },
            subject: afflux_domain::MILESTONE_SUBJECT.into(),
            body: afflux_domain::MILESTONE_BODY.into(),
        }],
    };
    let spring = Campaign {
        rules: rules.clone(),
        ..campaign(acme.id, "spring")
    };
    tx.insert_campaign(&spring).await?;
    let plain = add_campaign(tx.as_mut(), acme.id, "plain").await?;
    tx.commit().await?;

    let mut tx = store.write().await?;
    assert_eq!(tx.get_campaign(acme.id, spring.id).await?, Some(spring.clone()));
    assert_eq!(
        tx.get_campaign_by_slug(acme.id, "plain").await?.unwrap().rules,
        CampaignRules::default()
    );
    assert_eq!(
        tx.list_campaigns(acme.id, true, Page::ALL).await?,
        vec![spring.clone(), plain.clone()]
    );
    let updated = Campaign {
        rules: CampaignRules {
            recurring: RecurringDuration::FirstPaymentOnly,
            tiers: vec![],
            two_tier_percent: None,
            ..rules
        },
        updated_at: tick(),
        ..spring.clone()
    };
    assert!(tx.update_campaign(&updated).await?);
    assert_eq!(tx.get_campaign(acme.id, spring.id).await?, Some(updated));
    tx.commit().await?;

    // A stored '{}' (the migration's default) reads as the default rules.
    assert_eq!(raw_sql(&db, "UPDATE campaigns SET rules = '{}'").await?, 2);
    let mut tx = store.read().await?;
    assert_eq!(
        tx.get_campaign(acme.id, spring.id).await?.unwrap().rules,
        CampaignRules::default()
    );
    Ok(())
}

#[tokio::test]
async fn attribution_targets_carry_rules_and_recruiter() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let (w, other) = two_worlds(store.as_ref()).await?;

    let mut tx = store.read().await?;
    let joe = tx.attribution_target(w.org, w.joe.id, w.min.id).await?.unwrap();
    assert_eq!(joe.rules, w.min.rules);
    assert_eq!(joe.rules.minimum_payout_minor, 5000);
    assert_eq!(joe.recruited_by, Some(w.jane.id));
    let jane = tx.attribution_target(w.org, w.jane.id, w.usd.id).await?.unwrap();
    assert_eq!((jane.rules, jane.recruited_by), (CampaignRules::default(), None));
    let by_slug = tx.attribution_targets_by_slug("joe-acme").await?;
    assert_eq!(
        by_slug
            .iter()
            .map(|t| (t.campaign_id, t.recruited_by, t.rules.minimum_payout_minor))
            .collect::<Vec<_>>(),
        vec![(w.usd.id, Some(w.jane.id), 0), (w.min.id, Some(w.jane.id), 5000)]
    );
    assert_eq!(tx.attribution_target(other.org, w.joe.id, w.min.id).await?, None);
    Ok(())
}

#[tokio::test]
async fn money_never_crosses_tenants() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let (w, globex) = two_worlds(store.as_ref()).await?;

    let mut tx = store.write().await?;
    let k = add_approved(tx.as_mut(), &w.usd, &w.jane, usd(1_000)).await?;
    let e = entry(w.org, w.jane.id, LedgerKind::Clawback, usd(-10));
    tx.insert_ledger_entries(std::slice::from_ref(&e)).await?;
    let r = run(w.org, None);
    tx.insert_payout_run(&r).await?;
    let i = item(&r, w.jane.id, usd(990));
    tx.insert_payout_items(std::slice::from_ref(&i)).await?;
    tx.commit().await?;

    let other = globex.org;
    let mut tx = store.write().await?;
    assert_eq!(tx.get_commission(other, k.id).await?, None);
    for f in [
        CommissionFilter::default(),
        CommissionFilter {
            affiliate_id: Some(w.jane.id),
            ..CommissionFilter::default()
        },
        CommissionFilter {
            conversion_id: Some(k.conversion_id),
            ..CommissionFilter::default()
        },
    ] {
        assert_eq!(tx.list_commissions(other, &f, Page::ALL).await?, vec![], "{f:?}");
    }
    assert!(
        !tx.update_commission(&Commission {
            org_id: other,
            status: CommissionStatus::Paid,
            ..k.clone()
        })
        .await?
    );
    assert_eq!(tx.tier_stats(other, w.jane.id, w.usd.id).await?, TierStats::default());
    assert_eq!(tx.list_ledger(other, Some(w.jane.id), Page::ALL).await?, vec![]);
    assert_eq!(tx.balances(other, Some(w.jane.id)).await?, vec![]);
    assert_eq!(tx.open_clawbacks(other, None).await?, vec![]);
    assert_eq!(tx.payable_totals(other, None).await?, vec![]);
    assert_eq!(tx.get_payout_run(other, r.id).await?, None);
    assert_eq!(tx.list_payout_runs(other, Page::ALL).await?, vec![]);
    assert_eq!(tx.get_payout_item(other, i.id).await?, None);
    let by_run = PayoutItemFilter {
        run_id: Some(r.id),
        ..PayoutItemFilter::default()
    };
    assert_eq!(tx.list_payout_items(other, &by_run, Page::ALL).await?, vec![]);
    assert!(
        !tx.update_payout_item(&PayoutItem {
            org_id: other,
            status: PayoutStatus::Paid,
            ..i.clone()
        })
        .await?
    );
    // Assigning through another organization takes nothing.
    assert_eq!(tx.assign_run_commissions(other, r.id).await?, vec![]);
    tx.assign_clawbacks(other, i.id, &[e.id]).await?;
    assert_eq!(tx.payout_item_commissions(other, i.id).await?, vec![]);
    tx.commit().await?;

    let mut tx = store.read().await?;
    assert_eq!(tx.get_commission(w.org, k.id).await?, Some(k.clone()));
    assert_eq!(tx.get_payout_item(w.org, i.id).await?, Some(i));
    assert_eq!(tx.get_payout_run(w.org, r.id).await?, Some(r));
    assert_eq!(tx.payable_totals(w.org, None).await?[0].commissions, 1);
    assert_eq!(tx.open_clawbacks(w.org, None).await?, vec![e]);
    Ok(())
}
