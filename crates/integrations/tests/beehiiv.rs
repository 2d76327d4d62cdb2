//! The beehiiv connector against the fake beehiiv: the publication as the only destination,
//! subscriptions (a 409 for an existing subscriber is success), tags, progress between
//! attempts and the failure modes.

use std::collections::BTreeMap;
use std::time::Duration;

use afflux_domain::{CrmVendor, Destination};
use afflux_fakes::Running;
use afflux_fakes::beehiiv::{API_KEY, BeehiivFake, Failure, PUBLICATION_ID, PUBLICATION_NAME};
use afflux_integrations::crm::{Connector, Contact, Credentials, CrmContext, CrmError, Endpoints, SyncProgress};
use serde_json::json;

fn endpoints(running: &Running) -> Endpoints {
    Endpoints::default().with("AFFLUX_BEEHIIV_BASE_URL", &running.base_url())
}

fn connect(ctx: &CrmContext, key: &str, publication: &str) -> Result<Box<dyn Connector>, CrmError> {
    let credentials = Credentials {
        api_key: Some(key.into()),
        publication_id: Some(publication.into()),
        ..Credentials::default()
    };
    ctx.connector(CrmVendor::Beehiiv, &credentials, &BTreeMap::new())
}

fn connector(running: &Running) -> Box<dyn Connector> {
    connect(&CrmContext::new(endpoints(running)), API_KEY, PUBLICATION_ID).expect("valid credentials")
}

fn jane() -> Contact {
    Contact {
        email: "jane+aff@brand.test".into(),
        first_name: Some("Jane".into()),
        last_name: None,
        tags: vec!["Afflux affiliate".into(), "Spring".into()],
        status: Some("Approved".into()),
        tier: None,
    }
}

fn subscriptions_path() -> String {
    format!("/v2/publications/{PUBLICATION_ID}/subscriptions")
}

#[tokio::test]
async fn verify_reads_the_publication_with_the_bearer_key() {
    let (fake, running) = BeehiivFake::start().await;
    assert!(connector(&running).verify().await.unwrap().is_empty());
    assert_eq!(
        fake.journal().lines(),
        [format!("GET /v2/publications/{PUBLICATION_ID}")]
    );
    let bearer = format!("Bearer {API_KEY}");
    assert_eq!(fake.journal().all()[0].header("authorization"), Some(bearer.as_str()));
}

#[tokio::test]
async fn a_wrong_key_or_publication_is_rejected_clearly() {
    let (fake, running) = BeehiivFake::start().await;
    let ctx = CrmContext::new(endpoints(&running));
    let wrong = "bh_live_wrongwrongwrong";
    let error = connect(&ctx, wrong, PUBLICATION_ID)
        .unwrap()
        .verify()
        .await
        .unwrap_err();
    assert_eq!(
        error,
        CrmError::Rejected("beehiiv rejected the API key: Unauthorized: invalid API key".into())
    );
    let other = "pub_00000000-0000-0000-0000-000000000000";
    let error = connect(&ctx, API_KEY, other).unwrap().verify().await.unwrap_err();
    assert_eq!(
        error,
        CrmError::Rejected(format!("no publication {other} for this API key"))
    );

    fake.journal().clear();
    let Err(error) = connect(&ctx, API_KEY, "pub_1/../../x") else {
        panic!("a publication id with a path in it was taken");
    };
    assert_eq!(error.code(), "integration_credentials_rejected");
    let Err(missing) = connect(&ctx, API_KEY, "") else {
        panic!("a blank publication id was taken");
    };
    assert_eq!(missing.to_string(), "the Publication ID is missing");
    assert!(fake.journal().is_empty());
}

#[tokio::test]
async fn the_picker_offers_the_publication() {
    let (_fake, running) = BeehiivFake::start().await;
    let found = connector(&running).destinations().await.unwrap();
    assert_eq!(
        found,
        [Destination {
            id: PUBLICATION_ID.into(),
            name: PUBLICATION_NAME.into()
        }]
    );
}

#[tokio::test]
async fn sync_subscribes_without_welcome_email_then_tags() {
    let (fake, running) = BeehiivFake::start().await;
    let mut progress = SyncProgress::default();
    connector(&running).sync(&jane(), &[], &mut progress).await.unwrap();

    let id = fake.subscription("jane+aff@brand.test").unwrap().id;
    assert_eq!(
        fake.journal().lines(),
        [
            format!("POST {}", subscriptions_path()),
            format!("POST {}/{id}/tags", subscriptions_path())
        ]
    );
    let calls = fake.journal().all();
    assert_eq!(
        calls[0].body_json(),
        json!({
            "email": "jane+aff@brand.test",
            "reactivate_existing": true,
            "send_welcome_email": false,
            "utm_source": "Afflux",
        })
    );
    assert_eq!(calls[1].body_json(), json!({ "tags": ["Afflux affiliate", "Spring"] }));

    let subscription = fake.subscription("jane+aff@brand.test").unwrap();
    assert!(!subscription.welcome_email_sent);
    assert_eq!(subscription.tags, ["Afflux affiliate", "Spring"]);
    assert_eq!(progress.contact_id, Some(id));
    assert_eq!(progress.done, ["upsert", "tags"]);
}

#[tokio::test]
async fn an_existing_subscriber_409_is_success_and_still_tagged() {
    let (fake, running) = BeehiivFake::start().await;
    let id = fake.add_subscription("jane+aff@brand.test", "active");
    let mut progress = SyncProgress::default();
    connector(&running).sync(&jane(), &[], &mut progress).await.unwrap();
    assert_eq!(
        fake.journal().lines(),
        [
            format!("POST {}", subscriptions_path()),
            format!("GET {}/by_email/jane%2Baff%40brand.test", subscriptions_path()),
            format!("POST {}/{id}/tags", subscriptions_path()),
        ]
    );
    assert_eq!(fake.subscription("jane+aff@brand.test").unwrap().tags.len(), 2);
    assert_eq!(progress.contact_id, Some(id));
}

#[tokio::test]
async fn an_unsubscribed_reader_is_reactivated() {
    let (fake, running) = BeehiivFake::start().await;
    fake.add_subscription("jane+aff@brand.test", "inactive");
    connector(&running)
        .sync(&jane(), &[], &mut SyncProgress::default())
        .await
        .unwrap();
    assert_eq!(fake.subscription("jane+aff@brand.test").unwrap().status, "active");
    assert_eq!(fake.journal().len(), 2);
}

#[tokio::test]
async fn a_retry_after_a_failed_tag_call_only_tags() {
    let (fake, running) = BeehiivFake::start().await;
    fake.fail_next_on("/tags", Failure::ServerError(500));
    let connector = connector(&running);
    let mut progress = SyncProgress::default();
    let error = connector.sync(&jane(), &[], &mut progress).await.unwrap_err();
    assert!(matches!(error, CrmError::Unavailable(_)), "{error:?}");
    assert_eq!(progress.done, ["upsert"]);

    fake.journal().clear();
    connector.sync(&jane(), &[], &mut progress).await.unwrap();
    let id = progress.contact_id.clone().unwrap();
    assert_eq!(
        fake.journal().lines(),
        [format!("POST {}/{id}/tags", subscriptions_path())]
    );
    assert_eq!(progress.done, ["upsert", "tags"]);
}

#[tokio::test]
async fn without_tags_only_the_subscription_is_made() {
    let (fake, running) = BeehiivFake::start().await;
    let untagged = Contact { tags: vec![], ..jane() };
    let mut progress = SyncProgress::default();
    connector(&running).sync(&untagged, &[], &mut progress).await.unwrap();
    assert_eq!(fake.journal().lines(), [format!("POST {}", subscriptions_path())]);
    assert_eq!(progress.done, ["upsert", "tags"]);
}

#[tokio::test]
async fn a_429_a_500_an_html_page_and_a_hang() {
    let (fake, running) = BeehiivFake::start().await;
    let connector = connector(&running);
    fake.fail_next(Failure::RateLimited { retry_after: Some(12) });
    let error = connector.verify().await.unwrap_err();
    assert_eq!(
        error,
        CrmError::RateLimited {
            wait: Duration::from_secs(12)
        }
    );
    fake.fail_next(Failure::ServerError(503));
    let error = connector.destinations().await.unwrap_err();
    assert!(matches!(error, CrmError::Unavailable(_)), "{error:?}");
    fake.fail_next(Failure::NotJson);
    let error = connector
        .sync(&jane(), &[], &mut SyncProgress::default())
        .await
        .unwrap_err();
    assert!(matches!(error, CrmError::Malformed(_)), "{error:?}");

    fake.fail_next(Failure::Hang(Duration::from_secs(5)));
    let impatient = CrmContext::with_call_timeout(endpoints(&running), Duration::from_millis(300));
    let error = connect(&impatient, API_KEY, PUBLICATION_ID)
        .unwrap()
        .verify()
        .await
        .unwrap_err();
    assert_eq!(error, CrmError::Unavailable("beehiiv did not answer in time".into()));
}
