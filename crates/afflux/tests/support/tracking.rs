//! A running instance with an organization, campaigns and affiliates made through the verbs,
//! for the tracking tests (HTTP and browser).

#![allow(dead_code)] // each test file uses its own subset

use std::time::Duration;

use afflux::{Server, Settings};
use afflux_app::{Actor, Application, CampaignPatch, Decimal, NewCampaign, NewOrg, StatusChange};
use afflux_domain::{Affiliate, AffiliateId, AttributionModel, Campaign, ClickId, CommissionType, OrgId, StatusAction};
use afflux_store::Click;
use afflux_store::test_db::TestDb;

/// A desktop Chrome: a person, as far as the bot filter can tell.
pub const CHROME: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

pub struct Fixture {
    pub server: Server,
    pub org: OrgId,
    pub actor: Actor,
    pub mail_dir: tempfile::TempDir,
    // Dropped last: the database outlives the server that uses it.
    pub db: TestDb,
}

impl Fixture {
    /// An instance trusting `trusted_proxies` (comma-separated) for `X-Forwarded-For`.
    pub async fn start(trusted_proxies: &str) -> Self {
        Self::start_with(trusted_proxies, Settings::default().click_batch_wait_ms).await
    }

    /// Such an instance whose click writer waits `batch_wait_ms` for more clicks per batch.
    pub async fn start_with(trusted_proxies: &str, batch_wait_ms: u64) -> Self {
        let db = TestDb::new().await;
        let mail_dir = tempfile::tempdir().expect("mail dir");
        let settings = Settings {
            database_url: db.url().to_owned(),
            bind: "127.0.0.1:0".into(),
            mail_dir: mail_dir.path().to_str().expect("utf-8 temp path").to_owned(),
            trusted_proxies: trusted_proxies.into(),
            click_batch_wait_ms: batch_wait_ms,
            ..Settings::default()
        };
        // No job worker: approval emails would only add noise here.
        let server = Server::start(&settings, false).await.expect("server starts");
        let created = server
            .app
            .create_org(NewOrg {
                name: "Acme".into(),
                owner_email: "owner@acme.example".into(),
                plan: None,
                status: None,
            })
            .await
            .expect("create_org");
        let org = created.org.id;
        Fixture {
            server,
            org,
            actor: Actor::operator(org),
            mail_dir,
            db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    pub async fn campaign(&self, slug: &str, destination: &str, model: AttributionModel, cookie_days: i32) -> Campaign {
        self.server
            .app
            .create_campaign(
                &self.actor,
                NewCampaign {
                    name: format!("Campaign {slug}"),
                    slug: Some(slug.into()),
                    destination_url: destination.into(),
                    default_commission_type: CommissionType::Percentage,
                    default_commission_value: Decimal("20".into()),
                    currency: None,
                    default_commission_model: None,
                    cookie_window_days: Some(cookie_days),
                    attribution_model: Some(model),
                    auto_approve: None,
                    description: None,
                    terms_url: None,
                    rules: None,
                },
            )
            .await
            .expect("create_campaign")
    }

    /// A Pending member of `campaign` (a new affiliate with `slug`, or the existing one of `email`).
    pub async fn applicant(&self, campaign: &Campaign, email: &str, name: &str, slug: &str) -> Affiliate {
        self.server
            .app
            .create_application(
                &self.actor,
                campaign.id,
                Application {
                    email: email.into(),
                    name: Some(name.into()),
                    paypal_email: None,
                    slug: Some(slug.into()),
                    recruiter: None,
                },
            )
            .await
            .expect("create_application")
            .0
    }

    /// An Approved member of `campaign`.
    pub async fn affiliate(&self, campaign: &Campaign, email: &str, name: &str, slug: &str) -> Affiliate {
        let affiliate = self.applicant(campaign, email, name, slug).await;
        self.set_status(&affiliate, campaign, StatusAction::Approve).await;
        affiliate
    }

    pub async fn set_status(&self, affiliate: &Affiliate, campaign: &Campaign, action: StatusAction) {
        let change = StatusChange {
            program_id: Some(campaign.id),
            ..StatusChange::default()
        };
        self.server
            .app
            .change_affiliate_status(&self.actor, affiliate.id, action, change)
            .await
            .expect("status change");
    }

    pub async fn archive(&self, campaign: &Campaign) {
        let patch = CampaignPatch {
            archived: Some(true),
            ..CampaignPatch::default()
        };
        self.server
            .app
            .update_campaign(&self.actor, campaign.id, patch)
            .await
            .expect("archive");
    }

    pub async fn click(&self, id: ClickId) -> Option<Click> {
        let mut tx = self.server.app.store().read().await.expect("read tx");
        tx.get_click(id).await.expect("get_click")
    }

    /// Clicks counted for an affiliate, from the counters.
    pub async fn clicks(&self, affiliate: AffiliateId) -> i64 {
        let mut tx = self.server.app.store().read().await.expect("read tx");
        tx.click_count(self.org, affiliate, None).await.expect("click_count")
    }
}

/// A client that shows redirects instead of following them.
pub fn client() -> reqwest::Client {
    client_from(None)
}

/// Such a client whose connections come from `local` (a loopback address).
pub fn client_from(local: Option<std::net::IpAddr>) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .local_address(local)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}
