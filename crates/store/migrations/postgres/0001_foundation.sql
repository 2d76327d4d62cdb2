-- Afflux foundation schema (PostgreSQL). Same tables and columns as the SQLite schema, with
-- native types; money is bigint minor units.
--
-- Unique constraints are named after their key columns ("<table>_<columns>_uniq"): the store
-- reports a unique violation by constraint name, and callers test it with
-- `StoreError::is_conflict_on("<column>")`, which on SQLite matches the column list instead.

CREATE TABLE settings (
    key   text CONSTRAINT settings_key_pkey PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE organizations (
    id                  uuid PRIMARY KEY,
    name                text NOT NULL,
    plan                text NOT NULL,
    subscription_status text NOT NULL,
    home_currency       text NOT NULL,
    sender_name         text,
    reply_to            text,
    created_at          timestamptz NOT NULL
);

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    email         text NOT NULL,
    email_key     text NOT NULL CONSTRAINT users_email_key_uniq UNIQUE,
    name          text,
    password_hash text,
    created_at    timestamptz NOT NULL
);

CREATE TABLE team_members (
    org_id     uuid NOT NULL REFERENCES organizations (id),
    user_id    uuid NOT NULL REFERENCES users (id),
    role       text NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT team_members_org_id_user_id_pkey PRIMARY KEY (org_id, user_id)
);
CREATE INDEX team_members_by_user ON team_members (user_id);

CREATE TABLE sessions (
    token_hash bytea CONSTRAINT sessions_token_hash_pkey PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id),
    org_id     uuid NOT NULL REFERENCES organizations (id),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE TABLE invites (
    id          uuid PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES organizations (id),
    email       text NOT NULL,
    email_key   text NOT NULL,
    role        text NOT NULL,
    token_hash  bytea NOT NULL CONSTRAINT invites_token_hash_uniq UNIQUE,
    invited_by  uuid REFERENCES users (id),
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    accepted_at timestamptz
);
CREATE INDEX invites_by_org ON invites (org_id, created_at);

CREATE TABLE api_keys (
    id         uuid PRIMARY KEY,
    org_id     uuid NOT NULL REFERENCES organizations (id),
    name       text NOT NULL,
    scope      text NOT NULL,
    role       text NOT NULL,
    prefix     text NOT NULL,
    token_hash bytea NOT NULL CONSTRAINT api_keys_token_hash_uniq UNIQUE,
    created_by uuid REFERENCES users (id),
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX api_keys_by_org ON api_keys (org_id, created_at);

CREATE TABLE campaigns (
    id                 uuid PRIMARY KEY,
    org_id             uuid NOT NULL REFERENCES organizations (id),
    name               text NOT NULL,
    slug               text NOT NULL,
    slug_key           text NOT NULL,
    destination_url    text NOT NULL,
    commission_type    text NOT NULL,
    commission_value   bigint NOT NULL,
    currency           text NOT NULL,
    commission_model   text NOT NULL,
    cookie_window_days integer NOT NULL,
    attribution_model  text NOT NULL,
    auto_approve       boolean NOT NULL,
    description        text,
    terms_url          text,
    archived           boolean NOT NULL,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    CONSTRAINT campaigns_org_id_slug_key_uniq UNIQUE (org_id, slug_key)
);

CREATE TABLE affiliates (
    id           uuid PRIMARY KEY,
    org_id       uuid NOT NULL REFERENCES organizations (id),
    email        text NOT NULL,
    email_key    text NOT NULL,
    name         text,
    paypal_email text,
    slug         text NOT NULL,
    slug_key     text NOT NULL CONSTRAINT affiliates_slug_key_uniq UNIQUE,
    created_at   timestamptz NOT NULL,
    CONSTRAINT affiliates_org_id_email_key_uniq UNIQUE (org_id, email_key)
);

CREATE TABLE memberships (
    id                uuid PRIMARY KEY,
    org_id            uuid NOT NULL REFERENCES organizations (id),
    affiliate_id      uuid NOT NULL REFERENCES affiliates (id),
    campaign_id       uuid NOT NULL REFERENCES campaigns (id),
    status            text NOT NULL,
    override_type     text,
    override_value    bigint,
    recruited_by      uuid REFERENCES affiliates (id),
    status_reason     text,
    created_at        timestamptz NOT NULL,
    status_changed_at timestamptz NOT NULL,
    CONSTRAINT memberships_affiliate_id_campaign_id_uniq UNIQUE (affiliate_id, campaign_id)
);
CREATE INDEX memberships_by_org ON memberships (org_id, created_at);
CREATE INDEX memberships_by_org_status ON memberships (org_id, status, created_at);

CREATE TABLE audit_log (
    id          uuid PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES organizations (id),
    actor       text NOT NULL,
    action      text NOT NULL,
    object_type text NOT NULL,
    object_id   text NOT NULL,
    before_json jsonb,
    after_json  jsonb,
    at          timestamptz NOT NULL
);
CREATE INDEX audit_log_by_org ON audit_log (org_id, at);

CREATE TABLE jobs (
    id           uuid PRIMARY KEY,
    kind         text NOT NULL,
    org_id       uuid,
    payload      jsonb NOT NULL,
    -- NULLs are distinct: jobs without a dedupe key never conflict.
    dedupe_key   text CONSTRAINT jobs_dedupe_key_uniq UNIQUE,
    state        text NOT NULL,
    run_at       timestamptz NOT NULL,
    attempts     integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL,
    locked_until timestamptz,
    last_error   text,
    created_at   timestamptz NOT NULL
);
CREATE INDEX jobs_due ON jobs (state, run_at);

CREATE TABLE email_suppressions (
    email_key  text CONSTRAINT email_suppressions_email_key_pkey PRIMARY KEY,
    reason     text NOT NULL,
    created_at timestamptz NOT NULL
);
