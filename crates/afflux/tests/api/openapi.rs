//! The OpenAPI document and the health check.

use reqwest::StatusCode;

use crate::common::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_describes_the_api() {
    let t = TestApp::spawn().await;
    // Public: no key needed.
    let reply = t.send(t.client.get(t.url("/api/v1/openapi.json"))).await;
    assert_eq!(reply.status, StatusCode::OK);
    let content_type = reply.headers.get("content-type").unwrap().to_str().unwrap();
    assert!(content_type.starts_with("application/json"), "{content_type}");
    let doc = reply.body;
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], "Afflux API");

    let paths = doc["paths"].as_object().expect("paths");
    for (path, methods) in [
        ("/api/v1/programs", &["get", "post"][..]),
        ("/api/v1/programs/{id}", &["get", "patch"]),
        ("/api/v1/programs/{id}/archive", &["post"]),
        ("/api/v1/affiliates", &["get", "post"]),
        ("/api/v1/affiliates/invite", &["post"]),
        ("/api/v1/affiliates/{id}", &["get"]),
        ("/api/v1/affiliates/{id}/slug", &["put"]),
        ("/api/v1/affiliates/{id}/approve", &["post"]),
        ("/api/v1/affiliates/{id}/reject", &["post"]),
        ("/api/v1/affiliates/{id}/pause", &["post"]),
        ("/api/v1/affiliates/{id}/ban", &["post"]),
        ("/api/v1/team", &["get"]),
        ("/api/v1/team/invites", &["post"]),
        ("/api/v1/team/invites/{id}", &["delete"]),
        ("/api/v1/team/members/{userId}", &["patch", "delete"]),
        ("/api/v1/api-keys", &["get", "post"]),
        ("/api/v1/api-keys/{id}/rotate", &["post"]),
        ("/api/v1/api-keys/{id}", &["delete"]),
        ("/api/v1/organization", &["get"]),
        (
            "/api/v1/public/{organizationId}/programs/{programSlug}/apply",
            &["post"],
        ),
    ] {
        let item = paths
            .get(path)
            .unwrap_or_else(|| panic!("no {path} in {:?}", paths.keys().collect::<Vec<_>>()));
        for method in methods {
            assert!(item.get(*method).is_some(), "no {method} {path}");
        }
    }

    let scheme = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(scheme["type"], "http", "{scheme}");
    assert_eq!(
        scheme["scheme"].as_str().map(str::to_ascii_lowercase).as_deref(),
        Some("bearer"),
        "{scheme}"
    );
    // Authenticated operations require it; the public application does not.
    let security = &paths["/api/v1/programs"]["post"]["security"];
    assert!(
        security
            .as_array()
            .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some())),
        "{security}"
    );
    assert!(
        paths["/api/v1/public/{organizationId}/programs/{programSlug}/apply"]["post"]
            .get("security")
            .is_none()
    );
    // Request schemas are published.
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for name in [
        "NewCampaign",
        "CampaignPatch",
        "ProgramView",
        "AffiliateView",
        "Application",
        "StatusChange",
    ] {
        assert!(schemas.contains_key(name), "no schema {name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_check() {
    let t = TestApp::spawn().await;
    let reply = t.send(t.client.get(t.url("/healthz"))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, "ok");
}
