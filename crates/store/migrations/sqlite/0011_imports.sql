-- Migrations from other platforms: one row per import job (roster or history), the rows it
-- skipped and why, and the records it created, so an import can be shown and reverted.

CREATE TABLE imports (
    id                    BLOB PRIMARY KEY,
    org_id                BLOB NOT NULL REFERENCES organizations (id),
    kind                  TEXT NOT NULL,
    source                TEXT NOT NULL,
    campaign_id           BLOB NOT NULL REFERENCES campaigns (id),
    status                TEXT NOT NULL,
    actor                 TEXT NOT NULL,
    rows_total            INTEGER NOT NULL DEFAULT 0,
    rows_imported         INTEGER NOT NULL DEFAULT 0,
    rows_skipped          INTEGER NOT NULL DEFAULT 0,
    -- {"missing_email": 3, ...}
    skips_json            TEXT NOT NULL DEFAULT '{}',
    -- History: {"USD": 1234} made payable, and settled as history.
    payable_json          TEXT NOT NULL DEFAULT '{}',
    settled_json          TEXT NOT NULL DEFAULT '{}',
    confirm_unpaid_payout INTEGER NOT NULL DEFAULT 0,
    notify                INTEGER NOT NULL DEFAULT 0,
    note_html             TEXT,
    notify_sent           INTEGER NOT NULL DEFAULT 0,
    notify_failed         INTEGER NOT NULL DEFAULT 0,
    notify_skipped        INTEGER NOT NULL DEFAULT 0,
    idempotency_key       TEXT,
    request_hash          TEXT,
    error                 TEXT,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL,
    finished_at           INTEGER
);
CREATE INDEX imports_by_org ON imports (org_id, created_at);
-- One running import per organization: the second one is refused.
CREATE UNIQUE INDEX imports_one_running ON imports (org_id) WHERE status = 'Running';
CREATE UNIQUE INDEX imports_idempotency ON imports (org_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE TABLE import_skips (
    import_id BLOB NOT NULL REFERENCES imports (id),
    line      INTEGER NOT NULL,
    reason    TEXT NOT NULL,
    PRIMARY KEY (import_id, line)
);

-- What each import created: memberships (and the affiliates it created with them) and conversions.
ALTER TABLE affiliates ADD COLUMN import_id BLOB;
ALTER TABLE memberships ADD COLUMN import_id BLOB;
ALTER TABLE conversions ADD COLUMN import_id BLOB;
CREATE INDEX memberships_by_import ON memberships (import_id) WHERE import_id IS NOT NULL;
CREATE INDEX conversions_by_import ON conversions (import_id) WHERE import_id IS NOT NULL;
