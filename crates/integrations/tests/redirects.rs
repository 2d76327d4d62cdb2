//! Vendor credentials travel in custom headers that an HTTP client keeps across a redirect to
//! another host: connectors never follow redirects, so a key only reaches the host it was for.

use std::collections::BTreeMap;

use afflux_domain::CrmVendor;
use afflux_fakes::{Journal, Recorded, serve};
use afflux_integrations::crm::{Credentials, CrmContext, CrmError, Endpoints};
use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::IntoResponse;

#[tokio::test]
async fn a_redirect_is_not_followed_and_the_key_stays_home() {
    let elsewhere = Journal::default();
    let recorder = elsewhere.clone();
    let other = serve(
        Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            recorder.push(Recorded::new(&method, &uri, &headers, &body));
            async { StatusCode::OK }
        }),
    )
    .await;
    let target = format!("{}/v1/audiences/get", other.base_url());
    let vendor = serve(Router::new().fallback(move || {
        let target = target.clone();
        async move { (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, target)]).into_response() }
    }))
    .await;

    let ctx = CrmContext::new(Endpoints::default().with("AFFLUX_ORTTO_BASE_URL", &vendor.base_url()));
    let credentials = Credentials {
        api_key: Some("ortto-secret-key".into()),
        ..Credentials::default()
    };
    let connector = ctx
        .connector(CrmVendor::Ortto, &credentials, &BTreeMap::new())
        .expect("connector");
    let error = connector.verify().await.expect_err("a redirect is refused");
    assert!(matches!(error, CrmError::Refused(_)), "{error:?}");
    assert!(error.to_string().contains("307"), "{error}");
    assert!(
        elsewhere.is_empty(),
        "the other host was contacted: {:?}",
        elsewhere.lines()
    );
}
