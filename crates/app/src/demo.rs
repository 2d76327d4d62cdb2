//! `afflux demo`: fills a fresh database with a demonstration organization, through the same
//! verbs the product uses (so every invariant holds: commissions, ledger, audit), with
//! timestamps spread over the past months. Deterministic: the same seed gives the same data.

mod png;

use afflux_domain::{
    AffiliateStatus, Campaign, ClickId, ClickSource, CommissionType, ConversionProvider, ConversionSource,
    ConversionType, Currency, Money, PayoutRail, PromoKind, StatusAction,
};
use afflux_store::NewClick;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use time::{Duration, OffsetDateTime};

use crate::campaign_rules::RulesInput;
use crate::conversions::{Customer, NewConversion, Recorded, Referral};
use crate::money::NewPayoutRun;
use crate::{Actor, App, AppError, AppResult, Application, Decimal, NewCampaign, Setup, StatusChange};

pub const DEMO_ORG_NAME: &str = "Acme Analytics";
pub const DEMO_OWNER_EMAIL: &str = "owner@acme-analytics.example";
/// Printed with the summary: the demo is for looking around, not for production.
pub const DEMO_OWNER_PASSWORD: &str = "afflux-demo-password";

/// The history the demo spans.
const DAYS: i64 = 180;

const FIRST: &[&str] = &[
    "Maria", "James", "Aiko", "Lucas", "Priya", "Noah", "Fatima", "Liam", "Sofia", "Mateo", "Chloe", "Omar", "Hannah",
    "Ravi", "Elena", "Jonas", "Amara", "Felix",
];
const LAST: &[&str] = &[
    "Garcia", "Smith", "Tanaka", "Martin", "Patel", "Müller", "Haddad", "Rossi", "Okafor", "Nguyen",
];
const REFERRERS: &[Option<&str>] = &[
    Some("youtube.com"),
    Some("twitter.com"),
    Some("reddit.com"),
    Some("news.ycombinator.com"),
    Some("medium.com"),
    None,
];

/// What the demo created, for the command to print.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    pub org_name: String,
    pub owner_email: String,
    pub owner_password: String,
    pub campaigns: Vec<String>,
    /// Memberships per status, in [`AffiliateStatus`] order.
    pub affiliates: Vec<(AffiliateStatus, usize)>,
    pub clicks: usize,
    pub sales: usize,
    pub refunds: usize,
    pub promo_assets: usize,
    pub payout_items: usize,
}

/// One affiliate to create: where it ends up.
struct Planned {
    name: String,
    slug: String,
    status: AffiliateStatus,
}

fn plan(
    rng: &mut StdRng,
    campaign: usize,
    counts: &[(AffiliateStatus, usize)],
    taken: &mut Vec<String>,
) -> Vec<Planned> {
    let mut out = vec![];
    for &(status, n) in counts {
        for _ in 0..n {
            let (first, last) = loop {
                let pick = (FIRST[rng.gen_range(0..FIRST.len())], LAST[rng.gen_range(0..LAST.len())]);
                let key = format!("{}-{}", pick.0, pick.1);
                if !taken.contains(&key) {
                    taken.push(key);
                    break pick;
                }
            };
            let ascii: String = last.replace('ü', "u").to_lowercase();
            out.push(Planned {
                name: format!("{first} {last}"),
                slug: format!("{}-{ascii}-{campaign}", first.to_lowercase()),
                status,
            });
        }
    }
    out
}

impl App {
    /// Creates the demonstration organization. Refuses (writing nothing) when the database
    /// already has an organization.
    pub async fn seed_demo(&self, seed: u64) -> AppResult<DemoSummary> {
        let not_empty = || {
            AppError::conflict(
                "database_not_empty",
                None,
                "this database already has an organization; run the demo on a fresh database",
            )
        };
        let token = self.setup_token().await?.ok_or_else(not_empty)?;
        let session = self
            .setup(Setup {
                token,
                org_name: DEMO_ORG_NAME.into(),
                name: Some("Olivia Owner".into()),
                email: DEMO_OWNER_EMAIL.into(),
                password: DEMO_OWNER_PASSWORD.into(),
            })
            .await?;
        let owner = self
            .session(&session)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the demo owner's session vanished")))?
            .actor();
        let mut rng = StdRng::seed_from_u64(seed);
        let now = OffsetDateTime::now_utc();
        // Euro rates, as `afflux fx import` loads them: reports and tax thresholds convert with them.
        let start = (now - Duration::days(DAYS + 1)).date();
        self.import_fx_rates(&format!("Date,USD\n{start},1.0825\n{},1.0790\n", now.date()))
            .await?;

        let cloud = self
            .create_campaign(
                &owner,
                campaign_input("Acme Cloud", "cloud", CommissionType::Percentage, "20", None, None),
            )
            .await?;
        let europe = self
            .create_campaign(
                &owner,
                campaign_input(
                    "Acme Europe",
                    "europe",
                    CommissionType::Fixed,
                    "15",
                    Some("EUR"),
                    Some(10),
                ),
            )
            .await?;

        use AffiliateStatus::*;
        let mut taken = vec![];
        let cloud_plan = plan(
            &mut rng,
            1,
            &[(Approved, 14), (Pending, 4), (Paused, 2), (Rejected, 2), (Banned, 2)],
            &mut taken,
        );
        let europe_plan = plan(
            &mut rng,
            2,
            &[(Approved, 8), (Pending, 2), (Paused, 1), (Rejected, 1), (Banned, 1)],
            &mut taken,
        );

        let mut earners = vec![];
        for (campaign, planned) in [(&cloud, &cloud_plan), (&europe, &europe_plan)] {
            earners.extend(self.enroll(&owner, campaign, planned).await?);
        }

        let clicks = self.demo_clicks(&mut rng, owner.org_id, &earners, now).await?;
        let (sales, sale_ids) = self.demo_sales(&mut rng, owner.org_id, &earners, now).await?;
        let refunds = self.demo_refunds(&mut rng, owner.org_id, &sale_ids).await?;

        // Those who earned before they were paused or banned.
        for (campaign, planned) in [(&cloud, &cloud_plan), (&europe, &europe_plan)] {
            for p in planned.iter().filter(|p| matches!(p.status, Paused | Banned)) {
                let (action, reason) = match p.status {
                    Paused => (StatusAction::Pause, "On a break this season"),
                    _ => (StatusAction::Ban, "Bid on our brand keywords"),
                };
                let id = earners
                    .iter()
                    .find(|e| e.slug == p.slug)
                    .map(|e| e.affiliate)
                    .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a planned affiliate is missing")))?;
                self.change_affiliate_status(&owner, id, action, change(campaign, reason))
                    .await?;
            }
        }

        let promo_assets = self.demo_promo(&owner, &cloud, &europe).await?;

        self.approve_due_commissions().await?;
        let run = self
            .start_payout_run(
                &owner,
                NewPayoutRun {
                    rail: PayoutRail::Manual,
                    currency: None,
                },
            )
            .await?;
        for (i, item) in run.items.iter().enumerate() {
            self.mark_payout_paid(&owner, item.id, &format!("DEMO-BANK-{:04}", i + 1))
                .await?;
        }

        let mut affiliates: Vec<(AffiliateStatus, usize)> = AffiliateStatus::ALL.iter().map(|&s| (s, 0)).collect();
        for p in cloud_plan.iter().chain(&europe_plan) {
            if let Some(slot) = affiliates.iter_mut().find(|(s, _)| *s == p.status) {
                slot.1 += 1;
            }
        }
        Ok(DemoSummary {
            org_name: DEMO_ORG_NAME.into(),
            owner_email: DEMO_OWNER_EMAIL.into(),
            owner_password: DEMO_OWNER_PASSWORD.into(),
            campaigns: vec![
                format!("{} (20 % of each sale, USD)", cloud.name),
                format!("{} (15 EUR per sale, two-tier 10 %)", europe.name),
            ],
            affiliates,
            clicks,
            sales,
            refunds,
            promo_assets,
            payout_items: run.items.len(),
        })
    }

    /// Creates each planned affiliate's application and takes it where it starts: Approved
    /// (also those paused or banned later, after they earned), Rejected, or left Pending. In
    /// two-tier campaigns every third approved affiliate was recruited by the first.
    async fn enroll(&self, owner: &Actor, campaign: &Campaign, planned: &[Planned]) -> AppResult<Vec<Earner>> {
        let two_tier = campaign.rules.two_tier_percent.is_some();
        let mut earners: Vec<Earner> = vec![];
        for (i, p) in planned.iter().enumerate() {
            let recruiter = earners
                .first()
                .filter(|_| two_tier && i % 3 == 2)
                .map(|e| e.slug.clone());
            let email = format!("{}@partners.example", p.slug);
            let (affiliate, _) = self
                .create_application(
                    owner,
                    campaign.id,
                    Application {
                        email: email.clone(),
                        name: Some(p.name.clone()),
                        paypal_email: Some(email),
                        slug: Some(p.slug.clone()),
                        recruiter,
                    },
                )
                .await?;
            match p.status {
                AffiliateStatus::Pending => continue,
                AffiliateStatus::Rejected => {
                    let why = change(campaign, "The website has no content about analytics yet");
                    self.change_affiliate_status(owner, affiliate.id, StatusAction::Reject, why)
                        .await?;
                    continue;
                }
                _ => {}
            }
            self.change_affiliate_status(owner, affiliate.id, StatusAction::Approve, change(campaign, ""))
                .await?;
            earners.push(Earner {
                affiliate: affiliate.id,
                campaign: campaign.id,
                currency: campaign.currency,
                slug: p.slug.clone(),
                name: p.name.clone(),
            });
        }
        Ok(earners)
    }

    /// A few thousand clicks over the past months through the store's click path, which also
    /// keeps the daily counters the reports read.
    async fn demo_clicks(
        &self,
        rng: &mut StdRng,
        org: afflux_domain::OrgId,
        earners: &[Earner],
        now: OffsetDateTime,
    ) -> AppResult<usize> {
        let mut clicks = vec![];
        for e in earners {
            for _ in 0..rng.gen_range(40..160) {
                let mut visitor = vec![0u8; 16];
                rng.fill(visitor.as_mut_slice());
                clicks.push(NewClick {
                    id: ClickId::new(),
                    org_id: org,
                    campaign_id: e.campaign,
                    affiliate_id: e.affiliate,
                    visitor_hash: visitor,
                    referrer_domain: REFERRERS[rng.gen_range(0..REFERRERS.len())].map(str::to_owned),
                    source: ClickSource::Link,
                    at: past(rng, now),
                });
            }
        }
        clicks.sort_by_key(|c| c.at);
        let mut recorded = 0;
        for batch in clicks.chunks(500) {
            recorded += self
                .store()
                .record_clicks(batch)
                .await?
                .iter()
                .filter(|o| o.recorded)
                .count();
        }
        Ok(recorded)
    }

    /// Sales attributed by referral slug, recorded with their past dates, so commissions past
    /// their hold become payable.
    async fn demo_sales(
        &self,
        rng: &mut StdRng,
        org: afflux_domain::OrgId,
        earners: &[Earner],
        now: OffsetDateTime,
    ) -> AppResult<(usize, Vec<String>)> {
        let mut inputs = vec![];
        for e in earners {
            let prices: &[i64] = if e.currency == Currency::EUR {
                &[2_900, 7_900, 19_900]
            } else {
                &[4_900, 9_900, 14_900, 29_900]
            };
            for _ in 0..rng.gen_range(2..12) {
                let n = inputs.len() + 1;
                let external_id = format!("demo-sale-{n:04}");
                inputs.push(NewConversion {
                    org_id: org,
                    provider: ConversionProvider::Server,
                    external_id: external_id.clone(),
                    event_id: external_id,
                    kind: ConversionType::Sale,
                    amount: Money::new(prices[rng.gen_range(0..prices.len())], e.currency),
                    occurred_at: past(rng, now),
                    referral: Referral {
                        slug: Some((e.slug.clone(), ConversionSource::Server)),
                        program_id: Some(e.campaign),
                        ..Referral::default()
                    },
                    customer: Customer::new(
                        "ext",
                        Some(format!("customer-{n:04}")),
                        None,
                        Some(format!("Customer of {}", e.name)),
                    ),
                    refs: Default::default(),
                });
            }
        }
        inputs.sort_by_key(|c| c.occurred_at);
        let mut tx = self.store().write().await?;
        let mut ids = vec![];
        for input in inputs {
            let id = input.external_id.clone();
            if let Recorded::New(_) = self.record_conversion(tx.as_mut(), input, "demo").await? {
                ids.push(id);
            }
        }
        tx.commit().await?;
        Ok((ids.len(), ids))
    }

    /// About one sale in twelve is refunded, in full or in part, through the S2S refund verb.
    async fn demo_refunds(&self, rng: &mut StdRng, org: afflux_domain::OrgId, sales: &[String]) -> AppResult<usize> {
        let mut refunds = 0;
        for sale in sales {
            if !rng.gen_ratio(1, 12) {
                continue;
            }
            let partial = rng.gen_bool(0.3);
            let event = crate::conversions::S2sEvent {
                external_event_id: format!("{sale}-refund"),
                kind: crate::conversions::S2sKind::Refund,
                affiliate_slug: None,
                click_id: None,
                coupon_code: None,
                customer_id: None,
                email: None,
                name: None,
                amount_cents: partial.then_some(1_000),
                currency: None,
                product_id: None,
                program_id: None,
                refund_of: Some(sale.clone()),
            };
            self.ingest_s2s(org, event).await?;
            refunds += 1;
        }
        Ok(refunds)
    }

    async fn demo_promo(&self, owner: &Actor, cloud: &Campaign, europe: &Campaign) -> AppResult<usize> {
        let brand = |x: u32, y: u32, w: u32| -> [u8; 3] {
            if y % 20 < 3 || x * 4 > w * 3 {
                [255, 196, 0]
            } else {
                [21, 94, 239]
            }
        };
        let leaderboard = png::png(728, 90, |x, y| brand(x, y, 728));
        let rectangle = png::png(300, 250, |x, y| brand(x, y, 300));
        let swipe = "Subject: The analytics tool I use every day\n\nHi,\n\nI have been using Acme Cloud for months and \
                     it saves me hours every week. Try it free: {{referral_link}}\n\n{{affiliate.name}}";
        let eu = "Betreff: Analytics, DSGVO-konform\n\nHallo,\n\nAcme Europe hostet in der EU: {{referral_link}}\n\n\
                  {{affiliate.name}}";
        let banners = [
            (cloud, "Leaderboard 728 × 90", &leaderboard),
            (cloud, "Medium rectangle 300 × 250", &rectangle),
            (europe, "Rectangle 300 × 250", &rectangle),
        ];
        let texts = [
            (cloud, PromoKind::EmailSwipe, "Launch email", swipe),
            (cloud, PromoKind::TextLink, "Footer link", "Analytics by Acme Cloud"),
            (europe, PromoKind::EmailSwipe, "German newsletter", eu),
        ];
        for (campaign, title, image) in &banners {
            self.add_promo_banner(owner, campaign.id, title, image).await?;
        }
        for (campaign, kind, title, body) in &texts {
            self.add_promo_text(owner, campaign.id, *kind, title, body).await?;
        }
        Ok(banners.len() + texts.len())
    }
}

/// An affiliate approved at some point, who gets clicks and sales.
struct Earner {
    affiliate: afflux_domain::AffiliateId,
    campaign: afflux_domain::CampaignId,
    currency: Currency,
    slug: String,
    name: String,
}

fn change(campaign: &Campaign, reason: &str) -> StatusChange {
    StatusChange {
        program_id: Some(campaign.id),
        reason: Some(reason.to_owned()).filter(|r| !r.is_empty()),
        notify: Some(false),
    }
}

/// A moment in the past [`DAYS`], later ones a little likelier (a growing program).
fn past(rng: &mut StdRng, now: OffsetDateTime) -> OffsetDateTime {
    let span = DAYS * 86_400;
    let a = rng.gen_range(0..span);
    let b = rng.gen_range(0..span);
    now - Duration::seconds(a.min(b) + 60)
}

fn campaign_input(
    name: &str,
    slug: &str,
    kind: CommissionType,
    value: &str,
    currency: Option<&str>,
    two_tier_percent: Option<u8>,
) -> NewCampaign {
    NewCampaign {
        name: name.into(),
        slug: Some(slug.into()),
        destination_url: format!("https://{slug}.acme-analytics.example/"),
        default_commission_type: kind,
        default_commission_value: Decimal(value.into()),
        currency: currency.map(str::to_owned),
        default_commission_model: None,
        cookie_window_days: Some(60),
        attribution_model: None,
        auto_approve: Some(false),
        description: Some(format!("Promote {name} to analysts, marketers and founders.")),
        terms_url: None,
        rules: Some(RulesInput {
            hold_days: Some(30),
            minimum_payout: None,
            recurring: None,
            tiers: vec![],
            products: vec![],
            two_tier_percent,
            cpc_budget: None,
            ..RulesInput::default()
        }),
    }
}
