-- The money side: campaign rules, commissions, the append-only ledger, payout runs and items,
-- and the exchange rates reports convert with.

-- CampaignRules as JSON; '{}' reads as the defaults.
ALTER TABLE campaigns ADD COLUMN rules TEXT NOT NULL DEFAULT '{}';

CREATE TABLE payout_runs (
    id         BLOB PRIMARY KEY,
    org_id     BLOB NOT NULL REFERENCES organizations (id),
    rail       TEXT NOT NULL,
    -- NULL: every currency with something payable.
    currency   TEXT,
    created_by BLOB REFERENCES users (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX payout_runs_by_org ON payout_runs (org_id, created_at);

CREATE TABLE payout_items (
    id             BLOB PRIMARY KEY,
    org_id         BLOB NOT NULL REFERENCES organizations (id),
    run_id         BLOB NOT NULL REFERENCES payout_runs (id),
    affiliate_id   BLOB NOT NULL REFERENCES affiliates (id),
    amount_minor   INTEGER NOT NULL,
    currency       TEXT NOT NULL,
    status         TEXT NOT NULL,
    reference      TEXT,
    failure_reason TEXT,
    attempts       INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX payout_items_by_run ON payout_items (org_id, run_id, created_at);
CREATE INDEX payout_items_by_affiliate ON payout_items (org_id, affiliate_id, created_at);

CREATE TABLE commissions (
    id             BLOB PRIMARY KEY,
    org_id         BLOB NOT NULL REFERENCES organizations (id),
    conversion_id  BLOB NOT NULL REFERENCES conversions (id),
    affiliate_id   BLOB NOT NULL REFERENCES affiliates (id),
    campaign_id    BLOB NOT NULL REFERENCES campaigns (id),
    kind           TEXT NOT NULL,
    status         TEXT NOT NULL,
    amount_minor   INTEGER NOT NULL,
    currency       TEXT NOT NULL,
    initial_minor  INTEGER NOT NULL,
    hold_until     INTEGER NOT NULL,
    payout_item_id BLOB REFERENCES payout_items (id),
    denied_reason  TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (conversion_id, kind)
);
CREATE INDEX commissions_by_org ON commissions (org_id, created_at);
CREATE INDEX commissions_by_affiliate ON commissions (org_id, affiliate_id, created_at);
-- The approval sweep: Pending commissions whose hold ended.
CREATE INDEX commissions_due ON commissions (status, hold_until);
CREATE INDEX commissions_payable ON commissions (org_id, status, payout_item_id);

-- Signed amounts; balances are sums. The triggers keep the ledger append-only.
CREATE TABLE ledger_entries (
    id             BLOB PRIMARY KEY,
    org_id         BLOB NOT NULL REFERENCES organizations (id),
    affiliate_id   BLOB NOT NULL REFERENCES affiliates (id),
    kind           TEXT NOT NULL,
    amount_minor   INTEGER NOT NULL,
    currency       TEXT NOT NULL,
    commission_id  BLOB REFERENCES commissions (id),
    payout_item_id BLOB REFERENCES payout_items (id),
    memo           TEXT,
    created_at     INTEGER NOT NULL
);
CREATE INDEX ledger_entries_by_affiliate ON ledger_entries (org_id, affiliate_id, created_at);
CREATE INDEX ledger_entries_by_org ON ledger_entries (org_id, created_at);
CREATE INDEX ledger_entries_clawbacks ON ledger_entries (org_id, created_at) WHERE kind = 'Clawback';

CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger entries are append-only');
END;

CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger entries are append-only');
END;

-- What each payout item pays. The primary keys make a commission (a clawback) part of one
-- payout item, ever: a concurrent run taking it again fails on the key.
CREATE TABLE payout_item_commissions (
    commission_id  BLOB PRIMARY KEY REFERENCES commissions (id),
    payout_item_id BLOB NOT NULL REFERENCES payout_items (id),
    org_id         BLOB NOT NULL REFERENCES organizations (id)
);
CREATE INDEX payout_item_commissions_by_item ON payout_item_commissions (payout_item_id);

CREATE TABLE payout_item_clawbacks (
    ledger_entry_id BLOB PRIMARY KEY REFERENCES ledger_entries (id),
    payout_item_id  BLOB NOT NULL REFERENCES payout_items (id),
    org_id          BLOB NOT NULL REFERENCES organizations (id)
);
CREATE INDEX payout_item_clawbacks_by_item ON payout_item_clawbacks (payout_item_id);

-- Instance-wide: units of `currency` one euro bought on `date` (days since 1970-01-01, as
-- click_counts.day), in millionths.
CREATE TABLE fx_rates (
    date           INTEGER NOT NULL,
    currency       TEXT NOT NULL,
    per_eur_micros INTEGER NOT NULL,
    PRIMARY KEY (date, currency)
);
CREATE INDEX fx_rates_by_currency ON fx_rates (currency, date);
