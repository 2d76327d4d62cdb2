-- Tax reporting: the form each affiliate gave the organization, with its document (sealed by
-- the app: encrypted and bound to the organization and affiliate), and the yearly reminder
-- sent to affiliates paid enough to need a form.

CREATE TABLE tax_forms (
    org_id                BLOB NOT NULL REFERENCES organizations (id),
    affiliate_id          BLOB NOT NULL REFERENCES affiliates (id),
    status                TEXT NOT NULL,
    -- The document, sealed; NULL until one is uploaded (the four columns below with it).
    document              BLOB,
    document_content_type TEXT,
    document_file_name    TEXT,
    document_size         INTEGER,
    document_uploaded_at  INTEGER,
    updated_at            INTEGER NOT NULL,
    PRIMARY KEY (org_id, affiliate_id)
);

-- One reminder per affiliate and calendar year, ever.
CREATE TABLE tax_reminders (
    org_id       BLOB NOT NULL REFERENCES organizations (id),
    affiliate_id BLOB NOT NULL REFERENCES affiliates (id),
    year         INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (org_id, affiliate_id, year)
);

-- The yearly sums of payouts (`paid_by_affiliate`).
CREATE INDEX ledger_entries_payouts ON ledger_entries (org_id, created_at) WHERE kind = 'Payout';
