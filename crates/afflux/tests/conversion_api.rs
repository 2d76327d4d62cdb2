//! The conversion API besides S2S: the tracking script's leads, coupons and promotion codes,
//! tenant isolation of conversions and coupons, and the OpenAPI description of it all.

mod support;

use afflux_domain::AttributionModel;
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::Harness;
use support::s2s::{S2s, sale};
use time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leads_from_the_script_bind_the_email_for_a_later_sale() {
    let h = Harness::start().await;
    let program = h.program("pro", "25", false, AttributionModel::LastTouch).await;
    let jane = h.affiliate(program.id, "jane@partners.test").await;
    let s2s = S2s::new(&h).await;
    let lead = |body: Value| {
        h.send(
            h.client
                .post(h.url("/api/v1/track/lead"))
                .header("origin", "https://brightwave.test")
                .json(&body),
        )
    };

    let click = h.click(&jane, program.id, Duration::minutes(5)).await;
    let first = lead(json!({ "clickId": click.to_string(), "email": "New@Customer.test", "name": "New" })).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    assert_eq!(first.headers["access-control-allow-origin"], "*");
    let id = first.body["conversionId"].as_str().unwrap().to_owned();
    let again = lead(json!({ "slug": jane.slug.as_str(), "email": "new@customer.test" })).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["conversionId"], id.as_str());
    let unknown = lead(json!({ "slug": "nobody-here", "email": "x@customer.test" })).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let bad = lead(json!({ "slug": jane.slug.as_str(), "email": "not an email" })).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let preflight = h
        .send(h.client.request(reqwest::Method::OPTIONS, h.url("/api/v1/track/lead")))
        .await;
    assert_eq!(preflight.status, StatusCode::NO_CONTENT);

    let listed = h.conversions().await;
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0]["type"].as_str(), listed[0]["source"].as_str()),
        (Some("Lead"), Some("Lead"))
    );
    assert_eq!(listed[0]["commissionCents"], 0);
    assert_eq!(listed[0]["clickId"], json!(click));

    // The customer buys later, with no cookie: customer match.
    let reply = s2s
        .send(&json!({ "externalEventId": "later", "email": "new@customer.test", "amountCents": 4_000 }))
        .await;
    assert_eq!(reply.body["source"], "CustomerMatch", "{:?}", reply.body);
    assert_eq!(reply.body["affiliateId"], json!(jane.id));
    assert_eq!(reply.body["commissionCents"], 1_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversions_and_coupons_are_tenant_isolated() {
    let h = Harness::start().await;
    let program = h.program("pro", "20", false, AttributionModel::LastTouch).await;
    let jane = h.affiliate(program.id, "jane@partners.test").await;
    let s2s = S2s::new(&h).await;
    let recorded = s2s.send(&sale("t-1", jane.slug.as_str(), 1_000)).await;
    let id = recorded.body["conversionId"].as_str().unwrap().to_owned();

    let other = h
        .server
        .app
        .create_org(afflux_app::NewOrg {
            name: "Other".into(),
            owner_email: "owner@other.test".into(),
            plan: None,
            status: None,
        })
        .await
        .unwrap();
    let key = other.api_key.clone();
    let h = &h;
    let get = |path: String| {
        let key = key.clone();
        async move { h.api(reqwest::Method::GET, &path, &key, None).await }
    };
    assert_eq!(
        get(format!("/api/v1/conversions/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(get("/api/v1/conversions".into()).await.body["data"], json!([]));
    assert_eq!(
        get(format!("/api/v1/programs/{}/coupons", program.id)).await.status,
        StatusCode::NOT_FOUND
    );
    let promo = h
        .api(
            reqwest::Method::POST,
            &format!("/api/v1/affiliates/{}/coupons", jane.id),
            &other.api_key,
            Some(json!({ "code": "STEAL" })),
        )
        .await;
    assert_eq!(promo.status, StatusCode::NOT_FOUND);
    // Another organization's signing secret differs, and its signature does not pass here.
    let theirs = h
        .api(
            reqwest::Method::GET,
            "/api/v1/tracking/signing-secret",
            &other.api_key,
            None,
        )
        .await;
    assert_ne!(theirs.body["signingSecret"], json!(s2s.secret));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coupons_are_registered_per_program_and_affiliate() {
    let h = Harness::start().await;
    let program = h.program("pro", "20", false, AttributionModel::LastTouch).await;
    let other_program = h.program("basic", "10", false, AttributionModel::LastTouch).await;
    let jane = h.affiliate(program.id, "jane@partners.test").await;
    h.affiliate(other_program.id, "jane@partners.test").await;

    let spring = h
        .post(
            &format!("/api/v1/programs/{}/coupons", program.id),
            json!({ "code": "SPRING", "stripeCouponId": "co_spring", "overridesClickAttribution": false }),
        )
        .await;
    assert_eq!(spring.status, StatusCode::CREATED, "{:?}", spring.body);
    assert_eq!(spring.body["affiliateId"], Value::Null);
    let path = format!("/api/v1/affiliates/{}/coupons", jane.id);
    // In two programs and no coupon named: say which.
    let ambiguous = h.post(&path, json!({ "code": "SARAH20" })).await;
    assert_eq!(ambiguous.status, StatusCode::BAD_REQUEST);
    assert_eq!(ambiguous.body["field"], "programId");
    let code = h
        .post(
            &path,
            json!({ "code": "Sarah20", "couponId": spring.body["id"], "stripePromotionCodeId": "promo_1" }),
        )
        .await;
    assert_eq!(code.status, StatusCode::CREATED, "{:?}", code.body);
    assert_eq!(code.body["programId"], json!(program.id));
    assert_eq!(code.body["couponId"], spring.body["id"]);
    assert_eq!(
        code.body["overridesClickAttribution"], false,
        "inherited from the coupon"
    );
    let taken = h
        .post(&path, json!({ "code": "sarah20", "programId": other_program.id }))
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert_eq!(taken.body["error"], "code_taken");
    let promo_taken = h
        .post(
            &path,
            json!({ "code": "SARAH21", "programId": other_program.id, "stripePromotionCodeId": "promo_1" }),
        )
        .await;
    assert_eq!(promo_taken.body["error"], "stripe_id_taken");

    let listed = h.get(&format!("/api/v1/programs/{}/coupons", program.id)).await;
    let codes: Vec<&str> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["SPRING", "Sarah20"]);
    let mine = h.get(&path).await;
    assert_eq!(mine.body.as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_the_conversion_endpoints() {
    let h = Harness::start().await;
    let doc = h.send(h.client.get(h.url("/api/v1/openapi.json"))).await.body;
    let paths = doc["paths"].as_object().expect("paths");
    for (path, methods) in [
        ("/api/track/s2s", &["post"][..]),
        ("/hooks/stripe/{organizationId}", &["post"]),
        ("/api/v1/track/lead", &["post"]),
        ("/api/v1/conversions", &["get"]),
        ("/api/v1/conversions/{id}", &["get"]),
        ("/api/v1/programs/{id}/coupons", &["get", "post"]),
        ("/api/v1/affiliates/{id}/coupons", &["get", "post"]),
        ("/api/v1/integrations/stripe", &["get", "put"]),
        ("/api/v1/tracking/signing-secret", &["get"]),
    ] {
        let item = paths.get(path).unwrap_or_else(|| panic!("no {path}"));
        for method in methods {
            assert!(item.get(*method).is_some(), "no {method} {path}");
        }
    }
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for name in [
        "S2sEvent",
        "ConversionView",
        "CouponView",
        "NewPromotionCode",
        "StripeWebhookSecret",
        "LeadInput",
    ] {
        assert!(schemas.contains_key(name), "no schema {name}");
    }
}
