-- The affiliate portal: emailed single-use sign-in links and sessions, both keyed by an email
-- address (one person across every organization), and each affiliate's portal choices.

CREATE TABLE portal_sign_ins (
    id         BLOB PRIMARY KEY,
    token_hash BLOB NOT NULL UNIQUE,
    email_key  TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
-- The per-address rate limit counts recent links.
CREATE INDEX portal_sign_ins_by_email ON portal_sign_ins (email_key, created_at);

CREATE TABLE portal_sessions (
    token_hash BLOB PRIMARY KEY,
    email_key  TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE portal_prefs (
    affiliate_id    BLOB PRIMARY KEY REFERENCES affiliates (id),
    org_id          BLOB NOT NULL REFERENCES organizations (id),
    payout_method   TEXT,
    previous_slug   TEXT,
    slug_changed_at INTEGER
);

-- The portal finds a person's records in every organization by address.
CREATE INDEX affiliates_by_email ON affiliates (email_key);
