//! CRM sync under Ontraport's rate limit (issue 6, item 10): approvals synced to the local
//! Ontraport fake set to a short window, announced in its `X-Rate-Limit-*` headers. Every sync
//! must succeed, the fake must count no request beyond its limit, and the calls per affiliate
//! are printed.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use afflux::{Server, Settings};
use afflux_app::{Actor, AffiliateInvite, ConnectIntegration, Decimal, NewCampaign, NewOrg};
use afflux_domain::{CommissionType, SyncStatus};
use afflux_fakes::ontraport::{self, OntraportFake};
use afflux_integrations::crm::Credentials;

#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Affiliates approved (each one sync).
    #[arg(long, default_value_t = 1_000)]
    pub affiliates: usize,
    /// Requests the fake allows per window.
    #[arg(long, default_value_t = 180)]
    pub limit: u32,
    /// The fake's window, in seconds.
    #[arg(long, default_value_t = 5)]
    pub window_seconds: u64,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 600)]
    pub timeout_seconds: u64,
}

pub async fn run(o: &Options) -> anyhow::Result<()> {
    let window = Duration::from_secs(o.window_seconds);
    let (fake, running) = OntraportFake::start(ontraport::Config::rate_limited(o.limit, window)).await;
    let dir = tempfile::tempdir()?;
    let settings = Settings {
        database_url: format!("sqlite://{}", dir.path().join("afflux.db").display()),
        bind: "127.0.0.1:0".into(),
        mail_dir: dir.path().join("mail").display().to_string(),
        ontraport_base_url: Some(running.base_url()),
        ..Settings::default()
    };
    let server = Server::start(&settings, true).await?;
    let app = &server.app;
    let org = app
        .create_org(NewOrg {
            name: "Bench".into(),
            owner_email: "owner@bench.example".into(),
            plan: None,
            status: None,
        })
        .await?
        .org
        .id;
    let actor = Actor::operator(org);
    let campaign = app
        .create_campaign(
            &actor,
            NewCampaign {
                name: "Bench".into(),
                slug: Some("bench".into()),
                destination_url: "https://shop.example/".into(),
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
    let integration = app
        .connect_integration(
            &actor,
            ConnectIntegration {
                vendor: "Ontraport".into(),
                credentials: Credentials {
                    app_id: Some(ontraport::APP_ID.into()),
                    api_key: Some(ontraport::API_KEY.into()),
                    ..Credentials::default()
                },
            },
        )
        .await?
        .integration;
    let connect_calls = fake.journal().len();
    println!(
        "crm: {} approvals synced to the Ontraport fake allowing {} requests per {} s",
        o.affiliates, o.limit, o.window_seconds
    );

    let started = Instant::now();
    for n in 0..o.affiliates {
        app.invite_affiliate(
            &actor,
            AffiliateInvite {
                program_id: campaign.id,
                email: format!("partner{n}@bench.example"),
                name: Some(format!("Partner {n}")),
            },
        )
        .await?;
    }
    let approved_in = started.elapsed();
    let deadline = started + Duration::from_secs(o.timeout_seconds);
    let counts = loop {
        let counts: BTreeMap<SyncStatus, i64> = app.integration(&actor, integration.id).await?.counts;
        let finished = counts[&SyncStatus::Succeeded] + counts[&SyncStatus::Failed];
        if finished as usize >= o.affiliates || Instant::now() > deadline {
            break counts;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let elapsed = started.elapsed();
    server.stop().await;

    let calls = fake.journal().all().split_off(connect_calls);
    let per_affiliate = calls_per_affiliate(&calls);
    let mut histogram: BTreeMap<usize, usize> = BTreeMap::new();
    for n in per_affiliate.values() {
        *histogram.entry(*n).or_default() += 1;
    }
    let ceiling = f64::from(o.limit) / window.as_secs_f64();
    println!(
        "approvals committed in {:.2} s; all syncs finished after {:.1} s",
        approved_in.as_secs_f64(),
        elapsed.as_secs_f64()
    );
    println!(
        "syncs: {} Succeeded, {} Failed, {} Retrying, {} Pending",
        counts[&SyncStatus::Succeeded],
        counts[&SyncStatus::Failed],
        counts[&SyncStatus::Retrying],
        counts[&SyncStatus::Pending]
    );
    println!(
        "requests: {} in {:.1} s = {:.1}/s against a ceiling of {ceiling:.1}/s ({:.0} % of it); over the limit: {}",
        calls.len(),
        elapsed.as_secs_f64(),
        calls.len() as f64 / elapsed.as_secs_f64(),
        100.0 * calls.len() as f64 / elapsed.as_secs_f64() / ceiling,
        fake.over_limit_count()
    );
    let histogram: Vec<String> = histogram
        .iter()
        .map(|(calls, n)| format!("{n} affiliates × {calls} calls"))
        .collect();
    println!(
        "calls per affiliate: {:.2} on average ({})",
        calls.len() as f64 / o.affiliates as f64,
        histogram.join(", ")
    );
    anyhow::ensure!(
        counts[&SyncStatus::Succeeded] as usize == o.affiliates,
        "not every sync succeeded"
    );
    anyhow::ensure!(fake.over_limit_count() == 0, "the fake counted requests over its limit");
    Ok(())
}

/// The worker syncs one affiliate at a time: every call belongs to the save that precedes it.
fn calls_per_affiliate(calls: &[afflux_fakes::Recorded]) -> BTreeMap<String, usize> {
    let mut per: BTreeMap<String, usize> = BTreeMap::new();
    let mut current: Option<String> = None;
    for call in calls {
        if call.line() == "POST /1/objects/saveorupdate" {
            current = call.body_json()["email"].as_str().map(str::to_owned);
        }
        if let Some(email) = &current {
            *per.entry(email.clone()).or_default() += 1;
        }
    }
    per
}
