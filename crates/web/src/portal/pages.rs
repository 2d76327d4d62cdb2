//! The signed-in pages: home, links, promo tools and earnings; and the brand's read-only
//! preview of an affiliate's home.

use afflux_app::portal::{EarningsPage, LinkBuilder, PortalCampaign, PortalHome, PortalLinks, PortalPromo};
use afflux_domain::CampaignId;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::session::PortalUser;
use super::view::{Nav, app_error, chart_svg, not_found, ok, parse_org};
use crate::AppState;

/// `/a`: the first organization's home.
pub async fn root(PortalUser(viewer): PortalUser) -> Response {
    match viewer.accounts.first() {
        Some(a) => Redirect::to(&format!("/a/{}", a.org.id)).into_response(),
        None => Redirect::to("/a/sign-in").into_response(),
    }
}

#[derive(Template)]
#[template(path = "portal/home.html")]
struct HomePage {
    nav: Nav,
    home: PortalHome,
    chart: String,
}

/// The brand's "View as affiliate": the affiliate's portal home, read-only.
#[derive(Template)]
#[template(path = "portal/preview.html")]
pub struct PreviewPage {
    pub home: PortalHome,
    pub chart: String,
}

impl PreviewPage {
    pub fn new(home: PortalHome) -> Self {
        let chart = chart_svg(&home.chart);
        PreviewPage { home, chart }
    }
}

pub async fn home(State(s): State<AppState>, PortalUser(viewer): PortalUser, Path(org): Path<String>) -> Response {
    let Some(org) = parse_org(&org) else {
        return not_found();
    };
    let Some(nav) = Nav::new(&viewer, org, "home") else {
        return not_found();
    };
    match s.app.portal_home(&viewer, org).await {
        Ok(home) => {
            let chart = chart_svg(&home.chart);
            ok(&HomePage { nav, home, chart })
        }
        Err(e) => app_error(e),
    }
}

#[derive(Template)]
#[template(path = "portal/links.html")]
struct LinksPage {
    nav: Nav,
    links: PortalLinks,
    /// The link builder's state: the campaign chosen, the page typed, and its link or error.
    selected: Option<CampaignId>,
    page_url: String,
    error: Option<String>,
    built: Option<String>,
}

impl LinksPage {
    fn is_selected(&self, id: &CampaignId) -> bool {
        self.selected.as_ref() == Some(id)
    }

    fn new(nav: Nav, links: PortalLinks, builder: Option<LinkBuilder>) -> Self {
        let (selected, page_url, error, built) = match builder {
            Some(b) => match b.result {
                Ok(link) => (Some(b.campaign_id), b.url, None, Some(link)),
                Err(e) => (Some(b.campaign_id), b.url, Some(e.message), None),
            },
            None => (None, String::new(), None, None),
        };
        LinksPage {
            nav,
            links,
            selected,
            page_url,
            error,
            built,
        }
    }
}

#[derive(Deserialize)]
pub struct BuilderQuery {
    campaign: Option<String>,
    url: Option<String>,
}

pub async fn links(
    State(s): State<AppState>,
    PortalUser(viewer): PortalUser,
    Path(org): Path<String>,
    Query(q): Query<BuilderQuery>,
) -> Response {
    let Some(org) = parse_org(&org) else {
        return not_found();
    };
    let Some(nav) = Nav::new(&viewer, org, "links") else {
        return not_found();
    };
    let builder = match (q.campaign.as_deref(), q.url.as_deref()) {
        (Some(campaign), Some(url)) => {
            let Ok(campaign) = campaign.parse::<CampaignId>() else {
                return not_found();
            };
            match s.app.portal_build_link(&viewer, org, campaign, url).await {
                Ok(built) => Some(built),
                Err(e) => return app_error(e),
            }
        }
        _ => None,
    };
    match s.app.portal_links(&viewer, org).await {
        Ok(links) => ok(&LinksPage::new(nav, links, builder)),
        Err(e) => app_error(e),
    }
}

#[derive(Template)]
#[template(path = "portal/promo.html")]
struct PromoPage {
    nav: Nav,
    campaigns: Vec<(PortalCampaign, Vec<PortalPromo>)>,
}

pub async fn promo(State(s): State<AppState>, PortalUser(viewer): PortalUser, Path(org): Path<String>) -> Response {
    let Some(org) = parse_org(&org) else {
        return not_found();
    };
    let Some(nav) = Nav::new(&viewer, org, "promo") else {
        return not_found();
    };
    match s.app.portal_promo(&viewer, org).await {
        Ok(campaigns) => ok(&PromoPage { nav, campaigns }),
        Err(e) => app_error(e),
    }
}

#[derive(Template)]
#[template(path = "portal/earnings.html")]
struct EarningsView {
    nav: Nav,
    earnings: EarningsPage,
}

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<i64>,
}

pub async fn earnings(
    State(s): State<AppState>,
    PortalUser(viewer): PortalUser,
    Path(org): Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    let Some(org) = parse_org(&org) else {
        return not_found();
    };
    let Some(nav) = Nav::new(&viewer, org, "earnings") else {
        return not_found();
    };
    match s.app.portal_earnings(&viewer, org, q.page.unwrap_or(1)).await {
        Ok(earnings) => ok(&EarningsView { nav, earnings }),
        Err(e) => app_error(e),
    }
}
