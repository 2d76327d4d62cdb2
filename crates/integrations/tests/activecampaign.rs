//! The ActiveCampaign connector against the fake ActiveCampaign: the three-call sequence,
//! tags resolved by name or created, progress between attempts and the failure modes.

use std::collections::BTreeMap;
use std::time::Duration;

use afflux_domain::{CrmVendor, Destination};
use afflux_fakes::Running;
use afflux_fakes::activecampaign::{API_TOKEN, ActiveCampaignFake, Failure};
use afflux_integrations::crm::{Connector, Contact, Credentials, CrmContext, CrmError, Endpoints, SyncProgress};
use serde_json::json;

const ACCOUNT_URL: &str = "https://brand.api-us1.com";

fn endpoints(running: &Running) -> Endpoints {
    Endpoints::default().with("AFFLUX_ACTIVECAMPAIGN_BASE_URL", &running.base_url())
}

fn connect(ctx: &CrmContext, account_url: &str, key: &str) -> Result<Box<dyn Connector>, CrmError> {
    let credentials = Credentials {
        account_url: Some(account_url.into()),
        api_key: Some(key.into()),
        ..Credentials::default()
    };
    ctx.connector(CrmVendor::ActiveCampaign, &credentials, &BTreeMap::new())
}

fn connector(running: &Running) -> Box<dyn Connector> {
    connect(&CrmContext::new(endpoints(running)), ACCOUNT_URL, API_TOKEN).expect("valid credentials")
}

fn jane() -> Contact {
    Contact {
        email: "jane@brand.test".into(),
        first_name: Some("Jane".into()),
        last_name: None,
        tags: vec!["Afflux affiliate".into(), "VIP".into()],
        status: Some("Approved".into()),
        tier: None,
    }
}

fn list() -> Vec<Destination> {
    vec![Destination {
        id: "7".into(),
        name: "Partners".into(),
    }]
}

async fn started() -> (ActiveCampaignFake, Running) {
    let (fake, running) = ActiveCampaignFake::start().await;
    fake.add_list("7", "Partners");
    (fake, running)
}

#[tokio::test]
async fn verify_reads_the_tokens_user() {
    let (fake, running) = started().await;
    assert!(connector(&running).verify().await.unwrap().is_empty());
    assert_eq!(fake.journal().lines(), ["GET /api/3/users/me"]);
    assert_eq!(fake.journal().all()[0].header("api-token"), Some(API_TOKEN));
}

#[tokio::test]
async fn a_wrong_token_is_rejected_without_echoing_it() {
    let (_fake, running) = started().await;
    let wrong = "not-the-token-0123456789";
    let connector = connect(&CrmContext::new(endpoints(&running)), ACCOUNT_URL, wrong).unwrap();
    let error = connector.verify().await.unwrap_err();
    assert_eq!(
        error,
        CrmError::Rejected("ActiveCampaign rejected the API key for this account URL (HTTP 403)".into())
    );
}

#[tokio::test]
async fn the_account_url_must_be_an_activecampaign_host() {
    let (fake, running) = started().await;
    let ctx = CrmContext::new(endpoints(&running));
    for bad in [
        "https://evil.test",
        "http://brand.api-us1.com",
        "https://brand.api-us1.com.evil.test",
    ] {
        let Err(error) = connect(&ctx, bad, API_TOKEN) else {
            panic!("{bad} was taken");
        };
        assert_eq!(
            error,
            CrmError::Rejected("the account URL must look like https://youraccount.api-us1.com".into())
        );
    }
    let Err(missing) = connect(&ctx, " ", API_TOKEN) else {
        panic!("a blank account URL was taken");
    };
    assert_eq!(missing.to_string(), "the Account URL is missing");
    assert!(connect(&ctx, "https://brand.activehosted.com/", API_TOKEN).is_ok());
    assert!(fake.journal().is_empty());
}

#[tokio::test]
async fn the_picker_pages_through_every_list() {
    let (fake, running) = ActiveCampaignFake::start().await;
    for n in 1..=120 {
        fake.add_list(&n.to_string(), &format!("List {n}"));
    }
    let found = connector(&running).destinations().await.unwrap();
    assert_eq!(found.len(), 120);
    assert_eq!(
        found[0],
        Destination {
            id: "1".into(),
            name: "List 1".into()
        }
    );
    let calls = fake.journal().all();
    let pages: Vec<_> = calls
        .iter()
        .map(|c| (c.line(), c.query_param("limit"), c.query_param("offset")))
        .collect();
    assert_eq!(
        pages,
        [
            ("GET /api/3/lists".into(), Some("100".into()), Some("0".into())),
            ("GET /api/3/lists".into(), Some("100".into()), Some("100".into())),
        ]
    );
}

#[tokio::test]
async fn sync_upserts_lists_and_tags_creating_missing_tags_by_name() {
    let (fake, running) = started().await;
    let vip = fake.add_tag("VIP");
    fake.add_tag("VIP Gold");
    let mut progress = SyncProgress::default();
    connector(&running).sync(&jane(), &list(), &mut progress).await.unwrap();

    assert_eq!(
        fake.journal().lines(),
        [
            "POST /api/3/contact/sync",
            "POST /api/3/contactLists",
            "GET /api/3/tags",
            "POST /api/3/tags",
            "POST /api/3/contactTags",
            "GET /api/3/tags",
            "POST /api/3/contactTags",
        ]
    );
    let calls = fake.journal().all();
    let contact_id = fake.contact("jane@brand.test").unwrap().id;
    let numeric_id: u64 = contact_id.parse().unwrap();
    assert_eq!(
        calls[0].body_json(),
        json!({ "contact": { "email": "jane@brand.test", "firstName": "Jane" } })
    );
    assert_eq!(
        calls[1].body_json(),
        json!({ "contactList": { "list": 7, "contact": numeric_id, "status": 1 } })
    );
    assert_eq!(calls[2].query_param("search").as_deref(), Some("Afflux affiliate"));
    assert_eq!(
        calls[3].body_json(),
        json!({ "tag": { "tag": "Afflux affiliate", "tagType": "contact", "description": "" } })
    );
    assert_eq!(calls[5].query_param("search").as_deref(), Some("VIP"));
    let vip: u64 = vip.parse().unwrap();
    assert_eq!(
        calls[6].body_json(),
        json!({ "contactTag": { "contact": numeric_id, "tag": vip } })
    );
    assert!(calls.iter().all(|c| c.header("api-token") == Some(API_TOKEN)));

    assert_eq!(fake.contact_tag_names("jane@brand.test"), ["Afflux affiliate", "VIP"]);
    assert_eq!(fake.tag_names(), ["VIP", "VIP Gold", "Afflux affiliate"]);
    assert_eq!(fake.contact("jane@brand.test").unwrap().lists.get("7"), Some(&1));
    assert_eq!(progress.contact_id, Some(contact_id));
    assert_eq!(progress.done, ["upsert", "list:7", "tag:afflux affiliate", "tag:vip"]);
}

#[tokio::test]
async fn an_existing_contact_keeps_what_is_not_sent_and_tags_are_not_doubled() {
    let (fake, running) = started().await;
    fake.add_contact("jane@brand.test", "J.", "Doe");
    fake.add_tag("AFFLUX AFFILIATE");
    fake.add_tag("VIP");
    let connector = connector(&running);
    connector
        .sync(&jane(), &list(), &mut SyncProgress::default())
        .await
        .unwrap();
    // A second sync from scratch: the contact already has both tags (a 422 that counts as done).
    connector
        .sync(&jane(), &list(), &mut SyncProgress::default())
        .await
        .unwrap();

    let contact = fake.contact("jane@brand.test").unwrap();
    assert_eq!(
        (contact.first_name.as_str(), contact.last_name.as_str()),
        ("Jane", "Doe")
    );
    assert_eq!(fake.contact_tag_names("jane@brand.test"), ["AFFLUX AFFILIATE", "VIP"]);
    assert_eq!(fake.tag_names().len(), 2, "no tag was created");
    assert!(!fake.journal().lines().contains(&"POST /api/3/tags".to_owned()));
}

#[tokio::test]
async fn a_retry_after_a_failed_list_call_skips_the_upsert() {
    let (fake, running) = started().await;
    fake.fail_next_on("/contactLists", Failure::ServerError(500));
    let connector = connector(&running);
    let mut progress = SyncProgress::default();
    let error = connector.sync(&jane(), &list(), &mut progress).await.unwrap_err();
    assert!(matches!(error, CrmError::Unavailable(_)), "{error:?}");
    assert_eq!(progress.done, ["upsert"]);
    assert!(progress.contact_id.is_some());

    fake.journal().clear();
    connector.sync(&jane(), &list(), &mut progress).await.unwrap();
    let lines = fake.journal().lines();
    assert_eq!(lines[0], "POST /api/3/contactLists");
    assert!(!lines.contains(&"POST /api/3/contact/sync".to_owned()));
    assert_eq!(progress.done.len(), 4);
}

#[tokio::test]
async fn a_429_waits_as_retry_after_says_else_one_second() {
    let (fake, running) = started().await;
    fake.fail_next(Failure::RateLimited { retry_after: None });
    fake.fail_next(Failure::RateLimited { retry_after: Some(4) });
    let connector = connector(&running);
    let error = connector.verify().await.unwrap_err();
    assert_eq!(
        error,
        CrmError::RateLimited {
            wait: Duration::from_secs(1)
        }
    );
    let error = connector.verify().await.unwrap_err();
    assert_eq!(
        error,
        CrmError::RateLimited {
            wait: Duration::from_secs(4)
        }
    );
}

#[tokio::test]
async fn an_html_page_is_malformed_and_a_hang_unavailable() {
    let (fake, running) = started().await;
    fake.fail_next_on("/contact/sync", Failure::NotJson);
    let error = connector(&running)
        .sync(&jane(), &list(), &mut SyncProgress::default())
        .await
        .unwrap_err();
    assert!(matches!(error, CrmError::Malformed(_)), "{error:?}");

    fake.fail_next(Failure::Hang(Duration::from_secs(5)));
    let impatient = CrmContext::with_call_timeout(endpoints(&running), Duration::from_millis(300));
    let error = connect(&impatient, ACCOUNT_URL, API_TOKEN)
        .unwrap()
        .verify()
        .await
        .unwrap_err();
    assert_eq!(
        error,
        CrmError::Unavailable("ActiveCampaign did not answer in time".into())
    );
}

#[tokio::test]
async fn an_invalid_address_is_refused_in_activecampaigns_words() {
    let (_fake, running) = started().await;
    let bad = Contact {
        email: "not-an-address".into(),
        ..jane()
    };
    let error = connector(&running)
        .sync(&bad, &list(), &mut SyncProgress::default())
        .await
        .unwrap_err();
    assert_eq!(
        error,
        CrmError::Refused("ActiveCampaign refused the request: Email address is invalid.".into())
    );
}
