//! The link cache: where a referral slug leads, kept in memory so the hot path reads no database.
//! Entries live a short TTL (other nodes' changes arrive within it) and are dropped at once when
//! a verb of this process changes slugs, statuses or campaigns. Unknown slugs are cached too,
//! briefly, so a flood of made-up slugs costs one query per slug per few seconds.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use afflux_domain::{AffiliateId, AttributionModel, CampaignId, OrgId, Slug};
use afflux_store::Store;
use url::Url;

use crate::AppResult;

/// A campaign a link leads to: an Approved membership in a live campaign.
#[derive(Debug, Clone)]
pub struct LinkCampaign {
    pub id: CampaignId,
    pub slug: Slug,
    pub name: String,
    pub destination: Url,
    pub cookie_window_days: i32,
    pub attribution_model: AttributionModel,
}

/// Everything the click path needs to know about a referral slug.
#[derive(Debug, Clone)]
pub struct LinkTarget {
    pub org_id: OrgId,
    pub affiliate_id: AffiliateId,
    /// The slug as the affiliate holds it (links may use any case).
    pub slug: Slug,
    pub name: Option<String>,
    /// Only the campaigns this affiliate earns in: paused, pending, rejected or banned
    /// memberships and archived campaigns lead nowhere.
    pub campaigns: Vec<LinkCampaign>,
}

impl LinkTarget {
    /// The campaign named by `slug`, or with none named the affiliate's only campaign.
    pub fn campaign(&self, slug: Option<&str>) -> Option<&LinkCampaign> {
        match slug {
            Some(s) => self.campaigns.iter().find(|c| c.slug.as_str().eq_ignore_ascii_case(s)),
            None if self.campaigns.len() == 1 => self.campaigns.first(),
            None => None,
        }
    }
}

struct Entry {
    target: Option<Arc<LinkTarget>>,
    expires: Instant,
}

pub(crate) struct LinkCache {
    entries: RwLock<HashMap<String, Entry>>,
    /// Bumped by every invalidation: a fill that started before it must not store its (maybe
    /// stale) result.
    generation: AtomicU64,
    ttl: Duration,
    negative_ttl: Duration,
}

/// Past this many entries expired ones are swept (and if that is not enough, all of them).
const MAX_ENTRIES: usize = 50_000;

impl LinkCache {
    pub(crate) fn new(ttl: Duration, negative_ttl: Duration) -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
            generation: AtomicU64::new(0),
            ttl,
            negative_ttl,
        }
    }

    /// The target of a slug (its lower-cased key), from memory or else from the store.
    pub(crate) async fn get(&self, store: &dyn Store, key: &str) -> AppResult<Option<Arc<LinkTarget>>> {
        if let Some(entry) = self.entries.read().expect("link cache lock").get(key)
            && entry.expires > Instant::now()
        {
            return Ok(entry.target.clone());
        }
        // Read before the query starts: see `insert`.
        let generation = self.generation.load(Ordering::Acquire);
        let target = load(store, key).await?.map(Arc::new);
        self.insert(key, target.clone(), generation);
        Ok(target)
    }

    fn insert(&self, key: &str, target: Option<Arc<LinkTarget>>, generation: u64) {
        let mut entries = self.entries.write().expect("link cache lock");
        // An invalidation since the fill began may have changed what the store holds.
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        let now = Instant::now();
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, e| e.expires > now);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        let ttl = if target.is_some() { self.ttl } else { self.negative_ttl };
        entries.insert(
            key.to_owned(),
            Entry {
                target,
                expires: now + ttl,
            },
        );
    }

    /// Forgets every entry. Changes to slugs, statuses and campaigns are rare next to clicks,
    /// so dropping everything is cheaper than working out which slugs a change touches.
    pub(crate) fn invalidate_all(&self) {
        let mut entries = self.entries.write().expect("link cache lock");
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }
}

async fn load(store: &dyn Store, key: &str) -> AppResult<Option<LinkTarget>> {
    let mut tx = store.read().await?;
    let Some(affiliate) = tx.get_affiliate_by_slug(key).await? else {
        return Ok(None);
    };
    let mut campaigns = Vec::new();
    for membership in tx.list_memberships(affiliate.org_id, affiliate.id).await? {
        if !membership.status.earns() {
            continue;
        }
        let Some(campaign) = tx.get_campaign(affiliate.org_id, membership.campaign_id).await? else {
            continue;
        };
        if campaign.archived {
            continue;
        }
        // Destinations were validated as web URLs when saved; one that no longer parses leads
        // nowhere rather than somewhere unexpected.
        let Ok(destination) = Url::parse(&campaign.destination_url) else {
            continue;
        };
        campaigns.push(LinkCampaign {
            id: campaign.id,
            slug: campaign.slug,
            name: campaign.name,
            destination,
            cookie_window_days: campaign.cookie_window_days,
            attribution_model: campaign.attribution_model,
        });
    }
    Ok(Some(LinkTarget {
        org_id: affiliate.org_id,
        affiliate_id: affiliate.id,
        slug: affiliate.slug,
        name: affiliate.name,
        campaigns,
    }))
}
