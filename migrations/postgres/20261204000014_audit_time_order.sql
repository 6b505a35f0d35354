-- Pages of a time window run in (occurred_at, audit_id) order, newest
-- first: this index starts them at the window (or the page cursor) and
-- stops after a page, wherever in the trail the window lies. It replaces
-- the index on occurred_at alone, which the retention purge also reads.
CREATE INDEX audit_events_time_order ON audit_events (occurred_at, audit_id);
DROP INDEX audit_events_time;
