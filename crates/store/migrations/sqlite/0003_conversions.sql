-- Conversions and what attribution needs: customer bindings (first binding wins), processed
-- inbound events (exactly-once delivery), coupons and promotion codes, encrypted secrets.

CREATE TABLE conversions (
    id                       BLOB PRIMARY KEY,
    org_id                   BLOB NOT NULL REFERENCES organizations (id),
    campaign_id              BLOB NOT NULL REFERENCES campaigns (id),
    affiliate_id             BLOB NOT NULL REFERENCES affiliates (id),
    type                     TEXT NOT NULL,
    source                   TEXT NOT NULL,
    status                   TEXT NOT NULL,
    amount_minor             INTEGER NOT NULL,
    currency                 TEXT NOT NULL,
    refunded_minor           INTEGER NOT NULL,
    commission_minor         INTEGER NOT NULL,
    initial_commission_minor INTEGER NOT NULL,
    commission_currency      TEXT NOT NULL,
    provider                 TEXT NOT NULL,
    external_id              TEXT NOT NULL,
    event_id                 TEXT NOT NULL,
    customer_id              TEXT,
    customer_email_key       TEXT,
    customer_name            TEXT,
    subscription_id          TEXT,
    invoice_id               TEXT,
    charge_id                TEXT,
    payment_intent_id        TEXT,
    product_id               TEXT,
    coupon_code              TEXT,
    click_id                 BLOB,
    self_referral            INTEGER NOT NULL,
    occurred_at              INTEGER NOT NULL,
    created_at               INTEGER NOT NULL,
    updated_at               INTEGER NOT NULL,
    UNIQUE (org_id, provider, external_id)
);
CREATE INDEX conversions_by_org ON conversions (org_id, created_at);
CREATE INDEX conversions_by_affiliate ON conversions (org_id, affiliate_id, created_at);
-- Refunds and cancellations find their conversion by payment or subscription.
CREATE INDEX conversions_by_charge ON conversions (org_id, charge_id) WHERE charge_id IS NOT NULL;
CREATE INDEX conversions_by_payment_intent ON conversions (org_id, payment_intent_id) WHERE payment_intent_id IS NOT NULL;
CREATE INDEX conversions_by_invoice ON conversions (org_id, invoice_id) WHERE invoice_id IS NOT NULL;
CREATE INDEX conversions_by_subscription ON conversions (org_id, subscription_id) WHERE subscription_id IS NOT NULL;

CREATE TABLE customer_bindings (
    org_id        BLOB NOT NULL REFERENCES organizations (id),
    customer_key  TEXT NOT NULL,
    affiliate_id  BLOB NOT NULL REFERENCES affiliates (id),
    campaign_id   BLOB NOT NULL REFERENCES campaigns (id),
    conversion_id BLOB,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (org_id, customer_key)
);

CREATE TABLE processed_events (
    org_id       BLOB NOT NULL REFERENCES organizations (id),
    provider     TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    request_hash BLOB,
    result       TEXT,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (org_id, provider, event_id)
);

CREATE TABLE coupons (
    id                       BLOB PRIMARY KEY,
    org_id                   BLOB NOT NULL REFERENCES organizations (id),
    campaign_id              BLOB NOT NULL REFERENCES campaigns (id),
    affiliate_id             BLOB REFERENCES affiliates (id),
    parent_id                BLOB REFERENCES coupons (id),
    code                     TEXT NOT NULL,
    code_key                 TEXT NOT NULL,
    stripe_coupon_id         TEXT,
    stripe_promotion_code_id TEXT,
    overrides_click          INTEGER NOT NULL,
    created_at               INTEGER NOT NULL,
    UNIQUE (org_id, code_key),
    UNIQUE (org_id, stripe_coupon_id),
    UNIQUE (org_id, stripe_promotion_code_id)
);
CREATE INDEX coupons_by_campaign ON coupons (org_id, campaign_id, created_at);
CREATE INDEX coupons_by_affiliate ON coupons (org_id, affiliate_id, created_at);

CREATE TABLE org_secrets (
    org_id     BLOB NOT NULL REFERENCES organizations (id),
    name       TEXT NOT NULL,
    ciphertext BLOB NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, name)
);
