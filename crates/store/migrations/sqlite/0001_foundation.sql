-- Afflux foundation schema (SQLite). Ids are 16-byte UUID blobs; times are INTEGER Unix
-- microseconds (UTC) so they compare and sort exactly; money is INTEGER minor units.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE organizations (
    id                  BLOB PRIMARY KEY,
    name                TEXT NOT NULL,
    plan                TEXT NOT NULL,
    subscription_status TEXT NOT NULL,
    home_currency       TEXT NOT NULL,
    sender_name         TEXT,
    reply_to            TEXT,
    created_at          INTEGER NOT NULL
);

CREATE TABLE users (
    id            BLOB PRIMARY KEY,
    email         TEXT NOT NULL,
    email_key     TEXT NOT NULL UNIQUE,
    name          TEXT,
    password_hash TEXT,
    created_at    INTEGER NOT NULL
);

CREATE TABLE team_members (
    org_id     BLOB NOT NULL REFERENCES organizations (id),
    user_id    BLOB NOT NULL REFERENCES users (id),
    role       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX team_members_by_user ON team_members (user_id);

CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    user_id    BLOB NOT NULL REFERENCES users (id),
    org_id     BLOB NOT NULL REFERENCES organizations (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE invites (
    id          BLOB PRIMARY KEY,
    org_id      BLOB NOT NULL REFERENCES organizations (id),
    email       TEXT NOT NULL,
    email_key   TEXT NOT NULL,
    role        TEXT NOT NULL,
    token_hash  BLOB NOT NULL UNIQUE,
    invited_by  BLOB REFERENCES users (id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    accepted_at INTEGER
);
CREATE INDEX invites_by_org ON invites (org_id, created_at);

CREATE TABLE api_keys (
    id         BLOB PRIMARY KEY,
    org_id     BLOB NOT NULL REFERENCES organizations (id),
    name       TEXT NOT NULL,
    scope      TEXT NOT NULL,
    role       TEXT NOT NULL,
    prefix     TEXT NOT NULL,
    token_hash BLOB NOT NULL UNIQUE,
    created_by BLOB REFERENCES users (id),
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX api_keys_by_org ON api_keys (org_id, created_at);

CREATE TABLE campaigns (
    id                 BLOB PRIMARY KEY,
    org_id             BLOB NOT NULL REFERENCES organizations (id),
    name               TEXT NOT NULL,
    slug               TEXT NOT NULL,
    slug_key           TEXT NOT NULL,
    destination_url    TEXT NOT NULL,
    commission_type    TEXT NOT NULL,
    commission_value   INTEGER NOT NULL,
    currency           TEXT NOT NULL,
    commission_model   TEXT NOT NULL,
    cookie_window_days INTEGER NOT NULL,
    attribution_model  TEXT NOT NULL,
    auto_approve       INTEGER NOT NULL,
    description        TEXT,
    terms_url          TEXT,
    archived           INTEGER NOT NULL,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    UNIQUE (org_id, slug_key)
);

CREATE TABLE affiliates (
    id           BLOB PRIMARY KEY,
    org_id       BLOB NOT NULL REFERENCES organizations (id),
    email        TEXT NOT NULL,
    email_key    TEXT NOT NULL,
    name         TEXT,
    paypal_email TEXT,
    slug         TEXT NOT NULL,
    slug_key     TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    UNIQUE (org_id, email_key)
);

CREATE TABLE memberships (
    id                BLOB PRIMARY KEY,
    org_id            BLOB NOT NULL REFERENCES organizations (id),
    affiliate_id      BLOB NOT NULL REFERENCES affiliates (id),
    campaign_id       BLOB NOT NULL REFERENCES campaigns (id),
    status            TEXT NOT NULL,
    override_type     TEXT,
    override_value    INTEGER,
    recruited_by      BLOB REFERENCES affiliates (id),
    status_reason     TEXT,
    created_at        INTEGER NOT NULL,
    status_changed_at INTEGER NOT NULL,
    UNIQUE (affiliate_id, campaign_id)
);
CREATE INDEX memberships_by_org ON memberships (org_id, created_at);
CREATE INDEX memberships_by_org_status ON memberships (org_id, status, created_at);

CREATE TABLE audit_log (
    id          BLOB PRIMARY KEY,
    org_id      BLOB NOT NULL REFERENCES organizations (id),
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    before_json TEXT,
    after_json  TEXT,
    at          INTEGER NOT NULL
);
CREATE INDEX audit_log_by_org ON audit_log (org_id, at);

CREATE TABLE jobs (
    id           BLOB PRIMARY KEY,
    kind         TEXT NOT NULL,
    org_id       BLOB,
    payload      TEXT NOT NULL,
    dedupe_key   TEXT UNIQUE,
    state        TEXT NOT NULL,
    run_at       INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    locked_until INTEGER,
    last_error   TEXT,
    created_at   INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs (state, run_at);

CREATE TABLE email_suppressions (
    email_key  TEXT PRIMARY KEY,
    reason     TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
