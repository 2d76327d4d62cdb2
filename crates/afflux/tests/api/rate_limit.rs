//! Request limits: per API key on the API, per client address on public forms.

use std::net::{IpAddr, Ipv4Addr};

use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use serde_json::json;

use crate::common::{Options, TestApp, assert_error, ids, program, public_client};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_requests_are_limited_per_key() {
    let t = TestApp::spawn_with(Options {
        api_requests_per_minute: 3,
        ..Options::default()
    })
    .await;
    let key = &t.org.key;
    for n in 1..=3 {
        assert_eq!(t.get("/api/v1/programs", key).await.0, StatusCode::OK, "request {n}");
    }
    let reply = t.send(t.request(reqwest::Method::GET, "/api/v1/programs", key)).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS, "{}", reply.body);
    assert_eq!(reply.body["error"], "rate_limited");
    let retry: u64 = reply
        .headers
        .get(RETRY_AFTER)
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");

    // A limited write is refused before it runs.
    let reply = t.post("/api/v1/programs", key, program("Pro", "pro")).await;
    assert_error(&reply, StatusCode::TOO_MANY_REQUESTS, "rate_limited", None);

    // Another key has its own budget, and sees that nothing was written.
    let other = t.new_org("Other", "owner@other.example", None).await;
    assert_eq!(t.get("/api/v1/programs", &other.key).await.0, StatusCode::OK);
    let audit = t.audit(t.org.id).await;
    assert!(audit.iter().all(|e| e.action != "campaign.created"), "{audit:?}");
    // Unauthenticated requests are refused as such, not counted against the key.
    assert_error(
        &t.get("/api/v1/programs", "").await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        None,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_applications_are_limited_per_address() {
    let t = TestApp::spawn().await;
    t.create_program(&t.org.key, program("Pro", "pro")).await;
    let one_address = public_client(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 77)));
    for n in 0..10 {
        let (status, body) = t
            .apply_with(
                &one_address,
                t.org.id,
                "pro",
                json!({ "email": format!("person{n}@example.com") }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "application {n}: {body}");
    }
    let (status, body) = t
        .apply_with(
            &one_address,
            t.org.id,
            "pro",
            json!({ "email": "eleventh@example.com" }),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"], "rate_limited");
    // Another address is not affected.
    let (status, _) = t
        .apply(t.org.id, "pro", json!({ "email": "elsewhere@example.com" }))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, list) = t.get("/api/v1/affiliates?perPage=100", &t.org.key).await;
    assert_eq!(ids(&list).len(), 11, "the limited one was not written");
}
