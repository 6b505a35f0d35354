-- Failed sign-ins per account, shared by every replica, for lockout.
-- subject_kind is 'pacer' (a PACER username) or 'ecf' ("court:login").
CREATE TABLE sign_in_failures (
    subject_kind   TEXT NOT NULL,
    subject        TEXT NOT NULL,
    -- Failures since the last success or lock, forgotten after a quiet period.
    consecutive    INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL,
    locked_until   INTEGER,
    -- How many times the account has been locked: the wait doubles each time.
    lockouts       INTEGER NOT NULL,
    -- The hourly cap on counted failures.
    hour_start     INTEGER NOT NULL,
    hour_count     INTEGER NOT NULL,
    PRIMARY KEY (subject_kind, subject)
);
