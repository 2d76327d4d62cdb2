-- Stripe Connect payouts: each affiliate's connected account (acct_…), where transfers go.

ALTER TABLE affiliates ADD COLUMN stripe_account_id TEXT;
