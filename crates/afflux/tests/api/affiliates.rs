//! Affiliates: the public application, the brand's list, decisions, invitations and slugs.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, assert_error, id, ids, program, with};

const SLUG_ALPHABET: &str = "23456789abcdefghjkmnpqrstuvwxyz";

fn apply_path(org: impl std::fmt::Display, slug: &str) -> String {
    format!("/api/v1/public/{org}/programs/{slug}/apply")
}

/// The id of the API key `create_org` issued.
async fn initial_key_id(t: &TestApp) -> String {
    let (status, keys) = t.get("/api/v1/api-keys", &t.org.key).await;
    assert_eq!(status, StatusCode::OK, "{keys}");
    let keys = keys.as_array().unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    id(&keys[0])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_application() {
    let t = TestApp::spawn().await;
    let key = &t.org.key;
    let p = t.create_program(key, program("Pro", "pro")).await;

    // No credentials needed.
    let (status, a) = t
        .apply(
            t.org.id,
            "pro",
            json!({ "email": "Jane@Example.com", "name": "Jane", "paypalEmail": "pay@jane.example" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    assert_eq!(a["email"], "Jane@Example.com");
    assert_eq!(a["name"], "Jane");
    assert_eq!(a["paypalEmail"], "pay@jane.example");
    let slug = a["slug"].as_str().unwrap();
    assert_eq!(slug.len(), 12, "{slug}");
    assert!(slug.chars().all(|c| SLUG_ALPHABET.contains(c)), "{slug}");
    let memberships = a["memberships"].as_array().unwrap();
    assert_eq!(memberships.len(), 1);
    assert_eq!(memberships[0]["status"], "Pending");
    assert_eq!(memberships[0]["programId"], p["id"]);
    assert!(memberships[0]["statusReason"].is_null());

    // The brand sees it.
    let (_, list) = t.get("/api/v1/affiliates", key).await;
    assert_eq!(ids(&list), [id(&a)]);
    assert_eq!(list["data"][0]["memberships"][0]["status"], "Pending");
    let audit = t.audit(t.org.id).await;
    assert!(
        audit
            .iter()
            .any(|e| e.action == "affiliate.joined" && e.actor == "public"),
        "{audit:?}"
    );

    // Applying again, even with the address in another case, is a conflict and writes nothing.
    let reply = t.apply(t.org.id, "pro", json!({ "email": "jane@example.COM" })).await;
    assert_error(&reply, StatusCode::CONFLICT, "already_applied", Some("email"));
    assert_eq!(ids(&t.get("/api/v1/affiliates", key).await.1).len(), 1);

    // The program slug in the path is matched case-insensitively.
    let second = t.applicant(t.org.id, "PRO", "joe@example.com").await;
    assert_eq!(second["memberships"][0]["programId"], p["id"]);

    // One person, one slug: a second program reuses the affiliate.
    t.create_program(key, program("Basic", "basic")).await;
    let again = t.applicant(t.org.id, "basic", "jane@example.com").await;
    assert_eq!(again["id"], a["id"]);
    assert_eq!(again["slug"], a["slug"]);
    let (_, detail) = t.get(&format!("/api/v1/affiliates/{}", id(&a)), key).await;
    assert_eq!(detail["memberships"].as_array().unwrap().len(), 2);

    // Bad input.
    let reply = t.apply(t.org.id, "pro", json!({ "email": "not-an-email" })).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", Some("email"));
    let reply = t
        .apply(
            t.org.id,
            "pro",
            json!({ "email": "x@example.com", "paypalEmail": "nope" }),
        )
        .await;
    assert_error(
        &reply,
        StatusCode::BAD_REQUEST,
        "validation_failed",
        Some("paypalEmail"),
    );
    let reply = t
        .apply(t.org.id, "pro", json!({ "email": "x@example.com", "slug": "a b" }))
        .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", Some("slug"));
    let reply = t
        .apply(
            t.org.id,
            "pro",
            json!({ "email": "x@example.com", "name": "n".repeat(121) }),
        )
        .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", Some("name"));
    let reply = t
        .apply(
            t.org.id,
            "pro",
            json!({ "email": "x@example.com", "status": "Approved" }),
        )
        .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", Some("status"));
    assert_eq!(
        ids(&t.get("/api/v1/affiliates", key).await.1).len(),
        3,
        "no bad application was written"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn programs_that_take_no_applications_are_not_found() {
    let t = TestApp::spawn().await;
    let key = &t.org.key;
    let auto = t
        .create_program(key, with(program("Auto", "auto"), json!({ "autoApprove": true })))
        .await;
    // Invite-only (pay per click), even with autoApprove.
    t.create_program(
        key,
        with(
            program("Clicks", "clicks"),
            json!({ "defaultCommissionModel": "Cpc", "autoApprove": true }),
        ),
    )
    .await;
    t.create_program(
        key,
        with(program("Leads", "leads"), json!({ "defaultCommissionModel": "Cpl" })),
    )
    .await;
    let archived = t.create_program(key, program("Old", "old")).await;
    t.post_empty(&format!("/api/v1/programs/{}/archive", id(&archived)), key)
        .await;

    // Auto-approving programs approve at once, and the affiliate is emailed their link.
    let a = t.applicant(t.org.id, "auto", "ann@example.com").await;
    assert_eq!(a["memberships"][0]["status"], "Approved");
    assert_eq!(a["memberships"][0]["programId"], auto["id"]);
    let mail = t.wait_for_email("ann@example.com", a["slug"].as_str().unwrap()).await;
    assert!(mail.contains("approved"), "{mail}");

    for slug in ["clicks", "leads", "old", "missing"] {
        let reply = t.apply(t.org.id, slug, json!({ "email": "bob@example.com" })).await;
        assert_error(&reply, StatusCode::NOT_FOUND, "not_found", None);
    }
    let reply = t
        .apply(
            afflux_domain::OrgId::new(),
            "auto",
            json!({ "email": "bob@example.com" }),
        )
        .await;
    assert_error(&reply, StatusCode::NOT_FOUND, "not_found", None);
    let reply = t
        .send(
            t.fresh_public_client()
                .post(t.url(&apply_path("not-an-org", "auto")))
                .json(&json!({ "email": "bob@example.com" })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(ids(&t.get("/api/v1/affiliates", key).await.1).len(), 1, "only Ann");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_alias() {
    let t = TestApp::spawn().await;
    let key = &t.org.key;
    t.create_program(key, program("Pro", "pro")).await;
    let (status, a) = t
        .apply(
            t.org.id,
            "pro",
            json!({ "email": "bob@example.com", "slug": "Bobs-Picks" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    assert_eq!(a["slug"], "Bobs-Picks");

    // Taken, compared case-insensitively, in this organization or any other.
    let reply = t
        .apply(
            t.org.id,
            "pro",
            json!({ "email": "carol@example.com", "slug": "bobs-picks" }),
        )
        .await;
    assert_error(&reply, StatusCode::CONFLICT, "slug_taken", Some("slug"));
    let other = t.new_org("Other", "owner@other.example", None).await;
    t.create_program(&other.key, program("Pro", "pro")).await;
    let reply = t
        .apply(
            other.id,
            "pro",
            json!({ "email": "carol@example.com", "slug": "BOBS-PICKS" }),
        )
        .await;
    assert_error(&reply, StatusCode::CONFLICT, "slug_taken", Some("slug"));

    // Nothing was written for Carol.
    let (_, list) = t.get("/api/v1/affiliates?q=carol", key).await;
    assert!(ids(&list).is_empty());
    let (_, list) = t.get("/api/v1/affiliates", &other.key).await;
    assert!(ids(&list).is_empty());
}

/// Three people: Alice in programs A and B, Bob in A (approved), Carol in B.
async fn populated() -> (TestApp, Value, Value, [Value; 3]) {
    let t = TestApp::spawn().await;
    let key = t.org.key.clone();
    let a = t.create_program(&key, program("Program A", "prog-a")).await;
    let b = t.create_program(&key, program("Program B", "prog-b")).await;
    let (_, alice) = t
        .apply(
            t.org.id,
            "prog-a",
            json!({ "email": "alice@example.com", "name": "Alice Liddell" }),
        )
        .await;
    let bob = t.applicant(t.org.id, "prog-a", "bob@example.com").await;
    let carol = t.applicant(t.org.id, "prog-b", "carol@example.com").await;
    t.applicant(t.org.id, "prog-b", "alice@example.com").await;
    let (status, m) = t
        .post_empty(&format!("/api/v1/affiliates/{}/approve", id(&bob)), &key)
        .await;
    assert_eq!(status, StatusCode::OK, "{m}");
    (t, a, b, [alice, bob, carol])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_filters_and_pages() {
    let (t, a, b, [alice, bob, carol]) = populated().await;
    let key = &t.org.key;

    // One row per membership, newest first.
    let (status, all) = t.get("/api/v1/affiliates", key).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(ids(&all), [id(&alice), id(&carol), id(&bob), id(&alice)]);
    assert_eq!(all["data"][0]["memberships"][0]["programId"], b["id"]);
    assert_eq!(all["hasMore"], false);

    let (_, only_a) = t.get(&format!("/api/v1/affiliates?programId={}", id(&a)), key).await;
    assert_eq!(ids(&only_a), [id(&bob), id(&alice)]);
    assert!(
        only_a["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["memberships"][0]["programId"] == a["id"])
    );

    let (_, approved) = t.get("/api/v1/affiliates?status=Approved", key).await;
    assert_eq!(ids(&approved), [id(&bob)]);
    let (_, pending_b) = t
        .get(&format!("/api/v1/affiliates?status=pending&programId={}", id(&b)), key)
        .await;
    assert_eq!(ids(&pending_b), [id(&alice), id(&carol)]);

    // q searches email, name and slug, case-insensitively.
    let (_, by_email) = t.get("/api/v1/affiliates?q=CAROL", key).await;
    assert_eq!(ids(&by_email), [id(&carol)]);
    let (_, by_name) = t.get("/api/v1/affiliates?q=liddell", key).await;
    assert_eq!(ids(&by_name), [id(&alice), id(&alice)]);
    let (_, by_slug) = t
        .get(&format!("/api/v1/affiliates?q={}", bob["slug"].as_str().unwrap()), key)
        .await;
    assert_eq!(ids(&by_slug), [id(&bob)]);
    let (_, none) = t.get("/api/v1/affiliates?q=nobody", key).await;
    assert!(ids(&none).is_empty());

    // Pages.
    let (_, p1) = t.get("/api/v1/affiliates?perPage=3", key).await;
    assert_eq!(ids(&p1), ids(&all)[..3]);
    assert_eq!(p1["hasMore"], true);
    let (_, p2) = t.get("/api/v1/affiliates?perPage=3&page=2", key).await;
    assert_eq!(ids(&p2), ids(&all)[3..]);
    assert_eq!(p2["hasMore"], false);
    for bad in ["0", "101"] {
        let reply = t.get(&format!("/api/v1/affiliates?perPage={bad}"), key).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", Some("perPage"));
    }
    let reply = t.get("/api/v1/affiliates?status=Bogus", key).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", Some("status"));
    let reply = t.get("/api/v1/affiliates?programId=nope", key).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", Some("programId"));

    // One affiliate with all memberships.
    let (status, detail) = t.get(&format!("/api/v1/affiliates/{}", id(&alice)), key).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["email"], "alice@example.com");
    let programs: Vec<&Value> = detail["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["programId"])
        .collect();
    assert_eq!(programs, [&a["id"], &b["id"]]);
    let reply = t
        .get(&format!("/api/v1/affiliates/{}", uuid::Uuid::now_v7()), key)
        .await;
    assert_error(&reply, StatusCode::NOT_FOUND, "not_found", None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_decisions_follow_the_state_machine() {
    let (t, a, b, [alice, bob, carol]) = populated().await;
    let key = &t.org.key;
    let key_id = initial_key_id(&t).await;
    let bob_path = format!("/api/v1/affiliates/{}", id(&bob));

    // The approval in `populated` is audited as the API key.
    let audit = t.audit(t.org.id).await;
    let approved = audit
        .iter()
        .find(|e| e.action == "affiliate.approved")
        .expect("affiliate.approved entry");
    assert_eq!(approved.actor, format!("api_key:{key_id}"));
    assert_eq!(approved.object_type, "membership");
    assert_eq!(approved.before.as_ref().unwrap()["status"], "Pending");
    assert_eq!(approved.after.as_ref().unwrap()["status"], "Approved");
    t.wait_for_email("bob@example.com", bob["slug"].as_str().unwrap()).await;

    // Approved → Paused → Approved (resume) → Banned, and Banned is final.
    let (status, m) = t
        .post(
            &format!("{bob_path}/pause"),
            key,
            json!({ "reason": "Checking traffic" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{m}");
    assert_eq!(m["status"], "Paused");
    assert_eq!(m["statusReason"], "Checking traffic");
    assert_eq!(m["programId"], a["id"]);
    let reply = t.post_empty(&format!("{bob_path}/reject"), key).await;
    assert_error(
        &reply,
        StatusCode::CONFLICT,
        "invalid_status_transition",
        Some("status"),
    );
    let (_, m) = t.post_empty(&format!("{bob_path}/approve"), key).await;
    assert_eq!(m["status"], "Approved");
    assert!(m["statusReason"].is_null());
    let reply = t.post_empty(&format!("{bob_path}/approve"), key).await;
    assert_error(
        &reply,
        StatusCode::CONFLICT,
        "invalid_status_transition",
        Some("status"),
    );
    let (_, m) = t
        .post(&format!("{bob_path}/ban"), key, json!({ "reason": "Fraud" }))
        .await;
    assert_eq!(m["status"], "Banned");
    for action in ["approve", "reject", "pause", "ban"] {
        let reply = t.post_empty(&format!("{bob_path}/{action}"), key).await;
        assert_error(
            &reply,
            StatusCode::CONFLICT,
            "invalid_status_transition",
            Some("status"),
        );
    }
    let (_, detail) = t.get(&bob_path, key).await;
    assert_eq!(detail["memberships"][0]["status"], "Banned");
    assert_eq!(detail["memberships"][0]["statusReason"], "Fraud");

    // Alice is in two programs: say which.
    let alice_path = format!("/api/v1/affiliates/{}", id(&alice));
    let reply = t.post_empty(&format!("{alice_path}/approve"), key).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", Some("programId"));
    let (status, m) = t
        .post(&format!("{alice_path}/approve"), key, json!({ "programId": id(&b) }))
        .await;
    assert_eq!(status, StatusCode::OK, "{m}");
    assert_eq!(m["programId"], b["id"]);
    let (_, detail) = t.get(&alice_path, key).await;
    let status_in = |p: &Value| {
        detail["memberships"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["programId"] == p["id"])
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status_in(&a), "Pending");
    assert_eq!(status_in(&b), "Approved");
    let reply = t
        .post(
            &format!("{alice_path}/approve"),
            key,
            json!({ "programId": uuid::Uuid::now_v7() }),
        )
        .await;
    assert_error(&reply, StatusCode::NOT_FOUND, "not_found", None);
    let reply = t
        .post(
            &format!("{alice_path}/approve"),
            key,
            json!({ "programId": id(&a), "note": "x" }),
        )
        .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", None);

    // Pending can be rejected, with a reason, without notifying; the audit keeps both.
    let carol_path = format!("/api/v1/affiliates/{}", id(&carol));
    let (status, m) = t
        .post(
            &format!("{carol_path}/reject"),
            key,
            json!({ "reason": "Not a fit", "notify": false }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{m}");
    assert_eq!(m["status"], "Rejected");
    assert_eq!(m["statusReason"], "Not a fit");
    let audit = t.audit(t.org.id).await;
    let rejected = audit
        .iter()
        .find(|e| e.action == "affiliate.rejected")
        .expect("affiliate.rejected entry");
    assert_eq!(rejected.actor, format!("api_key:{key_id}"));
    assert_eq!(rejected.object_id, m["id"].as_str().unwrap());
    let after = rejected.after.as_ref().unwrap();
    assert_eq!(after["status"], "Rejected");
    assert_eq!(after["reason"], "Not a fit");
    assert_eq!(after["notify"], false);

    // A notified rejection is emailed with its reason; the silent one is not emailed at all.
    let (_, m) = t
        .post(
            &format!("{alice_path}/reject"),
            key,
            json!({ "programId": id(&a), "reason": "Wrong audience" }),
        )
        .await;
    assert_eq!(m["status"], "Rejected");
    let mail = t.wait_for_email("alice@example.com", "Wrong audience").await;
    assert!(mail.contains("Program A"), "{mail}");
    t.wait_for_jobs().await;
    let to_carol: Vec<String> = t
        .emails()
        .into_iter()
        .filter(|m| crate::common::is_to(m, "carol@example.com"))
        .collect();
    assert!(to_carol.is_empty(), "{to_carol:?}");
    let audit = t.audit(t.org.id).await;
    let loud = audit
        .iter()
        .find(|e| e.action == "affiliate.rejected" && e.after.as_ref().unwrap()["reason"] == "Wrong audience")
        .unwrap();
    assert_eq!(loud.after.as_ref().unwrap()["notify"], true);

    // Rejected can be approved later.
    let (_, m) = t.post_empty(&format!("{carol_path}/approve"), key).await;
    assert_eq!(m["status"], "Approved");

    // Reasons are bounded; unknown affiliates are 404.
    let reply = t
        .post(
            &format!("{carol_path}/pause"),
            key,
            json!({ "reason": "r".repeat(1001) }),
        )
        .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", Some("reason"));
    let reply = t
        .post_empty(&format!("/api/v1/affiliates/{}/approve", uuid::Uuid::now_v7()), key)
        .await;
    assert_error(&reply, StatusCode::NOT_FOUND, "not_found", None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn brand_invitations_and_entries() {
    let t = TestApp::spawn().await;
    let key = &t.org.key;
    let open = t.create_program(key, program("Open", "open")).await;
    let clicks = t
        .create_program(
            key,
            with(program("Clicks", "clicks"), json!({ "defaultCommissionModel": "Cpc" })),
        )
        .await;
    let old = t.create_program(key, program("Old", "old")).await;
    t.post_empty(&format!("/api/v1/programs/{}/archive", id(&old)), key)
        .await;

    // Invited straight in, Approved, even into an invite-only program; emailed the link.
    let (status, a) = t
        .post(
            "/api/v1/affiliates/invite",
            key,
            json!({ "programId": id(&clicks), "email": "dan@example.com", "name": "Dan" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    assert_eq!(a["memberships"][0]["status"], "Approved");
    assert_eq!(a["memberships"][0]["programId"], clicks["id"]);
    assert_eq!(a["name"], "Dan");
    t.wait_for_email("dan@example.com", a["slug"].as_str().unwrap()).await;

    let reply = t
        .post(
            "/api/v1/affiliates/invite",
            key,
            json!({ "programId": id(&clicks), "email": "DAN@example.com" }),
        )
        .await;
    assert_error(&reply, StatusCode::CONFLICT, "already_applied", Some("email"));
    let reply = t
        .post(
            "/api/v1/affiliates/invite",
            key,
            json!({ "programId": id(&old), "email": "eve@example.com" }),
        )
        .await;
    assert_error(&reply, StatusCode::CONFLICT, "program_archived", Some("programId"));
    let reply = t
        .post(
            "/api/v1/affiliates/invite",
            key,
            json!({ "programId": uuid::Uuid::now_v7(), "email": "eve@example.com" }),
        )
        .await;
    assert_error(&reply, StatusCode::NOT_FOUND, "not_found", None);
    let reply = t
        .post(
            "/api/v1/affiliates/invite",
            key,
            json!({ "programId": id(&open), "email": "eve" }),
        )
        .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", Some("email"));

    // An application entered by the brand: Pending, with a custom alias.
    let (status, e) = t
        .post(
            "/api/v1/affiliates",
            key,
            json!({ "programId": id(&open), "email": "eve@example.com", "slug": "eves-deals" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    assert_eq!(e["memberships"][0]["status"], "Pending");
    assert_eq!(e["slug"], "eves-deals");
    let reply = t
        .post(
            "/api/v1/affiliates",
            key,
            json!({ "programId": id(&open), "email": "eve@example.com" }),
        )
        .await;
    assert_error(&reply, StatusCode::CONFLICT, "already_applied", Some("email"));

    assert_eq!(ids(&t.get("/api/v1/affiliates", key).await.1), [id(&e), id(&a)]);
    let audit = t.audit(t.org.id).await;
    let created = audit
        .iter()
        .find(|x| x.action == "affiliate.created" && x.object_id == id(&e))
        .expect("affiliate.created");
    assert!(created.actor.starts_with("api_key:"), "{}", created.actor);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_the_slug() {
    let t = TestApp::spawn().await;
    let key = &t.org.key;
    t.create_program(key, program("Pro", "pro")).await;
    let jane = t.applicant(t.org.id, "pro", "jane@example.com").await;
    let joe = t.applicant(t.org.id, "pro", "joe@example.com").await;
    let path = format!("/api/v1/affiliates/{}/slug", id(&jane));

    let (status, a) = t.put(&path, key, json!({ "slug": "Jane-Rocks" })).await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(a["slug"], "Jane-Rocks");
    assert_eq!(a["memberships"].as_array().unwrap().len(), 1);
    assert_eq!(
        t.get(&format!("/api/v1/affiliates/{}", id(&jane)), key).await.1["slug"],
        "Jane-Rocks"
    );
    // Re-setting one's own slug, in another case, is fine.
    let (status, a) = t.put(&path, key, json!({ "slug": "jane-rocks" })).await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(a["slug"], "jane-rocks");

    let reply = t
        .put(
            &format!("/api/v1/affiliates/{}/slug", id(&joe)),
            key,
            json!({ "slug": "JANE-ROCKS" }),
        )
        .await;
    assert_error(&reply, StatusCode::CONFLICT, "slug_taken", Some("slug"));
    for bad in ["x", "has space", "under_score"] {
        let reply = t
            .put(
                &format!("/api/v1/affiliates/{}/slug", id(&joe)),
                key,
                json!({ "slug": bad }),
            )
            .await;
        assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", Some("slug"));
    }
    assert_eq!(
        t.get(&format!("/api/v1/affiliates/{}", id(&joe)), key).await.1["slug"],
        joe["slug"],
        "unchanged"
    );
    let reply = t
        .put(
            &format!("/api/v1/affiliates/{}/slug", uuid::Uuid::now_v7()),
            key,
            json!({ "slug": "free-slug" }),
        )
        .await;
    assert_error(&reply, StatusCode::NOT_FOUND, "not_found", None);

    let audit = t.audit(t.org.id).await;
    let changes: Vec<_> = audit.iter().filter(|e| e.action == "affiliate.slug_changed").collect();
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[1].before.as_ref().unwrap()["slug"], jane["slug"]);
    assert_eq!(changes[1].after.as_ref().unwrap()["slug"], "Jane-Rocks");
}
