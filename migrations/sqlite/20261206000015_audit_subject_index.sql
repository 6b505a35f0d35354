-- Searches by subject read audit_events_subject_normalized (migration 7),
-- the form sign-ins and lockouts use; no query reads the index on the
-- subject as typed. Every audited call paid for keeping it, and at a court's
-- scale it filled as much cache as the index that is used.
DROP INDEX audit_events_subject;
