//! The Ortto connector against the Ortto fake: the exact calls, merge semantics (no blanks,
//! custom fields by the ids verify made sure exist), audiences, and the vendor's failure modes.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use afflux_domain::{CrmVendor, Destination};
use afflux_fakes::Recorded;
use afflux_fakes::ortto::{API_KEY, Config, Failure, OrttoFake};
use afflux_integrations::crm::{Connector, Contact, Credentials, CrmContext, CrmError, Endpoints, SyncProgress};
use serde_json::{Value, json};

const MERGE: &str = "POST /v1/person/merge";
const SUBSCRIBE: &str = "PUT /v1/audience/subscribe";
const AUDIENCES: &str = "POST /v1/audiences/get";
const CREATE_FIELD: &str = "POST /v1/person/custom-field/create";

fn credentials(region: Option<&str>) -> Credentials {
    Credentials {
        api_key: Some(API_KEY.into()),
        region: region.map(str::to_owned),
        ..Credentials::default()
    }
}

fn context(fake_url: &str, timeout: Duration) -> CrmContext {
    CrmContext::with_call_timeout(Endpoints::default().with("AFFLUX_ORTTO_BASE_URL", fake_url), timeout)
}

fn connector(ctx: &CrmContext, credentials: &Credentials, state: &BTreeMap<String, String>) -> Box<dyn Connector> {
    match ctx.connector(CrmVendor::Ortto, credentials, state) {
        Ok(connector) => connector,
        Err(e) => panic!("the connector builds: {e}"),
    }
}

async fn setup() -> (OrttoFake, CrmContext) {
    let (fake, running) = OrttoFake::start(Config::default()).await;
    (fake, context(&running.base_url(), Duration::from_secs(5)))
}

/// A connector as after connecting: verify ran and its field ids were remembered.
async fn connected(fake: &OrttoFake, ctx: &CrmContext) -> Box<dyn Connector> {
    let state = connector(ctx, &credentials(None), &BTreeMap::new())
        .verify()
        .await
        .unwrap();
    fake.journal().clear();
    connector(ctx, &credentials(None), &state)
}

fn jane() -> Contact {
    Contact {
        email: "jane@example.com".into(),
        first_name: Some("Jane".into()),
        last_name: None,
        tags: vec!["Afflux affiliate".into(), "Spring".into()],
        status: Some("Approved".into()),
        tier: None,
    }
}

fn assert_headers(requests: &[Recorded]) {
    for request in requests {
        assert_eq!(request.header("x-api-key"), Some(API_KEY), "{}", request.line());
        assert_eq!(
            request.header("content-type"),
            Some("application/json"),
            "{}",
            request.line()
        );
    }
}

#[tokio::test]
async fn verify_checks_the_key_then_makes_sure_the_custom_fields_exist() {
    let (fake, ctx) = setup().await;
    let state = connector(&ctx, &credentials(None), &BTreeMap::new())
        .verify()
        .await
        .unwrap();
    let expected = [
        ("statusField", "str:cm:afflux-status"),
        ("tierField", "str:cm:afflux-tier"),
    ];
    assert_eq!(state, expected.map(|(k, v)| (k.to_owned(), v.to_owned())).into());
    assert_eq!(fake.journal().lines(), [AUDIENCES, CREATE_FIELD, CREATE_FIELD]);
    let requests = fake.journal().all();
    assert_headers(&requests);
    let bodies: Vec<Value> = requests.iter().map(Recorded::body_json).collect();
    assert_eq!(
        bodies,
        [
            json!({"limit": 1}),
            json!({"type": "text", "name": "Afflux Status"}),
            json!({"type": "text", "name": "Afflux Tier"}),
        ]
    );
    assert_eq!(fake.custom_fields(), ["str:cm:afflux-status", "str:cm:afflux-tier"]);
}

#[tokio::test]
async fn fields_that_already_exist_are_used_as_they_are() {
    let (fake, ctx) = setup().await;
    fake.add_custom_field("Afflux Status");
    fake.add_custom_field("Afflux Tier");
    let state = connector(&ctx, &credentials(Some("eu")), &BTreeMap::new())
        .verify()
        .await
        .unwrap();
    assert_eq!(state["statusField"], "str:cm:afflux-status");
    assert_eq!(state["tierField"], "str:cm:afflux-tier");
}

#[tokio::test]
async fn a_wrong_key_is_rejected_naming_the_key_and_region() {
    let (fake, ctx) = setup().await;
    let wrong = Credentials {
        api_key: Some("not-the-key".into()),
        ..credentials(Some("eu"))
    };
    let error = connector(&ctx, &wrong, &BTreeMap::new()).verify().await.unwrap_err();
    let CrmError::Rejected(message) = &error else {
        panic!("expected Rejected, got {error:?}")
    };
    assert!(message.contains("API key for region EU"), "{message}");
    assert!(!message.contains("not-the-key"));
    assert_eq!(fake.journal().lines(), [AUDIENCES]);
}

#[tokio::test]
async fn a_region_outside_the_allowlist_is_rejected_before_any_call() {
    let (fake, ctx) = setup().await;
    match ctx.connector(
        CrmVendor::Ortto,
        &credentials(Some("api-us.ap3api.com")),
        &BTreeMap::new(),
    ) {
        Err(CrmError::Rejected(message)) => assert!(message.contains("AP3, AU or EU"), "{message}"),
        Err(e) => panic!("expected Rejected, got {e:?}"),
        Ok(_) => panic!("a connector for an unknown region"),
    }
    assert!(fake.journal().is_empty());
}

#[tokio::test]
async fn sync_merges_by_email_without_blanks_then_opts_in_to_the_audience() {
    let (fake, ctx) = setup().await;
    let connector = connected(&fake, &ctx).await;
    let existing = fake.add_person(&[
        ("str::email", "jane@example.com"),
        ("str::first", "Janet"),
        ("str::last", "Keep"),
    ]);
    let audience = fake.add_audience("Affiliates", false);
    let picked = [Destination {
        id: audience.clone(),
        name: "Affiliates".into(),
    }];
    let mut progress = SyncProgress::default();
    connector.sync(&jane(), &picked, &mut progress).await.unwrap();

    assert_eq!(fake.journal().lines(), [MERGE, SUBSCRIBE]);
    let requests = fake.journal().all();
    assert_headers(&requests);
    assert_eq!(
        requests[0].body_json(),
        json!({
            "people": [{
                "fields": {"str::email": "jane@example.com", "str::first": "Jane", "str:cm:afflux-status": "Approved"},
                "tags": ["Afflux affiliate", "Spring"],
            }],
            "merge_by": ["str::email"],
            "merge_strategy": 2,
            "find_strategy": 0,
            "async": false,
        })
    );
    assert_eq!(
        requests[1].body_json(),
        json!({"audience_id": audience, "people": [{"email": "jane@example.com", "subscribed": true}], "async": false})
    );

    assert_eq!(progress.contact_id, Some(existing));
    assert_eq!(progress.done, ["upsert", "list"]);
    let person = fake.person("jane@example.com").unwrap();
    assert_eq!(person.fields["str::first"], "Jane");
    assert_eq!(person.fields["str::last"], "Keep", "a blank never overwrites");
    assert_eq!(person.fields["str:cm:afflux-status"], "Approved");
    assert_eq!(person.tags, ["Afflux affiliate", "Spring"]);
    assert_eq!(fake.subscribers(&audience), ["jane@example.com"]);
}

#[tokio::test]
async fn a_new_person_is_created_and_no_audience_means_one_call() {
    let (fake, ctx) = setup().await;
    let connector = connected(&fake, &ctx).await;
    let gold = Contact {
        tier: Some("Gold".into()),
        ..jane()
    };
    let mut progress = SyncProgress::default();
    connector.sync(&gold, &[], &mut progress).await.unwrap();
    assert_eq!(fake.journal().lines(), [MERGE]);
    let person = fake.person("jane@example.com").unwrap();
    assert_eq!(progress.contact_id, Some(person.person_id));
    assert_eq!(progress.done, ["upsert"]);
    assert_eq!(person.fields["str:cm:afflux-tier"], "Gold");
}

#[tokio::test]
async fn without_remembered_field_ids_no_custom_field_is_written() {
    let (fake, ctx) = setup().await;
    connector(&ctx, &credentials(None), &BTreeMap::new())
        .sync(&jane(), &[], &mut SyncProgress::default())
        .await
        .unwrap();
    let fields = fake.journal().all()[0].body_json()["people"][0]["fields"].clone();
    assert_eq!(fields, json!({"str::email": "jane@example.com", "str::first": "Jane"}));
}

#[tokio::test]
async fn an_unknown_field_or_a_suppressed_email_is_refused_in_orttos_words() {
    let (fake, ctx) = setup().await;
    let stale = BTreeMap::from([("statusField".to_owned(), "str:cm:deleted-field".to_owned())]);
    let error = connector(&ctx, &credentials(None), &stale)
        .sync(&jane(), &[], &mut SyncProgress::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error, CrmError::Refused(ref m) if m.contains("str:cm:deleted-field")),
        "{error:?}"
    );

    fake.suppress("jane@example.com");
    let mut progress = SyncProgress::default();
    let error = connected(&fake, &ctx)
        .await
        .sync(&jane(), &[], &mut progress)
        .await
        .unwrap_err();
    assert!(
        matches!(error, CrmError::Refused(ref m) if m.contains("suppressed")),
        "{error:?}"
    );
    assert!(!error.is_retryable());
    assert_eq!(progress, SyncProgress::default());
}

#[tokio::test]
async fn a_merge_answer_refusing_the_person_or_without_an_id_fails_the_sync() {
    let (fake, ctx) = setup().await;
    let connector = connected(&fake, &ctx).await;
    let suppressed = json!({"people": [{"status": "suppressed", "error": "Email is suppressed"}]});
    fake.fail_next(MERGE, 1, Failure::Json(suppressed));
    fake.fail_next(MERGE, 1, Failure::Json(json!({"people": [{"status": "created"}]})));
    let mut progress = SyncProgress::default();
    let error = connector.sync(&jane(), &[], &mut progress).await.unwrap_err();
    assert!(
        matches!(error, CrmError::Refused(ref m) if m.contains("Email is suppressed")),
        "{error:?}"
    );
    let error = connector.sync(&jane(), &[], &mut progress).await.unwrap_err();
    assert!(
        matches!(error, CrmError::Malformed(ref m) if m.contains("person id")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_429_waits_as_try_in_seconds_says() {
    let (fake, ctx) = setup().await;
    let connector = connected(&fake, &ctx).await;
    fake.fail_next(MERGE, 1, Failure::RateLimited { try_in_seconds: 10 });
    let error = connector
        .sync(&jane(), &[], &mut SyncProgress::default())
        .await
        .unwrap_err();
    assert_eq!(
        error,
        CrmError::RateLimited {
            wait: Duration::from_secs(10)
        }
    );
}

#[tokio::test]
async fn server_errors_are_unavailable_and_unreadable_answers_malformed() {
    let (fake, ctx) = setup().await;
    let connector = connected(&fake, &ctx).await;
    fake.fail_next(MERGE, 1, Failure::Status(502));
    fake.fail_next(MERGE, 1, Failure::NotJson);
    let mut progress = SyncProgress::default();
    let error = connector.sync(&jane(), &[], &mut progress).await.unwrap_err();
    assert!(
        matches!(error, CrmError::Unavailable(ref m) if m.contains("502")),
        "{error:?}"
    );
    let error = connector.sync(&jane(), &[], &mut progress).await.unwrap_err();
    assert!(
        matches!(error, CrmError::Malformed(ref m) if m.contains("not JSON")),
        "{error:?}"
    );
    assert_eq!(progress, SyncProgress::default());
}

#[tokio::test]
async fn a_hanging_ortto_is_unavailable_after_the_call_timeout() {
    let (fake, running) = OrttoFake::start(Config::default()).await;
    let ctx = context(&running.base_url(), Duration::from_millis(300));
    fake.fail_next(AUDIENCES, 1, Failure::Hang(Duration::from_secs(3)));
    let started = Instant::now();
    let error = connector(&ctx, &credentials(None), &BTreeMap::new())
        .verify()
        .await
        .unwrap_err();
    assert!(
        matches!(error, CrmError::Unavailable(ref m) if m.contains("in time")),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_failed_opt_in_after_the_merge_retries_only_the_opt_in() {
    let (fake, ctx) = setup().await;
    let connector = connected(&fake, &ctx).await;
    let audience = fake.add_audience("Affiliates", false);
    let picked = [Destination {
        id: audience.clone(),
        name: "Affiliates".into(),
    }];
    fake.fail_next(SUBSCRIBE, 1, Failure::Status(503));
    let mut progress = SyncProgress::default();
    let error = connector.sync(&jane(), &picked, &mut progress).await.unwrap_err();
    assert!(error.is_retryable(), "{error:?}");
    assert!(progress.contact_id.is_some());
    assert_eq!(progress.done, ["upsert"]);

    fake.journal().clear();
    connector.sync(&jane(), &picked, &mut progress).await.unwrap();
    assert_eq!(fake.journal().lines(), [SUBSCRIBE]);
    assert_eq!(fake.subscribers(&audience), ["jane@example.com"]);
}

#[tokio::test]
async fn the_picker_pages_through_live_audiences() {
    let (fake, ctx) = setup().await;
    let ids: Vec<String> = (0..45)
        .map(|n| fake.add_audience(&format!("Audience {n:02}"), false))
        .collect();
    fake.add_audience("Old", true);
    let audiences = connected(&fake, &ctx).await.destinations().await.unwrap();
    assert_eq!(audiences.iter().map(|a| a.id.clone()).collect::<Vec<_>>(), ids);
    assert_eq!(audiences[44].name, "Audience 44");
    let bodies: Vec<Value> = fake.journal().all().iter().map(Recorded::body_json).collect();
    assert_eq!(
        bodies,
        [
            json!({"limit": 40, "offset": 0, "archived": false}),
            json!({"limit": 40, "offset": 40, "archived": false}),
        ]
    );
}
