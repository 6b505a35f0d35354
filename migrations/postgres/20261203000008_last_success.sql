-- What the help desk reads. Every sign-in attempt is counted as a failure
-- before its password is checked and given back on success, so
-- last_failure_at moves on successes too: last_failed_at moves with each
-- counted attempt, prior_failed_at keeps the one before, and a success puts
-- it back. last_success_at is the last successful sign-in.
ALTER TABLE sign_in_failures ADD COLUMN last_success_at timestamptz;
ALTER TABLE sign_in_failures ADD COLUMN last_failed_at timestamptz;
ALTER TABLE sign_in_failures ADD COLUMN prior_failed_at timestamptz;
