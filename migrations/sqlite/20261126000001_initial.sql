-- The embedded store's schema: the same tables and constraints as
-- migrations/postgres, in SQLite's types. Times are integer microseconds
-- since the Unix epoch (UTC); uuids are 16-byte blobs.

CREATE TABLE courts (
    court_id         TEXT PRIMARY KEY NOT NULL,
    name             TEXT NOT NULL,
    ecf_login_prefix TEXT NOT NULL,
    created_at       INTEGER NOT NULL
);

CREATE TABLE pacer_accounts (
    username      TEXT PRIMARY KEY NOT NULL,
    password_hash TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    upgraded      BOOLEAN NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE ecf_accounts (
    court_id      TEXT NOT NULL REFERENCES courts (court_id),
    login         TEXT NOT NULL,
    -- NULL once linking retired the legacy password: it then matches nothing.
    password_hash TEXT,
    display_name  TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    retired_at    INTEGER,
    PRIMARY KEY (court_id, login)
);

CREATE TABLE link_flows (
    flow_id        BLOB PRIMARY KEY NOT NULL,
    -- SHA-256 of the bearer token; the token itself is never stored.
    token_hash     BLOB NOT NULL UNIQUE,
    court_id       TEXT NOT NULL REFERENCES courts (court_id),
    pacer_username TEXT NOT NULL REFERENCES pacer_accounts (username),
    client_code    TEXT,
    stage          TEXT NOT NULL
        CHECK (stage IN ('pacer_authenticated', 'ecf_verified', 'confirmed')),
    ecf_login      TEXT,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    confirmed_at   INTEGER,
    CHECK (stage = 'pacer_authenticated' OR ecf_login IS NOT NULL)
);
CREATE INDEX link_flows_expires_at_idx ON link_flows (expires_at);

CREATE TABLE links (
    court_id       TEXT NOT NULL,
    ecf_login      TEXT NOT NULL,
    pacer_username TEXT NOT NULL REFERENCES pacer_accounts (username),
    linked_at      INTEGER NOT NULL,
    flow_id        BLOB NOT NULL REFERENCES link_flows (flow_id),
    PRIMARY KEY (court_id, ecf_login),
    UNIQUE (court_id, pacer_username),
    FOREIGN KEY (court_id, ecf_login) REFERENCES ecf_accounts (court_id, login)
);
CREATE INDEX links_flow_id_idx ON links (flow_id);

-- Sequences are taken from this counter inside the writing transaction; the
-- store serialises writers, so they are assigned in commit order.
CREATE TABLE link_event_counter (
    singleton     BOOLEAN PRIMARY KEY NOT NULL DEFAULT 1 CHECK (singleton = 1),
    last_sequence INTEGER NOT NULL
);
INSERT INTO link_event_counter (singleton, last_sequence) VALUES (1, 0);

CREATE TABLE link_events (
    sequence       INTEGER PRIMARY KEY NOT NULL,
    event_id       BLOB NOT NULL UNIQUE,
    event_type     TEXT NOT NULL CHECK (event_type IN ('linked', 'unlinked')),
    court_id       TEXT NOT NULL,
    ecf_login      TEXT NOT NULL,
    pacer_username TEXT NOT NULL,
    occurred_at    INTEGER NOT NULL
);
