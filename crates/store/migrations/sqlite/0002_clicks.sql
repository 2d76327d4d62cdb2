-- Clicks: one row per counted click. The unique key makes a visitor count once per link per
-- clock hour; per-day counters keep totals without COUNT(*).

CREATE TABLE clicks (
    id              BLOB PRIMARY KEY,
    org_id          BLOB NOT NULL REFERENCES organizations (id),
    campaign_id     BLOB NOT NULL REFERENCES campaigns (id),
    affiliate_id    BLOB NOT NULL REFERENCES affiliates (id),
    visitor_hash    BLOB NOT NULL,
    hour            INTEGER NOT NULL,
    referrer_domain TEXT,
    source          TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (affiliate_id, campaign_id, visitor_hash, hour)
);
CREATE INDEX clicks_by_org ON clicks (org_id, created_at);

CREATE TABLE click_counts (
    org_id       BLOB NOT NULL REFERENCES organizations (id),
    affiliate_id BLOB NOT NULL REFERENCES affiliates (id),
    campaign_id  BLOB NOT NULL REFERENCES campaigns (id),
    day          INTEGER NOT NULL,
    clicks       INTEGER NOT NULL,
    PRIMARY KEY (affiliate_id, campaign_id, day)
);
CREATE INDEX click_counts_by_org ON click_counts (org_id, day);
