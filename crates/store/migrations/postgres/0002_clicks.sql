-- Clicks: one row per counted click. The unique key makes a visitor count once per link per
-- clock hour; per-day counters keep totals without COUNT(*).

CREATE TABLE clicks (
    id              uuid PRIMARY KEY,
    org_id          uuid NOT NULL REFERENCES organizations (id),
    campaign_id     uuid NOT NULL REFERENCES campaigns (id),
    affiliate_id    uuid NOT NULL REFERENCES affiliates (id),
    visitor_hash    bytea NOT NULL,
    hour            bigint NOT NULL,
    referrer_domain text,
    source          text NOT NULL,
    created_at      timestamptz NOT NULL,
    CONSTRAINT clicks_affiliate_id_campaign_id_visitor_hash_hour_uniq UNIQUE (affiliate_id, campaign_id, visitor_hash, hour)
);
CREATE INDEX clicks_by_org ON clicks (org_id, created_at);

CREATE TABLE click_counts (
    org_id       uuid NOT NULL REFERENCES organizations (id),
    affiliate_id uuid NOT NULL REFERENCES affiliates (id),
    campaign_id  uuid NOT NULL REFERENCES campaigns (id),
    day          bigint NOT NULL,
    clicks       bigint NOT NULL,
    CONSTRAINT click_counts_affiliate_id_campaign_id_day_pkey PRIMARY KEY (affiliate_id, campaign_id, day)
);
CREATE INDEX click_counts_by_org ON click_counts (org_id, day);
