-- Searches by subject read audit_events_subject_normalized (migration 7),
-- the form sign-ins and lockouts use; no query reads the index on the
-- subject as typed. Every audited call paid for keeping it, and it was as
-- large as the index that is used.
DROP INDEX audit_events_subject;

-- Only operators' calls name an operator: the filers' calls, nearly every
-- row, left a NULL entry in this index that no search reads (a search by
-- operator compares with =, which a NULL never matches, so the planner
-- still uses the partial index for it).
CREATE INDEX audit_events_operator_named ON audit_events (operator, audit_id)
    WHERE operator IS NOT NULL;
DROP INDEX audit_events_operator;
