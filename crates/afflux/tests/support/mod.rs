//! The harness of the conversion and CRM tests: a fresh database, a real server on an ephemeral port,
//! an organization with an Owner key, programs and affiliates made through the app's verbs, and
//! clicks written straight to the store (so a test can date them).

#![allow(dead_code)]

pub mod dashboard;
pub mod s2s;

use std::time::Duration;

use afflux::{Server, Settings};
use afflux_app::{Actor, AffiliateInvite, Decimal, NewCampaign, NewOrg, StatusChange};
use afflux_domain::{
    Affiliate, AttributionModel, Campaign, CampaignId, ClickId, ClickSource, CommissionType, OrgId, StatusAction,
};
use afflux_store::test_db::TestDb;
use afflux_store::{CustomerBinding, NewClick};
use reqwest::StatusCode;
use serde_json::Value;
use time::OffsetDateTime;

pub struct Harness {
    pub server: Server,
    pub client: reqwest::Client,
    pub org: OrgId,
    /// The Owner's read_write key.
    pub key: String,
    pub actor: Actor,
    _mail: tempfile::TempDir,
    // Dropped last: the database outlives the server.
    pub db: TestDb,
}

/// A response: status, headers, and the body as JSON (`Null` when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Harness {
    pub async fn start() -> Harness {
        Self::start_with(|_| {}).await
    }

    /// A harness whose settings `adjust` changes first (vendor base URLs, …).
    pub async fn start_with(adjust: impl FnOnce(&mut Settings)) -> Harness {
        let db = TestDb::new().await;
        let mail = tempfile::tempdir().expect("mail dir");
        let mut settings = Settings {
            database_url: db.url().to_owned(),
            bind: "127.0.0.1:0".into(),
            mail_dir: mail.path().display().to_string(),
            api_requests_per_minute: 100_000,
            ..Settings::default()
        };
        adjust(&mut settings);
        let server = Server::start(&settings, false).await.expect("server starts");
        let created = server
            .app
            .create_org(NewOrg {
                name: "Brightwave".into(),
                owner_email: "owner@brightwave.test".into(),
                plan: None,
                status: None,
            })
            .await
            .expect("create_org");
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client");
        Harness {
            org: created.org.id,
            key: created.api_key,
            actor: Actor::operator(created.org.id),
            server,
            client,
            _mail: mail,
            db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Reply { status, headers, body }
    }

    /// An authenticated API call with `key`.
    pub async fn api(&self, method: reqwest::Method, path: &str, key: &str, body: Option<Value>) -> Reply {
        let mut request = self.client.request(method, self.url(path)).bearer_auth(key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.api(reqwest::Method::GET, path, &self.key, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.api(reqwest::Method::POST, path, &self.key, Some(body)).await
    }

    /// All conversions of the organization, newest first.
    pub async fn conversions(&self) -> Vec<Value> {
        let reply = self.get("/api/v1/conversions?perPage=100").await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        reply.body["data"].as_array().expect("data").clone()
    }

    /// A pay-per-sale program paying `percent` % (or, with `fixed`, that many major units).
    pub async fn program(&self, slug: &str, commission: &str, fixed: bool, model: AttributionModel) -> Campaign {
        self.server
            .app
            .create_campaign(
                &self.actor,
                NewCampaign {
                    name: format!("Program {slug}"),
                    slug: Some(slug.into()),
                    destination_url: "https://brightwave.test/pricing".into(),
                    default_commission_type: if fixed {
                        CommissionType::Fixed
                    } else {
                        CommissionType::Percentage
                    },
                    default_commission_value: Decimal(commission.into()),
                    currency: Some("USD".into()),
                    default_commission_model: None,
                    cookie_window_days: Some(30),
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

    /// An affiliate invited straight into `program`: Approved.
    pub async fn affiliate(&self, program: CampaignId, email: &str) -> Affiliate {
        let (affiliate, _) = self
            .server
            .app
            .invite_affiliate(
                &self.actor,
                AffiliateInvite {
                    program_id: program,
                    email: email.into(),
                    name: None,
                },
            )
            .await
            .expect("invite_affiliate");
        affiliate
    }

    pub async fn set_status(&self, affiliate: &Affiliate, program: CampaignId, action: StatusAction) {
        let change = StatusChange {
            program_id: Some(program),
            reason: None,
            notify: Some(false),
        };
        self.server
            .app
            .change_affiliate_status(&self.actor, affiliate.id, action, change)
            .await
            .expect("change_affiliate_status");
    }

    /// A click on `affiliate`'s link to `program`, `age` ago.
    pub async fn click(&self, affiliate: &Affiliate, program: CampaignId, age: time::Duration) -> ClickId {
        let id = ClickId::new();
        let outcome = self
            .server
            .app
            .store()
            .record_clicks(&[NewClick {
                id,
                org_id: self.org,
                campaign_id: program,
                affiliate_id: affiliate.id,
                visitor_hash: id.0.as_bytes().to_vec(),
                referrer_domain: None,
                source: ClickSource::Script,
                at: OffsetDateTime::now_utc() - age,
            }])
            .await
            .unwrap();
        assert!(outcome[0].recorded);
        id
    }

    pub async fn binding(&self, customer_key: &str) -> Option<CustomerBinding> {
        let mut tx = self.server.app.store().read().await.unwrap();
        tx.get_customer_binding(self.org, customer_key).await.unwrap()
    }

    /// Audit entries of one action, newest first.
    pub async fn audit(&self, action: &str) -> Vec<afflux_store::AuditEntry> {
        let mut tx = self.server.app.store().read().await.unwrap();
        let all = tx.list_audit(self.org, afflux_store::Page::ALL).await.unwrap();
        all.into_iter().filter(|e| e.action == action).collect()
    }

    /// Processed-event rows are the exactly-once record; tests count conversions through it.
    pub async fn processed(&self, provider: &str, event_id: &str) -> Option<afflux_store::ProcessedEvent> {
        let mut tx = self.server.app.store().read().await.unwrap();
        tx.get_event(self.org, provider, event_id).await.unwrap()
    }
}
