-- Reports read daily rollups, never raw clicks or conversions. conversion_daily and
-- campaign_daily are kept by statement-level triggers, in the same transaction as the writes they
-- sum, whichever code path writes: one upsert per rollup and statement, its rows in key order (so
-- concurrent transactions lock rollup rows in one order). referrer_daily is written by the click
-- insert (src/postgres/clicks.rs), next to click_counts. Derived data: no foreign keys.
--
-- Days are UTC days since 1970-01-01 (as click_counts.day).

-- Clicks per campaign, day and referring site ('' when there was none). Summed over the
-- domains, it is also the campaign's daily click total (equal to click_counts summed over
-- affiliates), read with far fewer rows.
CREATE TABLE referrer_daily (
    org_id          uuid NOT NULL,
    day             bigint NOT NULL,
    campaign_id     uuid NOT NULL,
    referrer_domain text NOT NULL,
    clicks          bigint NOT NULL,
    CONSTRAINT referrer_daily_pkey PRIMARY KEY (org_id, day, campaign_id, referrer_domain)
);

-- What conversions and commissions add up to, per campaign, affiliate, day of the sale
-- (occurred_at) and currency:
--   sales, leads      conversions of type Sale, Lead (renewals add revenue, not sales);
--   revenue_minor     amount less refunds, in the sale's currency;
--   commission_minor  commissions (direct, two-tier override, pay-per-click) in their own
--                     currency, as they stand after refunds.
-- Denied conversions and commissions count nowhere; an Override conversion repeats its sale, so
-- only its commission counts. The rows a conversion or commission adds to never change: their
-- organization, campaign, affiliate, currency and time are written once. The leaderboard and
-- active affiliates read it.
CREATE TABLE conversion_daily (
    org_id           uuid NOT NULL,
    day              bigint NOT NULL,
    campaign_id      uuid NOT NULL,
    affiliate_id     uuid NOT NULL,
    currency         text NOT NULL,
    sales            bigint NOT NULL DEFAULT 0,
    leads            bigint NOT NULL DEFAULT 0,
    revenue_minor    bigint NOT NULL DEFAULT 0,
    commission_minor bigint NOT NULL DEFAULT 0,
    CONSTRAINT conversion_daily_pkey PRIMARY KEY (org_id, day, campaign_id, affiliate_id, currency)
);

-- The same summed over affiliates, what totals and daily series read (a few rows a day). Each
-- campaign, day and currency is split over 16 shards by affiliate: several nodes write at once,
-- and with a single row every sale of a campaign would wait for the one before it to commit.
CREATE TABLE campaign_daily (
    org_id           uuid NOT NULL,
    day              bigint NOT NULL,
    campaign_id      uuid NOT NULL,
    currency         text NOT NULL,
    shard            smallint NOT NULL,
    sales            bigint NOT NULL DEFAULT 0,
    leads            bigint NOT NULL DEFAULT 0,
    revenue_minor    bigint NOT NULL DEFAULT 0,
    commission_minor bigint NOT NULL DEFAULT 0,
    CONSTRAINT campaign_daily_pkey PRIMARY KEY (org_id, day, campaign_id, currency, shard)
);

CREATE FUNCTION afflux_day(t timestamptz) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ((t AT TIME ZONE 'UTC')::date - DATE '1970-01-01')::bigint
$$;

-- The affiliate's shard of campaign_daily: the low bits of the id's random last byte.
CREATE FUNCTION afflux_shard(affiliate uuid) RETURNS smallint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (get_byte(uuid_send(affiliate), 15) & 15)::smallint
$$;

CREATE FUNCTION conversions_roll_up_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH delta AS (
        SELECT org_id, afflux_day(occurred_at) AS day, campaign_id, affiliate_id, currency,
               COUNT(*) FILTER (WHERE type = 'Sale') AS sales, COUNT(*) FILTER (WHERE type = 'Lead') AS leads,
               SUM(amount_minor - refunded_minor) AS revenue_minor
        FROM new_rows
        WHERE status <> 'Denied' AND source <> 'Override' AND type IN ('Sale', 'Recurring', 'Lead')
        GROUP BY 1, 2, 3, 4, 5
    ), per_affiliate AS (
        INSERT INTO conversion_daily AS d (org_id, day, campaign_id, affiliate_id, currency, sales, leads, revenue_minor)
        SELECT * FROM delta
        ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (org_id, day, campaign_id, affiliate_id, currency) DO UPDATE SET
            sales = d.sales + excluded.sales,
            leads = d.leads + excluded.leads,
            revenue_minor = d.revenue_minor + excluded.revenue_minor
    )
    INSERT INTO campaign_daily AS d (org_id, day, campaign_id, currency, shard, sales, leads, revenue_minor)
    SELECT org_id, day, campaign_id, currency, afflux_shard(affiliate_id), SUM(sales), SUM(leads), SUM(revenue_minor)
    FROM delta
    GROUP BY 1, 2, 3, 4, 5
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (org_id, day, campaign_id, currency, shard) DO UPDATE SET
        sales = d.sales + excluded.sales,
        leads = d.leads + excluded.leads,
        revenue_minor = d.revenue_minor + excluded.revenue_minor;
    RETURN NULL;
END
$$;

-- Refunds, denials (and their reversal): the new contribution less the old one. Status changes
-- between the counted states (Pending, Approved, Paid, Refunded) change nothing.
CREATE FUNCTION conversions_roll_up_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH delta AS (
        SELECT n.org_id, afflux_day(n.occurred_at) AS day, n.campaign_id, n.affiliate_id, n.currency,
               SUM((CASE WHEN n.status <> 'Denied' AND n.type = 'Sale' THEN 1 ELSE 0 END)
                   - (CASE WHEN o.status <> 'Denied' AND o.type = 'Sale' THEN 1 ELSE 0 END)) AS sales,
               SUM((CASE WHEN n.status <> 'Denied' AND n.type = 'Lead' THEN 1 ELSE 0 END)
                   - (CASE WHEN o.status <> 'Denied' AND o.type = 'Lead' THEN 1 ELSE 0 END)) AS leads,
               SUM((CASE WHEN n.status <> 'Denied' THEN n.amount_minor - n.refunded_minor ELSE 0 END)
                   - (CASE WHEN o.status <> 'Denied' THEN o.amount_minor - o.refunded_minor ELSE 0 END))
                   AS revenue_minor
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE n.source <> 'Override' AND n.type IN ('Sale', 'Recurring', 'Lead')
          AND ((o.status = 'Denied') <> (n.status = 'Denied')
               OR o.amount_minor <> n.amount_minor OR o.refunded_minor <> n.refunded_minor)
        GROUP BY 1, 2, 3, 4, 5
    ), per_affiliate AS (
        INSERT INTO conversion_daily AS d (org_id, day, campaign_id, affiliate_id, currency, sales, leads, revenue_minor)
        SELECT * FROM delta
        ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (org_id, day, campaign_id, affiliate_id, currency) DO UPDATE SET
            sales = d.sales + excluded.sales,
            leads = d.leads + excluded.leads,
            revenue_minor = d.revenue_minor + excluded.revenue_minor
    )
    INSERT INTO campaign_daily AS d (org_id, day, campaign_id, currency, shard, sales, leads, revenue_minor)
    SELECT org_id, day, campaign_id, currency, afflux_shard(affiliate_id), SUM(sales), SUM(leads), SUM(revenue_minor)
    FROM delta
    GROUP BY 1, 2, 3, 4, 5
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (org_id, day, campaign_id, currency, shard) DO UPDATE SET
        sales = d.sales + excluded.sales,
        leads = d.leads + excluded.leads,
        revenue_minor = d.revenue_minor + excluded.revenue_minor;
    RETURN NULL;
END
$$;

CREATE FUNCTION commissions_roll_up_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH delta AS (
        SELECT k.org_id, afflux_day(v.occurred_at) AS day, k.campaign_id, k.affiliate_id, k.currency,
               SUM(k.amount_minor) AS commission_minor
        FROM new_rows k JOIN conversions v ON v.id = k.conversion_id
        WHERE k.status <> 'Denied' AND k.amount_minor <> 0
        GROUP BY 1, 2, 3, 4, 5
    ), per_affiliate AS (
        INSERT INTO conversion_daily AS d (org_id, day, campaign_id, affiliate_id, currency, commission_minor)
        SELECT * FROM delta
        ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (org_id, day, campaign_id, affiliate_id, currency) DO UPDATE SET
            commission_minor = d.commission_minor + excluded.commission_minor
    )
    INSERT INTO campaign_daily AS d (org_id, day, campaign_id, currency, shard, commission_minor)
    SELECT org_id, day, campaign_id, currency, afflux_shard(affiliate_id), SUM(commission_minor)
    FROM delta
    GROUP BY 1, 2, 3, 4, 5
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (org_id, day, campaign_id, currency, shard) DO UPDATE SET
        commission_minor = d.commission_minor + excluded.commission_minor;
    RETURN NULL;
END
$$;

-- Refunds lower the amount, a denial takes all of it; approval and payment change nothing.
CREATE FUNCTION commissions_roll_up_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH delta AS (
        SELECT n.org_id, afflux_day(v.occurred_at) AS day, n.campaign_id, n.affiliate_id, x.currency,
               SUM(x.delta) AS commission_minor
        FROM old_rows o
        JOIN new_rows n ON n.id = o.id
        JOIN conversions v ON v.id = n.conversion_id
        CROSS JOIN LATERAL (VALUES
            (o.currency, CASE WHEN o.status <> 'Denied' THEN -o.amount_minor ELSE 0 END),
            (n.currency, CASE WHEN n.status <> 'Denied' THEN n.amount_minor ELSE 0 END)
        ) AS x (currency, delta)
        WHERE (o.status = 'Denied') <> (n.status = 'Denied')
           OR o.amount_minor <> n.amount_minor OR o.currency <> n.currency
        GROUP BY 1, 2, 3, 4, 5
        HAVING SUM(x.delta) <> 0
    ), per_affiliate AS (
        INSERT INTO conversion_daily AS d (org_id, day, campaign_id, affiliate_id, currency, commission_minor)
        SELECT * FROM delta
        ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (org_id, day, campaign_id, affiliate_id, currency) DO UPDATE SET
            commission_minor = d.commission_minor + excluded.commission_minor
    )
    INSERT INTO campaign_daily AS d (org_id, day, campaign_id, currency, shard, commission_minor)
    SELECT org_id, day, campaign_id, currency, afflux_shard(affiliate_id), SUM(commission_minor)
    FROM delta
    GROUP BY 1, 2, 3, 4, 5
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (org_id, day, campaign_id, currency, shard) DO UPDATE SET
        commission_minor = d.commission_minor + excluded.commission_minor;
    RETURN NULL;
END
$$;

CREATE TRIGGER conversions_rolled_up AFTER INSERT ON conversions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION conversions_roll_up_inserted();
CREATE TRIGGER conversions_rolled_up_changed AFTER UPDATE ON conversions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION conversions_roll_up_updated();
CREATE TRIGGER commissions_rolled_up AFTER INSERT ON commissions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION commissions_roll_up_inserted();
CREATE TRIGGER commissions_rolled_up_changed AFTER UPDATE ON commissions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION commissions_roll_up_updated();

-- What the triggers and the click insert would have written for the rows already there.
INSERT INTO referrer_daily (org_id, day, campaign_id, referrer_domain, clicks)
SELECT org_id, afflux_day(created_at), campaign_id, COALESCE(referrer_domain, ''), COUNT(*)
FROM clicks GROUP BY 1, 2, 3, 4;

INSERT INTO conversion_daily (org_id, day, campaign_id, affiliate_id, currency, sales, leads, revenue_minor)
SELECT org_id, afflux_day(occurred_at), campaign_id, affiliate_id, currency,
       COUNT(*) FILTER (WHERE type = 'Sale'), COUNT(*) FILTER (WHERE type = 'Lead'),
       SUM(amount_minor - refunded_minor)
FROM conversions
WHERE status <> 'Denied' AND source <> 'Override' AND type IN ('Sale', 'Recurring', 'Lead')
GROUP BY 1, 2, 3, 4, 5;

INSERT INTO conversion_daily AS d (org_id, day, campaign_id, affiliate_id, currency, commission_minor)
SELECT k.org_id, afflux_day(v.occurred_at), k.campaign_id, k.affiliate_id, k.currency, SUM(k.amount_minor)
FROM commissions k JOIN conversions v ON v.id = k.conversion_id
WHERE k.status <> 'Denied'
GROUP BY 1, 2, 3, 4, 5
ON CONFLICT (org_id, day, campaign_id, affiliate_id, currency) DO UPDATE SET
    commission_minor = d.commission_minor + excluded.commission_minor;

INSERT INTO campaign_daily (org_id, day, campaign_id, currency, shard, sales, leads, revenue_minor, commission_minor)
SELECT org_id, day, campaign_id, currency, afflux_shard(affiliate_id),
       SUM(sales), SUM(leads), SUM(revenue_minor), SUM(commission_minor)
FROM conversion_daily GROUP BY 1, 2, 3, 4, 5;

-- Active affiliates: per membership, whether it has a row in the window (click_counts is keyed
-- by affiliate, campaign and day already).
CREATE INDEX conversion_daily_by_affiliate ON conversion_daily (org_id, affiliate_id, campaign_id, day);
-- CSV exports page through a window in (time, id) order.
CREATE INDEX conversions_by_occurred ON conversions (org_id, occurred_at, id);
CREATE INDEX payout_items_by_org ON payout_items (org_id, created_at, id);
-- What a pay-per-click campaign has spent of its budget, and the hourly click rollup.
CREATE INDEX conversions_cpc ON conversions (org_id, campaign_id) WHERE source = 'Click';
CREATE INDEX clicks_by_hour ON clicks (hour);
