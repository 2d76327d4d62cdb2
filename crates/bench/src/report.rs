//! The summary report at scale (issue 4, item 11): seeds clicks and conversions with their
//! commissions straight through the store (click batches as the click writer commits them, sale
//! batches as the conversion verb writes them), spread over 90 days, ~1,000 affiliates and a few
//! campaigns, in two currencies, then times the summary report (the verb behind
//! `GET /api/v1/reports/summary`, home-currency conversion included) again and again. Target:
//! p95 under 50 ms for 10,000,000 clicks and 1,000,000 conversions.
//!
//! Reports read daily rollups, so their cost follows affiliates × days, not clicks: once every
//! affiliate has activity on every day (from about a million clicks on), more clicks cost the
//! seeding, not the report.

use std::time::{Duration as StdDuration, Instant};

use afflux::{Server, Settings};
use afflux_app::{Actor, Decimal, NewCampaign};
use afflux_domain::{
    Affiliate, AffiliateId, AffiliateStatus, CampaignId, ClickId, ClickSource, Commission, CommissionId,
    CommissionKind, CommissionStatus, CommissionType, Conversion, ConversionId, ConversionProvider, ConversionSource,
    ConversionType, Currency, Email, Membership, MembershipId, Money, OrgId, Slug,
};
use afflux_store::NewClick;
use time::{Duration, OffsetDateTime};

#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Clicks to seed.
    #[arg(long, default_value_t = 10_000_000)]
    pub clicks: usize,
    /// Conversions to seed (each sale with its commission).
    #[arg(long, default_value_t = 1_000_000)]
    pub conversions: usize,
    /// Affiliates they are spread over.
    #[arg(long, default_value_t = 1_000)]
    pub affiliates: usize,
    /// Campaigns the affiliates are spread over.
    #[arg(long, default_value_t = 4)]
    pub campaigns: usize,
    /// Days back the activity is spread over.
    #[arg(long, default_value_t = 90)]
    pub days: i64,
    /// Timed summary reports.
    #[arg(long, default_value_t = 200)]
    pub runs: usize,
    /// Run Afflux on this database instead of a fresh SQLite file.
    #[arg(long)]
    pub database_url: Option<String>,
    /// The target p95, in milliseconds, reported as met or not.
    #[arg(long, default_value_t = 50.0)]
    pub target_ms: f64,
}

/// Clicks per `record_clicks` batch while seeding.
const CLICK_BATCH: usize = 10_000;
/// Conversions (and commissions) per transaction while seeding.
const SALE_BATCH: usize = 1_000;
/// Where clicks come from; every fifth names no site.
const REFERRERS: [Option<&str>; 10] = [
    Some("google.com"),
    Some("youtube.com"),
    Some("news.example"),
    Some("blog.example"),
    None,
    Some("twitter.com"),
    Some("reddit.com"),
    Some("newsletter.example"),
    Some("facebook.com"),
    None,
];

pub async fn run(o: &Options) -> anyhow::Result<()> {
    anyhow::ensure!(
        o.affiliates > 0 && o.campaigns > 0 && o.days > 0,
        "need affiliates, campaigns and days"
    );
    let dir = tempfile::tempdir()?;
    let settings = Settings {
        database_url: o
            .database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("afflux.db").display())),
        bind: "127.0.0.1:0".into(),
        mail_dir: dir.path().join("mail").display().to_string(),
        ..Settings::default()
    };
    let backend = settings.database_url.split(':').next().unwrap_or("?").to_owned();
    // No worker: its sweeps would compete with the measurement.
    let server = Server::start(&settings, false).await?;
    let app = &server.app;
    let seeded = crate::seed::seed(app).await?;
    let org = seeded.org;
    let actor = Actor::operator(org);
    println!(
        "report: the summary over {} clicks and {} conversions of {} affiliates in {} campaigns, {} days ({backend})",
        o.clicks, o.conversions, o.affiliates, o.campaigns, o.days
    );

    let started = Instant::now();
    let mut campaigns = vec![seeded.campaign];
    for n in 1..o.campaigns {
        let campaign = app
            .create_campaign(
                &actor,
                NewCampaign {
                    name: format!("Report {n}"),
                    slug: Some(format!("report-{n}")),
                    destination_url: crate::seed::DESTINATION.into(),
                    default_commission_type: CommissionType::Percentage,
                    default_commission_value: Decimal("20".into()),
                    currency: None,
                    default_commission_model: None,
                    cookie_window_days: None,
                    attribution_model: None,
                    auto_approve: None,
                    description: None,
                    terms_url: None,
                    rules: None,
                },
            )
            .await?;
        campaigns.push(campaign.id);
    }
    let affiliates = affiliates(app, org, &campaigns, o.affiliates).await?;
    // Rates for the home-currency totals (EUR sales in a USD organization).
    app.import_fx_rates("Date,USD,\n2025-01-02,1.0412,\n").await?;

    // From the first day of the report's window until now.
    let now = OffsetDateTime::now_utc();
    let start = (now.date() - Duration::days(o.days - 1)).midnight().assume_utc();
    let span = (now - start).whole_seconds().max(1);
    // Clicks oldest first, as they arrive: the click writer keeps the newest hours in memory.
    let mut written = 0;
    let mut batch = Vec::with_capacity(CLICK_BATCH);
    while written < o.clicks {
        batch.clear();
        let n = CLICK_BATCH.min(o.clicks - written);
        for i in written..written + n {
            let (affiliate, campaign) = &affiliates[i % affiliates.len()];
            let offset = i64::try_from(i as u128 * span as u128 / o.clicks as u128)?;
            let id = ClickId::new();
            batch.push(NewClick {
                id,
                org_id: org,
                campaign_id: *campaign,
                affiliate_id: *affiliate,
                visitor_hash: id.0.as_bytes().to_vec(),
                referrer_domain: REFERRERS[i % REFERRERS.len()].map(str::to_owned),
                source: ClickSource::Link,
                at: start + Duration::seconds(offset),
            });
        }
        app.store().record_clicks(&batch).await?;
        written += n;
    }
    println!("seeded {written} clicks in {:.1} s", started.elapsed().as_secs_f64());

    let started = Instant::now();
    let mut written = 0;
    while written < o.conversions {
        let n = SALE_BATCH.min(o.conversions - written);
        let mut conversions = Vec::with_capacity(n);
        let mut commissions = Vec::with_capacity(n);
        for i in written..written + n {
            let (affiliate, campaign) = affiliates[(i * 7) % affiliates.len()];
            let offset = i64::try_from(i as u128 * span as u128 / o.conversions.max(1) as u128)?;
            let (conversion, commission) = conversion(org, campaign, affiliate, start + Duration::seconds(offset), i);
            conversions.push(conversion);
            commissions.extend(commission);
        }
        let mut tx = app.store().write().await?;
        tx.insert_conversions(&conversions).await?;
        tx.insert_commissions(&commissions).await?;
        tx.commit().await?;
        written += n;
    }
    println!(
        "seeded {written} conversions with their commissions in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let summary = app.report_summary(&actor, 90, None).await?;
    println!(
        "summary, 90 days: {} clicks, {} sales, {} leads, conversion rate {} bps, {} active affiliates, earnings {} (home)",
        summary.clicks,
        summary.sales,
        summary.leads,
        summary.conversion_rate_bps.unwrap_or_default(),
        summary.active_affiliates,
        summary.home.earnings,
    );
    // A few unmeasured runs warm the caches, as a live server's would be.
    for _ in 0..5 {
        app.report_summary(&actor, 90, None).await?;
    }
    let mut timings = Vec::with_capacity(o.runs);
    for i in 0..o.runs {
        let (days, program) = match i % 4 {
            0 | 1 => (90, None),
            2 => (30, None),
            _ => (90, Some(campaigns[i % campaigns.len()])),
        };
        let t = Instant::now();
        std::hint::black_box(app.report_summary(&actor, days, program).await?);
        timings.push(t.elapsed());
    }
    let p95 = quantile(&mut timings, 0.95);
    println!(
        "summary report ({} runs: 90 days, 30 days, one campaign): p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms (target p95 under {:.0} ms: {})",
        o.runs,
        ms(quantile(&mut timings, 0.50)),
        ms(p95),
        ms(quantile(&mut timings, 0.99)),
        ms(quantile(&mut timings, 1.0)),
        o.target_ms,
        if ms(p95) < o.target_ms { "met" } else { "NOT met" }
    );

    // The other reports, for reference.
    for (name, f) in [("daily", 0), ("leaderboard", 1), ("sources", 2)] {
        let mut timings = Vec::with_capacity(20);
        for _ in 0..20 {
            let t = Instant::now();
            match f {
                0 => drop(std::hint::black_box(app.report_daily(&actor, 90, None).await?)),
                1 => drop(std::hint::black_box(app.report_leaderboard(&actor, 90, None).await?)),
                _ => drop(std::hint::black_box(app.report_sources(&actor, 90, None, 10).await?)),
            }
            timings.push(t.elapsed());
        }
        println!(
            "{name} report, 90 days (20 runs): p50 {:.1} ms, p95 {:.1} ms",
            ms(quantile(&mut timings, 0.50)),
            ms(quantile(&mut timings, 0.95))
        );
    }
    server.stop().await;
    Ok(())
}

/// `n` approved affiliates, each in one campaign (round robin), written straight to the store.
async fn affiliates(
    app: &afflux_app::App,
    org: OrgId,
    campaigns: &[CampaignId],
    n: usize,
) -> anyhow::Result<Vec<(AffiliateId, CampaignId)>> {
    let mut out = Vec::with_capacity(n);
    let mut tx = app.store().write().await?;
    let now = OffsetDateTime::now_utc();
    for i in 0..n {
        let affiliate = Affiliate {
            id: AffiliateId::new(),
            org_id: org,
            email: Email::parse(&format!("rep{i}@bench.example"))?,
            name: Some(format!("Affiliate {i}")),
            paypal_email: None,
            stripe_account_id: None,
            slug: Slug::parse(&format!("rep-{i}"))?,
            created_at: now,
        };
        let campaign = campaigns[i % campaigns.len()];
        tx.insert_affiliate(&affiliate).await?;
        tx.insert_membership(&Membership {
            id: MembershipId::new(),
            org_id: org,
            affiliate_id: affiliate.id,
            campaign_id: campaign,
            status: AffiliateStatus::Approved,
            commission_override: None,
            recruited_by: None,
            status_reason: None,
            created_at: now,
            status_changed_at: now,
        })
        .await?;
        out.push((affiliate.id, campaign));
    }
    tx.commit().await?;
    Ok(out)
}

/// Conversion number `i`: mostly sales (a tenth leads, a tenth renewals), seven in ten in USD,
/// the rest in EUR; sales and renewals earn 20 %.
fn conversion(
    org: OrgId,
    campaign: CampaignId,
    affiliate: AffiliateId,
    at: OffsetDateTime,
    i: usize,
) -> (Conversion, Option<Commission>) {
    let id = ConversionId::new();
    let currency = if i % 10 < 7 { Currency::USD } else { Currency::EUR };
    let kind = match i % 10 {
        3 => ConversionType::Lead,
        6 => ConversionType::Recurring,
        _ => ConversionType::Sale,
    };
    let amount = if kind == ConversionType::Lead {
        Money::zero(currency)
    } else {
        Money::new(2_000 + (i as i64 % 50) * 100, currency)
    };
    let earned = amount.percent_bps(2_000);
    let conversion = Conversion {
        id,
        org_id: org,
        campaign_id: campaign,
        affiliate_id: affiliate,
        kind,
        source: if kind == ConversionType::Lead {
            ConversionSource::Lead
        } else {
            ConversionSource::Server
        },
        status: CommissionStatus::Pending,
        amount,
        refunded_minor: 0,
        commission: earned,
        initial_commission_minor: earned.minor,
        provider: ConversionProvider::Server,
        external_id: format!("report-{i}"),
        event_id: format!("report-{i}"),
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
    let commission = (earned.minor > 0).then(|| Commission {
        id: CommissionId::new(),
        org_id: org,
        conversion_id: id,
        affiliate_id: affiliate,
        campaign_id: campaign,
        kind: CommissionKind::Direct,
        status: CommissionStatus::Pending,
        amount: earned,
        initial_minor: earned.minor,
        hold_until: at + Duration::days(30),
        payout_item_id: None,
        denied_reason: None,
        created_at: at,
        updated_at: at,
    });
    (conversion, commission)
}

/// The `q` quantile (nearest rank) of `timings`.
fn quantile(timings: &mut [StdDuration], q: f64) -> StdDuration {
    timings.sort_unstable();
    let rank = ((q * timings.len() as f64).ceil() as usize).clamp(1, timings.len());
    timings[rank - 1]
}

fn ms(d: StdDuration) -> f64 {
    d.as_secs_f64() * 1_000.0
}
