//! Concurrent requests that race for the same row: exactly one wins, the rest get the same
//! conflict a sequential request would, and the database holds one row.

use afflux_domain::PlanTier;
use futures_like::join_all;
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{Options, TestApp, ids, program};

/// `futures::future::join_all` without the dependency: spawn, then await in order.
mod futures_like {
    pub async fn join_all<T: Send + 'static>(
        futures: Vec<impl std::future::Future<Output = T> + Send + 'static>,
    ) -> Vec<T> {
        let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
        let mut out = Vec::with_capacity(handles.len());
        for handle in handles {
            out.push(handle.await.expect("task"));
        }
        out
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_applications_with_one_email() {
    let t = TestApp::spawn().await;
    let p = t.create_program(&t.org.key, program("Pro", "pro")).await;
    let url = t.url(&format!("/api/v1/public/{}/programs/pro/apply", t.org.id));
    let requests: Vec<_> = (0..20)
        .map(|n| {
            let client = t.fresh_public_client();
            let url = url.clone();
            // Same person, written differently.
            let email = if n % 2 == 0 {
                "racer@example.com"
            } else {
                "Racer@Example.com"
            };
            async move {
                let response = client
                    .post(url)
                    .json(&json!({ "email": email }))
                    .send()
                    .await
                    .expect("sent");
                let status = response.status();
                (status, response.json::<serde_json::Value>().await.expect("json"))
            }
        })
        .collect();
    let replies = join_all(requests).await;

    let created: Vec<_> = replies.iter().filter(|(s, _)| *s == StatusCode::CREATED).collect();
    assert_eq!(created.len(), 1, "{replies:?}");
    for (status, body) in replies.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
        assert_eq!(*status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["error"], "already_applied", "{body}");
        assert_eq!(body["field"], "email", "{body}");
    }
    let (_, list) = t.get("/api/v1/affiliates", &t.org.key).await;
    assert_eq!(ids(&list), [created[0].1["id"].as_str().unwrap()]);
    assert_eq!(list["data"][0]["memberships"][0]["programId"], p["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_programs_with_one_slug() {
    let t = TestApp::spawn().await;
    let requests: Vec<_> = (0..10)
        .map(|n| {
            let request = t
                .request(reqwest::Method::POST, "/api/v1/programs", &t.org.key)
                .json(&program(&format!("Pro {n}"), "pro"));
            async move {
                let response = request.send().await.expect("sent");
                (
                    response.status(),
                    response.json::<serde_json::Value>().await.expect("json"),
                )
            }
        })
        .collect();
    let replies = join_all(requests).await;
    assert_eq!(
        replies.iter().filter(|(s, _)| *s == StatusCode::CREATED).count(),
        1,
        "{replies:?}"
    );
    for (status, body) in replies.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
        assert_eq!(*status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["error"], "slug_taken", "{body}");
    }
    assert_eq!(ids(&t.get("/api/v1/programs", &t.org.key).await.1).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_programs_on_starter() {
    let t = TestApp::spawn_with(Options {
        plan: Some(PlanTier::Starter),
        ..Options::default()
    })
    .await;
    let requests: Vec<_> = (0..10)
        .map(|n| {
            let request = t
                .request(reqwest::Method::POST, "/api/v1/programs", &t.org.key)
                .json(&program(&format!("Pro {n}"), &format!("pro-{n}")));
            async move {
                let response = request.send().await.expect("sent");
                (
                    response.status(),
                    response.json::<serde_json::Value>().await.expect("json"),
                )
            }
        })
        .collect();
    let replies = join_all(requests).await;
    assert_eq!(
        replies.iter().filter(|(s, _)| *s == StatusCode::CREATED).count(),
        1,
        "{replies:?}"
    );
    for (status, body) in replies.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
        assert_eq!(*status, StatusCode::PAYMENT_REQUIRED, "{body}");
        assert_eq!(body["error"], "plan_tier_required", "{body}");
    }
    assert_eq!(
        ids(&t.get("/api/v1/programs?includeArchived=true", &t.org.key).await.1).len(),
        1
    );
}
