-- Operator unlinks, kept for the record: who was unlinked, why, and which
-- event announced it.
CREATE TABLE unlinks (
    unlink_id      BLOB PRIMARY KEY NOT NULL,
    court_id       TEXT NOT NULL,
    ecf_login      TEXT NOT NULL,
    pacer_username TEXT NOT NULL,
    linked_at      INTEGER NOT NULL,
    reason         TEXT NOT NULL,
    unlinked_at    INTEGER NOT NULL,
    event_sequence INTEGER NOT NULL REFERENCES link_events (sequence)
);
CREATE INDEX unlinks_account_idx ON unlinks (court_id, ecf_login);
