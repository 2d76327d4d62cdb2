//! `/api/v1`: the JSON API, authenticated with `Authorization: Bearer afx_live_…`, described
//! by an OpenAPI document generated from these handlers.

mod affiliates;
mod conversion_views;
mod conversions;
mod coupons;
mod crm;
mod fx;
mod imports;
mod integrations;
mod money;
mod pagination;
mod programs;
mod reports;
mod tax;
mod team;
pub mod views;

use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Afflux API", description = "Affiliate programs: programs, affiliates, team and API keys. Errors are `{\"error\": code, \"message\": text, \"field\": name}`."),
    modifiers(&BearerAuth),
    tags((name = "programs"), (name = "affiliates"), (name = "team"), (name = "api keys"), (name = "integrations"), (name = "money"), (name = "reports"), (name = "imports"), (name = "public"))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

pub fn routes() -> Router<AppState> {
    let (router, doc) =
        OpenApiRouter::with_openapi(ApiDoc::openapi().merge_from(crate::tracking::TrackingDoc::openapi()))
            .routes(routes!(programs::list_programs, programs::create_program))
            .routes(routes!(programs::get_program, programs::update_program))
            .routes(routes!(programs::archive_program))
            .routes(routes!(affiliates::list_affiliates, affiliates::create_affiliate))
            .routes(routes!(affiliates::invite_affiliate))
            .routes(routes!(affiliates::get_affiliate, affiliates::update_affiliate))
            .routes(routes!(affiliates::set_slug))
            .routes(routes!(affiliates::approve))
            .routes(routes!(affiliates::reject))
            .routes(routes!(affiliates::pause))
            .routes(routes!(affiliates::ban))
            .routes(routes!(team::organization, team::update_organization))
            .routes(routes!(team::team))
            .routes(routes!(team::invite))
            .routes(routes!(team::cancel_invite))
            .routes(routes!(team::set_role, team::remove_member))
            .routes(routes!(team::list_keys, team::create_key))
            .routes(routes!(team::rotate_key))
            .routes(routes!(team::revoke_key))
            .routes(routes!(crate::public::apply))
            .routes(routes!(conversions::list_conversions))
            .routes(routes!(conversions::get_conversion))
            .routes(routes!(coupons::list_program_coupons, coupons::create_program_coupon))
            .routes(routes!(
                coupons::list_affiliate_coupons,
                coupons::create_affiliate_coupon
            ))
            .routes(routes!(integrations::stripe_settings, integrations::set_stripe_secret))
            .routes(routes!(integrations::signing_secret))
            .routes(routes!(integrations::paypal_settings, integrations::set_paypal))
            .routes(routes!(
                integrations::stripe_connect_settings,
                integrations::set_stripe_connect,
                integrations::remove_stripe_connect
            ))
            .routes(routes!(crm::list, crm::connect))
            .routes(routes!(crm::get, crm::update, crm::remove))
            .routes(routes!(crm::destinations))
            .routes(routes!(crm::set_override, crm::clear_override))
            .routes(routes!(crm::syncs))
            .routes(routes!(crm::retry))
            .routes(routes!(crm::resync))
            .routes(routes!(imports::import_affiliates))
            .routes(routes!(imports::import_conversions))
            .routes(routes!(imports::preview_conversions))
            .routes(routes!(imports::list_imports))
            .routes(routes!(imports::get_import))
            .routes(routes!(imports::revert_import))
            .routes(routes!(money::list_commissions))
            .routes(routes!(money::get_commission))
            .routes(routes!(money::deny_commission))
            .routes(routes!(money::balances))
            .routes(routes!(money::ledger))
            .routes(routes!(money::adjust))
            .routes(routes!(money::start_run, money::list_runs))
            .routes(routes!(money::get_run))
            .routes(routes!(money::paypal_csv))
            .routes(routes!(money::mark_paid))
            .routes(routes!(money::mark_failed))
            .routes(routes!(money::retry_item))
            .routes(routes!(money::fx_status, fx::load_rates))
            .routes(routes!(reports::summary))
            .routes(routes!(reports::daily))
            .routes(routes!(reports::leaderboard))
            .routes(routes!(reports::sources))
            .routes(routes!(reports::export_conversions))
            .routes(routes!(reports::export_commissions))
            .routes(routes!(reports::export_payouts))
            .routes(routes!(tax::get_tax_form, tax::set_tax_form))
            .routes(routes!(tax::upload_document, tax::download_document))
            .routes(routes!(tax::report))
            .routes(routes!(tax::nec_csv))
            .split_for_parts();
    // The inbound hooks are routed by `crate::hooks`; their paths are documented here.
    let mut doc = doc;
    doc.merge(crate::hooks::HooksDoc::openapi());
    router.route(
        "/api/v1/openapi.json",
        get(move || std::future::ready(Json(doc.clone()))),
    )
}
