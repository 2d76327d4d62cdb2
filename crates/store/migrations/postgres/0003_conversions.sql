-- Conversions and what attribution needs: customer bindings (first binding wins), processed
-- inbound events (exactly-once delivery), coupons and promotion codes, encrypted secrets.

CREATE TABLE conversions (
    id                       uuid PRIMARY KEY,
    org_id                   uuid NOT NULL REFERENCES organizations (id),
    campaign_id              uuid NOT NULL REFERENCES campaigns (id),
    affiliate_id             uuid NOT NULL REFERENCES affiliates (id),
    type                     text NOT NULL,
    source                   text NOT NULL,
    status                   text NOT NULL,
    amount_minor             bigint NOT NULL,
    currency                 text NOT NULL,
    refunded_minor           bigint NOT NULL,
    commission_minor         bigint NOT NULL,
    initial_commission_minor bigint NOT NULL,
    commission_currency      text NOT NULL,
    provider                 text NOT NULL,
    external_id              text NOT NULL,
    event_id                 text NOT NULL,
    customer_id              text,
    customer_email_key       text,
    customer_name            text,
    subscription_id          text,
    invoice_id               text,
    charge_id                text,
    payment_intent_id        text,
    product_id               text,
    coupon_code              text,
    click_id                 uuid,
    self_referral            boolean NOT NULL,
    occurred_at              timestamptz NOT NULL,
    created_at               timestamptz NOT NULL,
    updated_at               timestamptz NOT NULL,
    CONSTRAINT conversions_org_id_provider_external_id_uniq UNIQUE (org_id, provider, external_id)
);
CREATE INDEX conversions_by_org ON conversions (org_id, created_at);
CREATE INDEX conversions_by_affiliate ON conversions (org_id, affiliate_id, created_at);
-- Refunds and cancellations find their conversion by payment or subscription.
CREATE INDEX conversions_by_charge ON conversions (org_id, charge_id) WHERE charge_id IS NOT NULL;
CREATE INDEX conversions_by_payment_intent ON conversions (org_id, payment_intent_id) WHERE payment_intent_id IS NOT NULL;
CREATE INDEX conversions_by_invoice ON conversions (org_id, invoice_id) WHERE invoice_id IS NOT NULL;
CREATE INDEX conversions_by_subscription ON conversions (org_id, subscription_id) WHERE subscription_id IS NOT NULL;

CREATE TABLE customer_bindings (
    org_id        uuid NOT NULL REFERENCES organizations (id),
    customer_key  text NOT NULL,
    affiliate_id  uuid NOT NULL REFERENCES affiliates (id),
    campaign_id   uuid NOT NULL REFERENCES campaigns (id),
    conversion_id uuid,
    created_at    timestamptz NOT NULL,
    CONSTRAINT customer_bindings_org_id_customer_key_pkey PRIMARY KEY (org_id, customer_key)
);

CREATE TABLE processed_events (
    org_id       uuid NOT NULL REFERENCES organizations (id),
    provider     text NOT NULL,
    event_id     text NOT NULL,
    request_hash bytea,
    result       jsonb,
    created_at   timestamptz NOT NULL,
    CONSTRAINT processed_events_org_id_provider_event_id_pkey PRIMARY KEY (org_id, provider, event_id)
);

CREATE TABLE coupons (
    id                       uuid PRIMARY KEY,
    org_id                   uuid NOT NULL REFERENCES organizations (id),
    campaign_id              uuid NOT NULL REFERENCES campaigns (id),
    affiliate_id             uuid REFERENCES affiliates (id),
    parent_id                uuid REFERENCES coupons (id),
    code                     text NOT NULL,
    code_key                 text NOT NULL,
    stripe_coupon_id         text,
    stripe_promotion_code_id text,
    overrides_click          boolean NOT NULL,
    created_at               timestamptz NOT NULL,
    CONSTRAINT coupons_org_id_code_key_uniq UNIQUE (org_id, code_key),
    CONSTRAINT coupons_org_id_stripe_coupon_id_uniq UNIQUE (org_id, stripe_coupon_id),
    CONSTRAINT coupons_org_id_stripe_promotion_code_id_uniq UNIQUE (org_id, stripe_promotion_code_id)
);
CREATE INDEX coupons_by_campaign ON coupons (org_id, campaign_id, created_at);
CREATE INDEX coupons_by_affiliate ON coupons (org_id, affiliate_id, created_at);

CREATE TABLE org_secrets (
    org_id     uuid NOT NULL REFERENCES organizations (id),
    name       text NOT NULL,
    ciphertext bytea NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT org_secrets_org_id_name_pkey PRIMARY KEY (org_id, name)
);
