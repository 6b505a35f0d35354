-- An operator's stated reason (Unlink, UnlockAccount), kept with the row
-- that records who acted.
ALTER TABLE audit_events ADD COLUMN detail text;
-- Refusals that arrive together from one source are written as one row
-- standing for this many calls.
ALTER TABLE audit_events ADD COLUMN repeat_count INTEGER NOT NULL DEFAULT 1;
