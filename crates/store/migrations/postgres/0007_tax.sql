-- Tax reporting: the form each affiliate gave the organization, with its document (sealed by
-- the app: encrypted and bound to the organization and affiliate), and the yearly reminder
-- sent to affiliates paid enough to need a form.

CREATE TABLE tax_forms (
    org_id                uuid NOT NULL REFERENCES organizations (id),
    affiliate_id          uuid NOT NULL REFERENCES affiliates (id),
    status                text NOT NULL,
    -- The document, sealed; NULL until one is uploaded (the four columns below with it).
    document              bytea,
    document_content_type text,
    document_file_name    text,
    document_size         bigint,
    document_uploaded_at  timestamptz,
    updated_at            timestamptz NOT NULL,
    PRIMARY KEY (org_id, affiliate_id)
);

-- One reminder per affiliate and calendar year, ever.
CREATE TABLE tax_reminders (
    org_id       uuid NOT NULL REFERENCES organizations (id),
    affiliate_id uuid NOT NULL REFERENCES affiliates (id),
    year         integer NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (org_id, affiliate_id, year)
);

-- The yearly sums of payouts (`paid_by_affiliate`).
CREATE INDEX ledger_entries_payouts ON ledger_entries (org_id, created_at) WHERE kind = 'Payout';
