-- Promo tools: the banners, email swipes and text links a brand hands its affiliates, per
-- campaign and in the brand's order. A banner's bytes live here, so one binary is all there is
-- to deploy and back up.

CREATE TABLE promo_assets (
    id           BLOB PRIMARY KEY,
    org_id       BLOB NOT NULL REFERENCES organizations (id),
    campaign_id  BLOB NOT NULL REFERENCES campaigns (id),
    kind         TEXT NOT NULL,
    title        TEXT NOT NULL,
    body         TEXT,
    -- Banners only: the image, its type (told by its bytes) and its dimensions.
    image        BLOB,
    content_type TEXT,
    width        INTEGER,
    height       INTEGER,
    position     INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    CHECK ((kind = 'Banner') = (image IS NOT NULL))
);

CREATE INDEX promo_assets_campaign ON promo_assets (org_id, campaign_id, position);
