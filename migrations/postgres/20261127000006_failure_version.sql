-- A counter bumped by every write of a row, so a failure can be counted with
-- one compare-and-set statement instead of a locking transaction.
ALTER TABLE sign_in_failures ADD COLUMN version bigint NOT NULL DEFAULT 0;
