-- Admin calls made with a request_id: a retry with the same id answers what
-- the first call answered instead of acting twice. Scoped by operator, so
-- one operator's id never reveals another's answer. The request's digest
-- catches an id reused for a different request. `response` is NULL while
-- the first call runs; a claim left by a crashed replica is taken over
-- after a minute. Housekeeping removes rows after a day.
CREATE TABLE admin_requests (
    operator    text NOT NULL,
    request_id  uuid NOT NULL,
    method      text NOT NULL,
    digest      bytea NOT NULL,
    response    bytea,
    claimed_at  timestamptz NOT NULL,
    PRIMARY KEY (operator, request_id)
);
CREATE INDEX admin_requests_claimed_at ON admin_requests (claimed_at);
