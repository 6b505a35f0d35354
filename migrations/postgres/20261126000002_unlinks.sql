-- Operator unlinks, kept for the record: who was unlinked, why, and which
-- event announced it.
CREATE TABLE unlinks (
    unlink_id      uuid PRIMARY KEY,
    court_id       text NOT NULL,
    ecf_login      text NOT NULL,
    pacer_username text NOT NULL,
    linked_at      timestamptz NOT NULL,
    reason         text NOT NULL,
    unlinked_at    timestamptz NOT NULL,
    event_sequence bigint NOT NULL REFERENCES link_events (sequence)
);
CREATE INDEX unlinks_account_idx ON unlinks (court_id, ecf_login);
