//! Programs (campaigns): create, list, get, patch, archive, slugs and the Starter plan limit.

use afflux_domain::{PlanTier, SubscriptionStatus};
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{Options, TestApp, assert_error, id, ids, program, with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_answers_camel_case_with_defaults() {
    let t = TestApp::spawn().await;
    let key = &t.org.key;
    let (status, p) = t.post("/api/v1/programs", key, program("Pro Plan", "pro")).await;
    assert_eq!(status, StatusCode::CREATED, "{p}");

    let mut keys: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "archived",
            "attributionModel",
            "autoApprove",
            "cookieWindowDays",
            "createdAt",
            "currency",
            "defaultCommissionModel",
            "defaultCommissionType",
            "defaultCommissionValue",
            "description",
            "destinationUrl",
            "id",
            "name",
            "rules",
            "slug",
            "termsUrl",
            "updatedAt",
        ]
    );
    assert_eq!(p["name"], "Pro Plan");
    assert_eq!(p["slug"], "pro");
    assert_eq!(p["destinationUrl"], "https://acme.example/pricing");
    assert_eq!(p["defaultCommissionType"], "Percentage");
    assert_eq!(p["defaultCommissionValue"], "20");
    assert_eq!(p["currency"], "USD");
    assert_eq!(p["defaultCommissionModel"], "Cps");
    assert_eq!(p["cookieWindowDays"], 60);
    assert_eq!(p["attributionModel"], "LastTouch");
    assert_eq!(p["autoApprove"], false);
    assert_eq!(p["archived"], false);
    assert!(p["description"].is_null() && p["termsUrl"].is_null());
    assert_eq!(p["rules"]["holdDays"], 30);
    assert_eq!(p["rules"]["minimumPayout"], "0.00");
    assert_eq!(p["rules"]["recurring"], json!({ "kind": "Lifetime" }));
    assert_eq!(p["rules"]["tiers"], json!([]));
    let created_at = p["createdAt"].as_str().unwrap();
    assert!(
        time::OffsetDateTime::parse(created_at, &time::format_description::well_known::Rfc3339).is_ok(),
        "{created_at}"
    );
    assert!(uuid::Uuid::parse_str(&id(&p)).is_ok());

    // Explicit values, a Fixed commission in another currency, and a slug derived from the name.
    let body = json!({
        "name": "Summer Sale 2026!",
        "destinationUrl": "https://acme.example/summer",
        "defaultCommissionType": "Fixed",
        "defaultCommissionValue": "10.5",
        "currency": "eur",
        "defaultCommissionModel": "Cpl",
        "cookieWindowDays": 30,
        "attributionModel": "FirstTouch",
        "autoApprove": true,
        "description": "Summer deals",
        "termsUrl": "https://acme.example/terms",
    });
    let p = t.create_program(key, body).await;
    assert_eq!(p["slug"], "summer-sale-2026");
    assert_eq!(p["defaultCommissionType"], "Fixed");
    assert_eq!(p["defaultCommissionValue"], "10.50");
    assert_eq!(p["currency"], "EUR");
    assert_eq!(p["defaultCommissionModel"], "Cpl");
    assert_eq!(p["cookieWindowDays"], 30);
    assert_eq!(p["attributionModel"], "FirstTouch");
    assert_eq!(p["autoApprove"], true);
    assert_eq!(p["description"], "Summer deals");
    assert_eq!(p["termsUrl"], "https://acme.example/terms");

    // 12.5 % keeps its fraction.
    let p = t
        .create_program(
            key,
            with(program("Half", "half"), json!({ "defaultCommissionValue": "12.5" })),
        )
        .await;
    assert_eq!(p["defaultCommissionValue"], "12.5");

    // The creation is audited, as the API key.
    let audit = t.audit(t.org.id).await;
    let entry = audit
        .iter()
        .find(|e| e.action == "campaign.created" && e.object_id == id(&p))
        .expect("campaign.created entry");
    assert!(entry.actor.starts_with("api_key:"), "{}", entry.actor);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_paginates_and_validates_per_page() {
    let t = TestApp::spawn().await;
    let key = &t.org.key;
    let mut created = Vec::new();
    for slug in ["one", "two", "three"] {
        created.push(id(&t.create_program(key, program(slug, slug)).await));
    }

    let (status, all) = t.get("/api/v1/programs", key).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&all), created, "oldest first");
    assert_eq!(all["page"], 1);
    assert_eq!(all["perPage"], 25);
    assert_eq!(all["hasMore"], false);

    let (_, first) = t.get("/api/v1/programs?perPage=2", key).await;
    assert_eq!(ids(&first), created[..2]);
    assert_eq!(first["hasMore"], true);
    assert_eq!(first["perPage"], 2);
    let (_, second) = t.get("/api/v1/programs?perPage=2&page=2", key).await;
    assert_eq!(ids(&second), created[2..]);
    assert_eq!(second["hasMore"], false);
    assert_eq!(second["page"], 2);
    let (_, beyond) = t.get("/api/v1/programs?perPage=2&page=3", key).await;
    assert!(ids(&beyond).is_empty());
    assert_eq!(beyond["hasMore"], false);

    // Exactly per_page rows left: no further page.
    let (_, exact) = t.get("/api/v1/programs?perPage=3", key).await;
    assert_eq!(exact["hasMore"], false);
    let (status, _) = t.get("/api/v1/programs?perPage=1", key).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = t.get("/api/v1/programs?perPage=100", key).await;
    assert_eq!(status, StatusCode::OK);

    for bad in ["0", "101", "-1", "ten", ""] {
        let reply = t.get(&format!("/api/v1/programs?perPage={bad}"), key).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", Some("perPage"));
    }
    for bad in ["0", "x"] {
        let reply = t.get(&format!("/api/v1/programs?page={bad}"), key).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, "validation_failed", Some("page"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_patch_and_archive() {
    let t = TestApp::spawn().await;
    let key = &t.org.key;
    let p = t.create_program(key, program("Pro Plan", "pro")).await;
    let path = format!("/api/v1/programs/{}", id(&p));

    let (status, got) = t.get(&path, key).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, p);

    // Partial: only the given fields change.
    let (status, patched) = t
        .patch(
            &path,
            key,
            json!({ "name": "Pro Plan 2", "cookieWindowDays": 30, "autoApprove": true }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["name"], "Pro Plan 2");
    assert_eq!(patched["cookieWindowDays"], 30);
    assert_eq!(patched["autoApprove"], true);
    for unchanged in [
        "slug",
        "destinationUrl",
        "defaultCommissionType",
        "defaultCommissionValue",
        "currency",
        "attributionModel",
        "createdAt",
        "id",
    ] {
        assert_eq!(patched[unchanged], p[unchanged], "{unchanged}");
    }
    assert_eq!(t.get(&path, key).await.1, patched, "the change is stored");

    // Changing the type needs a value; with one, it is parsed in the program's currency.
    let reply = t.patch(&path, key, json!({ "defaultCommissionType": "Fixed" })).await;
    assert_error(
        &reply,
        StatusCode::BAD_REQUEST,
        "validation_failed",
        Some("defaultCommissionValue"),
    );
    let (status, fixed) = t
        .patch(
            &path,
            key,
            json!({ "defaultCommissionType": "Fixed", "defaultCommissionValue": 5 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{fixed}");
    assert_eq!(fixed["defaultCommissionValue"], "5.00");

    // The slug is permanent: it is not a field of a PATCH.
    let (status, body) = t.patch(&path, key, json!({ "slug": "other" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "validation_failed");
    assert_eq!(body["field"], "slug", "{body}");
    assert!(body["message"].as_str().unwrap().contains("unknown field"), "{body}");
    // An invalid value changes nothing, not even the valid fields next to it.
    let reply = t
        .patch(&path, key, json!({ "name": "Renamed", "cookieWindowDays": 0 }))
        .await;
    assert_error(
        &reply,
        StatusCode::BAD_REQUEST,
        "validation_failed",
        Some("cookieWindowDays"),
    );
    let (_, now) = t.get(&path, key).await;
    assert_eq!(now, fixed);

    // Archive: hidden from the default list, still readable, closed to applications.
    let (status, archived) = t.post_empty(&format!("{path}/archive"), key).await;
    assert_eq!(status, StatusCode::OK, "{archived}");
    assert_eq!(archived["archived"], true);
    assert!(ids(&t.get("/api/v1/programs", key).await.1).is_empty());
    assert_eq!(
        ids(&t.get("/api/v1/programs?includeArchived=true", key).await.1),
        [id(&p)]
    );
    assert_eq!(t.get(&path, key).await.1["archived"], true);
    let actions: Vec<String> = t.audit(t.org.id).await.into_iter().map(|e| e.action).collect();
    assert!(actions.contains(&"campaign.archived".to_owned()), "{actions:?}");
    assert!(actions.contains(&"campaign.updated".to_owned()), "{actions:?}");

    // Unknown and malformed ids are 404s.
    let reply = t.get(&format!("/api/v1/programs/{}", uuid::Uuid::now_v7()), key).await;
    assert_error(&reply, StatusCode::NOT_FOUND, "not_found", None);
    let reply = t.get("/api/v1/programs/not-an-id", key).await;
    assert_error(&reply, StatusCode::NOT_FOUND, "not_found", None);
    let reply = t
        .patch(
            &format!("/api/v1/programs/{}", uuid::Uuid::now_v7()),
            key,
            json!({ "name": "x" }),
        )
        .await;
    assert_error(&reply, StatusCode::NOT_FOUND, "not_found", None);
    let reply = t
        .post_empty(&format!("/api/v1/programs/{}/archive", uuid::Uuid::now_v7()), key)
        .await;
    assert_error(&reply, StatusCode::NOT_FOUND, "not_found", None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_slug_is_a_conflict() {
    let t = TestApp::spawn().await;
    let key = &t.org.key;
    t.create_program(key, program("Pro", "pro")).await;
    let reply = t.post("/api/v1/programs", key, program("Another", "pro")).await;
    assert_error(&reply, StatusCode::CONFLICT, "slug_taken", Some("slug"));
    // Slugs compare case-insensitively.
    let reply = t.post("/api/v1/programs", key, program("Another", "PRO")).await;
    assert_error(&reply, StatusCode::CONFLICT, "slug_taken", Some("slug"));
    // A slug derived from a name collides too.
    t.create_program(key, json!({ "name": "Pro Plan", "destinationUrl": "https://a.example", "defaultCommissionType": "Percentage", "defaultCommissionValue": 1 })).await;
    let reply = t
        .post("/api/v1/programs", key, json!({ "name": "pro  plan", "destinationUrl": "https://a.example", "defaultCommissionType": "Percentage", "defaultCommissionValue": 1 }))
        .await;
    assert_error(&reply, StatusCode::CONFLICT, "slug_taken", Some("slug"));
    // An archived program keeps its slug.
    let (_, list) = t.get("/api/v1/programs", key).await;
    t.post_empty(&format!("/api/v1/programs/{}/archive", ids(&list)[0]), key)
        .await;
    let reply = t.post("/api/v1/programs", key, program("Again", "pro")).await;
    assert_error(&reply, StatusCode::CONFLICT, "slug_taken", Some("slug"));
    assert_eq!(
        ids(&t.get("/api/v1/programs?includeArchived=true", key).await.1).len(),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starter_allows_one_live_program() {
    let t = TestApp::spawn_with(Options {
        plan: Some(PlanTier::Starter),
        ..Options::default()
    })
    .await;
    let key = &t.org.key;
    let first = t.create_program(key, program("First", "first")).await;

    let (status, body) = t.post("/api/v1/programs", key, program("Second", "second")).await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{body}");
    assert_eq!(body["error"], "plan_tier_required");
    assert_eq!(body["required"], "Growth");
    assert_eq!(body["subscriptionStatus"], "Active");
    assert!(body["message"].as_str().unwrap().contains("Growth"));
    assert_eq!(
        ids(&t.get("/api/v1/programs?includeArchived=true", key).await.1).len(),
        1,
        "nothing written"
    );

    // Archived programs do not count; unarchiving one is gated like creating it.
    t.post_empty(&format!("/api/v1/programs/{}/archive", id(&first)), key)
        .await;
    let second = t.create_program(key, program("Second", "second")).await;
    let (status, body) = t
        .patch(
            &format!("/api/v1/programs/{}", id(&first)),
            key,
            json!({ "archived": false }),
        )
        .await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{body}");
    assert_eq!(body["required"], "Growth");
    assert_eq!(
        t.get(&format!("/api/v1/programs/{}", id(&first)), key).await.1["archived"],
        true
    );

    // On Growth the limit is gone.
    t.server
        .app
        .set_plan(t.org.id, PlanTier::Growth, SubscriptionStatus::Active)
        .await
        .unwrap();
    t.create_program(key, program("Third", "third")).await;
    let (status, _) = t
        .patch(
            &format!("/api/v1/programs/{}", id(&first)),
            key,
            json!({ "archived": false }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&t.get("/api/v1/programs", key).await.1).len(), 3);
    assert!(ids(&t.get("/api/v1/programs", key).await.1).contains(&id(&second)));
}
