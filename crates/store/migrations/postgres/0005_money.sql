-- The money side: campaign rules, commissions, the append-only ledger, payout runs and items,
-- and the exchange rates reports convert with.

-- CampaignRules; '{}' reads as the defaults.
ALTER TABLE campaigns ADD COLUMN rules jsonb NOT NULL DEFAULT '{}';

CREATE TABLE payout_runs (
    id         uuid PRIMARY KEY,
    org_id     uuid NOT NULL REFERENCES organizations (id),
    rail       text NOT NULL,
    -- NULL: every currency with something payable.
    currency   text,
    created_by uuid REFERENCES users (id),
    created_at timestamptz NOT NULL
);
CREATE INDEX payout_runs_by_org ON payout_runs (org_id, created_at);

CREATE TABLE payout_items (
    id             uuid PRIMARY KEY,
    org_id         uuid NOT NULL REFERENCES organizations (id),
    run_id         uuid NOT NULL REFERENCES payout_runs (id),
    affiliate_id   uuid NOT NULL REFERENCES affiliates (id),
    amount_minor   bigint NOT NULL,
    currency       text NOT NULL,
    status         text NOT NULL,
    reference      text,
    failure_reason text,
    attempts       integer NOT NULL,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);
CREATE INDEX payout_items_by_run ON payout_items (org_id, run_id, created_at);
CREATE INDEX payout_items_by_affiliate ON payout_items (org_id, affiliate_id, created_at);

CREATE TABLE commissions (
    id             uuid PRIMARY KEY,
    org_id         uuid NOT NULL REFERENCES organizations (id),
    conversion_id  uuid NOT NULL REFERENCES conversions (id),
    affiliate_id   uuid NOT NULL REFERENCES affiliates (id),
    campaign_id    uuid NOT NULL REFERENCES campaigns (id),
    kind           text NOT NULL,
    status         text NOT NULL,
    amount_minor   bigint NOT NULL,
    currency       text NOT NULL,
    initial_minor  bigint NOT NULL,
    hold_until     timestamptz NOT NULL,
    payout_item_id uuid REFERENCES payout_items (id),
    denied_reason  text,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    CONSTRAINT commissions_conversion_id_kind_uniq UNIQUE (conversion_id, kind)
);
CREATE INDEX commissions_by_org ON commissions (org_id, created_at);
CREATE INDEX commissions_by_affiliate ON commissions (org_id, affiliate_id, created_at);
-- The approval sweep: Pending commissions whose hold ended.
CREATE INDEX commissions_due ON commissions (status, hold_until);
CREATE INDEX commissions_payable ON commissions (org_id, status, payout_item_id);

-- Signed amounts; balances are sums. The trigger keeps the ledger append-only.
CREATE TABLE ledger_entries (
    id             uuid PRIMARY KEY,
    org_id         uuid NOT NULL REFERENCES organizations (id),
    affiliate_id   uuid NOT NULL REFERENCES affiliates (id),
    kind           text NOT NULL,
    amount_minor   bigint NOT NULL,
    currency       text NOT NULL,
    commission_id  uuid REFERENCES commissions (id),
    payout_item_id uuid REFERENCES payout_items (id),
    memo           text,
    created_at     timestamptz NOT NULL
);
CREATE INDEX ledger_entries_by_affiliate ON ledger_entries (org_id, affiliate_id, created_at);
CREATE INDEX ledger_entries_by_org ON ledger_entries (org_id, created_at);
CREATE INDEX ledger_entries_clawbacks ON ledger_entries (org_id, created_at) WHERE kind = 'Clawback';

CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are append-only' USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER ledger_entries_no_change BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_append_only();

-- What each payout item pays. The primary keys make a commission (a clawback) part of one
-- payout item, ever: a concurrent run taking it again fails on the key.
CREATE TABLE payout_item_commissions (
    commission_id  uuid REFERENCES commissions (id),
    payout_item_id uuid NOT NULL REFERENCES payout_items (id),
    org_id         uuid NOT NULL REFERENCES organizations (id),
    CONSTRAINT payout_item_commissions_commission_id_pkey PRIMARY KEY (commission_id)
);
CREATE INDEX payout_item_commissions_by_item ON payout_item_commissions (payout_item_id);

CREATE TABLE payout_item_clawbacks (
    ledger_entry_id uuid REFERENCES ledger_entries (id),
    payout_item_id  uuid NOT NULL REFERENCES payout_items (id),
    org_id          uuid NOT NULL REFERENCES organizations (id),
    CONSTRAINT payout_item_clawbacks_ledger_entry_id_pkey PRIMARY KEY (ledger_entry_id)
);
CREATE INDEX payout_item_clawbacks_by_item ON payout_item_clawbacks (payout_item_id);

-- Instance-wide: units of `currency` one euro bought on `date`, in millionths.
CREATE TABLE fx_rates (
    date           date NOT NULL,
    currency       text NOT NULL,
    per_eur_micros bigint NOT NULL,
    CONSTRAINT fx_rates_date_currency_pkey PRIMARY KEY (date, currency)
);
CREATE INDEX fx_rates_by_currency ON fx_rates (currency, date);
