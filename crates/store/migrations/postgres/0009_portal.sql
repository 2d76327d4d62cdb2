-- The affiliate portal: emailed single-use sign-in links and sessions, both keyed by an email
-- address (one person across every organization), and each affiliate's portal choices.

CREATE TABLE portal_sign_ins (
    id         uuid PRIMARY KEY,
    token_hash bytea NOT NULL CONSTRAINT portal_sign_ins_token_hash_key UNIQUE,
    email_key  text NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
-- The per-address rate limit counts recent links.
CREATE INDEX portal_sign_ins_by_email ON portal_sign_ins (email_key, created_at);

CREATE TABLE portal_sessions (
    token_hash bytea CONSTRAINT portal_sessions_token_hash_pkey PRIMARY KEY,
    email_key  text NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE TABLE portal_prefs (
    affiliate_id    uuid PRIMARY KEY REFERENCES affiliates (id),
    org_id          uuid NOT NULL REFERENCES organizations (id),
    payout_method   text,
    previous_slug   text,
    slug_changed_at timestamptz
);

-- The portal finds a person's records in every organization by address.
CREATE INDEX affiliates_by_email ON affiliates (email_key);
