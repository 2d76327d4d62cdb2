//! Cross-site request forgery: an unsafe request must come from a page of this instance.
//! Browsers send `Origin` on every cross-origin and same-origin POST (forms, fetch, htmx), so
//! comparing it with our own origin refuses forged posts without tokens in every form.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use url::Url;

use super::page;
use crate::AppState;

pub async fn check_origin(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || same_origin(req.headers(), &s.app.config().public_url) {
        return next.run(req).await;
    }
    tracing::warn!(path = %req.uri().path(), "refused a cross-origin request");
    page::forbidden_page(
        "This request came from another site, so it was refused. Go back, reload the page and try again.",
    )
}

/// Whether `Origin` (or, when a browser omits it, `Referer`) names the public URL's origin or the
/// Host the request was sent to. The Host comparison uses the public URL's scheme, because
/// behind a TLS-terminating proxy the request itself arrives over plain http.
fn same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    let claimed = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    // "null" (sandboxed frames, some redirects) does not parse as a URL and is refused.
    let Some(claimed) = claimed.and_then(|c| Url::parse(c).ok()).map(|u| u.origin()) else {
        return false;
    };
    let Ok(public) = Url::parse(public_url) else {
        return false;
    };
    if claimed == public.origin() {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    host.and_then(|h| Url::parse(&format!("{}://{h}", public.scheme())).ok())
        .is_some_and(|own| own.origin() == claimed)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(header::HeaderName, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (k.clone(), HeaderValue::from_static(v)))
            .collect()
    }

    #[test]
    fn accepts_the_public_origin_and_the_own_host() {
        let public = "https://aff.example.com";
        assert!(same_origin(
            &headers(&[(header::ORIGIN, "https://aff.example.com")]),
            public
        ));
        assert!(same_origin(
            &headers(&[(header::ORIGIN, "https://aff.example.com:443")]),
            public
        ));
        assert!(same_origin(
            &headers(&[(header::REFERER, "https://aff.example.com/login?x=1")]),
            public
        ));
        let via_ip = headers(&[
            (header::ORIGIN, "http://127.0.0.1:8080"),
            (header::HOST, "127.0.0.1:8080"),
        ]);
        assert!(same_origin(&via_ip, "http://localhost:8080"));
    }

    #[test]
    fn refuses_other_origins() {
        let public = "https://aff.example.com";
        assert!(!same_origin(&headers(&[]), public));
        assert!(!same_origin(&headers(&[(header::ORIGIN, "null")]), public));
        assert!(!same_origin(
            &headers(&[(header::ORIGIN, "https://evil.example")]),
            public
        ));
        assert!(!same_origin(
            &headers(&[(header::ORIGIN, "http://aff.example.com")]),
            public
        ));
        assert!(!same_origin(
            &headers(&[(header::ORIGIN, "https://aff.example.com.evil.example")]),
            public
        ));
        // Origin wins over Referer: a forged page cannot borrow our Referer.
        let both = headers(&[
            (header::ORIGIN, "https://evil.example"),
            (header::REFERER, "https://aff.example.com/"),
        ]);
        assert!(!same_origin(&both, public));
        // The own Host counts with the public scheme only.
        let downgraded = headers(&[(header::ORIGIN, "http://aff.internal"), (header::HOST, "aff.internal")]);
        assert!(!same_origin(&downgraded, public));
        let host_ok = headers(&[(header::ORIGIN, "https://aff.internal"), (header::HOST, "aff.internal")]);
        assert!(same_origin(&host_ok, public));
    }
}
