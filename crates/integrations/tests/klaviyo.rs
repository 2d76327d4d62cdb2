//! The Klaviyo connector against the fake Klaviyo: JSON:API headers and bodies, the profile
//! upsert then the list subscription, progress between attempts and the failure modes.

use std::collections::BTreeMap;
use std::time::Duration;

use afflux_domain::{CrmVendor, Destination};
use afflux_fakes::Running;
use afflux_fakes::klaviyo::{API_KEY, Failure, KlaviyoFake};
use afflux_integrations::crm::{Connector, Contact, Credentials, CrmContext, CrmError, Endpoints, SyncProgress};
use serde_json::json;

const LIST: &str = "Y6nRLr";
const JSON_API: &str = "application/vnd.api+json";

fn endpoints(running: &Running) -> Endpoints {
    Endpoints::default().with("AFFLUX_KLAVIYO_BASE_URL", &running.base_url())
}

fn connect(ctx: &CrmContext, key: &str) -> Box<dyn Connector> {
    let credentials = Credentials {
        api_key: Some(key.into()),
        ..Credentials::default()
    };
    ctx.connector(CrmVendor::Klaviyo, &credentials, &BTreeMap::new())
        .expect("a key")
}

fn connector(running: &Running) -> Box<dyn Connector> {
    connect(&CrmContext::new(endpoints(running)), API_KEY)
}

fn jane() -> Contact {
    Contact {
        email: "jane@brand.test".into(),
        first_name: Some("Jane".into()),
        last_name: Some("Doe".into()),
        tags: vec!["Afflux affiliate".into(), "Spring".into()],
        status: Some("Approved".into()),
        tier: None,
    }
}

fn list() -> Vec<Destination> {
    vec![Destination {
        id: LIST.into(),
        name: "Affiliates".into(),
    }]
}

async fn started() -> (KlaviyoFake, Running) {
    let (fake, running) = KlaviyoFake::start().await;
    fake.add_list(LIST, "Affiliates");
    (fake, running)
}

#[tokio::test]
async fn verify_reads_lists_with_klaviyos_headers() {
    let (fake, running) = started().await;
    assert!(connector(&running).verify().await.unwrap().is_empty());
    assert_eq!(fake.journal().lines(), ["GET /api/lists"]);
    let call = &fake.journal().all()[0];
    assert_eq!(
        call.header("authorization"),
        Some(format!("Klaviyo-API-Key {API_KEY}").as_str())
    );
    assert_eq!(call.header("revision"), Some("2024-10-15"));
    assert_eq!(call.header("accept"), Some(JSON_API));
}

#[tokio::test]
async fn a_wrong_key_is_rejected_in_klaviyos_words_without_echoing_it() {
    let (_fake, running) = started().await;
    let wrong = "pk_wrong0000000000000000000000000000";
    let error = connect(&CrmContext::new(endpoints(&running)), wrong)
        .verify()
        .await
        .unwrap_err();
    assert_eq!(
        error,
        CrmError::Rejected("Klaviyo rejected the API key: Missing or invalid private key.".into())
    );
}

#[tokio::test]
async fn the_picker_follows_next_links() {
    let (fake, running) = KlaviyoFake::start().await;
    for n in 0..23 {
        fake.add_list(&format!("L{n:02}"), &format!("List {n}"));
    }
    let found = connector(&running).destinations().await.unwrap();
    assert_eq!(found.len(), 23);
    assert_eq!(
        found[22],
        Destination {
            id: "L22".into(),
            name: "List 22".into()
        }
    );
    let cursors: Vec<_> = fake
        .journal()
        .all()
        .iter()
        .map(|c| c.query_param("page[cursor]"))
        .collect();
    assert_eq!(cursors, [None, Some("10".into()), Some("20".into())]);
}

#[tokio::test]
async fn the_key_never_follows_a_link_to_another_host() {
    let (fake, running) = KlaviyoFake::start().await;
    for n in 0..11 {
        fake.add_list(&format!("L{n:02}"), &format!("List {n}"));
    }
    fake.link_to("http://127.0.0.1:9");
    let error = connector(&running).destinations().await.unwrap_err();
    assert!(matches!(error, CrmError::Malformed(_)), "{error:?}");
    assert!(error.to_string().contains("elsewhere"), "{error}");
    assert_eq!(fake.journal().len(), 1);
}

#[tokio::test]
async fn sync_imports_the_profile_then_subscribes_it_to_the_list() {
    let (fake, running) = started().await;
    let mut progress = SyncProgress::default();
    connector(&running).sync(&jane(), &list(), &mut progress).await.unwrap();

    assert_eq!(
        fake.journal().lines(),
        [
            "POST /api/profile-import",
            "POST /api/profile-subscription-bulk-create-jobs"
        ]
    );
    let calls = fake.journal().all();
    assert!(calls.iter().all(|c| c.header("content-type") == Some(JSON_API)));
    assert_eq!(
        calls[0].body_json(),
        json!({ "data": { "type": "profile", "attributes": {
            "email": "jane@brand.test",
            "first_name": "Jane",
            "last_name": "Doe",
            "properties": { "afflux_status": "Approved", "afflux_tags": ["Afflux affiliate", "Spring"] },
        } } })
    );
    assert_eq!(
        calls[1].body_json(),
        json!({ "data": {
            "type": "profile-subscription-bulk-create-job",
            "attributes": { "profiles": { "data": [{ "type": "profile", "attributes": {
                "email": "jane@brand.test",
                "subscriptions": { "email": { "marketing": { "consent": "SUBSCRIBED" } } },
            } }] } },
            "relationships": { "list": { "data": { "type": "list", "id": LIST } } },
        } })
    );

    let profile = fake.profile("jane@brand.test").unwrap();
    assert_eq!(profile.consent.as_deref(), Some("SUBSCRIBED"));
    assert!(profile.lists.contains(LIST));
    assert_eq!(progress.contact_id, Some(profile.id));
    assert_eq!(progress.done, ["upsert".to_owned(), format!("list:{LIST}")]);
}

#[tokio::test]
async fn an_existing_profile_keeps_what_is_not_sent() {
    let (fake, running) = started().await;
    fake.add_profile("jane@brand.test", Some("Janet"), json!({ "ltv_band": "top" }));
    let nameless = Contact {
        first_name: None,
        last_name: None,
        ..jane()
    };
    connector(&running)
        .sync(&nameless, &list(), &mut SyncProgress::default())
        .await
        .unwrap();
    let attributes = &fake.journal().all()[0].body_json()["data"]["attributes"];
    assert!(attributes.get("first_name").is_none() && attributes.get("last_name").is_none());
    let profile = fake.profile("jane@brand.test").unwrap();
    assert_eq!(profile.first_name.as_deref(), Some("Janet"));
    assert_eq!(profile.properties["ltv_band"], "top");
    assert_eq!(profile.properties["afflux_status"], "Approved");
}

#[tokio::test]
async fn a_retry_after_a_failed_subscription_only_subscribes() {
    let (fake, running) = started().await;
    fake.fail_next_on("subscription", Failure::ServerError(502));
    let connector = connector(&running);
    let mut progress = SyncProgress::default();
    let error = connector.sync(&jane(), &list(), &mut progress).await.unwrap_err();
    assert!(matches!(error, CrmError::Unavailable(_)), "{error:?}");
    assert_eq!(progress.done, ["upsert"]);

    fake.journal().clear();
    connector.sync(&jane(), &list(), &mut progress).await.unwrap();
    assert_eq!(
        fake.journal().lines(),
        ["POST /api/profile-subscription-bulk-create-jobs"]
    );
    assert!(fake.profile("jane@brand.test").unwrap().lists.contains(LIST));
}

#[tokio::test]
async fn a_429_waits_as_retry_after_says_else_until_the_window_resets() {
    let (fake, running) = started().await;
    fake.fail_next(Failure::RateLimited {
        retry_after: Some(3),
        reset: 9,
    });
    fake.fail_next(Failure::RateLimited {
        retry_after: None,
        reset: 9,
    });
    let connector = connector(&running);
    let error = connector.verify().await.unwrap_err();
    assert_eq!(
        error,
        CrmError::RateLimited {
            wait: Duration::from_secs(3)
        }
    );
    let error = connector.verify().await.unwrap_err();
    assert_eq!(
        error,
        CrmError::RateLimited {
            wait: Duration::from_secs(9)
        }
    );
}

#[tokio::test]
async fn an_html_page_is_malformed_and_a_hang_unavailable() {
    let (fake, running) = started().await;
    fake.fail_next_on("profile-import", Failure::NotJson);
    let mut progress = SyncProgress::default();
    let error = connector(&running)
        .sync(&jane(), &list(), &mut progress)
        .await
        .unwrap_err();
    assert!(matches!(error, CrmError::Malformed(_)), "{error:?}");
    assert!(progress.done.is_empty());

    fake.fail_next(Failure::Hang(Duration::from_secs(5)));
    let impatient = CrmContext::with_call_timeout(endpoints(&running), Duration::from_millis(300));
    let error = connect(&impatient, API_KEY).verify().await.unwrap_err();
    assert_eq!(error, CrmError::Unavailable("Klaviyo did not answer in time".into()));
}

#[tokio::test]
async fn a_deleted_list_and_a_bad_address_are_refused_in_klaviyos_words() {
    let (_fake, running) = started().await;
    let connector = connector(&running);
    let gone = [Destination {
        id: "Gone01".into(),
        name: "Old".into(),
    }];
    let error = connector
        .sync(&jane(), &gone, &mut SyncProgress::default())
        .await
        .unwrap_err();
    assert_eq!(
        error,
        CrmError::Refused("Klaviyo refused the request: A list with id Gone01 does not exist.".into())
    );
    let bad = Contact {
        email: "jane-at-brand".into(),
        ..jane()
    };
    let error = connector
        .sync(&bad, &list(), &mut SyncProgress::default())
        .await
        .unwrap_err();
    assert_eq!(
        error,
        CrmError::Refused("Klaviyo refused the request: Invalid email address".into())
    );
}
