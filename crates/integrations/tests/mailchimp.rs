//! The Mailchimp connector against the fake Mailchimp: the exact calls, progress between
//! attempts and the vendor's failure modes.

use std::collections::BTreeMap;
use std::time::Duration;

use afflux_domain::{CrmVendor, Destination};
use afflux_fakes::Running;
use afflux_fakes::mailchimp::{API_KEY, Failure, MailchimpFake};
use afflux_integrations::crm::{Connector, Contact, Credentials, CrmContext, CrmError, Endpoints, SyncProgress};
use serde_json::json;

const AUDIENCE: &str = "a1b2c3d4e5";
/// `printf %s jane.doe+aff@brand.test | md5sum`
const JANE_HASH: &str = "35fe4c0fef4dc75b056f9438ebd37087";

async fn started() -> (MailchimpFake, Running) {
    let (fake, running) = MailchimpFake::start().await;
    fake.add_list(AUDIENCE, "Newsletter");
    (fake, running)
}

fn context(running: &Running) -> CrmContext {
    CrmContext::new(Endpoints::default().with("AFFLUX_MAILCHIMP_BASE_URL", &running.base_url()))
}

fn connect(ctx: &CrmContext, key: &str) -> Result<Box<dyn Connector>, CrmError> {
    let credentials = Credentials {
        api_key: Some(key.into()),
        ..Credentials::default()
    };
    ctx.connector(CrmVendor::Mailchimp, &credentials, &BTreeMap::new())
}

fn connector(running: &Running) -> Box<dyn Connector> {
    connect(&context(running), API_KEY).expect("a key with a data center")
}

fn jane() -> Contact {
    Contact {
        email: "Jane.Doe+aff@Brand.test".into(),
        first_name: Some("Jane".into()),
        last_name: None,
        tags: vec!["Afflux affiliate".into(), "Spring".into()],
        status: Some("Approved".into()),
        tier: None,
    }
}

fn audience() -> Vec<Destination> {
    vec![Destination {
        id: AUDIENCE.into(),
        name: "Newsletter".into(),
    }]
}

#[tokio::test]
async fn verify_pings_with_the_key_as_basic_password() {
    let (fake, running) = started().await;
    let state = connector(&running).verify().await.unwrap();
    assert!(state.is_empty());
    let calls = fake.journal().all();
    assert_eq!(fake.journal().lines(), ["GET /3.0/ping"]);
    assert!(calls[0].header("authorization").unwrap().starts_with("Basic "));
}

#[tokio::test]
async fn a_wrong_key_is_rejected_in_mailchimps_words_without_echoing_it() {
    let (_fake, running) = started().await;
    let wrong = "ffffffffffffffffffffffffffffffff-us12";
    let error = connect(&context(&running), wrong).unwrap().verify().await.unwrap_err();
    assert!(matches!(error, CrmError::Rejected(_)), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("API Key Invalid"), "{message}");
    assert!(!message.contains(wrong), "{message}");
}

#[tokio::test]
async fn a_key_without_data_center_is_rejected_before_any_call() {
    let (fake, running) = started().await;
    let Err(error) = connect(&context(&running), "0f1e2d3c4b5a6978") else {
        panic!("a key without suffix was taken");
    };
    assert_eq!(error.code(), "integration_credentials_rejected");
    assert!(error.to_string().contains("data-center suffix (…-us12)"));
    let Err(missing) = connect(&context(&running), "  ") else {
        panic!("a blank key was taken");
    };
    assert_eq!(missing.to_string(), "the API Key is missing");
    assert!(fake.journal().is_empty());
}

#[tokio::test]
async fn the_picker_pages_through_every_audience() {
    let (fake, running) = MailchimpFake::start().await;
    for n in 0..130 {
        fake.add_list(&format!("list{n:03}"), &format!("Audience {n}"));
    }
    let found = connector(&running).destinations().await.unwrap();
    assert_eq!(found.len(), 130);
    assert_eq!(
        found[129],
        Destination {
            id: "list129".into(),
            name: "Audience 129".into()
        }
    );
    let calls = fake.journal().all();
    assert_eq!(fake.journal().lines(), ["GET /3.0/lists", "GET /3.0/lists"]);
    let offsets: Vec<_> = calls.iter().map(|c| c.query_param("offset").unwrap()).collect();
    assert_eq!(offsets, ["0", "100"]);
    assert_eq!(calls[0].query_param("count").as_deref(), Some("100"));
    assert_eq!(
        calls[0].query_param("fields").as_deref(),
        Some("lists.id,lists.name,total_items")
    );
}

#[tokio::test]
async fn sync_upserts_the_member_then_tags_it() {
    let (fake, running) = started().await;
    let mut progress = SyncProgress::default();
    connector(&running)
        .sync(&jane(), &audience(), &mut progress)
        .await
        .unwrap();

    let member_path = format!("/3.0/lists/{AUDIENCE}/members/{JANE_HASH}");
    assert_eq!(
        fake.journal().lines(),
        [format!("PUT {member_path}"), format!("POST {member_path}/tags")]
    );
    let calls = fake.journal().all();
    assert_eq!(
        calls[0].body_json(),
        json!({
            "email_address": "Jane.Doe+aff@Brand.test",
            "status_if_new": "subscribed",
            "merge_fields": { "FNAME": "Jane" },
        })
    );
    assert_eq!(calls[0].query_param("skip_merge_validation").as_deref(), Some("true"));
    assert_eq!(
        calls[1].body_json(),
        json!({ "tags": [
            { "name": "Afflux affiliate", "status": "active" },
            { "name": "Spring", "status": "active" },
        ] })
    );

    let member = fake.member(AUDIENCE, "jane.doe+aff@brand.test").unwrap();
    assert_eq!(member.status, "subscribed");
    assert_eq!(member.tags.iter().collect::<Vec<_>>(), ["Afflux affiliate", "Spring"]);
    assert_eq!(progress.contact_id.as_deref(), Some(JANE_HASH));
    assert_eq!(
        progress.done,
        [format!("upsert:{AUDIENCE}"), format!("tags:{AUDIENCE}")]
    );
}

#[tokio::test]
async fn an_existing_member_keeps_status_and_the_names_not_sent() {
    let (fake, running) = started().await;
    fake.add_member(AUDIENCE, "jane.doe+aff@brand.test", "unsubscribed", &[("LNAME", "Doe")]);
    let mut progress = SyncProgress::default();
    connector(&running)
        .sync(&jane(), &audience(), &mut progress)
        .await
        .unwrap();
    let member = fake.member(AUDIENCE, "jane.doe+aff@brand.test").unwrap();
    assert_eq!(member.status, "unsubscribed");
    assert_eq!(member.merge_fields.get("LNAME").map(String::as_str), Some("Doe"));
    assert_eq!(member.merge_fields.get("FNAME").map(String::as_str), Some("Jane"));
}

#[tokio::test]
async fn a_retry_after_a_failed_tag_call_only_tags() {
    let (fake, running) = started().await;
    fake.fail_next_on("/tags", Failure::ServerError(503));
    let connector = connector(&running);
    let mut progress = SyncProgress::default();
    let error = connector.sync(&jane(), &audience(), &mut progress).await.unwrap_err();
    assert!(matches!(error, CrmError::Unavailable(_)), "{error:?}");
    assert!(error.is_retryable());
    assert_eq!(progress.done, [format!("upsert:{AUDIENCE}")]);

    fake.journal().clear();
    connector.sync(&jane(), &audience(), &mut progress).await.unwrap();
    assert_eq!(
        fake.journal().lines(),
        [format!("POST /3.0/lists/{AUDIENCE}/members/{JANE_HASH}/tags")]
    );
    assert_eq!(fake.member(AUDIENCE, "jane.doe+aff@brand.test").unwrap().tags.len(), 2);
}

#[tokio::test]
async fn a_429_waits_as_retry_after_says_else_30_seconds() {
    let (fake, running) = started().await;
    fake.fail_next(Failure::RateLimited { retry_after: Some(7) });
    fake.fail_next(Failure::RateLimited { retry_after: None });
    let connector = connector(&running);
    let error = connector.verify().await.unwrap_err();
    assert_eq!(
        error,
        CrmError::RateLimited {
            wait: Duration::from_secs(7)
        }
    );
    let error = connector.verify().await.unwrap_err();
    assert_eq!(
        error,
        CrmError::RateLimited {
            wait: Duration::from_secs(30)
        }
    );
}

#[tokio::test]
async fn a_500_an_html_page_and_a_hang_are_all_retryable() {
    let (fake, running) = started().await;
    fake.fail_next(Failure::ServerError(500));
    fake.fail_next(Failure::NotJson);
    let connector = connector(&running);
    let error = connector.verify().await.unwrap_err();
    assert!(matches!(error, CrmError::Unavailable(_)), "{error:?}");
    let error = connector.destinations().await.unwrap_err();
    assert!(matches!(error, CrmError::Malformed(_)), "{error:?}");
    assert!(error.to_string().contains("not JSON"), "{error}");

    fake.fail_next(Failure::Hang(Duration::from_secs(5)));
    let impatient = CrmContext::with_call_timeout(
        Endpoints::default().with("AFFLUX_MAILCHIMP_BASE_URL", &running.base_url()),
        Duration::from_millis(300),
    );
    let error = connect(&impatient, API_KEY).unwrap().verify().await.unwrap_err();
    assert_eq!(error, CrmError::Unavailable("Mailchimp did not answer in time".into()));
}

#[tokio::test]
async fn a_forgotten_address_is_refused_for_good() {
    let (fake, running) = started().await;
    fake.forget("jane.doe+aff@brand.test");
    let mut progress = SyncProgress::default();
    let error = connector(&running)
        .sync(&jane(), &audience(), &mut progress)
        .await
        .unwrap_err();
    assert!(matches!(error, CrmError::Refused(_)), "{error:?}");
    assert!(!error.is_retryable());
    assert!(error.to_string().contains("Forgotten Email Not Subscribed"), "{error}");
    assert!(progress.done.is_empty());
}

#[tokio::test]
async fn an_affiliate_needs_an_audience_unless_only_their_status_changed() {
    let (fake, running) = started().await;
    let connector = connector(&running);
    let mut progress = SyncProgress::default();
    let error = connector.sync(&jane(), &[], &mut progress).await.unwrap_err();
    assert!(matches!(error, CrmError::Refused(_)), "{error:?}");
    assert!(error.to_string().contains("pick an audience first"), "{error}");

    let paused = Contact {
        tags: vec![],
        status: Some("Paused".into()),
        ..jane()
    };
    connector.sync(&paused, &[], &mut progress).await.unwrap();
    assert!(fake.journal().is_empty());
}

#[tokio::test]
async fn a_deleted_audience_is_refused() {
    let (_fake, running) = started().await;
    let gone = [Destination {
        id: "gone123".into(),
        name: "Old".into(),
    }];
    let error = connector(&running)
        .sync(&jane(), &gone, &mut SyncProgress::default())
        .await
        .unwrap_err();
    assert!(matches!(error, CrmError::Refused(_)), "{error:?}");
    assert!(error.to_string().contains("Resource Not Found"), "{error}");
}
