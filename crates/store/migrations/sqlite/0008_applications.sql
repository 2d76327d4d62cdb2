-- Applications: the organization's public profile (handle, brand colour, primary campaign), the
-- application form of each campaign and the answers kept with each membership, team members'
-- notification preferences, and each campaign's welcome sequence.

CREATE TABLE org_profiles (
    org_id              BLOB PRIMARY KEY REFERENCES organizations (id),
    handle              TEXT NOT NULL UNIQUE,
    brand_color         TEXT NOT NULL,
    primary_campaign_id BLOB REFERENCES campaigns (id),
    updated_at          INTEGER NOT NULL
);

-- The form definition as JSON (`ApplicationForm`); a campaign without a row uses the default.
CREATE TABLE application_forms (
    campaign_id BLOB PRIMARY KEY REFERENCES campaigns (id),
    org_id      BLOB NOT NULL REFERENCES organizations (id),
    fields      TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- The validated answers (`Answers` as JSON) of the application that created a membership.
CREATE TABLE application_answers (
    membership_id BLOB PRIMARY KEY REFERENCES memberships (id),
    org_id        BLOB NOT NULL REFERENCES organizations (id),
    answers       TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);

-- A missing row means the event's default for the member's role.
CREATE TABLE notification_preferences (
    org_id     BLOB NOT NULL REFERENCES organizations (id),
    user_id    BLOB NOT NULL REFERENCES users (id),
    event_key  TEXT NOT NULL,
    is_enabled INTEGER NOT NULL,
    PRIMARY KEY (org_id, user_id, event_key)
);

-- The sequence as JSON (`WelcomeSequence`); a campaign without a row uses the default.
CREATE TABLE welcome_sequences (
    campaign_id BLOB PRIMARY KEY REFERENCES campaigns (id),
    org_id      BLOB NOT NULL REFERENCES organizations (id),
    steps       TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);
