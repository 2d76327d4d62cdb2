-- Applications: the organization's public profile (handle, brand colour, primary campaign), the
-- application form of each campaign and the answers kept with each membership, team members'
-- notification preferences, and each campaign's welcome sequence.

CREATE TABLE org_profiles (
    org_id              uuid PRIMARY KEY REFERENCES organizations (id),
    handle              text NOT NULL,
    brand_color         text NOT NULL,
    primary_campaign_id uuid REFERENCES campaigns (id),
    updated_at          timestamptz NOT NULL,
    CONSTRAINT org_profiles_handle UNIQUE (handle)
);

-- The form definition as JSON (`ApplicationForm`); a campaign without a row uses the default.
CREATE TABLE application_forms (
    campaign_id uuid PRIMARY KEY REFERENCES campaigns (id),
    org_id      uuid NOT NULL REFERENCES organizations (id),
    fields      text NOT NULL,
    updated_at  timestamptz NOT NULL
);

-- The validated answers (`Answers` as JSON) of the application that created a membership.
CREATE TABLE application_answers (
    membership_id uuid PRIMARY KEY REFERENCES memberships (id),
    org_id        uuid NOT NULL REFERENCES organizations (id),
    answers       text NOT NULL,
    created_at    timestamptz NOT NULL
);

-- A missing row means the event's default for the member's role.
CREATE TABLE notification_preferences (
    org_id     uuid NOT NULL REFERENCES organizations (id),
    user_id    uuid NOT NULL REFERENCES users (id),
    event_key  text NOT NULL,
    is_enabled boolean NOT NULL,
    PRIMARY KEY (org_id, user_id, event_key)
);

-- The sequence as JSON (`WelcomeSequence`); a campaign without a row uses the default.
CREATE TABLE welcome_sequences (
    campaign_id uuid PRIMARY KEY REFERENCES campaigns (id),
    org_id      uuid NOT NULL REFERENCES organizations (id),
    steps       text NOT NULL,
    updated_at  timestamptz NOT NULL
);
