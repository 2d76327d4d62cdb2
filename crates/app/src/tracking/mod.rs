//! The click path: `/go/{slug}` redirects and clicks reported by the tracking script. Links
//! come from an in-memory cache, bots and repeats are filtered, and every counted click is
//! committed by the group-commit writer before the visitor gets an answer.

mod links;
mod proxies;
mod visitor;
mod writer;

use std::sync::Arc;
use std::time::Duration;

use afflux_domain::{ClickId, ClickSource, Slug, ValidationError};
use afflux_store::{ClickOutcome, NewClick, Store};
use serde::Deserialize;
use time::OffsetDateTime;

pub use links::{LinkCampaign, LinkTarget};
pub use proxies::TrustedProxies;
pub use visitor::{Visit, is_bot, referrer_domain};
pub use writer::{WriterConfig, WriterStats};

use crate::{App, AppError, AppResult};

/// The query parameter carrying the click id to the destination (and back from the script).
pub const CLICK_PARAM: &str = "afx_click";
/// The query parameter carrying the referral slug to the destination.
pub const REFERRAL_PARAM: &str = "via";

/// The tracking state of one process: link cache, click writer, visitor hashing.
pub(crate) struct Tracking {
    links: links::LinkCache,
    writer: writer::ClickWriter,
    hasher: visitor::VisitorHasher,
}

impl Tracking {
    pub(crate) fn new(store: Arc<dyn Store>, visitor_key: Vec<u8>, config: WriterConfig) -> Self {
        Self {
            links: links::LinkCache::new(Duration::from_secs(30), Duration::from_secs(5)),
            writer: writer::ClickWriter::start(store, config),
            hasher: visitor::VisitorHasher::new(visitor_key),
        }
    }
}

/// Where `/go/{slug}` sends a visitor, and the click it counted (none for bots, HEAD requests
/// and prefetches).
#[derive(Debug, Clone)]
pub struct Redirect {
    pub location: String,
    pub click: Option<ClickOutcome>,
}

/// A click reported by the tracking script from the brand's page.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScriptClick {
    /// The referral slug read from the page URL (`?via=`, `?ref=`, `?fpr=` …).
    pub slug: String,
    /// The campaign's slug, when the affiliate promotes several.
    pub campaign: Option<String>,
    /// The `afx_click` of the page URL: the visitor came through `/go/{slug}`, whose click is
    /// confirmed instead of counting another.
    pub click_id: Option<String>,
    pub page_url: Option<String>,
    /// `document.referrer`: the site the visitor came from.
    pub referrer: Option<String>,
}

/// What the script keeps: the click and whom it credits.
#[derive(Debug, Clone)]
pub struct TrackedClick {
    /// None when nothing was counted (a bot).
    pub click_id: Option<ClickId>,
    /// True when this request counted a new click.
    pub recorded: bool,
    pub target: Arc<LinkTarget>,
    pub campaign: LinkCampaign,
}

impl App {
    /// `GET /go/{slug}[/{campaign}]`: counts the click (once per visitor, link and hour) and
    /// answers where to send the visitor. Unknown slugs and links that lead nowhere (no such
    /// campaign, several and none chosen, not approved, archived) are NotFound: never a redirect
    /// to a URL from the request.
    pub async fn follow_link(&self, slug: &str, campaign: Option<&str>, visit: &Visit) -> AppResult<Redirect> {
        let target = self.link(slug).await?.ok_or(AppError::NotFound("link"))?;
        // Borrowed from the cache entry: nothing of it is copied on the hot path.
        let campaign = target.campaign(campaign).ok_or(AppError::NotFound("link"))?;
        let click = if visit.counts() {
            match self.record_click(&target, campaign, visit, ClickSource::Link).await {
                Ok(outcome) => Some(outcome),
                // The visitor still reaches the brand, without a click id: nothing is claimed
                // that was not committed, and the script on the landing page gets a second try.
                Err(e) => {
                    tracing::error!(error = format!("{e:#}"), "click not recorded; redirecting without it");
                    None
                }
            }
        } else {
            None
        };
        Ok(Redirect {
            location: destination(&campaign.destination, &target.slug, click.map(|c| c.id)),
            click,
        })
    }

    /// `POST /api/v1/track/click`: the script saw a referral parameter on the brand's page.
    /// With the `afx_click` of this same visitor's `/go` click, that click is confirmed; otherwise
    /// a click is counted (once per visitor, link and hour).
    pub async fn track_script_click(&self, input: ScriptClick, visit: &Visit) -> AppResult<TrackedClick> {
        let slug = Slug::parse(&input.slug)?;
        let click_id = input
            .click_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<ClickId>())
            .transpose()
            .map_err(|_| ValidationError::new("clickId", "must be a click id from an afx_click parameter"))?;
        let campaign = input.campaign.as_deref().map(str::trim).filter(|s| !s.is_empty());
        if let Some(c) = campaign {
            Slug::parse(c).map_err(|e| e.at("campaign"))?;
        }
        for (field, value) in [("pageUrl", &input.page_url), ("referrer", &input.referrer)] {
            if value.as_ref().is_some_and(|v| v.len() > 2_048) {
                return Err(ValidationError::new(field, "must be at most 2048 characters").into());
            }
        }
        let target = self
            .inner
            .tracking
            .links
            .get(self.store().as_ref(), &slug.key())
            .await?
            .ok_or(AppError::NotFound("link"))?;
        let visit = Visit {
            referrer: input.referrer.filter(|r| !r.trim().is_empty()),
            ..visit.clone()
        };

        if let Some(id) = click_id
            && let Some(confirmed) = self.confirm_click(&target, id, &visit).await?
        {
            return Ok(TrackedClick {
                click_id: Some(id),
                recorded: false,
                target,
                campaign: confirmed,
            });
        }
        let campaign = target.campaign(campaign).cloned().ok_or(AppError::NotFound("link"))?;
        let (click_id, recorded) = if visit.counts() {
            let outcome = self
                .record_click(&target, &campaign, &visit, ClickSource::Script)
                .await?;
            (Some(outcome.id), outcome.recorded)
        } else {
            (None, false)
        };
        Ok(TrackedClick {
            click_id,
            recorded,
            target,
            campaign,
        })
    }

    /// The campaign of click `id` when it is this visitor's click on this affiliate's link.
    /// A click id from someone else (a landing URL shared with its `afx_click`) confirms nothing:
    /// the new visitor is counted on their own.
    async fn confirm_click(&self, target: &LinkTarget, id: ClickId, visit: &Visit) -> AppResult<Option<LinkCampaign>> {
        let Some(click) = self.store().read().await?.get_click(id).await? else {
            return Ok(None);
        };
        let hash = self.visitor_hash(visit, click.at);
        if click.affiliate_id != target.affiliate_id || click.visitor_hash != hash {
            return Ok(None);
        }
        Ok(target.campaigns.iter().find(|c| c.id == click.campaign_id).cloned())
    }

    /// The link cache entry for a slug, or None when it leads nowhere.
    async fn link(&self, slug: &str) -> AppResult<Option<Arc<LinkTarget>>> {
        let Ok(slug) = Slug::parse(slug) else {
            return Ok(None);
        };
        self.inner.tracking.links.get(self.store().as_ref(), &slug.key()).await
    }

    async fn record_click(
        &self,
        target: &LinkTarget,
        campaign: &LinkCampaign,
        visit: &Visit,
        source: ClickSource,
    ) -> AppResult<ClickOutcome> {
        let at = OffsetDateTime::now_utc();
        let click = NewClick {
            id: ClickId::new(),
            org_id: target.org_id,
            campaign_id: campaign.id,
            affiliate_id: target.affiliate_id,
            visitor_hash: self.visitor_hash(visit, at),
            referrer_domain: visit.referrer.as_deref().and_then(referrer_domain),
            source,
            at,
        };
        self.inner.tracking.writer.record(click).await
    }

    fn visitor_hash(&self, visit: &Visit, at: OffsetDateTime) -> Vec<u8> {
        let ua = visit.user_agent.as_deref().unwrap_or("");
        self.inner.tracking.hasher.hash(visit.ip, ua, at)
    }

    /// Batches and clicks the click writer has committed in this process.
    pub fn click_writer_stats(&self) -> WriterStats {
        self.inner.tracking.writer.stats()
    }

    /// Called by verbs that change slugs, memberships or campaigns: links reflect the change
    /// at once on this node (other nodes within the cache TTL).
    pub(crate) fn links_changed(&self) {
        self.inner.tracking.links.invalidate_all();
    }
}

/// The destination with `via` and `afx_click` added (replacing any the brand's URL carried);
/// the rest of its query and its fragment are kept as written.
fn destination(url: &url::Url, slug: &Slug, click: Option<ClickId>) -> String {
    let mut url = url.clone();
    let ours = |k: &str| k == REFERRAL_PARAM || k == CLICK_PARAM;
    if url.query_pairs().any(|(k, _)| ours(&k)) {
        let kept: Vec<(String, String)> = url.query_pairs().into_owned().filter(|(k, _)| !ours(k)).collect();
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    {
        let mut query = url.query_pairs_mut();
        query.append_pair(REFERRAL_PARAM, slug.as_str());
        if let Some(id) = click {
            query.append_pair(CLICK_PARAM, &id.to_string());
        }
    }
    String::from(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_get_the_referral_and_click() {
        let slug = Slug::parse("Jane-R").unwrap();
        let id: ClickId = "0193a000-0000-7000-8000-000000000001".parse().unwrap();
        let url = |s: &str| url::Url::parse(s).unwrap();
        assert_eq!(
            destination(&url("https://acme.example/pricing"), &slug, Some(id)),
            format!("https://acme.example/pricing?via=Jane-R&afx_click={id}")
        );
        assert_eq!(
            destination(&url("https://acme.example/?utm_source=x%20y#plans"), &slug, None),
            "https://acme.example/?utm_source=x%20y&via=Jane-R#plans"
        );
        assert_eq!(
            destination(
                &url("https://acme.example/?via=other&a=1&afx_click=forged"),
                &slug,
                Some(id)
            ),
            format!("https://acme.example/?a=1&via=Jane-R&afx_click={id}")
        );
    }
}
