//! Partner emails: an affiliate's sales totals for milestones, the milestones reached (once
//! each), and the monthly "commissions due" reminder record.

use afflux_domain::{
    Commission, CommissionId, CommissionKind, CommissionStatus, Conversion, ConversionId, ConversionProvider,
    ConversionSource, ConversionType, Money, SalesTotals,
};
use afflux_store::DueTotal;

use crate::fixtures::*;

struct World {
    org: OrgId,
    pro: Campaign,
    other: Campaign,
    jane: Affiliate,
    joe: Affiliate,
}

async fn world(tx: &mut dyn Tx, name: &str) -> StoreResult<World> {
    let org = add_org(tx, name).await?;
    let lower = name.to_lowercase();
    let pro = add_campaign(tx, org.id, &format!("pro-{lower}")).await?;
    let other = add_campaign(tx, org.id, &format!("other-{lower}")).await?;
    let jane = add_affiliate(
        tx,
        org.id,
        &format!("jane@{lower}.test"),
        None,
        &format!("jane-{lower}"),
    )
    .await?;
    let joe = add_affiliate(tx, org.id, &format!("joe@{lower}.test"), None, &format!("joe-{lower}")).await?;
    for c in [&pro, &other] {
        add_membership(tx, &jane, c, AffiliateStatus::Approved).await?;
        add_membership(tx, &joe, c, AffiliateStatus::Approved).await?;
    }
    Ok(World {
        org: org.id,
        pro,
        other,
        jane,
        joe,
    })
}

/// A conversion of `kind` and its commission (`kind`, `status`), refunded by `refunded_minor`.
#[allow(clippy::too_many_arguments)]
async fn earn(
    tx: &mut dyn Tx,
    c: &Campaign,
    a: &Affiliate,
    kind: ConversionType,
    amount: Money,
    refunded_minor: i64,
    commission_kind: CommissionKind,
    status: CommissionStatus,
) -> StoreResult<Commission> {
    let at = tick();
    let id = ConversionId::new();
    let conversion = Conversion {
        id,
        org_id: c.org_id,
        campaign_id: c.id,
        affiliate_id: a.id,
        kind,
        source: ConversionSource::Server,
        status: CommissionStatus::Pending,
        amount,
        refunded_minor,
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
    };
    assert!(tx.insert_conversion(&conversion).await?);
    let commission = Commission {
        id: CommissionId::new(),
        org_id: c.org_id,
        conversion_id: id,
        affiliate_id: a.id,
        campaign_id: c.id,
        kind: commission_kind,
        status,
        amount: Money::new(1_000, amount.currency),
        initial_minor: 1_000,
        hold_until: at,
        payout_item_id: None,
        denied_reason: None,
        created_at: at,
        updated_at: at,
    };
    tx.insert_commissions(std::slice::from_ref(&commission)).await?;
    Ok(commission)
}

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::USD)
}

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

#[tokio::test]
async fn sales_totals_count_earning_sales_net_of_refunds_per_currency() -> StoreResult<()> {
    let db = TestDb::new().await;
    let mut tx = db.store().write().await?;
    let w = world(tx.as_mut(), "Acme").await?;
    let theirs = world(tx.as_mut(), "Globex").await?;
    let empty = tx.sales_totals(w.org, w.jane.id, w.pro.id).await?;
    assert_eq!(empty, SalesTotals::default());

    use CommissionKind::{Direct, Override};
    use CommissionStatus::{Approved, Denied, Paid, Pending, Refunded};
    use ConversionType::{Lead, Recurring, Sale};
    earn(tx.as_mut(), &w.pro, &w.jane, Sale, usd(10_000), 2_500, Direct, Pending).await?;
    earn(tx.as_mut(), &w.pro, &w.jane, Recurring, usd(5_000), 0, Direct, Approved).await?;
    earn(tx.as_mut(), &w.pro, &w.jane, Sale, eur(3_000), 0, Direct, Paid).await?;
    // None of these count: denied, fully refunded, a lead, an override, another campaign,
    // another affiliate, another organization.
    earn(tx.as_mut(), &w.pro, &w.jane, Sale, usd(90_000), 0, Direct, Denied).await?;
    earn(
        tx.as_mut(),
        &w.pro,
        &w.jane,
        Sale,
        usd(90_000),
        90_000,
        Direct,
        Refunded,
    )
    .await?;
    earn(tx.as_mut(), &w.pro, &w.jane, Lead, usd(100), 0, Direct, Pending).await?;
    earn(tx.as_mut(), &w.pro, &w.jane, Sale, usd(90_000), 0, Override, Pending).await?;
    earn(tx.as_mut(), &w.other, &w.jane, Sale, usd(90_000), 0, Direct, Pending).await?;
    earn(tx.as_mut(), &w.pro, &w.joe, Sale, usd(90_000), 0, Direct, Pending).await?;
    earn(
        tx.as_mut(),
        &theirs.pro,
        &theirs.jane,
        Sale,
        usd(90_000),
        0,
        Direct,
        Pending,
    )
    .await?;

    let totals = tx.sales_totals(w.org, w.jane.id, w.pro.id).await?;
    assert_eq!(
        totals,
        SalesTotals {
            count: 3,
            amounts: vec![eur(3_000), usd(12_500)],
        }
    );
    // Another organization's ids see nothing.
    assert_eq!(
        tx.sales_totals(theirs.org, w.jane.id, w.pro.id).await?,
        SalesTotals::default()
    );
    Ok(())
}

#[tokio::test]
async fn a_milestone_is_recorded_once_per_affiliate_and_campaign() -> StoreResult<()> {
    let db = TestDb::new().await;
    let mut tx = db.store().write().await?;
    let w = world(tx.as_mut(), "Acme").await?;
    let theirs = world(tx.as_mut(), "Globex").await?;
    let at = tick();
    assert!(tx.reached_milestones(w.org, w.jane.id, w.pro.id).await?.is_empty());
    assert!(tx.mark_milestone(w.org, w.pro.id, w.jane.id, "count:10", at).await?);
    assert!(!tx.mark_milestone(w.org, w.pro.id, w.jane.id, "count:10", at).await?);
    assert!(tx.mark_milestone(w.org, w.pro.id, w.jane.id, "count:1", at).await?);
    // Per affiliate and per campaign.
    assert!(tx.mark_milestone(w.org, w.pro.id, w.joe.id, "count:10", at).await?);
    assert!(tx.mark_milestone(w.org, w.other.id, w.jane.id, "count:10", at).await?);
    // Another organization's campaign or affiliate writes nothing.
    assert!(
        !tx.mark_milestone(w.org, theirs.pro.id, w.jane.id, "count:5", at)
            .await?
    );
    assert!(
        !tx.mark_milestone(w.org, w.pro.id, theirs.jane.id, "count:5", at)
            .await?
    );
    assert!(
        !tx.mark_milestone(theirs.org, w.pro.id, w.jane.id, "count:5", at)
            .await?
    );
    assert_eq!(
        tx.reached_milestones(w.org, w.jane.id, w.pro.id).await?,
        ["count:1", "count:10"]
    );
    assert!(tx.reached_milestones(theirs.org, w.jane.id, w.pro.id).await?.is_empty());
    tx.commit().await?;
    let mut read = db.store().read().await?;
    assert_eq!(read.reached_milestones(w.org, w.joe.id, w.pro.id).await?, ["count:10"]);
    Ok(())
}

#[tokio::test]
async fn commissions_due_are_approved_ones_and_remind_once_per_period() -> StoreResult<()> {
    let db = TestDb::new().await;
    let mut tx = db.store().write().await?;
    let w = world(tx.as_mut(), "Acme").await?;
    let quiet = world(tx.as_mut(), "Globex").await?;
    use CommissionKind::Direct;
    use CommissionStatus::{Approved, Paid, Pending};
    use ConversionType::Sale;
    earn(tx.as_mut(), &w.pro, &w.jane, Sale, usd(1), 0, Direct, Approved).await?;
    earn(tx.as_mut(), &w.other, &w.jane, Sale, usd(1), 0, Direct, Approved).await?;
    earn(tx.as_mut(), &w.pro, &w.joe, Sale, eur(1), 0, Direct, Approved).await?;
    earn(tx.as_mut(), &w.pro, &w.joe, Sale, usd(1), 0, Direct, Pending).await?;
    earn(tx.as_mut(), &quiet.pro, &quiet.jane, Sale, usd(1), 0, Direct, Paid).await?;
    earn(tx.as_mut(), &quiet.pro, &quiet.jane, Sale, usd(1), 0, Direct, Pending).await?;

    assert_eq!(
        tx.commissions_due(w.org).await?,
        [
            DueTotal {
                amount: eur(1_000),
                commissions: 1,
                affiliates: 1
            },
            DueTotal {
                amount: usd(2_000),
                commissions: 2,
                affiliates: 1
            },
        ]
    );
    assert!(tx.commissions_due(quiet.org).await?.is_empty());
    assert_eq!(tx.orgs_with_commissions_due("2026-11").await?, [w.org]);

    let at = tick();
    assert!(tx.mark_commissions_due_reminder(w.org, "2026-11", at).await?);
    assert!(!tx.mark_commissions_due_reminder(w.org, "2026-11", at).await?);
    assert!(tx.orgs_with_commissions_due("2026-11").await?.is_empty());
    assert_eq!(tx.orgs_with_commissions_due("2026-12").await?, [w.org]);
    assert!(!tx.mark_commissions_due_reminder(OrgId::new(), "2026-11", at).await?);
    Ok(())
}
