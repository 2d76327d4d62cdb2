//! A payout run over many approved commissions (issue 4, item 11): seeds them straight through
//! the store (sales of ~1,000 affiliates, each with its Approved commission), then times one
//! run on the real app, the way `POST /api/v1/payouts/runs` starts it. Target: under 5 s for
//! 1,000,000 commissions on SQLite.

use std::time::Instant;

use afflux::{Server, Settings};
use afflux_app::money::NewPayoutRun;
use afflux_app::{Actor, AffiliateInvite};
use afflux_domain::{
    Affiliate, Commission, CommissionId, CommissionKind, CommissionStatus, Conversion, ConversionId,
    ConversionProvider, ConversionSource, ConversionType, Currency, Money, PayoutRail,
};
use afflux_store::{CommissionFilter, Page};
use time::{Duration, OffsetDateTime};

#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Approved commissions to pay.
    #[arg(long, default_value_t = 1_000_000)]
    pub commissions: usize,
    /// Affiliates they are spread over.
    #[arg(long, default_value_t = 1_000)]
    pub affiliates: usize,
    /// Run Afflux on this database instead of a fresh SQLite file.
    #[arg(long)]
    pub database_url: Option<String>,
    /// The target, in seconds, reported as met or not.
    #[arg(long, default_value_t = 5.0)]
    pub target_seconds: f64,
}

/// Rows written per transaction while seeding.
const SEED_BATCH: usize = 500;

pub async fn run(o: &Options) -> anyhow::Result<()> {
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
    // No worker: the approval pass and emails would compete with the measurement.
    let server = Server::start(&settings, false).await?;
    let app = &server.app;
    let seeded = crate::seed::seed(app).await?;
    let actor = Actor::operator(seeded.org);
    let campaign = seeded.campaign;
    println!(
        "payout: one run over {} approved commissions of {} affiliates ({backend})",
        o.commissions, o.affiliates
    );

    let started = Instant::now();
    let mut affiliates: Vec<Affiliate> = Vec::with_capacity(o.affiliates);
    for n in 0..o.affiliates {
        let (affiliate, _) = app
            .invite_affiliate(
                &actor,
                AffiliateInvite {
                    program_id: campaign,
                    email: format!("payee{n}@bench.example"),
                    name: None,
                },
            )
            .await?;
        affiliates.push(affiliate);
    }
    let at = OffsetDateTime::now_utc() - Duration::days(40);
    let mut written = 0;
    while written < o.commissions {
        let n = SEED_BATCH.min(o.commissions - written);
        let mut conversions = Vec::with_capacity(n);
        let mut commissions = Vec::with_capacity(n);
        for i in written..written + n {
            let affiliate = &affiliates[i % affiliates.len()];
            let (conversion, commission) = sale(seeded.org, campaign, affiliate, at, i);
            conversions.push(conversion);
            commissions.push(commission);
        }
        let mut tx = app.store().write().await?;
        tx.insert_conversions(&conversions).await?;
        tx.insert_commissions(&commissions).await?;
        tx.commit().await?;
        written += n;
    }
    println!(
        "seeded {} affiliates and {written} approved commissions in {:.1} s",
        affiliates.len(),
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let detail = app
        .start_payout_run(
            &actor,
            NewPayoutRun {
                rail: PayoutRail::Manual,
                currency: None,
            },
        )
        .await?;
    let elapsed = started.elapsed().as_secs_f64();
    let total: i64 = detail.items.iter().map(|i| i.amount.minor).sum();
    println!(
        "payout run: {} items, {} EUR, in {elapsed:.2} s (target under {:.0} s: {})",
        detail.items.len(),
        Money::new(total, Currency::EUR).major_string(),
        o.target_seconds,
        if elapsed < o.target_seconds { "met" } else { "NOT met" }
    );

    let mut tx = app.store().read().await?;
    let left: i64 = tx
        .payable_totals(seeded.org, None)
        .await?
        .iter()
        .map(|t| t.commissions)
        .sum();
    let in_items = tx
        .list_commissions(seeded.org, &CommissionFilter::default(), Page::ALL)
        .await?
        .iter()
        .filter(|c| c.payout_item_id.is_some())
        .count();
    drop(tx);
    println!("commissions in an item: {in_items}; still payable: {left}");
    server.stop().await;
    anyhow::ensure!(
        in_items == o.commissions && left == 0,
        "not every commission was taken exactly once"
    );
    Ok(())
}

/// Sale number `i`: 100.00 EUR earning 20.00, approved since its hold ended.
fn sale(
    org: afflux_domain::OrgId,
    campaign: afflux_domain::CampaignId,
    affiliate: &Affiliate,
    at: OffsetDateTime,
    i: usize,
) -> (Conversion, Commission) {
    let id = ConversionId::new();
    let commission = Money::new(2_000, Currency::EUR);
    let conversion = Conversion {
        id,
        org_id: org,
        campaign_id: campaign,
        affiliate_id: affiliate.id,
        kind: ConversionType::Sale,
        source: ConversionSource::Server,
        status: CommissionStatus::Approved,
        amount: Money::new(10_000, Currency::EUR),
        refunded_minor: 0,
        commission,
        initial_commission_minor: commission.minor,
        provider: ConversionProvider::Server,
        external_id: format!("bench-{i}"),
        event_id: format!("bench-{i}"),
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
    let commission = Commission {
        id: CommissionId::new(),
        org_id: org,
        conversion_id: id,
        affiliate_id: affiliate.id,
        campaign_id: campaign,
        kind: CommissionKind::Direct,
        status: CommissionStatus::Approved,
        amount: commission,
        initial_minor: commission.minor,
        hold_until: at,
        payout_item_id: None,
        denied_reason: None,
        created_at: at,
        updated_at: at,
    };
    (conversion, commission)
}
