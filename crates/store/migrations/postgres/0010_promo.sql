-- Promo tools: the banners, email swipes and text links a brand hands its affiliates, per
-- campaign and in the brand's order. A banner's bytes live here, so one binary is all there is
-- to deploy and back up.

CREATE TABLE promo_assets (
    id           uuid PRIMARY KEY,
    org_id       uuid NOT NULL REFERENCES organizations (id),
    campaign_id  uuid NOT NULL REFERENCES campaigns (id),
    kind         text NOT NULL,
    title        text NOT NULL,
    body         text,
    -- Banners only: the image, its type (told by its bytes) and its dimensions.
    image        bytea,
    content_type text,
    width        integer,
    height       integer,
    position     integer NOT NULL,
    created_at   timestamptz NOT NULL,
    CHECK ((kind = 'Banner') = (image IS NOT NULL))
);

CREATE INDEX promo_assets_campaign ON promo_assets (org_id, campaign_id, position);
