//! The per-account rate gate against the Ontraport fake's window: a burst of syncs larger
//! than the window never goes over the announced limit.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use afflux_domain::CrmVendor;
use afflux_fakes::ontraport::{API_KEY, APP_ID, Config, OntraportFake};
use afflux_integrations::crm::{Connector, Contact, Credentials, CrmContext, Endpoints, SyncProgress};

const LIMIT: u32 = 40;
const WINDOW: Duration = Duration::from_secs(1);

#[tokio::test]
async fn the_fake_counts_requests_beyond_its_window() {
    let (fake, running) = OntraportFake::start(Config::rate_limited(2, Duration::from_secs(60))).await;
    let http = reqwest::Client::new();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let answer = http
            .get(format!("{}/1/Contacts", running.base_url()))
            .header("Api-Appid", APP_ID)
            .header("Api-Key", API_KEY)
            .send()
            .await
            .unwrap();
        let remaining = answer.headers()["x-rate-limit-remaining"].to_str().unwrap().to_owned();
        statuses.push((answer.status().as_u16(), remaining));
    }
    let expected = [(200, "1"), (200, "0"), (429, "0"), (429, "0")].map(|(s, r)| (s, r.to_owned()));
    assert_eq!(statuses, expected);
    assert_eq!(fake.over_limit_count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_syncs_stays_within_the_announced_limit() {
    let (fake, running) = OntraportFake::start(Config::rate_limited(LIMIT, WINDOW)).await;
    let ctx = CrmContext::new(Endpoints::default().with("AFFLUX_ONTRAPORT_BASE_URL", &running.base_url()));
    let credentials = Credentials {
        app_id: Some(APP_ID.into()),
        api_key: Some(API_KEY.into()),
        ..Credentials::default()
    };
    let connector: Arc<dyn Connector> = match ctx.connector(CrmVendor::Ontraport, &credentials, &BTreeMap::new()) {
        Ok(connector) => connector.into(),
        Err(e) => panic!("the connector builds: {e}"),
    };
    let started = Instant::now();
    let syncs: Vec<_> = (0..50)
        .map(|n| {
            let connector = connector.clone();
            tokio::spawn(async move {
                let contact = Contact {
                    email: format!("affiliate{n}@example.com"),
                    first_name: None,
                    last_name: None,
                    tags: vec!["Afflux affiliate".into()],
                    status: None,
                    tier: None,
                };
                connector.sync(&contact, &[], &mut SyncProgress::default()).await
            })
        })
        .collect();
    for sync in syncs {
        sync.await.unwrap().unwrap();
    }

    let lines = fake.journal().lines();
    assert!(
        lines.len() > 2 * LIMIT as usize,
        "the burst must span windows: {}",
        lines.len()
    );
    assert_eq!(fake.over_limit_count(), 0);
    assert!(started.elapsed() >= 2 * WINDOW);
    let count = |line: &str| lines.iter().filter(|l| *l == line).count();
    assert_eq!(count("POST /1/objects/saveorupdate"), 50);
    assert_eq!(count("PUT /1/objects/tag"), 50);
    // Syncs waiting on the same missing tag share one look-up and one creation.
    assert_eq!((count("GET /1/Tags"), count("POST /1/Tags")), (1, 1));
    assert!(fake.contacts().iter().all(|c| c.tags == ["Afflux affiliate"]));
}
