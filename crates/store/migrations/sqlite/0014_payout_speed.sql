-- What is payable, and nothing else: Approved commissions no payout item holds, by affiliate
-- and currency, covering the sums and the ids. A payout run counts and takes them through it
-- without touching paid history, and its rows leave the index as they are taken. It replaces
-- `commissions_payable`, which every taken commission had to be moved in.
CREATE INDEX commissions_unpaid ON commissions (org_id, affiliate_id, currency, campaign_id, amount_minor, id)
    WHERE status = 'Approved' AND payout_item_id IS NULL;
DROP INDEX commissions_payable;
