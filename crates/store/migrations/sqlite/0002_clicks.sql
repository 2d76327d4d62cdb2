-- Clicks: one row per counted click; per-day counters keep totals without COUNT(*). A visitor
-- counts once per link per clock hour: on SQLite the store keeps that rule in memory (see
-- src/sqlite/recent_clicks.rs), loading the last two hours through clicks_by_hour.

CREATE TABLE clicks (
    id              BLOB PRIMARY KEY,
    org_id          BLOB NOT NULL REFERENCES organizations (id),
    campaign_id     BLOB NOT NULL REFERENCES campaigns (id),
    affiliate_id    BLOB NOT NULL REFERENCES affiliates (id),
    visitor_hash    BLOB NOT NULL,
    hour            INTEGER NOT NULL,
    referrer_domain TEXT,
    source          TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX clicks_by_org ON clicks (org_id, created_at);
CREATE INDEX clicks_by_hour ON clicks (hour);

CREATE TABLE click_counts (
    org_id       BLOB NOT NULL REFERENCES organizations (id),
    affiliate_id BLOB NOT NULL REFERENCES affiliates (id),
    campaign_id  BLOB NOT NULL REFERENCES campaigns (id),
    day          INTEGER NOT NULL,
    clicks       INTEGER NOT NULL,
    PRIMARY KEY (affiliate_id, campaign_id, day)
);
CREATE INDEX click_counts_by_org ON click_counts (org_id, day);

-- Counting in the engine saves the click writer a statement per commit. created_at is in Unix
-- microseconds: 86,400,000,000 of them make a day.
CREATE TRIGGER clicks_counted AFTER INSERT ON clicks
BEGIN
    INSERT INTO click_counts (org_id, affiliate_id, campaign_id, day, clicks)
    VALUES (NEW.org_id, NEW.affiliate_id, NEW.campaign_id, NEW.created_at / 86400000000, 1)
    ON CONFLICT (affiliate_id, campaign_id, day) DO UPDATE SET clicks = clicks + 1;
END;
