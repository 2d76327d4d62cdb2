-- Migrations from other platforms: one row per import job (roster or history), the rows it
-- skipped and why, and the records it created, so an import can be shown and reverted.

CREATE TABLE imports (
    id                    uuid PRIMARY KEY,
    org_id                uuid NOT NULL REFERENCES organizations (id),
    kind                  text NOT NULL,
    source                text NOT NULL,
    campaign_id           uuid NOT NULL REFERENCES campaigns (id),
    status                text NOT NULL,
    actor                 text NOT NULL,
    rows_total            bigint NOT NULL DEFAULT 0,
    rows_imported         bigint NOT NULL DEFAULT 0,
    rows_skipped          bigint NOT NULL DEFAULT 0,
    -- {"missing_email": 3, ...}
    skips_json            text NOT NULL DEFAULT '{}',
    -- History: {"USD": 1234} made payable, and settled as history.
    payable_json          text NOT NULL DEFAULT '{}',
    settled_json          text NOT NULL DEFAULT '{}',
    confirm_unpaid_payout boolean NOT NULL DEFAULT false,
    notify                boolean NOT NULL DEFAULT false,
    note_html             text,
    notify_sent           bigint NOT NULL DEFAULT 0,
    notify_failed         bigint NOT NULL DEFAULT 0,
    notify_skipped        bigint NOT NULL DEFAULT 0,
    idempotency_key       text,
    request_hash          text,
    error                 text,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    finished_at           timestamptz
);
CREATE INDEX imports_by_org ON imports (org_id, created_at);
-- One running import per organization: the second one is refused.
CREATE UNIQUE INDEX imports_one_running ON imports (org_id) WHERE status = 'Running';
CREATE UNIQUE INDEX imports_idempotency ON imports (org_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE TABLE import_skips (
    import_id uuid NOT NULL REFERENCES imports (id),
    line      bigint NOT NULL,
    reason    text NOT NULL,
    PRIMARY KEY (import_id, line)
);

-- What each import created: memberships (and the affiliates it created with them) and conversions.
ALTER TABLE affiliates ADD COLUMN import_id uuid;
ALTER TABLE memberships ADD COLUMN import_id uuid;
ALTER TABLE conversions ADD COLUMN import_id uuid;
CREATE INDEX memberships_by_import ON memberships (import_id) WHERE import_id IS NOT NULL;
CREATE INDEX conversions_by_import ON conversions (import_id) WHERE import_id IS NOT NULL;
