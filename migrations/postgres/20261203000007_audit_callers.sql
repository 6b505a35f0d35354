-- Who made each audited call, and the subject in the form sign-ins and
-- lockouts use (usernames and logins are case-insensitive), so that a search
-- for "hhumbert" also finds attempts typed as "HHUMBERT".
ALTER TABLE audit_events ADD COLUMN subject_normalized text;
ALTER TABLE audit_events ADD COLUMN caller_identity text;
ALTER TABLE audit_events ADD COLUMN end_user_address text;
ALTER TABLE audit_events ADD COLUMN operator text;
UPDATE audit_events SET subject_normalized = lower(subject) WHERE subject IS NOT NULL;
CREATE INDEX audit_events_subject_normalized ON audit_events (subject_normalized, audit_id);
CREATE INDEX audit_events_operator ON audit_events (operator, audit_id);
CREATE INDEX audit_events_caller_identity ON audit_events (caller_identity, audit_id);
