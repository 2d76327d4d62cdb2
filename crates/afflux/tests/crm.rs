//! CRM sync end to end: a real server (SQLite, or PostgreSQL with `AFFLUX_TEST_DATABASE_URL`)
//! pointed at the local Ontraport and Ortto fakes with `AFFLUX_<VENDOR>_BASE_URL`, driven
//! through the API; the job worker runs when the test says so, so every step is observable.

mod support;

use afflux_domain::{AffiliateStatus, StatusAction};
use afflux_fakes::ontraport::{self, Failure, OntraportFake};
use afflux_fakes::ortto::{self, OrttoFake};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::Harness;

async fn with_ontraport() -> (Harness, OntraportFake) {
    let (fake, running) = OntraportFake::start(ontraport::Config::default()).await;
    let url = running.base_url();
    let h = Harness::start_with(|s| s.ontraport_base_url = Some(url)).await;
    (h, fake)
}

fn ontraport_credentials() -> Value {
    json!({ "vendor": "Ontraport", "credentials": { "appId": ontraport::APP_ID, "apiKey": ontraport::API_KEY } })
}

async fn connect(h: &Harness, body: Value) -> String {
    let reply = h.post("/api/v1/integrations/crm", body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.body["id"].as_str().expect("id").to_owned()
}

/// Runs every due job (as the worker would), until none is left due.
async fn run_jobs(h: &Harness) {
    while h.server.app.run_due_jobs(16).await.expect("jobs run") > 0 {}
}

async fn syncs(h: &Harness, integration: &str) -> Vec<Value> {
    let reply = h.get(&format!("/api/v1/integrations/crm/{integration}/syncs")).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["data"].as_array().expect("data").clone()
}

#[tokio::test]
async fn credentials_are_checked_live_before_anything_is_saved() {
    let (h, fake) = with_ontraport().await;

    let missing = h
        .post(
            "/api/v1/integrations/crm",
            json!({ "vendor": "Ontraport", "credentials": { "apiKey": ontraport::API_KEY } }),
        )
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST, "{:?}", missing.body);
    assert_eq!(missing.body["error"], "integration_credentials_missing");
    assert_eq!(missing.body["field"], "credentials.appId");
    assert!(missing.body["message"].as_str().unwrap().contains("App ID"));

    let wrong = h
        .post(
            "/api/v1/integrations/crm",
            json!({ "vendor": "Ontraport", "credentials": { "appId": ontraport::APP_ID, "apiKey": "nope-nope-nope" } }),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", wrong.body);
    assert_eq!(wrong.body["error"], "integration_credentials_rejected");
    assert!(!wrong.body.to_string().contains("nope-nope-nope"), "{:?}", wrong.body);
    assert_eq!(fake.journal().lines(), ["GET /1/Contacts"]);
    assert_eq!(h.get("/api/v1/integrations/crm").await.body, json!([]));

    let unknown = h
        .post(
            "/api/v1/integrations/crm",
            json!({ "vendor": "Salesforce", "credentials": {} }),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.body["field"], "vendor");

    let id = connect(&h, ontraport_credentials()).await;
    let listed = h.get("/api/v1/integrations/crm").await.body;
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["credentialHint"], "…5678");
    assert_eq!(listed[0]["systemTag"], "Afflux affiliate");
    let text = listed.to_string();
    assert!(
        !text.contains(ontraport::API_KEY) && !text.contains(ontraport::APP_ID),
        "{text}"
    );

    // At rest the credentials are sealed: neither value appears in the stored bytes.
    let mut tx = h.server.app.store().read().await.unwrap();
    let stored = tx.get_integration(h.org, id.parse().unwrap()).await.unwrap().unwrap();
    let raw = String::from_utf8_lossy(&stored.sealed_credentials);
    assert!(!raw.contains(ontraport::API_KEY) && !raw.contains("AppID"));
    let audit = h.audit("integration.connected").await;
    assert!(!format!("{:?}", audit).contains(ontraport::API_KEY));
}

#[tokio::test]
async fn an_approved_affiliate_lands_in_ontraport_tagged_and_picked_tag_included() {
    let (h, fake) = with_ontraport().await;
    let vip = fake.add_tag("VIP partners");
    fake.add_contact("jane@example.com", "Janet", "Existing");
    let id = connect(&h, ontraport_credentials()).await;

    let picker = h.get(&format!("/api/v1/integrations/crm/{id}/destinations")).await;
    assert_eq!(picker.status, StatusCode::OK);
    assert_eq!(picker.body, json!([{ "id": vip, "name": "VIP partners" }]));
    let patched = h
        .api(
            Method::PATCH,
            &format!("/api/v1/integrations/crm/{id}"),
            &h.key,
            Some(json!({ "destination": { "id": vip, "name": "VIP partners" }, "defaultTags": ["Partners", " "] })),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{:?}", patched.body);
    assert_eq!(patched.body["defaultTags"], json!(["Partners"]));

    let program = h
        .program("spring", "20", false, afflux_domain::AttributionModel::LastTouch)
        .await;
    let extra = h
        .api(
            Method::PUT,
            &format!("/api/v1/integrations/crm/{id}/programs/{}", program.id),
            &h.key,
            Some(json!({ "tags": ["Spring launch"] })),
        )
        .await;
    assert_eq!(extra.status, StatusCode::OK, "{:?}", extra.body);

    // Applying does not sync; approval does.
    let applied = h
        .post(
            "/api/v1/affiliates",
            json!({ "programId": program.id, "email": "Jane@Example.com", "name": "Jane Doe" }),
        )
        .await;
    assert_eq!(applied.status, StatusCode::CREATED, "{:?}", applied.body);
    run_jobs(&h).await;
    assert!(syncs(&h, &id).await.is_empty());
    fake.journal().clear();
    let affiliate = applied.body["id"].as_str().unwrap().to_owned();
    let approved = h
        .post(&format!("/api/v1/affiliates/{affiliate}/approve"), json!({}))
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    assert_eq!(syncs(&h, &id).await[0]["status"], "Pending");
    run_jobs(&h).await;

    let synced = syncs(&h, &id).await;
    assert_eq!(synced[0]["status"], "Succeeded", "{synced:?}");
    assert_eq!(synced[0]["email"], "Jane@Example.com");
    assert_eq!(synced[0]["attempts"], 1);
    let contact = fake.contact("jane@example.com").expect("contact");
    // The save updated the existing contact with the non-empty names it was given.
    assert_eq!((contact.firstname.as_str(), contact.lastname.as_str()), ("Jane", "Doe"));
    assert_eq!(
        contact.tags,
        ["Afflux affiliate", "Partners", "Spring launch", "VIP partners"]
    );
    let calls = fake.journal().all();
    let save = calls
        .iter()
        .find(|c| c.line() == "POST /1/objects/saveorupdate")
        .unwrap();
    let body = save.body_json();
    assert_eq!(body["objectID"], 0);
    assert_eq!(body["ignore_blanks"], true);
    assert_eq!(body["email"], "jane@example.com");
    assert_eq!(save.header("api-appid"), Some(ontraport::APP_ID));
    assert_eq!(save.header("api-key"), Some(ontraport::API_KEY));
    let lines = fake.journal().lines();
    assert_eq!(lines.first().map(String::as_str), Some("POST /1/objects/saveorupdate"));
    assert_eq!(lines.last().map(String::as_str), Some("PUT /1/objects/tag"));

    // Counts on the integration follow.
    let one = h.get(&format!("/api/v1/integrations/crm/{id}")).await.body;
    assert_eq!(one["syncs"]["Succeeded"], 1);
    assert_eq!(one["syncs"]["Failed"], 0);
}

#[tokio::test]
async fn a_failed_tag_call_retries_only_the_tag_step() {
    let (h, fake) = with_ontraport().await;
    let id = connect(&h, ontraport_credentials()).await;
    let program = h
        .program("spring", "20", false, afflux_domain::AttributionModel::LastTouch)
        .await;
    fake.fail_next("PUT /1/objects/tag", 1, Failure::Status(500));
    fake.journal().clear();
    let affiliate = h.affiliate(program.id, "sam@example.com").await;
    run_jobs(&h).await;

    let failed = syncs(&h, &id).await;
    assert_eq!(failed[0]["status"], "Retrying", "{failed:?}");
    assert_eq!(failed[0]["attempts"], 1);
    assert!(
        failed[0]["lastError"]
            .as_str()
            .unwrap()
            .contains("integration_unavailable"),
        "{failed:?}"
    );
    assert!(fake.contact("sam@example.com").expect("saved").tags.is_empty());
    let saves = |lines: &[String]| lines.iter().filter(|l| *l == "POST /1/objects/saveorupdate").count();
    assert_eq!(saves(&fake.journal().lines()), 1);

    fake.journal().clear();
    let retried = h
        .post(
            &format!("/api/v1/integrations/crm/{id}/syncs/{}/retry", affiliate.id),
            json!({}),
        )
        .await;
    assert_eq!(retried.status, StatusCode::ACCEPTED, "{:?}", retried.body);
    assert_eq!(retried.body["status"], "Pending");
    run_jobs(&h).await;
    assert_eq!(fake.journal().lines(), ["PUT /1/objects/tag"]);
    assert_eq!(syncs(&h, &id).await[0]["status"], "Succeeded");
    assert_eq!(fake.contact("sam@example.com").unwrap().tags, ["Afflux affiliate"]);
}

#[tokio::test]
async fn a_rate_limit_defers_the_sync_without_spending_an_attempt() {
    let (h, fake) = with_ontraport().await;
    let id = connect(&h, ontraport_credentials()).await;
    let program = h
        .program("spring", "20", false, afflux_domain::AttributionModel::LastTouch)
        .await;
    fake.fail_next(
        "POST /1/objects/saveorupdate",
        1,
        Failure::RateLimited { reset_secs: 40 },
    );
    let affiliate = h.affiliate(program.id, "rita@example.com").await;
    run_jobs(&h).await;

    let state = syncs(&h, &id).await;
    assert_eq!(state[0]["status"], "Retrying", "{state:?}");
    assert!(state[0]["lastError"].as_str().unwrap().contains("40s"), "{state:?}");
    let mut tx = h.server.app.store().read().await.unwrap();
    let job = tx
        .get_job_by_dedupe_key(&format!("crm:{id}:{}", affiliate.id))
        .await
        .unwrap()
        .expect("the job waits");
    assert_eq!(job.attempts, 0, "a rate limit is not an attempt");
    let wait = job.run_at - time::OffsetDateTime::now_utc();
    assert!(
        wait > time::Duration::seconds(30) && wait <= time::Duration::seconds(41),
        "{wait}"
    );
}

#[tokio::test]
async fn status_changes_resync_without_tags_and_disconnecting_cancels_pending_syncs() {
    let (fake, running) = OrttoFake::start(ortto::Config::default()).await;
    let url = running.base_url();
    let h = Harness::start_with(|s| s.ortto_base_url = Some(url)).await;
    let id = connect(
        &h,
        json!({ "vendor": "Ortto", "credentials": { "apiKey": ortto::API_KEY, "region": "Eu" } }),
    )
    .await;
    let program = h
        .program("spring", "20", false, afflux_domain::AttributionModel::LastTouch)
        .await;
    let affiliate = h.affiliate(program.id, "ola@example.com").await;
    run_jobs(&h).await;
    assert_eq!(syncs(&h, &id).await[0]["status"], "Succeeded");
    let merges: Vec<Value> = fake
        .journal()
        .all()
        .iter()
        .filter(|r| r.line() == "POST /v1/person/merge")
        .map(|r| r.body_json())
        .collect();
    let person = &merges[0]["people"][0];
    assert_eq!(person["fields"]["str::email"], "ola@example.com");
    assert_eq!(person["fields"]["str:cm:afflux-status"], "Approved");
    assert!(
        person["fields"].get("str::first").is_none(),
        "blank names are not sent: {person}"
    );
    assert_eq!(person["tags"], json!(["Afflux affiliate"]));
    assert_eq!(merges[0]["merge_by"], json!(["str::email"]));

    // Pausing syncs the status, and adds no tags.
    fake.journal().clear();
    h.set_status(&affiliate, program.id, StatusAction::Pause).await;
    run_jobs(&h).await;
    let merge = fake
        .journal()
        .all()
        .into_iter()
        .find(|r| r.line() == "POST /v1/person/merge")
        .unwrap();
    let person = &merge.body_json()["people"][0];
    assert_eq!(
        person["fields"]["str:cm:afflux-status"],
        AffiliateStatus::Paused.as_str()
    );
    assert!(person.get("tags").is_none_or(|t| t == &json!([])), "{person}");

    // A pending applicant is never synced; another approval queues a sync that disconnecting
    // cancels.
    let second = h.affiliate(program.id, "pat@example.com").await;
    let key = format!("crm:{id}:{}", second.id);
    let mut tx = h.server.app.store().read().await.unwrap();
    assert!(tx.get_job_by_dedupe_key(&key).await.unwrap().is_some());
    drop(tx);
    let removed = h
        .api(Method::DELETE, &format!("/api/v1/integrations/crm/{id}"), &h.key, None)
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let mut tx = h.server.app.store().read().await.unwrap();
    assert!(tx.get_job_by_dedupe_key(&key).await.unwrap().is_none());
    drop(tx);
    let gone = h.get(&format!("/api/v1/integrations/crm/{id}/syncs")).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn another_organizations_integration_answers_404() {
    let (h, _fake) = with_ontraport().await;
    let id = connect(&h, ontraport_credentials()).await;
    let other = h
        .server
        .app
        .create_org(afflux_app::NewOrg {
            name: "Elsewhere".into(),
            owner_email: "owner@elsewhere.test".into(),
            plan: None,
            status: None,
        })
        .await
        .unwrap();
    for (method, path) in [
        (Method::GET, format!("/api/v1/integrations/crm/{id}")),
        (Method::GET, format!("/api/v1/integrations/crm/{id}/destinations")),
        (Method::GET, format!("/api/v1/integrations/crm/{id}/syncs")),
        (Method::POST, format!("/api/v1/integrations/crm/{id}/resync")),
        (Method::DELETE, format!("/api/v1/integrations/crm/{id}")),
    ] {
        let reply = h.api(method.clone(), &path, &other.api_key, None).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method} {path}: {:?}", reply.body);
    }
    assert_eq!(
        h.get(&format!("/api/v1/integrations/crm/{id}")).await.status,
        StatusCode::OK
    );
}
