//! The middleware in front of the routed fakes: it journals each request, plays a scripted
//! failure, and lets the vendor turn the request away before it reaches the routes.

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;

use crate::script::Played;
use crate::{Journal, Recorded, Running};

/// A vendor's fake as [`front`] serves it.
pub(crate) trait Vendor: Clone + Send + Sync + 'static {
    type Failure;

    /// Where this server journals its requests.
    fn journal(&self) -> &Journal;

    /// Takes off the script the failure for the request `"METHOD /path"`, if one is scripted.
    fn take_failure(&self, line: &str) -> Option<Self::Failure>;

    /// How this vendor plays a failure.
    fn play(failure: Self::Failure) -> Played;

    /// The vendor's answer to a request it refuses before routing (credentials, required headers).
    fn refuse(&self, request: &Request) -> Option<Response>;
}

/// Serves `routes` behind [`front`], with `vendor` as their state.
pub(crate) async fn serve<V: Vendor>(vendor: V, routes: Router<V>) -> Running {
    let router = routes.layer(middleware::from_fn_with_state(vendor.clone(), front::<V>));
    crate::serve(router.with_state(vendor)).await
}

/// Journals the request, plays a scripted failure, lets the vendor refuse it, then routes.
async fn front<V: Vendor>(State(vendor): State<V>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let recorded = Recorded::new(&parts.method, &parts.uri, &parts.headers, &body);
    let line = recorded.line();
    vendor.journal().push(recorded);
    let request = Request::from_parts(parts, Body::from(body));
    let played = vendor.take_failure(&line).map(V::play);
    match played {
        Some(Played::Wait(pause)) => tokio::time::sleep(pause).await,
        Some(Played::Answer(answer)) => return answer,
        None => {}
    }
    if let Some(refusal) = vendor.refuse(&request) {
        return refusal;
    }
    next.run(request).await
}
