-- CRM integrations (one connected vendor account per organization and vendor) and, per affiliate
-- and integration, where its sync stands.

CREATE TABLE integrations (
    id                 uuid PRIMARY KEY,
    org_id             uuid NOT NULL REFERENCES organizations (id),
    vendor             text NOT NULL,
    -- Sealed by the app: never plaintext.
    sealed_credentials bytea NOT NULL,
    credential_hint    text NOT NULL,
    -- IntegrationSettings as JSON.
    settings           jsonb NOT NULL,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    CONSTRAINT integrations_org_vendor UNIQUE (org_id, vendor)
);

CREATE TABLE crm_syncs (
    org_id         uuid NOT NULL REFERENCES organizations (id),
    integration_id uuid NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    affiliate_id   uuid NOT NULL REFERENCES affiliates (id),
    status         text NOT NULL,
    attempts       integer NOT NULL,
    last_error     text,
    progress       jsonb NOT NULL,
    requested_gen  bigint NOT NULL,
    synced_gen     bigint NOT NULL,
    requested_at   timestamptz NOT NULL,
    synced_at      timestamptz,
    updated_at     timestamptz NOT NULL,
    CONSTRAINT crm_syncs_integration_id_affiliate_id_pkey PRIMARY KEY (integration_id, affiliate_id)
);
CREATE INDEX crm_syncs_by_integration ON crm_syncs (org_id, integration_id, updated_at);
CREATE INDEX crm_syncs_by_affiliate ON crm_syncs (org_id, affiliate_id);
