-- The audit trail: one row per sign-in attempt, flow step and admin call.
-- Append-only; subject and court are stored as the caller gave them, after
-- sanitising, so that attempts on accounts that do not exist are visible too.
-- Never a password, hash, flow token or one-time code.
CREATE TABLE audit_events (
    audit_id    INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at INTEGER NOT NULL,
    rpc         TEXT NOT NULL,
    court_id    TEXT,
    subject     TEXT,
    outcome     TEXT NOT NULL,
    reason      TEXT,
    caller      TEXT,
    trace_id    TEXT
);
CREATE INDEX audit_events_court ON audit_events (court_id, audit_id);
CREATE INDEX audit_events_subject ON audit_events (subject, audit_id);
CREATE INDEX audit_events_time ON audit_events (occurred_at);

-- A PACER account's TOTP secret, encrypted with the service's TOTP key
-- (nonce || ciphertext, bound to the username), and the last time step a
-- code was accepted for, so that each code is accepted once only.
ALTER TABLE pacer_accounts ADD COLUMN totp_secret BLOB;
ALTER TABLE pacer_accounts ADD COLUMN totp_last_step INTEGER;
