//! The Customer.io connector against the fake Track API in both regions: region detection
//! (US first, then EU), the person upsert and the failure modes.

use std::collections::BTreeMap;
use std::time::Duration;

use afflux_domain::{CrmVendor, Destination};
use afflux_fakes::Running;
use afflux_fakes::customerio::{API_KEY, CustomerIoFake, Failure, Region, SITE_ID};
use afflux_integrations::crm::{
    CUSTOMERIO_EU_VARIABLE, Connector, Contact, Credentials, CrmContext, CrmError, Endpoints, SyncProgress,
};
use serde_json::json;

/// `printf %s "$SITE_ID:$API_KEY" | base64`
const BASIC: &str = "Basic M2YyYzllOGExYjdkNGM2ZTVhOTA6OWM4YjdhNmY1ZTRkM2MyYjFhMDk=";
const JANE_PATH: &str = "/api/v1/customers/jane%2Baff%40brand.test";

fn endpoints(us: &Running, eu: &Running) -> Endpoints {
    Endpoints::default()
        .with("AFFLUX_CUSTOMERIO_BASE_URL", &us.base_url())
        .with(CUSTOMERIO_EU_VARIABLE, &eu.base_url())
}

fn connect(ctx: &CrmContext, key: &str, region: Option<&str>) -> Box<dyn Connector> {
    let credentials = Credentials {
        site_id: Some(SITE_ID.into()),
        api_key: Some(key.into()),
        ..Credentials::default()
    };
    let state: BTreeMap<_, _> = region
        .map(|r| ("region".to_owned(), r.to_owned()))
        .into_iter()
        .collect();
    ctx.connector(CrmVendor::CustomerIo, &credentials, &state)
        .expect("site id and key")
}

fn connector(us: &Running, eu: &Running, region: Option<&str>) -> Box<dyn Connector> {
    connect(&CrmContext::new(endpoints(us, eu)), API_KEY, region)
}

fn jane() -> Contact {
    Contact {
        email: "jane+aff@brand.test".into(),
        first_name: Some("Jane".into()),
        last_name: None,
        tags: vec!["Afflux affiliate".into(), "Spring".into()],
        status: Some("Approved".into()),
        tier: Some("Gold".into()),
    }
}

#[tokio::test]
async fn verify_finds_a_us_workspace_at_once() {
    let (fake, us, eu) = CustomerIoFake::start().await;
    let state = connector(&us, &eu, None).verify().await.unwrap();
    assert_eq!(state, BTreeMap::from([("region".to_owned(), "us".to_owned())]));
    assert_eq!(fake.calls(), ["us GET /auth"]);
    assert_eq!(fake.journal(Region::Us).all()[0].header("authorization"), Some(BASIC));
}

#[tokio::test]
async fn verify_fails_over_to_the_eu() {
    let (fake, us, eu) = CustomerIoFake::start().await;
    fake.set_region(Some(Region::Eu));
    let state = connector(&us, &eu, None).verify().await.unwrap();
    assert_eq!(state, BTreeMap::from([("region".to_owned(), "eu".to_owned())]));
    assert_eq!(fake.calls(), ["us GET /auth", "eu GET /auth"]);
    assert_eq!(fake.journal(Region::Eu).all()[0].header("authorization"), Some(BASIC));
}

#[tokio::test]
async fn credentials_refused_in_both_regions_are_rejected_by_name() {
    let (fake, us, eu) = CustomerIoFake::start().await;
    let wrong = "0000wrongkey0000";
    let error = connect(&CrmContext::new(endpoints(&us, &eu)), wrong, None)
        .verify()
        .await
        .unwrap_err();
    assert!(matches!(error, CrmError::Rejected(_)), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("Site ID and API key") && message.contains("US and the EU"),
        "{message}"
    );
    assert!(!message.contains(wrong));
    assert_eq!(fake.calls(), ["us GET /auth", "eu GET /auth"]);
}

#[tokio::test]
async fn there_is_no_picker() {
    let (fake, us, eu) = CustomerIoFake::start().await;
    assert_eq!(connector(&us, &eu, Some("us")).destinations().await.unwrap(), []);
    assert!(fake.calls().is_empty());
}

#[tokio::test]
async fn sync_puts_the_person_in_the_remembered_region() {
    let (fake, us, eu) = CustomerIoFake::start().await;
    fake.set_region(Some(Region::Eu));
    let mut progress = SyncProgress::default();
    let lists = [Destination {
        id: "ignored".into(),
        name: "Ignored".into(),
    }];
    connector(&us, &eu, Some("eu"))
        .sync(&jane(), &lists, &mut progress)
        .await
        .unwrap();

    assert_eq!(fake.calls(), [format!("eu PUT {JANE_PATH}")]);
    let call = &fake.journal(Region::Eu).all()[0];
    assert_eq!(call.header("authorization"), Some(BASIC));
    assert_eq!(
        call.body_json(),
        json!({
            "email": "jane+aff@brand.test",
            "first_name": "Jane",
            "afflux_tags": "Afflux affiliate,Spring",
            "afflux_status": "Approved",
            "afflux_tier": "Gold",
        })
    );
    assert_eq!(fake.customer("jane+aff@brand.test").unwrap()["afflux_tier"], "Gold");
    assert_eq!(progress.done, ["upsert"]);

    // Done is done: a retry of a finished sync calls nobody.
    connector(&us, &eu, Some("eu"))
        .sync(&jane(), &lists, &mut progress)
        .await
        .unwrap();
    assert_eq!(fake.calls().len(), 1);
}

#[tokio::test]
async fn sync_without_a_remembered_region_probes_us_then_eu() {
    let (fake, us, eu) = CustomerIoFake::start().await;
    fake.set_region(Some(Region::Eu));
    fake.add_customer("jane+aff@brand.test", json!({ "plan": "pro", "first_name": "Janet" }));
    let paused = Contact {
        first_name: None,
        tags: vec![],
        status: Some("Paused".into()),
        ..jane()
    };
    connector(&us, &eu, None)
        .sync(&paused, &[], &mut SyncProgress::default())
        .await
        .unwrap();
    assert_eq!(
        fake.calls(),
        [format!("us PUT {JANE_PATH}"), format!("eu PUT {JANE_PATH}")]
    );
    let customer = fake.customer("jane+aff@brand.test").unwrap();
    assert_eq!(customer["plan"], "pro");
    assert_eq!(customer["first_name"], "Janet");
    assert_eq!(customer["afflux_status"], "Paused");
    assert!(!customer.contains_key("afflux_tags"));
}

#[tokio::test]
async fn credentials_revoked_since_connecting_are_rejected_without_probing() {
    let (fake, us, eu) = CustomerIoFake::start().await;
    fake.set_region(None);
    let error = connector(&us, &eu, Some("us"))
        .sync(&jane(), &[], &mut SyncProgress::default())
        .await
        .unwrap_err();
    assert!(matches!(error, CrmError::Rejected(_)), "{error:?}");
    assert!(error.to_string().contains("in the US region"), "{error}");
    assert_eq!(fake.calls(), [format!("us PUT {JANE_PATH}")]);
}

#[tokio::test]
async fn a_429_waits_as_retry_after_says() {
    let (fake, us, eu) = CustomerIoFake::start().await;
    fake.fail_next(Failure::RateLimited { retry_after: Some(5) });
    let error = connector(&us, &eu, Some("us"))
        .sync(&jane(), &[], &mut SyncProgress::default())
        .await
        .unwrap_err();
    assert_eq!(
        error,
        CrmError::RateLimited {
            wait: Duration::from_secs(5)
        }
    );
}

#[tokio::test]
async fn a_500_an_html_page_and_a_hang_leave_the_sync_to_retry() {
    let (fake, us, eu) = CustomerIoFake::start().await;
    let connector = connector(&us, &eu, Some("us"));
    let mut progress = SyncProgress::default();
    fake.fail_next(Failure::ServerError(500));
    let error = connector.sync(&jane(), &[], &mut progress).await.unwrap_err();
    assert!(matches!(error, CrmError::Unavailable(_)), "{error:?}");
    fake.fail_next(Failure::NotJson);
    let error = connector.sync(&jane(), &[], &mut progress).await.unwrap_err();
    assert!(matches!(error, CrmError::Malformed(_)), "{error:?}");
    assert!(progress.done.is_empty());

    fake.fail_next(Failure::Hang(Duration::from_secs(5)));
    let impatient = CrmContext::with_call_timeout(endpoints(&us, &eu), Duration::from_millis(300));
    let error = connect(&impatient, API_KEY, None).verify().await.unwrap_err();
    assert_eq!(
        error,
        CrmError::Unavailable("Customer.io did not answer in time".into())
    );
}
