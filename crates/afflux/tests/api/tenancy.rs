//! Tenant isolation: one organization's key never reads, changes or lists another's objects.
//! Every endpoint taking an id answers 404 for a foreign id, exactly as for a missing one.

use afflux_domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{TestApp, assert_error, id, ids, program};

/// Everything organization B can see about itself.
async fn snapshot(t: &TestApp, key: &str, program: &str, affiliate: &str) -> Vec<Value> {
    let mut all = Vec::new();
    for path in [
        format!("/api/v1/programs/{program}"),
        "/api/v1/programs?includeArchived=true".to_owned(),
        format!("/api/v1/affiliates/{affiliate}"),
        "/api/v1/affiliates".to_owned(),
        "/api/v1/team".to_owned(),
        "/api/v1/api-keys".to_owned(),
        "/api/v1/organization".to_owned(),
    ] {
        let (status, body) = t.get(&path, key).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        all.push(body);
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_ids_are_not_found_and_nothing_changes() {
    let t = TestApp::spawn().await;
    let a = t.org.clone();
    let b = t.new_org("Beta", "owner@beta.example", None).await;

    // A has its own program and affiliate; B has a program (same slug: slugs are per
    // organization), a pending affiliate, an invitation, a second member and a second key.
    let program_a = t.create_program(&a.key, program("Alpha Pro", "pro")).await;
    let affiliate_a = t.applicant(a.id, "pro", "alpha-fan@example.com").await;
    let program_b = t.create_program(&b.key, program("Beta Pro", "pro")).await;
    let affiliate_b = t.applicant(b.id, "pro", "beta-fan@example.com").await;
    let (_, invite_b) = t
        .post(
            "/api/v1/team/invites",
            &b.key,
            json!({ "email": "newbie@beta.example", "role": "Viewer" }),
        )
        .await;
    let member_b = t.add_member(b.id, "member@beta.example", Role::Manager).await;
    let (_, key_b) = t
        .post(
            "/api/v1/api-keys",
            &b.key,
            json!({ "name": "Beta CI", "scope": "read_write" }),
        )
        .await;
    let key_b_secret = key_b["key"].as_str().unwrap().to_owned();
    let (pb, fb, ib, kb) = (id(&program_b), id(&affiliate_b), id(&invite_b), id(&key_b));
    t.wait_for_jobs().await;
    let before = snapshot(&t, &b.key, &pb, &fb).await;
    let audit_before = t.audit(b.id).await.len();

    let attempts: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/api/v1/programs/{pb}"), None),
        (
            Method::PATCH,
            format!("/api/v1/programs/{pb}"),
            Some(json!({ "name": "Hijacked" })),
        ),
        (
            Method::PATCH,
            format!("/api/v1/programs/{pb}"),
            Some(json!({ "archived": true })),
        ),
        (Method::POST, format!("/api/v1/programs/{pb}/archive"), None),
        (Method::GET, format!("/api/v1/affiliates/{fb}"), None),
        (Method::POST, format!("/api/v1/affiliates/{fb}/approve"), None),
        (
            Method::POST,
            format!("/api/v1/affiliates/{fb}/approve"),
            Some(json!({ "programId": pb })),
        ),
        (
            Method::POST,
            format!("/api/v1/affiliates/{fb}/reject"),
            Some(json!({ "reason": "x", "notify": false })),
        ),
        (Method::POST, format!("/api/v1/affiliates/{fb}/pause"), None),
        (Method::POST, format!("/api/v1/affiliates/{fb}/ban"), None),
        (
            Method::PUT,
            format!("/api/v1/affiliates/{fb}/slug"),
            Some(json!({ "slug": "hijacked-slug" })),
        ),
        // A's own affiliate, in B's program.
        (
            Method::POST,
            format!("/api/v1/affiliates/{}/approve", id(&affiliate_a)),
            Some(json!({ "programId": pb })),
        ),
        (
            Method::POST,
            "/api/v1/affiliates/invite".to_owned(),
            Some(json!({ "programId": pb, "email": "sneaky@example.com" })),
        ),
        (
            Method::POST,
            "/api/v1/affiliates".to_owned(),
            Some(json!({ "programId": pb, "email": "sneaky@example.com" })),
        ),
        (Method::DELETE, format!("/api/v1/team/invites/{ib}"), None),
        (
            Method::PATCH,
            format!("/api/v1/team/members/{member_b}"),
            Some(json!({ "role": "Viewer" })),
        ),
        (Method::DELETE, format!("/api/v1/team/members/{member_b}"), None),
        (
            Method::PATCH,
            format!("/api/v1/team/members/{}", b.owner_id),
            Some(json!({ "role": "Viewer" })),
        ),
        (Method::DELETE, format!("/api/v1/team/members/{}", b.owner_id), None),
        (Method::POST, format!("/api/v1/api-keys/{kb}/rotate"), None),
        (Method::DELETE, format!("/api/v1/api-keys/{kb}"), None),
    ];
    for (method, path, body) in attempts {
        let reply = t.call(method.clone(), &path, &a.key, body).await;
        assert_eq!(
            reply.0,
            StatusCode::NOT_FOUND,
            "{method} {path} with A's key: {}",
            reply.1
        );
        assert_error(&reply, StatusCode::NOT_FOUND, "not_found", None);
        // A foreign id answers exactly like an id that does not exist.
        assert!(reply.1.get("field").is_none(), "{method} {path}: {}", reply.1);
    }

    // B is exactly as it was, its key still works, and no audit entry was written for it.
    t.wait_for_jobs().await;
    assert_eq!(snapshot(&t, &b.key, &pb, &fb).await, before);
    assert_eq!(t.audit(b.id).await.len(), audit_before);
    assert_eq!(t.get("/api/v1/organization", &key_b_secret).await.0, StatusCode::OK);
    assert!(
        t.emails().iter().all(|m| !m.contains("sneaky@example.com")),
        "nobody was emailed"
    );
    // A is unchanged too: nothing was created on its side.
    let (_, a_affiliates) = t.get("/api/v1/affiliates", &a.key).await;
    assert_eq!(ids(&a_affiliates), [id(&affiliate_a)]);
    assert_eq!(a_affiliates["data"][0]["memberships"][0]["status"], "Pending");
    assert_eq!(
        t.get(&format!("/api/v1/programs/{}", id(&program_a)), &a.key).await.1,
        program_a
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_show_only_the_callers_rows() {
    let t = TestApp::spawn().await;
    let a = t.org.clone();
    let b = t.new_org("Beta", "owner@beta.example", None).await;
    let program_a = t.create_program(&a.key, program("Alpha", "alpha")).await;
    let program_b = t.create_program(&b.key, program("Beta", "beta")).await;
    let fan_a = t.applicant(a.id, "alpha", "fan@example.com").await;
    // The same person applying to B is a separate affiliate of B.
    let fan_b = t.applicant(b.id, "beta", "fan@example.com").await;
    assert_ne!(fan_a["id"], fan_b["id"]);
    assert_ne!(fan_a["slug"], fan_b["slug"]);
    t.post(
        "/api/v1/team/invites",
        &b.key,
        json!({ "email": "b-invitee@example.com", "role": "Viewer" }),
    )
    .await;
    t.add_member(b.id, "b-member@example.com", Role::Admin).await;
    t.post(
        "/api/v1/api-keys",
        &b.key,
        json!({ "name": "Beta only", "scope": "read" }),
    )
    .await;

    let (_, programs) = t.get("/api/v1/programs?includeArchived=true", &a.key).await;
    assert_eq!(ids(&programs), [id(&program_a)]);
    let (_, affiliates) = t.get("/api/v1/affiliates", &a.key).await;
    assert_eq!(ids(&affiliates), [id(&fan_a)]);
    let (_, filtered) = t
        .get(&format!("/api/v1/affiliates?programId={}", id(&program_b)), &a.key)
        .await;
    assert!(ids(&filtered).is_empty(), "{filtered}");
    let (_, searched) = t.get("/api/v1/affiliates?q=fan", &a.key).await;
    assert_eq!(ids(&searched), [id(&fan_a)]);
    let (_, team) = t.get("/api/v1/team", &a.key).await;
    let emails: Vec<&str> = ["members", "invites"]
        .iter()
        .flat_map(|k| team[k].as_array().unwrap())
        .map(|m| m["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        emails,
        ["owner@acme.example", "owner@acme.example"],
        "A's owner and their setup invitation only"
    );
    let (_, keys) = t.get("/api/v1/api-keys", &a.key).await;
    assert_eq!(keys.as_array().unwrap().len(), 1, "{keys}");
    assert!(!keys.to_string().contains("Beta only"));
    let (_, org) = t.get("/api/v1/organization", &a.key).await;
    assert_eq!(org["id"], a.id.to_string());

    // The public endpoint does not cross organizations either.
    let reply = t.apply(a.id, "beta", json!({ "email": "x@example.com" })).await;
    assert_error(&reply, StatusCode::NOT_FOUND, "not_found", None);
    assert_eq!(ids(&t.get("/api/v1/affiliates", &b.key).await.1), [id(&fan_b)]);
}
