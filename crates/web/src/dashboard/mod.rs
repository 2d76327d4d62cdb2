//! The browser UI: server-rendered pages with htmx. Every unsafe request passes the CSRF origin
//! check; the session lives in an HttpOnly cookie.

mod affiliates;
mod application_form;
mod assets;
mod campaigns;
mod chart;
mod commissions;
mod csrf;
mod imports;
mod integration_forms;
mod integrations;
mod invites;
mod notification_prefs;
mod org_profile;
mod page;
mod payout_items;
mod payouts;
mod promo;
mod reports;
mod session;
mod setup;
mod stripe_connect;
mod tax;
mod welcome;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Router, middleware};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::AppState;
use crate::error::ApiError;

/// The portal's pages share the origin check.
pub(crate) use csrf::check_origin;

/// Pages load only this instance's own script and styles, and nobody may frame them
/// (clickjacking on the Approve buttons).
const CSP: &str =
    "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub fn routes(state: AppState) -> Router<AppState> {
    let pages = Router::new()
        .route("/", get(setup::root))
        .route("/setup", get(setup::setup_page).post(setup::setup))
        .route("/login", get(setup::login_page).post(setup::login))
        .route("/logout", post(setup::logout))
        .route("/invites/{token}", get(invites::invite_page).post(invites::accept))
        .route("/dashboard", get(setup::dashboard_home))
        .route("/dashboard/campaigns", get(campaigns::list))
        .route(
            "/dashboard/campaigns/new",
            get(campaigns::new_page).post(campaigns::create),
        )
        .route("/dashboard/affiliates", get(affiliates::list))
        .route("/dashboard/affiliates/{id}/approve", post(affiliates::approve))
        .route("/dashboard/affiliates/{id}/reject", post(affiliates::reject))
        .route("/dashboard/affiliates/{id}/portal", get(affiliates::portal_preview))
        .route("/dashboard/integrations", get(integrations::list))
        .route("/dashboard/integrations/connect", post(integrations::connect))
        .route(
            "/dashboard/integrations/{id}/destinations",
            get(integrations::destinations),
        )
        .route("/dashboard/integrations/{id}/settings", post(integrations::settings))
        .route(
            "/dashboard/integrations/{id}/programs/{program_id}",
            post(integrations::program_override),
        )
        .route("/dashboard/integrations/{id}/resync", post(integrations::resync))
        .route("/dashboard/integrations/{id}/remove", post(integrations::remove))
        .route(
            "/dashboard/integrations/{id}/syncs/{affiliate_id}/retry",
            post(integrations::retry),
        )
        .route("/dashboard/commissions", get(commissions::list))
        .route("/dashboard/commissions/{id}/deny", post(commissions::deny))
        .route("/dashboard/payouts", get(payouts::list).post(payouts::start))
        .route("/dashboard/payouts/{id}", get(payout_items::show))
        .route("/dashboard/payouts/{id}/paypal.csv", get(payouts::paypal_file))
        .route("/dashboard/payouts/stripe-connect", post(stripe_connect::connect))
        .route(
            "/dashboard/payouts/stripe-connect/remove",
            post(stripe_connect::disconnect),
        )
        .route(
            "/dashboard/payouts/{id}/items/{item_id}/mark-paid",
            post(payout_items::mark_paid),
        )
        .route(
            "/dashboard/payouts/{id}/items/{item_id}/mark-failed",
            post(payout_items::mark_failed),
        )
        .route(
            "/dashboard/payouts/{id}/items/{item_id}/retry",
            post(payout_items::retry),
        )
        // Reports and tax: summary, chart, leaderboard and exports; the yearly tax report and forms.
        .route("/dashboard/reports", get(reports::show))
        .route("/dashboard/reports/conversions.csv", get(reports::export_conversions))
        .route("/dashboard/reports/commissions.csv", get(reports::export_commissions))
        .route("/dashboard/reports/payouts.csv", get(reports::export_payouts))
        .route(
            "/dashboard/reports/fx-rates",
            post(reports::load_rates).layer(DefaultBodyLimit::max(reports::RATES_UPLOAD_LIMIT)),
        )
        .route("/dashboard/tax", get(tax::show))
        .route("/dashboard/tax/1099-nec.csv", get(tax::nec_csv))
        .route("/dashboard/tax/affiliates/{id}/status", post(tax::set_status))
        .route("/dashboard/tax/affiliates/{id}/document", get(tax::document))
        .route("/dashboard/campaigns/{id}/promo", get(promo::show))
        .route(
            "/dashboard/campaigns/{id}/promo/banners",
            post(promo::upload).layer(DefaultBodyLimit::max(promo::UPLOAD_BODY_LIMIT)),
        )
        .route("/dashboard/campaigns/{id}/promo/texts", post(promo::add_text))
        .route(
            "/dashboard/campaigns/{id}/promo/{asset_id}/move",
            post(promo::move_asset),
        )
        .route("/dashboard/campaigns/{id}/promo/{asset_id}/delete", post(promo::delete))
        // Applications: campaign form builder and welcome emails, answers, org settings.
        .route(
            "/dashboard/campaigns/{id}/application-form",
            get(application_form::show).post(application_form::edit),
        )
        .route(
            "/dashboard/campaigns/{id}/welcome",
            get(welcome::show).post(welcome::edit),
        )
        .route("/dashboard/affiliates/{id}/application", get(application_form::answers))
        .route(
            "/dashboard/settings/profile",
            get(org_profile::show).post(org_profile::save),
        )
        .route(
            "/dashboard/settings/notifications",
            get(notification_prefs::show).post(notification_prefs::save),
        )
        .route(
            "/dashboard/settings/import",
            get(imports::show)
                .post(imports::upload)
                .layer(DefaultBodyLimit::max(imports::UPLOAD_LIMIT)),
        )
        .route("/dashboard/settings/import/sample", post(imports::sample))
        .route("/dashboard/settings/import/{id}", get(imports::detail))
        .route("/dashboard/settings/import/{id}/revert", post(imports::revert))
        .layer(middleware::from_fn_with_state(state, csrf::check_origin))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        // Pages show an organization's data: never kept by caches, nor shown from the back
        // button's cache after signing out.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    Router::new().route("/static/{file}", get(assets::serve)).merge(pages)
}

/// Unknown paths: JSON under `/api/`, a friendly page everywhere else (people type URLs).
pub async fn not_found(req: Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        ApiError::NotFound.into_response()
    } else {
        page::not_found_page()
    }
}
