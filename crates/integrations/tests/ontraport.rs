//! The Ontraport connector against the Ontraport fake: the exact calls, the insert and update
//! answer shapes, the save-then-tag split, and the vendor's failure modes.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use afflux_domain::{CredentialField, CrmVendor, Destination};
use afflux_fakes::Recorded;
use afflux_fakes::ontraport::{API_KEY, APP_ID, Config, Failure, OntraportFake};
use afflux_integrations::crm::{Connector, Contact, Credentials, CrmContext, CrmError, Endpoints, SyncProgress};
use serde_json::json;

const SAVE: &str = "POST /1/objects/saveorupdate";
const TAG: &str = "PUT /1/objects/tag";
const TAGS: &str = "GET /1/Tags";

fn credentials() -> Credentials {
    Credentials {
        app_id: Some(APP_ID.into()),
        api_key: Some(API_KEY.into()),
        ..Credentials::default()
    }
}

fn context(fake_url: &str, timeout: Duration) -> CrmContext {
    CrmContext::with_call_timeout(
        Endpoints::default().with("AFFLUX_ONTRAPORT_BASE_URL", fake_url),
        timeout,
    )
}

fn connector(ctx: &CrmContext, credentials: &Credentials) -> Box<dyn Connector> {
    match ctx.connector(CrmVendor::Ontraport, credentials, &BTreeMap::new()) {
        Ok(connector) => connector,
        Err(e) => panic!("the connector builds: {e}"),
    }
}

/// A fake, its URL, a context pointed at it, and a connector with the right credentials.
async fn setup() -> (OntraportFake, String, CrmContext, Box<dyn Connector>) {
    let (fake, running) = OntraportFake::start(Config::default()).await;
    let ctx = context(&running.base_url(), Duration::from_secs(5));
    let connector = connector(&ctx, &credentials());
    (fake, running.base_url(), ctx, connector)
}

fn jane() -> Contact {
    Contact {
        email: "jane@example.com".into(),
        first_name: Some("Jane".into()),
        last_name: Some("Doe".into()),
        tags: vec!["Afflux affiliate".into(), "Spring".into()],
        status: Some("Approved".into()),
        tier: None,
    }
}

fn form(request: &Recorded, name: &str) -> String {
    request.body_json()[name].as_str().unwrap_or_default().to_owned()
}

fn assert_credentials(requests: &[Recorded]) {
    for request in requests {
        assert_eq!(request.header("api-appid"), Some(APP_ID), "{}", request.line());
        assert_eq!(request.header("api-key"), Some(API_KEY), "{}", request.line());
    }
}

#[tokio::test]
async fn verify_lists_one_contact_with_both_credential_headers() {
    let (fake, _, _, connector) = setup().await;
    assert_eq!(connector.verify().await.unwrap(), BTreeMap::new());
    let requests = fake.journal().all();
    assert_eq!(fake.journal().lines(), ["GET /1/Contacts"]);
    assert_eq!(requests[0].query_param("range").as_deref(), Some("1"));
    assert_credentials(&requests);
}

#[tokio::test]
async fn bad_or_missing_credentials_are_named() {
    let (fake, _, ctx, _) = setup().await;
    let wrong = Credentials {
        api_key: Some("not-the-key".into()),
        ..credentials()
    };
    let error = connector(&ctx, &wrong).verify().await.unwrap_err();
    let CrmError::Rejected(message) = &error else {
        panic!("expected Rejected, got {error:?}")
    };
    assert!(
        message.contains("App ID") && message.contains("API Key") && message.contains("401"),
        "{message}"
    );
    assert!(!error.is_retryable());
    assert_eq!(fake.journal().len(), 1);

    let only_key = Credentials {
        app_id: None,
        ..credentials()
    };
    match ctx.connector(CrmVendor::Ontraport, &only_key, &BTreeMap::new()) {
        Err(e) => {
            assert_eq!(e, CrmError::MissingCredential(CredentialField::AppId));
            assert_eq!(e.to_string(), "the App ID is missing");
        }
        Ok(_) => panic!("a connector without an App ID"),
    }
}

#[tokio::test]
async fn a_key_without_permission_is_told_so() {
    let (fake, _, _, connector) = setup().await;
    fake.fail_next("GET /1/Contacts", 1, Failure::Status(403));
    match connector.verify().await {
        Err(CrmError::Rejected(message)) => assert!(message.contains("valid but lack permission"), "{message}"),
        other => panic!("expected Rejected, got {other:?}"),
    }
}

#[tokio::test]
async fn first_sync_inserts_then_resolves_creates_and_attaches_the_tags() {
    let (fake, _, _, connector) = setup().await;
    let affiliate_tag = fake.add_tag("afflux AFFILIATE");
    fake.add_tag("Afflux affiliates archive");
    let course = fake.add_tag("Course Completed");
    let picked = [Destination {
        id: course.clone(),
        name: "Course Completed".into(),
    }];
    let mut progress = SyncProgress::default();
    connector.sync(&jane(), &picked, &mut progress).await.unwrap();

    assert_eq!(fake.journal().lines(), [SAVE, TAGS, TAGS, "POST /1/Tags", TAG]);
    let requests = fake.journal().all();
    assert_credentials(&requests);
    let save = &requests[0];
    assert_eq!(save.header("content-type"), Some("application/json"));
    assert_eq!(
        save.body_json(),
        json!({"objectID": 0, "email": "jane@example.com", "firstname": "Jane", "lastname": "Doe", "ignore_blanks": true})
    );
    assert_eq!(requests[1].query_param("search").as_deref(), Some("Afflux affiliate"));
    assert_eq!(requests[2].query_param("search").as_deref(), Some("Spring"));
    assert_eq!(form(&requests[3], "tag_name"), "Spring");
    assert_eq!(form(&requests[3], "object_type_id"), "0");
    let spring = fake.tags().into_iter().find(|t| t.name == "Spring").unwrap().id;

    let contact = fake.contact("jane@example.com").unwrap();
    let tag = &requests[4];
    assert_eq!(tag.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(form(tag, "objectID"), "0");
    assert_eq!(form(tag, "add_list"), format!("{course},{affiliate_tag},{spring}"));
    assert_eq!(form(tag, "ids"), contact.id);

    assert_eq!(progress.contact_id.as_deref(), Some(contact.id.as_str()));
    assert_eq!(progress.done, ["upsert", "tags"]);
    assert_eq!(contact.tags, ["Course Completed", "Spring", "afflux AFFILIATE"]);
    assert_eq!((contact.firstname.as_str(), contact.lastname.as_str()), ("Jane", "Doe"));
}

#[tokio::test]
async fn a_known_contact_is_updated_without_blanks_and_cached_tags_make_two_calls() {
    let (fake, _, _, connector) = setup().await;
    let existing = fake.add_contact("Jane@Example.com", "Janet", "Keep");
    let no_last_name = Contact {
        last_name: None,
        ..jane()
    };
    let mut progress = SyncProgress::default();
    connector.sync(&no_last_name, &[], &mut progress).await.unwrap();
    // The update answer carries the id under `attrs`.
    assert_eq!(progress.contact_id, Some(existing.clone()));
    let save = fake.journal().all()[0].body_json();
    assert!(save.get("lastname").is_none(), "{save}");
    let contact = fake.contact("jane@example.com").unwrap();
    assert_eq!(
        (contact.firstname.as_str(), contact.lastname.as_str()),
        ("Jane", "Keep")
    );

    fake.journal().clear();
    let mut again = SyncProgress::default();
    connector.sync(&no_last_name, &[], &mut again).await.unwrap();
    assert_eq!(fake.journal().lines(), [SAVE, TAG]);
    assert_eq!(again.contact_id, Some(existing));
    assert_eq!(fake.tags().len(), 2, "no tag created twice");
}

#[tokio::test]
async fn a_failed_tag_call_after_the_save_retries_only_the_tag_step() {
    let (fake, url, ctx, first) = setup().await;
    fake.fail_next(TAG, 1, Failure::Status(500));
    let mut progress = SyncProgress::default();
    let error = first.sync(&jane(), &[], &mut progress).await.unwrap_err();
    assert!(
        matches!(error, CrmError::Unavailable(_)) && error.is_retryable(),
        "{error:?}"
    );
    let contact = fake.contact("jane@example.com").unwrap();
    assert_eq!(progress.contact_id.as_deref(), Some(contact.id.as_str()));
    assert_eq!(progress.done, ["upsert"]);
    assert!(contact.tags.is_empty());

    // The job layer's next attempt: a new connector of the same context knows the tag ids.
    fake.journal().clear();
    connector(&ctx, &credentials())
        .sync(&jane(), &[], &mut progress)
        .await
        .unwrap();
    assert_eq!(fake.journal().lines(), [TAG]);
    assert_eq!(progress.done, ["upsert", "tags"]);
    assert_eq!(
        fake.contact("jane@example.com").unwrap().tags,
        ["Afflux affiliate", "Spring"]
    );

    // After a restart nothing is cached: the tags are looked up again, the contact not saved.
    let restarted = context(&url, Duration::from_secs(5));
    let mut progress = SyncProgress {
        done: vec!["upsert".into()],
        ..progress
    };
    fake.journal().clear();
    connector(&restarted, &credentials())
        .sync(&jane(), &[], &mut progress)
        .await
        .unwrap();
    assert_eq!(fake.journal().lines(), [TAGS, TAGS, TAG]);
}

#[tokio::test]
async fn a_429_waits_for_the_announced_reset_and_the_gate_defers_the_next_call() {
    let (fake, _, _, connector) = setup().await;
    fake.fail_next("GET /1/Contacts", 1, Failure::RateLimited { reset_secs: 42 });
    assert_eq!(
        connector.verify().await.unwrap_err(),
        CrmError::RateLimited {
            wait: Duration::from_secs(42)
        }
    );
    // The budget is spent until the reset: the next call is deferred without reaching Ontraport.
    match connector.verify().await {
        Err(CrmError::RateLimited { wait }) => assert!(wait > Duration::from_secs(40), "{wait:?}"),
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert_eq!(fake.journal().len(), 1);
}

#[tokio::test]
async fn server_errors_are_unavailable_and_unreadable_answers_malformed() {
    let (fake, _, _, connector) = setup().await;
    fake.fail_next("GET /1/Contacts", 1, Failure::Status(500));
    fake.fail_next("GET /1/Contacts", 1, Failure::NotJson);
    let error = connector.verify().await.unwrap_err();
    assert!(
        matches!(error, CrmError::Unavailable(ref m) if m.contains("500")),
        "{error:?}"
    );
    let error = connector.verify().await.unwrap_err();
    assert!(
        matches!(error, CrmError::Malformed(ref m) if m.contains("not JSON")),
        "{error:?}"
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn a_save_answer_without_a_contact_id_is_malformed_and_an_error_code_refused() {
    let (fake, _, _, connector) = setup().await;
    let no_id = json!({"code": 0, "data": {"attrs": {"firstname": "Jane"}}, "account_id": "1"});
    fake.fail_next(SAVE, 1, Failure::Json(no_id));
    fake.fail_next(
        SAVE,
        1,
        Failure::Json(json!({"code": 1, "data": "Invalid", "account_id": "1"})),
    );
    let mut progress = SyncProgress::default();
    let error = connector.sync(&jane(), &[], &mut progress).await.unwrap_err();
    assert!(
        matches!(error, CrmError::Malformed(ref m) if m.contains("contact id")),
        "{error:?}"
    );
    let error = connector.sync(&jane(), &[], &mut progress).await.unwrap_err();
    assert!(matches!(error, CrmError::Refused(_)), "{error:?}");
    assert_eq!(progress, SyncProgress::default());
}

#[tokio::test]
async fn an_invalid_email_is_refused_for_good() {
    let (fake, _, _, connector) = setup().await;
    let contact = Contact {
        email: "not-an-email".into(),
        ..jane()
    };
    let error = connector
        .sync(&contact, &[], &mut SyncProgress::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error, CrmError::Refused(ref m) if m.contains("422")),
        "{error:?}"
    );
    assert!(!error.is_retryable());
    assert_eq!(fake.journal().lines(), [SAVE]);
}

#[tokio::test]
async fn a_hanging_ontraport_is_unavailable_after_the_call_timeout() {
    let (fake, running) = OntraportFake::start(Config::default()).await;
    let ctx = context(&running.base_url(), Duration::from_millis(300));
    fake.fail_next("GET /1/Contacts", 1, Failure::Hang(Duration::from_secs(3)));
    let started = Instant::now();
    let error = connector(&ctx, &credentials()).verify().await.unwrap_err();
    assert!(
        matches!(error, CrmError::Unavailable(ref m) if m.contains("in time")),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn the_picker_lists_the_tags_page_by_page() {
    let (fake, _, _, connector) = setup().await;
    for n in 0..60 {
        fake.add_tag(&format!("Tag {n:02}"));
    }
    let tags = connector.destinations().await.unwrap();
    assert_eq!(tags.len(), 60);
    assert_eq!(tags[59].name, "Tag 59");
    assert_eq!(tags[59].id, fake.tags()[59].id);
    let pages: Vec<_> = fake
        .journal()
        .all()
        .iter()
        .map(|r| (r.line(), r.query_param("range"), r.query_param("start")))
        .collect();
    let page = |start: &str| (TAGS.to_owned(), Some("50".to_owned()), Some(start.to_owned()));
    assert_eq!(pages, [page("0"), page("50")]);
}
