-- Courts, accounts, link flows, links and the link-event outbox.
-- Constraint names are part of the code: the store maps violations by name
-- to error reasons (src/store/postgres/error.rs).

CREATE TABLE courts (
    court_id         text PRIMARY KEY,
    name             text NOT NULL,
    ecf_login_prefix text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE pacer_accounts (
    username      text PRIMARY KEY,
    password_hash text NOT NULL,
    display_name  text NOT NULL,
    upgraded      boolean NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ecf_accounts (
    court_id      text NOT NULL REFERENCES courts (court_id),
    login         text NOT NULL,
    -- NULL once linking retired the legacy password: it then matches nothing.
    password_hash text,
    display_name  text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    retired_at    timestamptz,
    CONSTRAINT ecf_accounts_pkey PRIMARY KEY (court_id, login)
);

CREATE TABLE link_flows (
    flow_id        uuid PRIMARY KEY,
    -- SHA-256 of the bearer token; the token itself is never stored.
    token_hash     bytea NOT NULL CONSTRAINT link_flows_token_hash_key UNIQUE,
    court_id       text NOT NULL REFERENCES courts (court_id),
    pacer_username text NOT NULL REFERENCES pacer_accounts (username),
    client_code    text,
    stage          text NOT NULL
        CHECK (stage IN ('pacer_authenticated', 'ecf_verified', 'confirmed')),
    ecf_login      text,
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    confirmed_at   timestamptz,
    CHECK (stage = 'pacer_authenticated' OR ecf_login IS NOT NULL)
);
CREATE INDEX link_flows_expires_at_idx ON link_flows (expires_at);

CREATE TABLE links (
    court_id       text NOT NULL,
    ecf_login      text NOT NULL,
    pacer_username text NOT NULL REFERENCES pacer_accounts (username),
    linked_at      timestamptz NOT NULL,
    flow_id        uuid NOT NULL REFERENCES link_flows (flow_id),
    -- One link per filer account ...
    CONSTRAINT links_pkey PRIMARY KEY (court_id, ecf_login),
    -- ... and one filer account per PACER account in each court.
    CONSTRAINT links_court_pacer_key UNIQUE (court_id, pacer_username),
    FOREIGN KEY (court_id, ecf_login) REFERENCES ecf_accounts (court_id, login)
);
CREATE INDEX links_flow_id_idx ON links (flow_id);

-- The outbox of link changes. `sequence` is taken from link_event_counter
-- under its row lock inside the writing transaction, so sequences are
-- assigned in commit order and a reader resuming after N can never skip a
-- row that commits later with a smaller number.
CREATE TABLE link_event_counter (
    singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_sequence bigint NOT NULL
);
INSERT INTO link_event_counter (singleton, last_sequence) VALUES (true, 0);

CREATE TABLE link_events (
    sequence       bigint PRIMARY KEY,
    event_id       uuid NOT NULL UNIQUE,
    event_type     text NOT NULL CHECK (event_type IN ('linked', 'unlinked')),
    court_id       text NOT NULL,
    ecf_login      text NOT NULL,
    pacer_username text NOT NULL,
    occurred_at    timestamptz NOT NULL
);
