//! API keys: authentication, the secret shown once, rotation, revocation, scopes and roles.

use afflux_app::{Actor, ActorKind, AppError, NewApiKey};
use afflux_domain::{ApiScope, Role};
use reqwest::header::AUTHORIZATION;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::{TestApp, assert_error, id, ids, program};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_or_bad_credentials_are_401() {
    let t = TestApp::spawn().await;
    for path in [
        "/api/v1/programs",
        "/api/v1/affiliates",
        "/api/v1/team",
        "/api/v1/api-keys",
        "/api/v1/organization",
    ] {
        assert_error(&t.get(path, "").await, StatusCode::UNAUTHORIZED, "unauthorized", None);
    }
    for header in [
        "Bearer garbage",
        "Bearer afx_live_not-a-real-key",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        t.org.key.as_str(),
    ] {
        let reply = t
            .send(t.client.get(t.url("/api/v1/programs")).header(AUTHORIZATION, header))
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{header}: {}", reply.body);
        assert_eq!(reply.body["error"], "unauthorized");
    }
    // Writes without a key write nothing.
    assert_error(
        &t.post("/api/v1/programs", "", program("Pro", "pro")).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        None,
    );
    assert!(ids(&t.get("/api/v1/programs", &t.org.key).await.1).is_empty());
    // The real key works.
    assert_eq!(t.get("/api/v1/programs", &t.org.key).await.0, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_rotate_revoke() {
    let t = TestApp::spawn().await;
    let key = &t.org.key;
    assert!(key.starts_with("afx_live_"), "{key}");

    let (status, created) = t
        .post(
            "/api/v1/api-keys",
            key,
            json!({ "name": "Zapier", "scope": "read_write" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["key"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("afx_live_") && secret.len() > 40, "{secret}");
    assert_eq!(created["name"], "Zapier");
    assert_eq!(created["scope"], "read_write");
    assert_eq!(created["prefix"], &secret[..15]);
    assert!(created["revokedAt"].is_null());
    assert_eq!(
        t.get("/api/v1/organization", &secret).await.0,
        StatusCode::OK,
        "the new key works"
    );

    // Listed without the secret, ever.
    let (status, list) = t.get("/api/v1/api-keys", key).await;
    assert_eq!(status, StatusCode::OK);
    let listed = list.as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|k| k.get("key").is_none()), "{list}");
    let text = list.to_string();
    assert!(!text.contains(&secret) && !text.contains(key.as_str()), "{text}");
    assert!(listed.iter().any(|k| k["id"] == created["id"] && k["name"] == "Zapier"));

    // Rotation: a new secret with the same name and scope; the old one stops working.
    let rotate = format!("/api/v1/api-keys/{}/rotate", id(&created));
    let (status, rotated) = t.post_empty(&rotate, key).await;
    assert_eq!(status, StatusCode::CREATED, "{rotated}");
    let new_secret = rotated["key"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    assert_ne!(rotated["id"], created["id"]);
    assert_eq!(rotated["name"], "Zapier");
    assert_eq!(rotated["scope"], "read_write");
    assert_error(
        &t.get("/api/v1/organization", &secret).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        None,
    );
    assert_eq!(t.get("/api/v1/organization", &new_secret).await.0, StatusCode::OK);
    let (_, list) = t.get("/api/v1/api-keys", key).await;
    let old = list
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == created["id"])
        .unwrap()
        .clone();
    assert!(old["revokedAt"].is_string(), "{old}");
    assert_error(
        &t.post_empty(&rotate, key).await,
        StatusCode::CONFLICT,
        "api_key_revoked",
        None,
    );

    // Revocation.
    let revoke = format!("/api/v1/api-keys/{}", id(&rotated));
    assert_eq!(t.delete(&revoke, key).await.0, StatusCode::NO_CONTENT);
    assert_error(
        &t.get("/api/v1/organization", &new_secret).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        None,
    );
    assert_eq!(
        t.delete(&revoke, key).await.0,
        StatusCode::NO_CONTENT,
        "revoking twice is fine"
    );
    let actions: Vec<String> = t.audit(t.org.id).await.into_iter().map(|e| e.action).collect();
    for action in ["api_key.created", "api_key.rotated", "api_key.revoked"] {
        assert!(actions.contains(&action.to_owned()), "{action} in {actions:?}");
    }
    // A key can revoke itself; afterwards it is refused.
    let (_, list) = t.get("/api/v1/api-keys", key).await;
    let initial = list
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "Initial key")
        .unwrap()
        .clone();
    assert_eq!(
        t.delete(&format!("/api/v1/api-keys/{}", id(&initial)), key).await.0,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &t.get("/api/v1/api-keys", key).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        None,
    );

    // Unknown keys are 404s, and the audit never holds a secret.
    let other = t.new_org("Other", "owner@other.example", None).await;
    assert_error(
        &t.post_empty(&format!("/api/v1/api-keys/{}/rotate", uuid::Uuid::now_v7()), &other.key)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
        None,
    );
    assert_error(
        &t.delete(&format!("/api/v1/api-keys/{}", uuid::Uuid::now_v7()), &other.key)
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
        None,
    );
    let audit = format!("{:?}", t.audit(t.org.id).await);
    assert!(
        !audit.contains(&secret[9..]) && !audit.contains(&new_secret[9..]),
        "a secret in the audit log"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_input_is_validated() {
    let t = TestApp::spawn().await;
    let key = &t.org.key;
    let reply = t
        .post("/api/v1/api-keys", key, json!({ "name": "x", "scope": "write" }))
        .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", Some("scope"));
    let reply = t
        .post("/api/v1/api-keys", key, json!({ "name": "  ", "scope": "read" }))
        .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", Some("name"));
    let reply = t
        .post(
            "/api/v1/api-keys",
            key,
            json!({ "name": "n".repeat(101), "scope": "read" }),
        )
        .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", Some("name"));
    assert_eq!(
        t.get("/api/v1/api-keys", key).await.1.as_array().unwrap().len(),
        1,
        "nothing created"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_scope_keys_only_read() {
    let t = TestApp::spawn().await;
    let owner = &t.org.key;
    let p = t.create_program(owner, program("Pro", "pro")).await;
    let a = t.applicant(t.org.id, "pro", "jane@example.com").await;
    let (status, created) = t
        .post(
            "/api/v1/api-keys",
            owner,
            json!({ "name": "Reporting", "scope": "read" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["scope"], "read");
    let read = created["key"].as_str().unwrap();

    for path in [
        "/api/v1/programs".to_owned(),
        format!("/api/v1/programs/{}", id(&p)),
        "/api/v1/affiliates".to_owned(),
        format!("/api/v1/affiliates/{}", id(&a)),
        "/api/v1/team".to_owned(),
        "/api/v1/api-keys".to_owned(),
        "/api/v1/organization".to_owned(),
    ] {
        let (status, body) = t.get(&path, read).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    let writes = [
        (Method::POST, "/api/v1/programs".to_owned(), Some(program("Two", "two"))),
        (
            Method::PATCH,
            format!("/api/v1/programs/{}", id(&p)),
            Some(json!({ "name": "Renamed" })),
        ),
        (Method::POST, format!("/api/v1/programs/{}/archive", id(&p)), None),
        (Method::POST, format!("/api/v1/affiliates/{}/approve", id(&a)), None),
        (
            Method::PUT,
            format!("/api/v1/affiliates/{}/slug", id(&a)),
            Some(json!({ "slug": "renamed" })),
        ),
        (
            Method::POST,
            "/api/v1/affiliates/invite".to_owned(),
            Some(json!({ "programId": id(&p), "email": "x@example.com" })),
        ),
        (
            Method::POST,
            "/api/v1/team/invites".to_owned(),
            Some(json!({ "email": "x@example.com", "role": "Viewer" })),
        ),
        (
            Method::POST,
            "/api/v1/api-keys".to_owned(),
            Some(json!({ "name": "More", "scope": "read_write" })),
        ),
        (Method::POST, format!("/api/v1/api-keys/{}/rotate", id(&created)), None),
        (
            Method::PATCH,
            "/api/v1/organization".to_owned(),
            Some(json!({ "name": "Hijacked" })),
        ),
    ];
    for (method, path, body) in writes {
        let reply = t.call(method.clone(), &path, read, body).await;
        assert_error(&reply, StatusCode::FORBIDDEN, "forbidden", None);
    }
    // Nothing changed.
    assert_eq!(t.get(&format!("/api/v1/programs/{}", id(&p)), owner).await.1, p);
    let (_, after) = t.get(&format!("/api/v1/affiliates/{}", id(&a)), owner).await;
    assert_eq!(after["memberships"][0]["status"], "Pending");
    assert_eq!(after["slug"], a["slug"]);
    assert_eq!(ids(&t.get("/api/v1/programs", owner).await.1).len(), 1);
    assert_eq!(t.get("/api/v1/organization", owner).await.1["name"], "Acme");
    assert_eq!(
        t.get("/api/v1/organization", read).await.0,
        StatusCode::OK,
        "not rotated"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_act_with_their_creators_role() {
    let t = TestApp::spawn().await;
    let owner = &t.org.key;
    let p = t.create_program(owner, program("Pro", "pro")).await;
    let a = t.applicant(t.org.id, "pro", "jane@example.com").await;

    // A Viewer may not create keys at all.
    let viewer_id = t.add_member(t.org.id, "vera@example.com", Role::Viewer).await;
    let refused = t
        .server
        .app
        .create_api_key(
            &Actor {
                org_id: t.org.id,
                role: Role::Viewer,
                kind: ActorKind::User(viewer_id),
            },
            NewApiKey {
                name: "Mine".into(),
                scope: ApiScope::ReadWrite,
            },
        )
        .await;
    assert!(matches!(refused, Err(AppError::Forbidden(_))), "{refused:?}");

    // A Viewer-role key reads, and is refused every change.
    let viewer = t.raw_key(t.org.id, Role::Viewer, ApiScope::ReadWrite).await;
    assert_eq!(t.get("/api/v1/affiliates", &viewer).await.0, StatusCode::OK);
    assert_eq!(
        t.get(&format!("/api/v1/programs/{}", id(&p)), &viewer).await.0,
        StatusCode::OK
    );
    let approve = format!("/api/v1/affiliates/{}/approve", id(&a));
    assert_error(
        &t.post_empty(&approve, &viewer).await,
        StatusCode::FORBIDDEN,
        "forbidden",
        None,
    );
    assert_error(
        &t.post("/api/v1/programs", &viewer, program("Two", "two")).await,
        StatusCode::FORBIDDEN,
        "forbidden",
        None,
    );
    assert_error(
        &t.patch(&format!("/api/v1/programs/{}", id(&p)), &viewer, json!({ "name": "x" }))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
        None,
    );
    assert_error(
        &t.get("/api/v1/api-keys", &viewer).await,
        StatusCode::FORBIDDEN,
        "forbidden",
        None,
    );
    let (_, after) = t.get(&format!("/api/v1/affiliates/{}", id(&a)), owner).await;
    assert_eq!(after["memberships"][0]["status"], "Pending");

    // A Manager-role key runs programs and affiliates, but not the team, keys or settings.
    let manager_id = t.add_member(t.org.id, "max@example.com", Role::Manager).await;
    let manager = t.raw_key(t.org.id, Role::Manager, ApiScope::ReadWrite).await;
    let (status, m) = t.post_empty(&approve, &manager).await;
    assert_eq!(status, StatusCode::OK, "{m}");
    assert_eq!(m["status"], "Approved");
    assert_eq!(
        t.post("/api/v1/programs", &manager, program("Two", "two")).await.0,
        StatusCode::CREATED
    );
    assert_error(
        &t.post(
            "/api/v1/team/invites",
            &manager,
            json!({ "email": "x@example.com", "role": "Viewer" }),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
        None,
    );
    assert_error(
        &t.post("/api/v1/api-keys", &manager, json!({ "name": "More", "scope": "read" }))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
        None,
    );
    assert_error(
        &t.patch("/api/v1/organization", &manager, json!({ "name": "Mine" }))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
        None,
    );
    assert_error(
        &t.patch(
            &format!("/api/v1/team/members/{manager_id}"),
            &manager,
            json!({ "role": "Owner" }),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
        None,
    );
    let (_, team) = t.get("/api/v1/team", owner).await;
    let max = team["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["userId"] == manager_id.to_string())
        .unwrap()
        .clone();
    assert_eq!(max["role"], "Manager", "no self-promotion");
    // The audit names the key, not the person.
    let approved = t
        .audit(t.org.id)
        .await
        .into_iter()
        .find(|e| e.action == "affiliate.approved")
        .unwrap();
    assert!(approved.actor.starts_with("api_key:"), "{}", approved.actor);

    // An Admin creates keys acting as Admin: they manage keys but not the team.
    let admin_id = t.add_member(t.org.id, "ada@example.com", Role::Admin).await;
    let admin = t.member_key(t.org.id, admin_id, Role::Admin, ApiScope::ReadWrite).await;
    assert_eq!(
        t.post("/api/v1/api-keys", &admin, json!({ "name": "More", "scope": "read" }))
            .await
            .0,
        StatusCode::CREATED
    );
    assert_error(
        &t.post(
            "/api/v1/team/invites",
            &admin,
            json!({ "email": "x@example.com", "role": "Viewer" }),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
        None,
    );
    assert_error(
        &t.delete(&format!("/api/v1/team/members/{viewer_id}"), &admin).await,
        StatusCode::FORBIDDEN,
        "forbidden",
        None,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_never_outranks_its_creator() {
    let t = TestApp::spawn().await;
    let owner = &t.org.key;
    let admin_id = t.add_member(t.org.id, "ada@example.com", Role::Admin).await;
    let admin_key = t.member_key(t.org.id, admin_id, Role::Admin, ApiScope::ReadWrite).await;
    assert_eq!(t.get("/api/v1/api-keys", &admin_key).await.0, StatusCode::OK);

    // Demoted to Viewer: the key keeps reading but loses the Admin's powers.
    let member = format!("/api/v1/team/members/{admin_id}");
    assert_eq!(
        t.patch(&member, owner, json!({ "role": "Viewer" })).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(t.get("/api/v1/programs", &admin_key).await.0, StatusCode::OK);
    assert_error(
        &t.get("/api/v1/api-keys", &admin_key).await,
        StatusCode::FORBIDDEN,
        "forbidden",
        None,
    );
    assert_error(
        &t.post("/api/v1/programs", &admin_key, program("Pro", "pro")).await,
        StatusCode::FORBIDDEN,
        "forbidden",
        None,
    );

    // Removed from the team: the key stops working.
    assert_eq!(t.delete(&member, owner).await.0, StatusCode::NO_CONTENT);
    assert_error(
        &t.get("/api/v1/programs", &admin_key).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        None,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bearer_scheme_is_case_insensitive() {
    let t = TestApp::spawn().await;
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let header = format!("{scheme} {}", t.org.key);
        let reply = t
            .send(t.client.get(t.url("/api/v1/programs")).header(AUTHORIZATION, header))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{scheme}");
    }
}
