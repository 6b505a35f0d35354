-- Failed sign-ins per account, shared by every replica, for lockout.
-- subject_kind is 'pacer' (a PACER username) or 'ecf' ("court:login").
CREATE TABLE sign_in_failures (
    subject_kind   text NOT NULL,
    subject        text NOT NULL,
    -- Failures since the last success or lock, forgotten after a quiet period.
    consecutive    bigint NOT NULL,
    last_failure_at timestamptz NOT NULL,
    locked_until   timestamptz,
    -- How many times the account has been locked: the wait doubles each time.
    lockouts       bigint NOT NULL,
    -- The hourly cap on counted failures.
    hour_start     timestamptz NOT NULL,
    hour_count     bigint NOT NULL,
    PRIMARY KEY (subject_kind, subject)
);
