-- When each CM/ECF password was last reset (NULL: as created), and when a
-- flow proved one: a flow may confirm only while the password it proved is
-- still the account's, so a reset or an unlink voids earlier verifications.
ALTER TABLE ecf_accounts ADD COLUMN password_set_at INTEGER;
ALTER TABLE link_flows ADD COLUMN ecf_verified_at INTEGER;
