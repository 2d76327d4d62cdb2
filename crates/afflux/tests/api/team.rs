//! The team: members, invitations (and accepting them through the app verbs), roles, the last
//! Owner, and the organization profile.

use afflux_app::{AppError, InviteAcceptance};
use afflux_domain::{Email, InviteId, Role};
use afflux_store::Invite;
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::common::{TestApp, assert_error, id, invite_token, sha256};

fn new_password(name: &str) -> InviteAcceptance {
    InviteAcceptance::NewPassword {
        password: "correct horse battery staple".into(),
        name: Some(name.into()),
    }
}

fn members(team: &Value) -> Vec<(String, String)> {
    team["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["email"].as_str().unwrap().to_owned(),
                m["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn invited(team: &Value) -> Vec<String> {
    team["invites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["email"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_and_invitations() {
    let t = TestApp::spawn().await;
    let key = &t.org.key;

    let (status, team) = t.get("/api/v1/team", key).await;
    assert_eq!(status, StatusCode::OK, "{team}");
    assert_eq!(members(&team), [("owner@acme.example".to_owned(), "Owner".to_owned())]);
    assert_eq!(team["members"][0]["userId"], t.org.owner_id.to_string());
    // The owner has no password yet: their setup invitation is open.
    assert_eq!(invited(&team), ["owner@acme.example"]);

    let (status, invite) = t
        .post(
            "/api/v1/team/invites",
            key,
            json!({ "email": "ann@example.com", "role": "Manager" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{invite}");
    assert_eq!(invite["email"], "ann@example.com");
    assert_eq!(invite["role"], "Manager");
    let expires = OffsetDateTime::parse(
        invite["expiresAt"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let in_a_week = OffsetDateTime::now_utc() + Duration::days(7);
    assert!((expires - in_a_week).abs() < Duration::minutes(5), "{expires}");

    let reply = t
        .post(
            "/api/v1/team/invites",
            key,
            json!({ "email": "ANN@example.com", "role": "Viewer" }),
        )
        .await;
    assert_error(&reply, StatusCode::CONFLICT, "already_invited", Some("email"));
    let reply = t
        .post(
            "/api/v1/team/invites",
            key,
            json!({ "email": "bob@example.com", "role": "Owner" }),
        )
        .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", Some("role"));
    let reply = t
        .post(
            "/api/v1/team/invites",
            key,
            json!({ "email": "bob@example.com", "role": "Boss" }),
        )
        .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", Some("role"));
    let reply = t
        .post("/api/v1/team/invites", key, json!({ "email": "bob", "role": "Admin" }))
        .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", Some("email"));
    let reply = t
        .post(
            "/api/v1/team/invites",
            key,
            json!({ "email": "Owner@Acme.example", "role": "Admin" }),
        )
        .await;
    assert_error(&reply, StatusCode::CONFLICT, "already_member", Some("email"));

    let (_, team) = t.get("/api/v1/team", key).await;
    assert_eq!(invited(&team), ["owner@acme.example", "ann@example.com"]);
    let audit = t.audit(t.org.id).await;
    assert_eq!(
        audit.iter().filter(|e| e.action == "team.invited").count(),
        2,
        "the owner's and Ann's"
    );

    // Cancel: gone from the list, and a second cancel finds nothing.
    let path = format!("/api/v1/team/invites/{}", id(&invite));
    let (status, body) = t.delete(&path, key).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert!(body.is_null());
    let (_, team) = t.get("/api/v1/team", key).await;
    assert_eq!(invited(&team), ["owner@acme.example"]);
    assert_error(&t.delete(&path, key).await, StatusCode::NOT_FOUND, "not_found", None);
    assert!(
        t.audit(t.org.id)
            .await
            .iter()
            .any(|e| e.action == "team.invite_canceled")
    );
    // Ann can be invited again.
    let (status, _) = t
        .post(
            "/api/v1/team/invites",
            key,
            json!({ "email": "ann@example.com", "role": "Viewer" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepting_the_emailed_invitation() {
    let t = TestApp::spawn().await;
    let key = &t.org.key;
    let app = &t.server.app;
    let (status, invite) = t
        .post(
            "/api/v1/team/invites",
            key,
            json!({ "email": "Ann@Example.com", "role": "Manager" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{invite}");

    // The worker emails the link; its token opens the invitation.
    let mail = t.wait_for_email("ann@example.com", "/invites/").await;
    assert!(mail.contains("as Manager"), "{mail}");
    let token = invite_token(&mail);
    assert!(token.len() >= 32, "{token}");
    let open = app
        .open_invite(&token)
        .await
        .expect("the emailed token opens the invite");
    assert_eq!(open.id.to_string(), id(&invite));
    assert_eq!(open.role, Role::Manager);
    assert!(matches!(
        app.open_invite("not-a-token").await,
        Err(AppError::NotFound(_))
    ));

    // Bound to its address: the signed-in owner (another email) cannot take it.
    let refused = app
        .accept_invite(&token, InviteAcceptance::SignedIn(t.org.owner_id))
        .await;
    assert!(matches!(refused, Err(AppError::Forbidden(_))), "{refused:?}");
    let (_, team) = t.get("/api/v1/team", key).await;
    assert_eq!(team["members"].as_array().unwrap().len(), 1, "nobody joined");

    // Too short a password is refused and leaves the invitation open.
    let weak = app
        .accept_invite(
            &token,
            InviteAcceptance::NewPassword {
                password: "short".into(),
                name: None,
            },
        )
        .await;
    assert!(
        matches!(weak, Err(AppError::Validation(ref v)) if v.field == "password"),
        "{weak:?}"
    );

    let (accepted, ann) = app.accept_invite(&token, new_password("Ann")).await.expect("accepted");
    assert_eq!(accepted.id, open.id);
    let (_, team) = t.get("/api/v1/team", key).await;
    assert!(
        members(&team).contains(&("Ann@Example.com".to_owned(), "Manager".to_owned())),
        "{team}"
    );
    let ann_json = team["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["userId"] == ann.to_string())
        .expect("Ann listed");
    assert_eq!(ann_json["name"], "Ann");
    assert!(
        !invited(&team).contains(&"Ann@Example.com".to_owned()),
        "accepted invites are not open"
    );
    let audit = t.audit(t.org.id).await;
    let joined = audit.iter().find(|e| e.action == "team.joined").expect("team.joined");
    assert_eq!(joined.actor, format!("user:{ann}"));

    // Used up.
    assert!(matches!(app.open_invite(&token).await, Err(AppError::NotFound(_))));
    assert!(matches!(
        app.accept_invite(&token, new_password("Ann")).await,
        Err(AppError::NotFound(_))
    ));
    // And she can sign in with the password she chose.
    assert!(
        app.login("ann@example.com", "correct horse battery staple")
            .await
            .is_ok()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_setup_link() {
    let t = TestApp::spawn().await;
    let app = &t.server.app;
    let url = t.org.owner_setup_url.clone().expect("a new owner gets a setup link");
    assert!(url.starts_with(&t.server.url()), "{url}");
    let token = invite_token(&url);

    let invite = app.open_invite(&token).await.expect("open");
    assert_eq!(invite.role, Role::Owner);
    assert_eq!(invite.email.as_str(), "owner@acme.example");
    let (_, user) = app
        .accept_invite(&token, new_password("Olive"))
        .await
        .expect("accepted");
    assert_eq!(user, t.org.owner_id, "the existing owner account gets the password");
    let (_, team) = t.get("/api/v1/team", &t.org.key).await;
    assert_eq!(members(&team), [("owner@acme.example".to_owned(), "Owner".to_owned())]);
    assert!(invited(&team).is_empty());
    assert!(
        app.login("owner@acme.example", "correct horse battery staple")
            .await
            .is_ok()
    );

    // An owner who already has a password gets no setup link for a second organization.
    let second = t.new_org("Second", "owner@acme.example", None).await;
    assert!(second.owner_setup_url.is_none());
    assert_eq!(second.owner_id, t.org.owner_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_invitations_do_not_open() {
    let t = TestApp::spawn().await;
    let app = &t.server.app;
    let now = OffsetDateTime::now_utc();
    let insert = |email: &str, token: &str, expires_at: OffsetDateTime| Invite {
        id: InviteId::new(),
        org_id: t.org.id,
        email: Email::parse(email).unwrap(),
        role: Role::Viewer,
        token_hash: sha256(token),
        invited_by: Some(t.org.owner_id),
        created_at: expires_at - Duration::days(7),
        expires_at,
        accepted_at: None,
    };
    let expired = insert("old@example.com", "expired-token", now - Duration::hours(1));
    let live = insert("new@example.com", "live-token", now + Duration::hours(1));
    let mut tx = app.store().write().await.unwrap();
    tx.insert_invite(&expired).await.unwrap();
    tx.insert_invite(&live).await.unwrap();
    tx.commit().await.unwrap();

    assert!(matches!(
        app.open_invite("expired-token").await,
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        app.accept_invite("expired-token", new_password("Old")).await,
        Err(AppError::NotFound(_))
    ));
    assert_eq!(
        app.open_invite("live-token").await.expect("live invite opens").id,
        live.id
    );

    // Expired invitations are not listed, and do not block a new one to the same address.
    let (_, team) = t.get("/api/v1/team", &t.org.key).await;
    assert!(!invited(&team).contains(&"old@example.com".to_owned()), "{team}");
    assert!(invited(&team).contains(&"new@example.com".to_owned()), "{team}");
    let (status, body) = t
        .post(
            "/api/v1/team/invites",
            &t.org.key,
            json!({ "email": "old@example.com", "role": "Viewer" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let reply = t
        .post(
            "/api/v1/team/invites",
            &t.org.key,
            json!({ "email": "new@example.com", "role": "Viewer" }),
        )
        .await;
    assert_error(&reply, StatusCode::CONFLICT, "already_invited", Some("email"));
    assert_eq!(
        t.get("/api/v1/team", &t.org.key).await.1["members"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "nobody joined"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_and_the_last_owner() {
    let t = TestApp::spawn().await;
    let key = &t.org.key;
    let owner = format!("/api/v1/team/members/{}", t.org.owner_id);

    assert_error(
        &t.patch(&owner, key, json!({ "role": "Admin" })).await,
        StatusCode::CONFLICT,
        "last_owner",
        Some("role"),
    );
    assert_error(
        &t.delete(&owner, key).await,
        StatusCode::CONFLICT,
        "last_owner",
        Some("role"),
    );
    // Keeping the only Owner an Owner is no demotion.
    assert_eq!(
        t.patch(&owner, key, json!({ "role": "Owner" })).await.0,
        StatusCode::NO_CONTENT
    );
    let (_, team) = t.get("/api/v1/team", key).await;
    assert_eq!(members(&team), [("owner@acme.example".to_owned(), "Owner".to_owned())]);

    let ben = t.add_member(t.org.id, "ben@example.com", Role::Viewer).await;
    let ben_path = format!("/api/v1/team/members/{ben}");
    let (status, body) = t.patch(&ben_path, key, json!({ "role": "Admin" })).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let reply = t.patch(&ben_path, key, json!({ "role": "Chief" })).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", Some("role"));
    let (_, team) = t.get("/api/v1/team", key).await;
    assert!(members(&team).contains(&("ben@example.com".to_owned(), "Admin".to_owned())));
    let changed = t
        .audit(t.org.id)
        .await
        .into_iter()
        .find(|e| e.action == "team.role_changed")
        .expect("team.role_changed");
    assert_eq!(changed.before.unwrap()["role"], "Viewer");
    assert_eq!(changed.after.unwrap()["role"], "Admin");

    // With a second Owner, the first may step down; then the second is the last.
    assert_eq!(
        t.patch(&ben_path, key, json!({ "role": "Owner" })).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        t.patch(&owner, key, json!({ "role": "Admin" })).await.0,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &t.patch(&ben_path, key, json!({ "role": "Manager" })).await,
        StatusCode::CONFLICT,
        "last_owner",
        Some("role"),
    );
    assert_error(
        &t.delete(&ben_path, key).await,
        StatusCode::CONFLICT,
        "last_owner",
        Some("role"),
    );
    // The demoted founder can be removed.
    assert_eq!(t.delete(&owner, key).await.0, StatusCode::NO_CONTENT);
    let (_, team) = t.get("/api/v1/team", key).await;
    assert_eq!(members(&team), [("ben@example.com".to_owned(), "Owner".to_owned())]);
    assert!(t.audit(t.org.id).await.iter().any(|e| e.action == "team.removed"));

    let unknown = format!("/api/v1/team/members/{}", uuid::Uuid::now_v7());
    assert_error(
        &t.patch(&unknown, key, json!({ "role": "Admin" })).await,
        StatusCode::NOT_FOUND,
        "not_found",
        None,
    );
    assert_error(&t.delete(&unknown, key).await, StatusCode::NOT_FOUND, "not_found", None);
    assert_error(&t.delete(&owner, key).await, StatusCode::NOT_FOUND, "not_found", None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organization_profile() {
    let t = TestApp::spawn().await;
    let key = &t.org.key;
    let (status, org) = t.get("/api/v1/organization", key).await;
    assert_eq!(status, StatusCode::OK, "{org}");
    assert_eq!(org["id"], t.org.id.to_string());
    assert_eq!(org["name"], "Acme");
    assert_eq!(org["plan"], "Enterprise");
    assert_eq!(org["subscriptionStatus"], "Active");
    assert_eq!(org["homeCurrency"], "USD");

    let (status, org) = t
        .patch(
            "/api/v1/organization",
            key,
            json!({ "name": "Acme Inc", "senderName": "Acme Partners", "replyTo": "partners@acme.example" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{org}");
    assert_eq!(org["name"], "Acme Inc");
    assert_eq!(org["senderName"], "Acme Partners");
    assert_eq!(org["replyTo"], "partners@acme.example");
    assert_eq!(t.get("/api/v1/organization", key).await.1, org);

    let reply = t.patch("/api/v1/organization", key, json!({ "replyTo": "nope" })).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", Some("replyTo"));
    let reply = t
        .patch("/api/v1/organization", key, json!({ "plan": "Enterprise" }))
        .await;
    assert_eq!(
        reply.0,
        StatusCode::BAD_REQUEST,
        "the plan is the operator's: {}",
        reply.1
    );
    assert_eq!(t.get("/api/v1/organization", key).await.1, org, "unchanged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_setup_invitation_cannot_be_canceled() {
    let t = TestApp::spawn().await;
    let (_, team) = t.get("/api/v1/team", &t.org.key).await;
    let setup = team["invites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["role"] == "Owner")
        .expect("the owner's setup invitation is listed")
        .clone();
    let path = format!("/api/v1/team/invites/{}", setup["id"].as_str().unwrap());
    assert_error(
        &t.delete(&path, &t.org.key).await,
        StatusCode::CONFLICT,
        "owner_setup_invite",
        None,
    );
    let url = t.org.owner_setup_url.clone().unwrap();
    assert!(
        t.server.app.open_invite(&invite_token(&url)).await.is_ok(),
        "the link still works"
    );
}
