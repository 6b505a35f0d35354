-- A court's environment label (e.g. 'train'), shown beside its name on the
-- filer's screens; empty for a production court.
ALTER TABLE courts ADD COLUMN environment text NOT NULL DEFAULT '';
