-- CRM integrations (one connected vendor account per organization and vendor) and, per affiliate
-- and integration, where its sync stands.

CREATE TABLE integrations (
    id                 BLOB PRIMARY KEY,
    org_id             BLOB NOT NULL REFERENCES organizations (id),
    vendor             TEXT NOT NULL,
    -- Sealed by the app: never plaintext.
    sealed_credentials BLOB NOT NULL,
    credential_hint    TEXT NOT NULL,
    -- IntegrationSettings as JSON.
    settings           TEXT NOT NULL,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    -- SQLite reports the columns of a violation, not this name: the store renames the conflict.
    CONSTRAINT integrations_org_vendor UNIQUE (org_id, vendor)
);

CREATE TABLE crm_syncs (
    org_id         BLOB NOT NULL REFERENCES organizations (id),
    integration_id BLOB NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    affiliate_id   BLOB NOT NULL REFERENCES affiliates (id),
    status         TEXT NOT NULL,
    attempts       INTEGER NOT NULL,
    last_error     TEXT,
    progress       TEXT NOT NULL,
    requested_gen  INTEGER NOT NULL,
    synced_gen     INTEGER NOT NULL,
    requested_at   INTEGER NOT NULL,
    synced_at      INTEGER,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (integration_id, affiliate_id)
);
CREATE INDEX crm_syncs_by_integration ON crm_syncs (org_id, integration_id, updated_at);
CREATE INDEX crm_syncs_by_affiliate ON crm_syncs (org_id, affiliate_id);
