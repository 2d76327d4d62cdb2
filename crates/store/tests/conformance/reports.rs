//! Reports from the daily rollups: totals, the daily series, the leaderboard and traffic
//! sources, kept by whichever write changes clicks, conversions or commissions; the
//! pay-per-click reads; CSV export pages.

use afflux_domain::{
    ClickId, ClickSource, Commission, CommissionId, CommissionKind, CommissionStatus, Conversion, ConversionId,
    ConversionProvider, ConversionSource, ConversionType, Money, PayoutItem, PayoutItemId, PayoutRail, PayoutRun,
    PayoutRunId, PayoutStatus,
};
use afflux_store::{
    CurrencyTotals, ExportWindow, LeaderboardRow, NewClick, ReportScope, ReportTotals, SourceRow, Store,
};
use time::Date;
use time::macros::datetime;

use crate::fixtures::*;

/// 2030-01-15, noon UTC: "today" of these tests; the day before is `YESTERDAY`.
const TODAY: OffsetDateTime = datetime!(2030-01-15 12:00 UTC);
const YESTERDAY: OffsetDateTime = datetime!(2030-01-14 12:00 UTC);

fn click(c: &Campaign, a: &Affiliate, referrer: Option<&str>, at: OffsetDateTime) -> NewClick {
    let id = ClickId::new();
    NewClick {
        id,
        org_id: c.org_id,
        campaign_id: c.id,
        affiliate_id: a.id,
        visitor_hash: id.0.as_bytes().to_vec(),
        referrer_domain: referrer.map(str::to_owned),
        source: ClickSource::Link,
        at,
    }
}

fn conversion(c: &Campaign, a: &Affiliate, kind: ConversionType, amount: Money, at: OffsetDateTime) -> Conversion {
    let id = ConversionId::new();
    Conversion {
        id,
        org_id: c.org_id,
        campaign_id: c.id,
        affiliate_id: a.id,
        kind,
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
        created_at: tick(),
        updated_at: tick(),
    }
}

fn commission(k: &Conversion, affiliate: AffiliateId, kind: CommissionKind, amount: Money) -> Commission {
    let at = tick();
    Commission {
        id: CommissionId::new(),
        org_id: k.org_id,
        conversion_id: k.id,
        affiliate_id: affiliate,
        campaign_id: k.campaign_id,
        kind,
        status: CommissionStatus::Pending,
        amount,
        initial_minor: amount.minor,
        hold_until: at,
        payout_item_id: None,
        denied_reason: None,
        created_at: at,
        updated_at: at,
    }
}

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::USD)
}

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

fn totals(currency: Currency, sales: i64, leads: i64, revenue_minor: i64, commission_minor: i64) -> CurrencyTotals {
    CurrencyTotals {
        currency,
        sales,
        leads,
        revenue_minor,
        commission_minor,
    }
}

fn scope(org: OrgId, campaign: Option<CampaignId>, from: Date, to: Date) -> ReportScope {
    ReportScope {
        org_id: org,
        campaign_id: campaign,
        from,
        to,
    }
}

struct World {
    org: OrgId,
    spring: Campaign,
    fall: Campaign,
    jane: Affiliate,
    joe: Affiliate,
    ann: Affiliate,
    jane_sale: Conversion,
    jane_commission: Commission,
    joe_commission: Commission,
}

/// Acme: Jane sells in Spring (USD) today, Joe in Fall (EUR) yesterday; Ann does nothing.
async fn world(store: &dyn Store, name: &str) -> StoreResult<World> {
    let mut tx = store.write().await?;
    let org = add_org(tx.as_mut(), name).await?;
    let lower = name.to_lowercase();
    let spring = add_campaign(tx.as_mut(), org.id, &format!("spring-{lower}")).await?;
    let fall = add_campaign(tx.as_mut(), org.id, &format!("fall-{lower}")).await?;
    let jane = add_affiliate(
        tx.as_mut(),
        org.id,
        &format!("jane@{lower}.test"),
        None,
        &format!("jane-{lower}"),
    )
    .await?;
    let joe = add_affiliate(
        tx.as_mut(),
        org.id,
        &format!("joe@{lower}.test"),
        None,
        &format!("joe-{lower}"),
    )
    .await?;
    let ann = add_affiliate(
        tx.as_mut(),
        org.id,
        &format!("ann@{lower}.test"),
        None,
        &format!("ann-{lower}"),
    )
    .await?;
    // Clicks and conversions always belong to a membership; Joe promotes both campaigns.
    for (a, c) in [(&jane, &spring), (&joe, &spring), (&joe, &fall), (&ann, &spring)] {
        add_membership(tx.as_mut(), a, c, AffiliateStatus::Approved).await?;
    }

    let jane_sale = conversion(&spring, &jane, ConversionType::Sale, usd(10_000), TODAY);
    let jane_lead = conversion(&spring, &jane, ConversionType::Lead, usd(0), TODAY);
    let jane_renewal = conversion(&spring, &jane, ConversionType::Recurring, usd(3_000), TODAY);
    let joe_sale = conversion(&fall, &joe, ConversionType::Sale, eur(5_000), YESTERDAY);
    // Joe recruited Jane: his override repeats her sale; only its commission counts.
    let joe_override = Conversion {
        source: ConversionSource::Override,
        affiliate_id: joe.id,
        external_id: format!("override:{}", jane_sale.external_id),
        ..conversion(&spring, &joe, ConversionType::Sale, usd(10_000), TODAY)
    };
    // A self-referral: recorded Denied, counted nowhere.
    let denied = Conversion {
        status: CommissionStatus::Denied,
        self_referral: true,
        ..conversion(&spring, &ann, ConversionType::Sale, usd(7_000), TODAY)
    };
    let inserted = tx
        .insert_conversions(&[
            jane_sale.clone(),
            jane_lead,
            jane_renewal.clone(),
            joe_sale.clone(),
            joe_override.clone(),
            denied,
        ])
        .await?;
    assert!(inserted.iter().all(|i| *i));
    let jane_commission = commission(&jane_sale, jane.id, CommissionKind::Direct, usd(2_000));
    let joe_commission = commission(&joe_sale, joe.id, CommissionKind::Direct, eur(1_000));
    tx.insert_commissions(&[
        jane_commission.clone(),
        commission(&jane_renewal, jane.id, CommissionKind::Direct, usd(600)),
        joe_commission.clone(),
        commission(&joe_override, joe.id, CommissionKind::Override, usd(200)),
    ])
    .await?;
    tx.commit().await?;

    let clicks = [
        click(&spring, &jane, Some("news.example"), TODAY),
        click(&spring, &jane, Some("news.example"), TODAY),
        click(&spring, &jane, None, TODAY),
        click(&fall, &joe, Some("blog.example"), YESTERDAY),
        click(&fall, &joe, Some("blog.example"), YESTERDAY),
    ];
    assert!(store.record_clicks(&clicks).await?.iter().all(|o| o.recorded));
    Ok(World {
        org: org.id,
        spring,
        fall,
        jane,
        joe,
        ann,
        jane_sale,
        jane_commission,
        joe_commission,
    })
}

#[tokio::test]
async fn totals_sum_clicks_conversions_and_active_affiliates_per_currency() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let w = world(store.as_ref(), "Acme").await?;
    let other = world(store.as_ref(), "Globex").await?;
    let (yesterday, today) = (YESTERDAY.date(), TODAY.date());

    let mut tx = store.read().await?;
    let all = tx.report_totals(&scope(w.org, None, yesterday, today)).await?;
    assert_eq!(
        all,
        ReportTotals {
            clicks: 5,
            currencies: vec![
                totals(Currency::EUR, 1, 0, 5_000, 1_000),
                // The sale and the renewal's revenue; the lead; Jane's commissions and Joe's
                // override, all in USD.
                totals(Currency::USD, 1, 1, 13_000, 2_800),
            ],
            active_affiliates: 2,
        }
    );
    // One campaign, one day.
    let fall = tx
        .report_totals(&scope(w.org, Some(w.fall.id), yesterday, today))
        .await?;
    assert_eq!(fall.clicks, 2);
    assert_eq!(fall.currencies, vec![totals(Currency::EUR, 1, 0, 5_000, 1_000)]);
    assert_eq!(fall.active_affiliates, 1);
    let just_today = tx.report_totals(&scope(w.org, None, today, today)).await?;
    assert_eq!(just_today.clicks, 3);
    assert_eq!(just_today.currencies.len(), 1);
    assert_eq!(
        just_today.active_affiliates, 2,
        "Joe earned his override today, with no click"
    );
    let before = tx
        .report_totals(&scope(
            w.org,
            None,
            yesterday - Duration::days(30),
            yesterday - Duration::days(1),
        ))
        .await?;
    assert_eq!(before, ReportTotals::default());
    // Another organization's campaign in the filter sees nothing.
    let foreign = tx
        .report_totals(&scope(w.org, Some(other.spring.id), yesterday, today))
        .await?;
    assert_eq!(foreign, ReportTotals::default());
    Ok(())
}

#[tokio::test]
async fn refunds_and_denials_lower_what_the_rollups_hold() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let w = world(store.as_ref(), "Acme").await?;
    let window = scope(w.org, None, YESTERDAY.date(), TODAY.date());

    // A quarter of Jane's sale refunded: revenue and commission lower in proportion.
    let mut tx = store.write().await?;
    let refunded = Conversion {
        refunded_minor: 2_500,
        commission: usd(1_500),
        updated_at: tick(),
        ..w.jane_sale.clone()
    };
    assert!(tx.update_conversion(&refunded).await?);
    assert!(
        tx.update_commission(&Commission {
            amount: usd(1_500),
            updated_at: tick(),
            ..w.jane_commission.clone()
        })
        .await?
    );
    // Approval changes nothing.
    let approved = tx.approve_due_commissions(TODAY + Duration::days(400), 100).await?;
    assert!(!approved.is_empty());
    // Joe's commission denied: its amount no longer counts (the sale still does).
    assert!(
        tx.update_commission(&Commission {
            status: CommissionStatus::Denied,
            denied_reason: Some("fraud".into()),
            updated_at: tick(),
            ..w.joe_commission.clone()
        })
        .await?
    );
    tx.commit().await?;

    let got = store.read().await?.report_totals(&window).await?;
    assert_eq!(
        got.currencies,
        vec![
            // The mirror made the conversion Denied too: the sale no longer counts either.
            totals(Currency::EUR, 0, 0, 0, 0),
            totals(Currency::USD, 1, 1, 10_500, 2_300),
        ]
    );
    assert_eq!(got.active_affiliates, 2, "Joe still clicked and has his override");

    // A full refund: the sale still happened, its revenue and commission are gone.
    let mut tx = store.write().await?;
    let full = Conversion {
        refunded_minor: 10_000,
        status: CommissionStatus::Refunded,
        commission: usd(0),
        updated_at: tick(),
        ..refunded
    };
    assert!(tx.update_conversion(&full).await?);
    let mut current = tx.get_commission(w.org, w.jane_commission.id).await?.unwrap();
    current.amount = usd(0);
    current.status = CommissionStatus::Refunded;
    assert!(tx.update_commission(&current).await?);
    tx.commit().await?;
    let got = store.read().await?.report_totals(&window).await?;
    assert_eq!(got.currencies[1], totals(Currency::USD, 1, 1, 3_000, 800));
    Ok(())
}

#[tokio::test]
async fn the_daily_series_leaderboard_and_sources() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let w = world(store.as_ref(), "Acme").await?;
    world(store.as_ref(), "Globex").await?;
    let window = scope(w.org, None, YESTERDAY.date() - Duration::days(5), TODAY.date());
    let mut tx = store.read().await?;

    let days = tx.report_daily(&window).await?;
    assert_eq!(
        days.iter().map(|d| (d.day, d.clicks)).collect::<Vec<_>>(),
        vec![(YESTERDAY.date(), 2), (TODAY.date(), 3)],
        "only days with something"
    );
    assert_eq!(days[0].currencies, vec![totals(Currency::EUR, 1, 0, 5_000, 1_000)]);
    assert_eq!(days[1].currencies, vec![totals(Currency::USD, 1, 1, 13_000, 2_800)]);

    let board = tx.report_leaderboard(&window, 10).await?;
    assert_eq!(
        board,
        vec![
            // One sale each: Jane's revenue is higher.
            LeaderboardRow {
                affiliate_id: w.jane.id,
                clicks: 3,
                currencies: vec![totals(Currency::USD, 1, 1, 13_000, 2_600)],
            },
            LeaderboardRow {
                affiliate_id: w.joe.id,
                clicks: 2,
                currencies: vec![
                    totals(Currency::EUR, 1, 0, 5_000, 1_000),
                    totals(Currency::USD, 0, 0, 0, 200)
                ],
            },
        ]
    );
    assert_eq!(board[0].sales(), 1);
    assert_eq!(board[0].leads(), 1);
    assert_eq!(tx.report_leaderboard(&window, 1).await?.len(), 1);
    let spring_only = tx
        .report_leaderboard(
            &ReportScope {
                campaign_id: Some(w.spring.id),
                ..window
            },
            10,
        )
        .await?;
    assert_eq!(spring_only.len(), 2);
    assert_eq!(spring_only[1].clicks, 0, "Joe's clicks were in Fall");

    let sources = tx.report_sources(&window, 10).await?;
    assert_eq!(
        sources,
        vec![
            SourceRow {
                referrer_domain: Some("blog.example".into()),
                clicks: 2
            },
            SourceRow {
                referrer_domain: Some("news.example".into()),
                clicks: 2
            },
            SourceRow {
                referrer_domain: None,
                clicks: 1
            },
        ]
    );
    assert_eq!(tx.report_sources(&window, 1).await?.len(), 1);
    let fall_sources = tx
        .report_sources(
            &ReportScope {
                campaign_id: Some(w.fall.id),
                ..window
            },
            10,
        )
        .await?;
    assert_eq!(fall_sources.len(), 1);
    Ok(())
}

#[tokio::test]
async fn hourly_clicks_of_pay_per_click_campaigns_and_their_spend() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let mut tx = store.write().await?;
    let org = add_org(tx.as_mut(), "Acme").await?;
    let cpc = Campaign {
        commission_model: CommissionModel::Cpc,
        ..campaign(org.id, "cpc")
    };
    tx.insert_campaign(&cpc).await?;
    let cps = add_campaign(tx.as_mut(), org.id, "cps").await?;
    let jane = add_affiliate(tx.as_mut(), org.id, "jane@acme.test", None, "jane").await?;
    let joe = add_affiliate(tx.as_mut(), org.id, "joe@acme.test", None, "joe").await?;
    tx.commit().await?;

    // 1_800_000_000 is a whole hour (500,000 × 3,600 s).
    let hour = 500_000;
    let start = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    store
        .record_clicks(&[
            click(&cpc, &jane, None, start + Duration::minutes(1)),
            click(&cpc, &jane, None, start + Duration::minutes(59)),
            click(&cpc, &joe, None, start + Duration::minutes(30)),
            click(&cps, &jane, None, start + Duration::minutes(30)),
            click(&cpc, &jane, None, start + Duration::minutes(60)),
        ])
        .await?;
    let mut tx = store.write().await?;
    let mut counts = tx.hourly_click_counts(hour).await?;
    let mut expected = vec![(org.id, jane.id, cpc.id, 2), (org.id, joe.id, cpc.id, 1)];
    counts.sort_by_key(|r| (r.2, r.1));
    expected.sort_by_key(|r| (r.2, r.1));
    assert_eq!(counts, expected, "pay-per-click campaigns only");
    assert_eq!(
        tx.hourly_click_counts(hour + 1).await?,
        vec![(org.id, jane.id, cpc.id, 1)]
    );
    assert_eq!(tx.hourly_click_counts(hour - 1).await?, vec![]);

    assert_eq!(tx.cpc_spent(org.id, cpc.id).await?, 0);
    let paid = |a: &Affiliate, n: i64, status: CommissionStatus| Conversion {
        source: ConversionSource::Click,
        status,
        commission: usd(n),
        initial_commission_minor: n,
        ..conversion(&cpc, a, ConversionType::Click, usd(0), start)
    };
    let sale = Conversion {
        commission: usd(999),
        ..conversion(&cpc, &jane, ConversionType::Sale, usd(5_000), start)
    };
    tx.insert_conversions(&[
        paid(&jane, 300, CommissionStatus::Pending),
        paid(&joe, 150, CommissionStatus::Approved),
        paid(&joe, 1_000, CommissionStatus::Denied),
        sale,
    ])
    .await?;
    assert_eq!(
        tx.cpc_spent(org.id, cpc.id).await?,
        450,
        "click conversions, denied ones aside"
    );
    assert_eq!(tx.cpc_spent(org.id, cps.id).await?, 0);
    Ok(())
}

#[tokio::test]
async fn exports_page_through_a_window_in_time_order() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let w = world(store.as_ref(), "Acme").await?;
    let other = world(store.as_ref(), "Globex").await?;
    let mut tx = store.write().await?;
    let run = PayoutRun {
        id: PayoutRunId::new(),
        org_id: w.org,
        rail: PayoutRail::Manual,
        currency: None,
        created_by: None,
        created_at: tick(),
    };
    tx.insert_payout_run(&run).await?;
    let items: Vec<PayoutItem> = [&w.jane, &w.joe, &w.ann]
        .iter()
        .map(|a| {
            let at = tick();
            PayoutItem {
                id: PayoutItemId::new(),
                org_id: w.org,
                run_id: run.id,
                affiliate_id: a.id,
                amount: usd(100),
                status: PayoutStatus::Pending,
                reference: None,
                failure_reason: None,
                attempts: 0,
                created_at: at,
                updated_at: at,
            }
        })
        .collect();
    tx.insert_payout_items(&items).await?;
    tx.commit().await?;

    let whole = |after| ExportWindow {
        org_id: w.org,
        from: YESTERDAY - Duration::days(1),
        to: TODAY + Duration::days(1),
        after,
        limit: 2,
    };
    let mut tx = store.read().await?;
    // Six conversions of Acme's, two a page, by occurred_at then id.
    let mut seen: Vec<Conversion> = vec![];
    let mut after = None;
    loop {
        let page = tx.export_conversions(&whole(after)).await?;
        assert!(page.len() <= 2);
        let Some(last) = page.last() else { break };
        after = Some((last.occurred_at, last.id.0));
        seen.extend(page);
    }
    assert_eq!(seen.len(), 6);
    assert!(seen.iter().all(|k| k.org_id == w.org));
    assert!(
        seen.windows(2)
            .all(|p| (p[0].occurred_at, p[0].id.0) < (p[1].occurred_at, p[1].id.0))
    );
    assert_eq!(seen[0].affiliate_id, w.joe.id, "yesterday's sale first");
    // The window's end is exclusive, its start inclusive.
    let today_only = ExportWindow {
        from: TODAY,
        to: TODAY + Duration::seconds(1),
        limit: 100,
        ..whole(None)
    };
    assert_eq!(tx.export_conversions(&today_only).await?.len(), 5);
    let none = ExportWindow {
        to: TODAY,
        ..today_only
    };
    assert_eq!(tx.export_conversions(&none).await?.len(), 0);

    // Commissions and payout items by creation time.
    let recent = |limit| ExportWindow {
        org_id: w.org,
        from: OffsetDateTime::now_utc() - Duration::hours(1),
        to: OffsetDateTime::now_utc() + Duration::hours(1),
        after: None,
        limit,
    };
    let commissions = tx.export_commissions(&recent(100)).await?;
    assert_eq!(commissions.len(), 4);
    assert!(commissions.iter().all(|k| k.org_id == w.org));
    let first = tx.export_commissions(&recent(1)).await?;
    let second = tx
        .export_commissions(&ExportWindow {
            after: Some((first[0].created_at, first[0].id.0)),
            ..recent(1)
        })
        .await?;
    assert_eq!(second[0].id, commissions[1].id);
    let exported = tx.export_payout_items(&recent(100)).await?;
    assert_eq!(exported, items);
    let foreign = ExportWindow {
        org_id: other.org,
        ..recent(100)
    };
    assert_eq!(tx.export_payout_items(&foreign).await?, vec![]);
    Ok(())
}
