-- Admin calls made with a request_id: a retry with the same id answers what
-- the first call answered instead of acting twice. Scoped by operator, so
-- one operator's id never reveals another's answer. The request's digest
-- catches an id reused for a different request. `response` is NULL while
-- the first call runs; a claim left by a crashed process is taken over
-- after a minute. Housekeeping removes rows after a day.
CREATE TABLE admin_requests (
    operator    TEXT NOT NULL,
    request_id  BLOB NOT NULL,
    method      TEXT NOT NULL,
    digest      BLOB NOT NULL,
    response    BLOB,
    claimed_at  INTEGER NOT NULL,
    PRIMARY KEY (operator, request_id)
);
CREATE INDEX admin_requests_claimed_at ON admin_requests (claimed_at);
