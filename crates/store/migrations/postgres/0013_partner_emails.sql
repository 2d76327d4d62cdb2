-- Partner emails (seed 003): the milestones each affiliate reached in a campaign, recorded
-- once each (refunds never remove one), and the monthly "commissions due" reminder of each
-- organization, sent once per period.

CREATE TABLE milestones_reached (
    org_id        uuid NOT NULL REFERENCES organizations (id),
    campaign_id   uuid NOT NULL REFERENCES campaigns (id),
    affiliate_id  uuid NOT NULL REFERENCES affiliates (id),
    -- What the milestone measures ("count:10", "total:USD:100000"): a renamed milestone is the
    -- same one, a changed threshold a new one.
    milestone_key text NOT NULL,
    reached_at    timestamptz NOT NULL,
    PRIMARY KEY (org_id, campaign_id, affiliate_id, milestone_key)
);

CREATE TABLE commissions_due_reminders (
    org_id     uuid NOT NULL REFERENCES organizations (id),
    -- The calendar month (UTC), "2026-11".
    period     text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, period)
);
