//! Bad input is refused in the API error shape and writes nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Reply, TestApp, assert_error, id, ids, program, with};

/// What the organization holds, to compare before and after refused requests.
async fn state(t: &TestApp) -> (Value, Value, Value, usize) {
    let key = &t.org.key;
    let programs = t.get("/api/v1/programs?includeArchived=true", key).await.1;
    let affiliates = t.get("/api/v1/affiliates", key).await.1;
    let team = t.get("/api/v1/team", key).await.1;
    (programs, affiliates, team, t.audit(t.org.id).await.len())
}

fn pair(reply: Reply) -> (StatusCode, Value) {
    (reply.status, reply.body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_program_input_writes_nothing() {
    let t = TestApp::spawn().await;
    let key = &t.org.key;
    let before = state(&t).await;
    let valid = program("Pro", "pro");

    // Not JSON, or not declared as JSON.
    let reply = pair(
        t.post_raw("/api/v1/programs", key, Some("application/json"), r#"{"name": "Pro","#)
            .await,
    );
    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", None);
    let reply = pair(t.post_raw("/api/v1/programs", key, Some("application/json"), "").await);
    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", None);
    let reply = pair(
        t.post_raw("/api/v1/programs", key, Some("application/json"), "[1, 2]")
            .await,
    );
    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", None);
    let reply = pair(
        t.post_raw("/api/v1/programs", key, Some("text/plain"), valid.to_string())
            .await,
    );
    assert_error(
        &reply,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        None,
    );
    let reply = pair(t.post_raw("/api/v1/programs", key, None, valid.to_string()).await);
    assert_error(
        &reply,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        None,
    );
    let reply = pair(
        t.post_raw(
            "/api/v1/programs",
            key,
            Some("application/x-www-form-urlencoded"),
            "name=Pro",
        )
        .await,
    );
    assert_error(
        &reply,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        None,
    );

    // Over 1 MiB.
    let huge = with(valid.clone(), json!({ "description": "x".repeat(1024 * 1024 + 10) }));
    let reply = pair(
        t.post_raw("/api/v1/programs", key, Some("application/json"), huge.to_string())
            .await,
    );
    assert_error(&reply, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", None);

    // Wrong types, unknown fields and enum values, each naming its field.
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({ "defaultCommissionType": "Bogus" }),
            "validation_failed",
            "defaultCommissionType",
        ),
        (
            json!({ "defaultCommissionModel": "Cpa" }),
            "validation_failed",
            "defaultCommissionModel",
        ),
        (
            json!({ "attributionModel": "Linear" }),
            "validation_failed",
            "attributionModel",
        ),
        (json!({ "name": "n".repeat(121) }), "validation_failed", "name"),
        (json!({ "name": "   " }), "validation_failed", "name"),
        (json!({ "name": 5 }), "validation_failed", "name"),
        (json!({ "slug": "has space" }), "validation_failed", "slug"),
        (json!({ "slug": "ab" }), "validation_failed", "slug"),
        (
            json!({ "destinationUrl": "javascript:alert(1)" }),
            "validation_failed",
            "destinationUrl",
        ),
        (
            json!({ "destinationUrl": "/relative" }),
            "validation_failed",
            "destinationUrl",
        ),
        (
            json!({ "termsUrl": "ftp://example.com/terms" }),
            "validation_failed",
            "termsUrl",
        ),
        (json!({ "currency": "XBT" }), "unsupported_currency", "currency"),
        (json!({ "currency": "US" }), "currency_must_be_3_letters", "currency"),
        (json!({ "currency": "U5D" }), "currency_must_be_3_letters", "currency"),
        (
            json!({ "defaultCommissionValue": "-5" }),
            "validation_failed",
            "defaultCommissionValue",
        ),
        (
            json!({ "defaultCommissionValue": "abc" }),
            "validation_failed",
            "defaultCommissionValue",
        ),
        (
            json!({ "defaultCommissionValue": "100.01" }),
            "validation_failed",
            "defaultCommissionValue",
        ),
        (
            json!({ "defaultCommissionValue": "1.234" }),
            "validation_failed",
            "defaultCommissionValue",
        ),
        (
            json!({ "defaultCommissionType": "Fixed", "currency": "JPY", "defaultCommissionValue": "1.5" }),
            "validation_failed",
            "defaultCommissionValue",
        ),
        (
            json!({ "cookieWindowDays": 0 }),
            "validation_failed",
            "cookieWindowDays",
        ),
        (
            json!({ "cookieWindowDays": 3651 }),
            "validation_failed",
            "cookieWindowDays",
        ),
        (
            json!({ "cookieWindowDays": "sixty" }),
            "validation_failed",
            "cookieWindowDays",
        ),
        (json!({ "autoApprove": "yes" }), "validation_failed", "autoApprove"),
        (json!({ "archived": true }), "validation_failed", "archived"),
        (
            json!({ "description": "d".repeat(5001) }),
            "validation_failed",
            "description",
        ),
    ];
    for (patch, code, field) in cases {
        let body = with(valid.clone(), patch.clone());
        let reply = t.post("/api/v1/programs", key, body).await;
        assert_eq!(reply.0, StatusCode::BAD_REQUEST, "{patch}: {}", reply.1);
        assert_error(&reply, StatusCode::BAD_REQUEST, code, Some(field));
    }
    // A missing required field.
    let mut missing = valid.clone();
    missing.as_object_mut().unwrap().remove("destinationUrl");
    let (status, body) = t.post("/api/v1/programs", key, missing).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["message"].as_str().unwrap().contains("destinationUrl"), "{body}");

    assert_eq!(state(&t).await, before, "nothing was written");
    // The boundary itself is fine.
    let ok = t
        .create_program(key, with(valid, json!({ "name": "n".repeat(120), "currency": "jpy" })))
        .await;
    assert_eq!(ok["currency"], "JPY");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_changes_leave_objects_unchanged() {
    let t = TestApp::spawn().await;
    let key = &t.org.key;
    let p = t.create_program(key, program("Pro", "pro")).await;
    let a = t.applicant(t.org.id, "pro", "jane@example.com").await;
    let before = state(&t).await;
    let program_path = format!("/api/v1/programs/{}", id(&p));
    let affiliate_path = format!("/api/v1/affiliates/{}", id(&a));

    let bad_patches = [
        json!({ "name": "" }),
        json!({ "currency": "XBT" }),
        json!({ "defaultCommissionType": "Bogus" }),
        json!({ "destinationUrl": "nope" }),
        json!({ "unknown": 1 }),
    ];
    for patch in bad_patches {
        let (status, body) = t.patch(&program_path, key, patch.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{patch}: {body}");
    }
    let reply = pair(
        t.send(
            t.request(reqwest::Method::PATCH, &program_path, key)
                .body(r#"{"name":"#)
                .header("content-type", "application/json"),
        )
        .await,
    );
    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", None);
    let reply = pair(
        t.send(
            t.request(reqwest::Method::PATCH, &program_path, key)
                .body(r#"{"name":"x"}"#)
                .header("content-type", "text/plain"),
        )
        .await,
    );
    assert_error(
        &reply,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        None,
    );

    // Decision bodies: wrong type, unknown field, non-JSON.
    let reply = t
        .post(&format!("{affiliate_path}/approve"), key, json!({ "notify": "yes" }))
        .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", Some("notify"));
    let reply = pair(
        t.post_raw(&format!("{affiliate_path}/approve"), key, Some("text/plain"), "please")
            .await,
    );
    assert_error(
        &reply,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        None,
    );
    let reply = pair(
        t.post_raw(&format!("{affiliate_path}/reject"), key, Some("application/json"), "{")
            .await,
    );
    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", None);

    // Affiliates, team and keys.
    let reply = t
        .post(
            "/api/v1/affiliates",
            key,
            json!({ "programId": id(&p), "email": "bad@" }),
        )
        .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", Some("email"));
    let reply = t
        .post(
            "/api/v1/affiliates",
            key,
            json!({ "programId": "nope", "email": "ok@example.com" }),
        )
        .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", Some("programId"));
    let reply = t
        .put(&format!("{affiliate_path}/slug"), key, json!({ "slug": "no/slash" }))
        .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", Some("slug"));
    let reply = t
        .post("/api/v1/team/invites", key, json!({ "email": "a@b", "role": "Viewer" }))
        .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", Some("email"));
    let reply = t
        .post("/api/v1/api-keys", key, json!({ "name": "k", "scope": "admin" }))
        .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", Some("scope"));
    let reply = pair(
        t.post_raw(
            &format!("/api/v1/public/{}/programs/pro/apply", t.org.id),
            "",
            Some("application/json"),
            "{\"email\":",
        )
        .await,
    );
    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", None);
    let reply = pair(
        t.post_raw(
            &format!("/api/v1/public/{}/programs/pro/apply", t.org.id),
            "",
            Some("text/plain"),
            "{}",
        )
        .await,
    );
    assert_error(
        &reply,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        None,
    );

    assert_eq!(state(&t).await, before, "nothing was written");
    assert_eq!(ids(&before.0), [id(&p)]);
    let keys = t.get("/api/v1/api-keys", key).await.1;
    assert_eq!(keys.as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_answer_in_the_error_shape() {
    let t = TestApp::spawn().await;
    let reply = t.get("/api/v1/nothing-here", &t.org.key).await;
    assert_error(&reply, StatusCode::NOT_FOUND, "not_found", None);
    let reply = t.get("/api/v2/programs", "").await;
    assert_error(&reply, StatusCode::NOT_FOUND, "not_found", None);
}
