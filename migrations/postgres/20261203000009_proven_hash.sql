-- The CM/ECF password hash a flow's VerifyEcf proved. ConfirmLink retires
-- the password only if this very hash is still stored: any reset, unlink or
-- re-import since the proof voids it, whatever the clocks say. A rehash of
-- the same password moves this along with the account's hash.
ALTER TABLE link_flows ADD COLUMN ecf_proven_hash text;
