//! The operator CLI, run as the built binary against a fresh database.

use std::process::Output;

use afflux::{Server, Settings};
use afflux_store::test_db::TestDb;
use reqwest::StatusCode;
use serde_json::Value;

async fn afflux(db: &TestDb, args: &[&str]) -> Output {
    let dir = tempfile::tempdir().expect("working directory");
    tokio::process::Command::new(env!("CARGO_BIN_EXE_afflux"))
        .args(args)
        .current_dir(dir.path())
        .env_remove("AFFLUX_CONFIG")
        .env("AFFLUX_DATABASE_URL", db.url())
        .env("AFFLUX_PUBLIC_URL", "https://affiliates.acme.example")
        .env("AFFLUX_LOG", "warn")
        .output()
        .await
        .expect("running afflux")
}

fn json_of(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "exit {:?}; stderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", String::from_utf8_lossy(&output.stdout)))
}

fn failure(output: &Output) -> String {
    assert!(
        !output.status.success(),
        "expected a failure; stdout: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(
        output.stdout.is_empty(),
        "no JSON on failure: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

async fn org_count(db: &TestDb) -> i64 {
    db.store().read().await.unwrap().count_orgs().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn org_create_and_set_plan() {
    let db = TestDb::new().await;
    let created = json_of(
        &afflux(
            &db,
            &[
                "org",
                "create",
                "--name",
                "Acme",
                "--owner-email",
                "owner@example.com",
                "--plan",
                "Growth",
                "--status",
                "Trialing",
            ],
        )
        .await,
    );
    let org_id = created["organizationId"].as_str().expect("organizationId").to_owned();
    assert!(uuid::Uuid::parse_str(&org_id).is_ok(), "{org_id}");
    let api_key = created["apiKey"].as_str().expect("apiKey").to_owned();
    assert!(api_key.starts_with("afx_live_"), "{api_key}");
    assert_eq!(created["name"], "Acme");
    assert_eq!(created["plan"], "Growth");
    assert_eq!(created["subscriptionStatus"], "Trialing");
    assert!(created["ownerUserId"].is_string());
    let setup = created["ownerSetupUrl"]
        .as_str()
        .expect("a setup link for the new owner");
    assert!(setup.starts_with("https://affiliates.acme.example/invites/"), "{setup}");

    let updated = json_of(
        &afflux(
            &db,
            &[
                "org", "set-plan", "--org", &org_id, "--plan", "pro", "--status", "active",
            ],
        )
        .await,
    );
    assert_eq!(updated["organizationId"], org_id.as_str());
    assert_eq!(updated["plan"], "Pro");
    assert_eq!(updated["subscriptionStatus"], "Active");

    // The key printed works against a server on that database, which sees the new plan.
    let settings = Settings {
        database_url: db.url().to_owned(),
        bind: "127.0.0.1:0".into(),
        ..Settings::default()
    };
    let server = Server::start(&settings, false).await.expect("server");
    let response = reqwest::Client::new()
        .get(format!("{}/api/v1/organization", server.url()))
        .bearer_auth(&api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let org: Value = response.json().await.unwrap();
    assert_eq!(org["id"], org_id.as_str());
    assert_eq!(org["name"], "Acme");
    assert_eq!(org["plan"], "Pro");
    assert_eq!(org["subscriptionStatus"], "Active");
    let audit = server
        .app
        .store()
        .read()
        .await
        .unwrap()
        .list_audit(org_id.parse().unwrap(), afflux_store::Page::ALL)
        .await
        .unwrap();
    let changed = audit
        .iter()
        .find(|e| e.action == "organization.plan_changed")
        .expect("plan change audited");
    assert_eq!(changed.actor, "operator");
    server.stop().await;

    // A second organization for the same owner reuses the account.
    let second = json_of(
        &afflux(
            &db,
            &[
                "org",
                "create",
                "--name",
                "Acme Labs",
                "--owner-email",
                "OWNER@example.com",
            ],
        )
        .await,
    );
    assert_eq!(second["ownerUserId"], created["ownerUserId"]);
    assert_eq!(second["plan"], "Enterprise", "the instance default");
    assert_eq!(second["subscriptionStatus"], "Active");
    assert_eq!(org_count(&db).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_arguments_fail_clearly_and_write_nothing() {
    let db = TestDb::new().await;

    let stderr = failure(
        &afflux(
            &db,
            &[
                "org",
                "create",
                "--name",
                "Acme",
                "--owner-email",
                "owner@example.com",
                "--plan",
                "Free",
            ],
        )
        .await,
    );
    assert!(
        stderr.contains("plan") && stderr.contains("Starter, Growth, Pro, Enterprise"),
        "{stderr}"
    );
    let stderr = failure(
        &afflux(
            &db,
            &[
                "org",
                "create",
                "--name",
                "Acme",
                "--owner-email",
                "owner@example.com",
                "--status",
                "Paid",
            ],
        )
        .await,
    );
    assert!(stderr.contains("Trialing, Active, PastDue, Canceled"), "{stderr}");
    let stderr = failure(
        &afflux(
            &db,
            &["org", "create", "--name", "Acme", "--owner-email", "not-an-email"],
        )
        .await,
    );
    assert!(stderr.contains("ownerEmail"), "{stderr}");
    let stderr = failure(
        &afflux(
            &db,
            &["org", "create", "--name", "  ", "--owner-email", "owner@example.com"],
        )
        .await,
    );
    assert!(stderr.contains("name: must not be empty"), "{stderr}");
    let stderr = failure(&afflux(&db, &["org", "create", "--owner-email", "owner@example.com"]).await);
    assert!(stderr.contains("--name"), "{stderr}");
    assert_eq!(org_count(&db).await, 0, "nothing was created");

    let created = json_of(
        &afflux(
            &db,
            &[
                "org",
                "create",
                "--name",
                "Acme",
                "--owner-email",
                "owner@example.com",
                "--plan",
                "Starter",
            ],
        )
        .await,
    );
    let org_id = created["organizationId"].as_str().unwrap().to_owned();
    let stderr = failure(
        &afflux(
            &db,
            &[
                "org", "set-plan", "--org", &org_id, "--plan", "Free", "--status", "Active",
            ],
        )
        .await,
    );
    assert!(stderr.contains("Starter, Growth, Pro, Enterprise"), "{stderr}");
    let stderr = failure(
        &afflux(
            &db,
            &[
                "org",
                "set-plan",
                "--org",
                "not-an-id",
                "--plan",
                "Pro",
                "--status",
                "Active",
            ],
        )
        .await,
    );
    assert!(stderr.contains("--org must be an organization id"), "{stderr}");
    let stderr = failure(
        &afflux(
            &db,
            &[
                "org",
                "set-plan",
                "--org",
                &uuid::Uuid::now_v7().to_string(),
                "--plan",
                "Pro",
                "--status",
                "Active",
            ],
        )
        .await,
    );
    assert!(stderr.contains("organization not found"), "{stderr}");

    let org = db
        .store()
        .read()
        .await
        .unwrap()
        .get_org(org_id.parse().unwrap())
        .await
        .unwrap()
        .expect("org");
    assert_eq!(org.plan, afflux_domain::PlanTier::Starter, "unchanged");
    assert_eq!(org_count(&db).await, 1);
}

/// `afflux worker` alone delivers the jobs another process enqueued in the shared database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_separate_worker_process_runs_queued_jobs() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let settings = Settings {
        database_url: db.url().to_owned(),
        bind: "127.0.0.1:0".into(),
        mail_dir: dir.path().join("unused").display().to_string(),
        ..Settings::default()
    };
    let server = Server::start(&settings, false).await.expect("server without a worker");
    let created = server
        .app
        .create_org(afflux_app::NewOrg {
            name: "Acme".into(),
            owner_email: "owner@acme.example".into(),
            plan: None,
            status: None,
        })
        .await
        .expect("org");
    let owner = afflux_app::Actor::operator(created.org.id);
    server
        .app
        .invite_member(&owner, "viewer@acme.example", afflux_domain::Role::Viewer)
        .await
        .expect("invite");
    assert_eq!(
        server.app.job_counts().await.unwrap().queued,
        1,
        "queued, and nobody runs it here"
    );

    let mail_dir = dir.path().join("mail");
    let mut worker = tokio::process::Command::new(env!("CARGO_BIN_EXE_afflux"))
        .arg("worker")
        .env_remove("AFFLUX_CONFIG")
        .env("AFFLUX_DATABASE_URL", db.url())
        .env("AFFLUX_MAIL_DIR", &mail_dir)
        .env("AFFLUX_LOG", "warn")
        .kill_on_drop(true)
        .spawn()
        .expect("afflux worker");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mail = loop {
        let found = std::fs::read_dir(&mail_dir)
            .ok()
            .and_then(|mut entries| entries.next())
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap());
        if let Some(mail) = found {
            break mail;
        }
        assert!(std::time::Instant::now() < deadline, "the worker process sent nothing");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(mail.contains("To: viewer@acme.example"), "{mail}");
    worker.kill().await.expect("stop the worker");
    assert_eq!(server.app.job_counts().await.unwrap().queued, 0);
    server.stop().await;
}

const ECB_DAILY: &str = "Date, USD, JPY, BGN, GBP, \n20 November 2026, 1.0500, 161.52, 1.9558, 0.8400, \n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fx_import_loads_ecb_rates_that_balances_convert_with() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.csv");
    std::fs::write(&broken, "Date,USD\n2026-11-19,1.04\n2026-11-20,one\n").unwrap();
    let message = failure(&afflux(&db, &["fx", "import", broken.to_str().unwrap()]).await);
    assert!(message.contains("line 3"), "{message}");

    let file = dir.path().join("eurofxref.csv");
    std::fs::write(&file, ECB_DAILY).unwrap();
    let imported = json_of(&afflux(&db, &["fx", "import", file.to_str().unwrap()]).await);
    // USD, JPY, GBP and the euro itself (BGN is not a currency Afflux takes).
    assert_eq!(imported["rates"], 4, "{imported}");
    assert_eq!(imported["firstDate"], "2026-11-20");
    assert_eq!(imported["lastDate"], "2026-11-20");

    let created = json_of(
        &afflux(
            &db,
            &["org", "create", "--name", "Acme", "--owner-email", "o@acme.test"],
        )
        .await,
    );
    let key = created["apiKey"].as_str().unwrap().to_owned();
    let settings = Settings {
        database_url: db.url().to_owned(),
        bind: "127.0.0.1:0".into(),
        ..Settings::default()
    };
    let server = Server::start(&settings, false).await.expect("server");
    let client = reqwest::Client::new();
    let get = |path: &str| client.get(format!("{}{path}", server.url())).bearer_auth(&key).send();
    let status: Value = get("/api/v1/fx/rates").await.unwrap().json().await.unwrap();
    assert_eq!(status["latestDate"], "2026-11-20");
    assert_eq!(status["currencies"], 4);

    // Nothing was stored from the broken file: its 19 November rate is unknown.
    let org = created["organizationId"].as_str().unwrap();
    let actor = afflux_app::Actor::operator(org.parse().unwrap());
    let jane = server
        .app
        .invite_affiliate(
            &actor,
            afflux_app::AffiliateInvite {
                program_id: server
                    .app
                    .create_campaign(
                        &actor,
                        afflux_app::NewCampaign {
                            name: "Main".into(),
                            slug: Some("main".into()),
                            destination_url: "https://acme.test/".into(),
                            default_commission_type: afflux_domain::CommissionType::Percentage,
                            default_commission_value: afflux_app::Decimal("20".into()),
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
                    .await
                    .unwrap()
                    .id,
                email: "jane@partners.test".into(),
                name: None,
            },
        )
        .await
        .unwrap()
        .0;
    let adjusted = client
        .post(format!("{}/api/v1/affiliates/{}/adjustments", server.url(), jane.id))
        .bearer_auth(&key)
        .json(&serde_json::json!({ "amount": "100.00", "currency": "EUR", "memo": "launch bonus" }))
        .send()
        .await
        .unwrap();
    assert_eq!(adjusted.status(), StatusCode::CREATED);
    let balances: Value = get("/api/v1/balances").await.unwrap().json().await.unwrap();
    assert_eq!(balances[0]["currency"], "EUR");
    assert_eq!(balances[0]["adjustment"], 10_000);
    // 100 EUR at 1.05 USD per euro, in the organization's home currency (USD).
    assert_eq!(
        balances[0]["netInHomeCurrency"],
        serde_json::json!({ "minor": 10_500, "value": "105.00", "currency": "USD" })
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_roster_from_the_command_line_prints_its_summary() {
    let db = TestDb::new().await;
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../importers/fixtures/tolt_partners.csv");
    let fixture = fixture.to_str().unwrap();
    let message = failure(
        &afflux(
            &db,
            &["import", "roster", "--source", "tolt", "--campaign", "main", fixture],
        )
        .await,
    );
    assert!(message.contains("no organization"), "{message}");

    let created = json_of(
        &afflux(
            &db,
            &["org", "create", "--name", "Acme", "--owner-email", "o@acme.test"],
        )
        .await,
    );
    let key = created["apiKey"].as_str().unwrap().to_owned();
    {
        let settings = Settings {
            database_url: db.url().to_owned(),
            bind: "127.0.0.1:0".into(),
            ..Settings::default()
        };
        let server = Server::start(&settings, false).await.expect("server");
        let created = reqwest::Client::new()
            .post(format!("{}/api/v1/programs", server.url()))
            .bearer_auth(&key)
            .json(&crate::common::program("Main", "main"))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
        server.stop().await;
    }
    let message = failure(
        &afflux(
            &db,
            &["import", "roster", "--source", "tolt", "--campaign", "nope", fixture],
        )
        .await,
    );
    assert!(message.contains("campaign not found"), "{message}");

    let preview = json_of(
        &afflux(
            &db,
            &[
                "import",
                "roster",
                "--source",
                "tolt",
                "--campaign",
                "main",
                "--dry-run",
                fixture,
            ],
        )
        .await,
    );
    let summary = json_of(
        &afflux(
            &db,
            &["import", "roster", "--source", "tolt", "--campaign", "main", fixture],
        )
        .await,
    );
    assert_eq!(summary["status"], "Completed", "{summary}");
    assert_eq!(summary["kind"], "Roster");
    assert_eq!(summary["source"], "tolt");
    assert!(summary["rowsImported"].as_i64().unwrap() > 0, "{summary}");
    assert_eq!(
        summary["rowsImported"], preview["wouldImport"],
        "the dry run foresaw it"
    );
    assert_eq!(summary["rowsTotal"], preview["rowsTotal"]);
    assert!(
        summary["linkContinuity"].as_str().unwrap().contains("aff="),
        "{summary}"
    );
    // A second run imports nothing new.
    let again = json_of(
        &afflux(
            &db,
            &["import", "roster", "--source", "tolt", "--campaign", "main", fixture],
        )
        .await,
    );
    assert_eq!(again["rowsImported"], 0);
    assert_eq!(again["skips"]["already_exists"], summary["rowsImported"]);
}
