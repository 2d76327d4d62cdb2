-- Reports read daily rollups, never raw clicks or conversions. They are kept by triggers, in the
-- same transaction as the writes they sum, whichever code path writes: the click writer, the
-- conversion verbs, the commission and refund steps, the approval sweep. Derived data: no
-- foreign keys (they would cost lookups on every click and sale).
--
-- Days are UTC days since 1970-01-01 (as click_counts.day): Unix microseconds / 86,400,000,000.

-- Clicks per campaign, day and referring site ('' when there was none). Summed over the
-- domains, it is also the campaign's daily click total (equal to click_counts summed over
-- affiliates), read with far fewer rows.
CREATE TABLE referrer_daily (
    org_id          BLOB NOT NULL,
    day             INTEGER NOT NULL,
    campaign_id     BLOB NOT NULL,
    referrer_domain TEXT NOT NULL,
    clicks          INTEGER NOT NULL,
    PRIMARY KEY (org_id, day, campaign_id, referrer_domain)
) WITHOUT ROWID;

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
    org_id           BLOB NOT NULL,
    day              INTEGER NOT NULL,
    campaign_id      BLOB NOT NULL,
    affiliate_id     BLOB NOT NULL,
    currency         TEXT NOT NULL,
    sales            INTEGER NOT NULL DEFAULT 0,
    leads            INTEGER NOT NULL DEFAULT 0,
    revenue_minor    INTEGER NOT NULL DEFAULT 0,
    commission_minor INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, day, campaign_id, affiliate_id, currency)
) WITHOUT ROWID;

-- The same without the affiliate: what totals and daily series read (a few rows a day).
CREATE TABLE campaign_daily (
    org_id           BLOB NOT NULL,
    day              INTEGER NOT NULL,
    campaign_id      BLOB NOT NULL,
    currency         TEXT NOT NULL,
    sales            INTEGER NOT NULL DEFAULT 0,
    leads            INTEGER NOT NULL DEFAULT 0,
    revenue_minor    INTEGER NOT NULL DEFAULT 0,
    commission_minor INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, day, campaign_id, currency)
) WITHOUT ROWID;

CREATE TRIGGER clicks_referred AFTER INSERT ON clicks
BEGIN
    INSERT INTO referrer_daily (org_id, day, campaign_id, referrer_domain, clicks)
    VALUES (NEW.org_id, NEW.created_at / 86400000000, NEW.campaign_id, COALESCE(NEW.referrer_domain, ''), 1)
    ON CONFLICT (org_id, day, campaign_id, referrer_domain) DO UPDATE SET clicks = clicks + 1;
END;

CREATE TRIGGER conversions_rolled_up AFTER INSERT ON conversions
WHEN NEW.status <> 'Denied' AND NEW.source <> 'Override' AND NEW.type IN ('Sale', 'Recurring', 'Lead')
BEGIN
    INSERT INTO conversion_daily (org_id, day, campaign_id, affiliate_id, currency, sales, leads, revenue_minor)
    VALUES (NEW.org_id, NEW.occurred_at / 86400000000, NEW.campaign_id, NEW.affiliate_id, NEW.currency,
            NEW.type = 'Sale', NEW.type = 'Lead', NEW.amount_minor - NEW.refunded_minor)
    ON CONFLICT (org_id, day, campaign_id, affiliate_id, currency) DO UPDATE SET
        sales = sales + excluded.sales,
        leads = leads + excluded.leads,
        revenue_minor = revenue_minor + excluded.revenue_minor;
    INSERT INTO campaign_daily (org_id, day, campaign_id, currency, sales, leads, revenue_minor)
    VALUES (NEW.org_id, NEW.occurred_at / 86400000000, NEW.campaign_id, NEW.currency,
            NEW.type = 'Sale', NEW.type = 'Lead', NEW.amount_minor - NEW.refunded_minor)
    ON CONFLICT (org_id, day, campaign_id, currency) DO UPDATE SET
        sales = sales + excluded.sales,
        leads = leads + excluded.leads,
        revenue_minor = revenue_minor + excluded.revenue_minor;
END;

-- Refunds, denials (and their reversal): the new contribution less the old one. Status changes
-- between the counted states (Pending, Approved, Paid, Refunded) change nothing.
CREATE TRIGGER conversions_rolled_up_changed AFTER UPDATE OF status, amount_minor, refunded_minor ON conversions
WHEN NEW.source <> 'Override' AND NEW.type IN ('Sale', 'Recurring', 'Lead')
    AND ((OLD.status = 'Denied') <> (NEW.status = 'Denied')
         OR OLD.amount_minor <> NEW.amount_minor OR OLD.refunded_minor <> NEW.refunded_minor)
BEGIN
    INSERT INTO conversion_daily (org_id, day, campaign_id, affiliate_id, currency, sales, leads, revenue_minor)
    VALUES (NEW.org_id, NEW.occurred_at / 86400000000, NEW.campaign_id, NEW.affiliate_id, NEW.currency,
            (NEW.status <> 'Denied') * (NEW.type = 'Sale') - (OLD.status <> 'Denied') * (OLD.type = 'Sale'),
            (NEW.status <> 'Denied') * (NEW.type = 'Lead') - (OLD.status <> 'Denied') * (OLD.type = 'Lead'),
            (NEW.status <> 'Denied') * (NEW.amount_minor - NEW.refunded_minor)
                - (OLD.status <> 'Denied') * (OLD.amount_minor - OLD.refunded_minor))
    ON CONFLICT (org_id, day, campaign_id, affiliate_id, currency) DO UPDATE SET
        sales = sales + excluded.sales,
        leads = leads + excluded.leads,
        revenue_minor = revenue_minor + excluded.revenue_minor;
    INSERT INTO campaign_daily (org_id, day, campaign_id, currency, sales, leads, revenue_minor)
    VALUES (NEW.org_id, NEW.occurred_at / 86400000000, NEW.campaign_id, NEW.currency,
            (NEW.status <> 'Denied') * (NEW.type = 'Sale') - (OLD.status <> 'Denied') * (OLD.type = 'Sale'),
            (NEW.status <> 'Denied') * (NEW.type = 'Lead') - (OLD.status <> 'Denied') * (OLD.type = 'Lead'),
            (NEW.status <> 'Denied') * (NEW.amount_minor - NEW.refunded_minor)
                - (OLD.status <> 'Denied') * (OLD.amount_minor - OLD.refunded_minor))
    ON CONFLICT (org_id, day, campaign_id, currency) DO UPDATE SET
        sales = sales + excluded.sales,
        leads = leads + excluded.leads,
        revenue_minor = revenue_minor + excluded.revenue_minor;
END;

CREATE TRIGGER commissions_rolled_up AFTER INSERT ON commissions
WHEN NEW.status <> 'Denied' AND NEW.amount_minor <> 0
BEGIN
    INSERT INTO conversion_daily (org_id, day, campaign_id, affiliate_id, currency, commission_minor)
    SELECT NEW.org_id, v.occurred_at / 86400000000, NEW.campaign_id, NEW.affiliate_id, NEW.currency, NEW.amount_minor
    FROM conversions v WHERE v.id = NEW.conversion_id
    ON CONFLICT (org_id, day, campaign_id, affiliate_id, currency) DO UPDATE SET
        commission_minor = commission_minor + excluded.commission_minor;
    INSERT INTO campaign_daily (org_id, day, campaign_id, currency, commission_minor)
    SELECT NEW.org_id, v.occurred_at / 86400000000, NEW.campaign_id, NEW.currency, NEW.amount_minor
    FROM conversions v WHERE v.id = NEW.conversion_id
    ON CONFLICT (org_id, day, campaign_id, currency) DO UPDATE SET
        commission_minor = commission_minor + excluded.commission_minor;
END;

-- Refunds lower the amount, a denial takes all of it; approval and payment change nothing.
CREATE TRIGGER commissions_rolled_up_changed AFTER UPDATE OF status, amount_minor, currency ON commissions
WHEN (OLD.status = 'Denied') <> (NEW.status = 'Denied')
    OR OLD.amount_minor <> NEW.amount_minor OR OLD.currency <> NEW.currency
BEGIN
    INSERT INTO conversion_daily (org_id, day, campaign_id, affiliate_id, currency, commission_minor)
    SELECT OLD.org_id, v.occurred_at / 86400000000, OLD.campaign_id, OLD.affiliate_id, OLD.currency,
           -(OLD.status <> 'Denied') * OLD.amount_minor
    FROM conversions v WHERE v.id = OLD.conversion_id
    ON CONFLICT (org_id, day, campaign_id, affiliate_id, currency) DO UPDATE SET
        commission_minor = commission_minor + excluded.commission_minor;
    INSERT INTO conversion_daily (org_id, day, campaign_id, affiliate_id, currency, commission_minor)
    SELECT NEW.org_id, v.occurred_at / 86400000000, NEW.campaign_id, NEW.affiliate_id, NEW.currency,
           (NEW.status <> 'Denied') * NEW.amount_minor
    FROM conversions v WHERE v.id = NEW.conversion_id
    ON CONFLICT (org_id, day, campaign_id, affiliate_id, currency) DO UPDATE SET
        commission_minor = commission_minor + excluded.commission_minor;
    INSERT INTO campaign_daily (org_id, day, campaign_id, currency, commission_minor)
    SELECT OLD.org_id, v.occurred_at / 86400000000, OLD.campaign_id, OLD.currency,
           -(OLD.status <> 'Denied') * OLD.amount_minor
    FROM conversions v WHERE v.id = OLD.conversion_id
    ON CONFLICT (org_id, day, campaign_id, currency) DO UPDATE SET
        commission_minor = commission_minor + excluded.commission_minor;
    INSERT INTO campaign_daily (org_id, day, campaign_id, currency, commission_minor)
    SELECT NEW.org_id, v.occurred_at / 86400000000, NEW.campaign_id, NEW.currency,
           (NEW.status <> 'Denied') * NEW.amount_minor
    FROM conversions v WHERE v.id = NEW.conversion_id
    ON CONFLICT (org_id, day, campaign_id, currency) DO UPDATE SET
        commission_minor = commission_minor + excluded.commission_minor;
END;

-- What the triggers would have written for the rows already there.
INSERT INTO referrer_daily (org_id, day, campaign_id, referrer_domain, clicks)
SELECT org_id, created_at / 86400000000, campaign_id, COALESCE(referrer_domain, ''), COUNT(*)
FROM clicks GROUP BY 1, 2, 3, 4;

INSERT INTO conversion_daily (org_id, day, campaign_id, affiliate_id, currency, sales, leads, revenue_minor)
SELECT org_id, occurred_at / 86400000000, campaign_id, affiliate_id, currency,
       SUM(type = 'Sale'), SUM(type = 'Lead'), SUM(amount_minor - refunded_minor)
FROM conversions
WHERE status <> 'Denied' AND source <> 'Override' AND type IN ('Sale', 'Recurring', 'Lead')
GROUP BY 1, 2, 3, 4, 5;

INSERT INTO conversion_daily (org_id, day, campaign_id, affiliate_id, currency, commission_minor)
SELECT k.org_id, v.occurred_at / 86400000000, k.campaign_id, k.affiliate_id, k.currency, SUM(k.amount_minor)
FROM commissions k JOIN conversions v ON v.id = k.conversion_id
WHERE k.status <> 'Denied'
GROUP BY 1, 2, 3, 4, 5
ON CONFLICT (org_id, day, campaign_id, affiliate_id, currency) DO UPDATE SET
    commission_minor = commission_minor + excluded.commission_minor;

INSERT INTO campaign_daily (org_id, day, campaign_id, currency, sales, leads, revenue_minor, commission_minor)
SELECT org_id, day, campaign_id, currency, SUM(sales), SUM(leads), SUM(revenue_minor), SUM(commission_minor)
FROM conversion_daily GROUP BY 1, 2, 3, 4;

-- Active affiliates: per membership, whether it has a row in the window (click_counts is keyed
-- by affiliate, campaign and day already).
CREATE INDEX conversion_daily_by_affiliate ON conversion_daily (org_id, affiliate_id, campaign_id, day);
-- CSV exports page through a window in (time, id) order.
CREATE INDEX conversions_by_occurred ON conversions (org_id, occurred_at, id);
CREATE INDEX payout_items_by_org ON payout_items (org_id, created_at, id);
-- What a pay-per-click campaign has spent of its budget.
CREATE INDEX conversions_cpc ON conversions (org_id, campaign_id) WHERE source = 'Click';
