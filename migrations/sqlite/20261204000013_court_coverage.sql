-- GetLinkCoverage's three numbers per court, kept by triggers in the same
-- transactions that add accounts, link, unlink and record sign-in failures,
-- so reading them is one row however many accounts a court has.
--
-- unlinked_failed counts a court's accounts that exist, are not linked and
-- have a CM/ECF sign-in failure on record (sign_in_failures.last_failed_at
-- set), exactly what the listing shows. SQLite runs one writer at a time,
-- so each trigger can look at the other tables without locking.
CREATE TABLE court_coverage (
    court_id        TEXT PRIMARY KEY REFERENCES courts (court_id) ON DELETE CASCADE,
    ecf_accounts    INTEGER NOT NULL,
    linked          INTEGER NOT NULL,
    unlinked_failed INTEGER NOT NULL
);

CREATE TRIGGER courts_coverage AFTER INSERT ON courts
BEGIN
    INSERT INTO court_coverage (court_id, ecf_accounts, linked, unlinked_failed)
    VALUES (NEW.court_id, 0, 0, 0);
END;

-- A new account has no link yet (the link's foreign key), nor has one
-- being deleted.
CREATE TRIGGER ecf_accounts_coverage_added AFTER INSERT ON ecf_accounts
BEGIN
    UPDATE court_coverage
    SET ecf_accounts = ecf_accounts + 1,
        unlinked_failed = unlinked_failed + EXISTS (
            SELECT 1 FROM sign_in_failures f
            WHERE f.subject_kind = 'ecf' AND f.subject = NEW.court_id || ':' || NEW.login
              AND f.last_failed_at IS NOT NULL)
    WHERE court_id = NEW.court_id;
END;

CREATE TRIGGER ecf_accounts_coverage_deleted AFTER DELETE ON ecf_accounts
BEGIN
    UPDATE court_coverage
    SET ecf_accounts = ecf_accounts - 1,
        unlinked_failed = unlinked_failed - EXISTS (
            SELECT 1 FROM sign_in_failures f
            WHERE f.subject_kind = 'ecf' AND f.subject = OLD.court_id || ':' || OLD.login
              AND f.last_failed_at IS NOT NULL)
    WHERE court_id = OLD.court_id;
END;

CREATE TRIGGER links_coverage_added AFTER INSERT ON links
BEGIN
    UPDATE court_coverage
    SET linked = linked + 1,
        unlinked_failed = unlinked_failed - EXISTS (
            SELECT 1 FROM sign_in_failures f
            WHERE f.subject_kind = 'ecf' AND f.subject = NEW.court_id || ':' || NEW.ecf_login
              AND f.last_failed_at IS NOT NULL)
    WHERE court_id = NEW.court_id;
END;

CREATE TRIGGER links_coverage_removed AFTER DELETE ON links
BEGIN
    UPDATE court_coverage
    SET linked = linked - 1,
        unlinked_failed = unlinked_failed + EXISTS (
            SELECT 1 FROM sign_in_failures f
            WHERE f.subject_kind = 'ecf' AND f.subject = OLD.court_id || ':' || OLD.ecf_login
              AND f.last_failed_at IS NOT NULL)
    WHERE court_id = OLD.court_id;
END;

-- A failure row's subject is 'court:login' (court ids hold no colon). The
-- three triggers differ only in the row they read and the direction.
CREATE TRIGGER sign_in_failures_coverage_inserted AFTER INSERT ON sign_in_failures
WHEN NEW.subject_kind = 'ecf' AND NEW.last_failed_at IS NOT NULL
BEGIN
    UPDATE court_coverage SET unlinked_failed = unlinked_failed + 1
    WHERE court_id = substr(NEW.subject, 1, instr(NEW.subject, ':') - 1)
      AND EXISTS (SELECT 1 FROM ecf_accounts e
                  WHERE e.court_id = substr(NEW.subject, 1, instr(NEW.subject, ':') - 1)
                    AND e.login = substr(NEW.subject, instr(NEW.subject, ':') + 1))
      AND NOT EXISTS (SELECT 1 FROM links l
                      WHERE l.court_id = substr(NEW.subject, 1, instr(NEW.subject, ':') - 1)
                        AND l.ecf_login = substr(NEW.subject, instr(NEW.subject, ':') + 1));
END;

CREATE TRIGGER sign_in_failures_coverage_updated AFTER UPDATE ON sign_in_failures
WHEN NEW.subject_kind = 'ecf' AND (OLD.last_failed_at IS NULL) <> (NEW.last_failed_at IS NULL)
BEGIN
    UPDATE court_coverage
    SET unlinked_failed = unlinked_failed
        + CASE WHEN NEW.last_failed_at IS NULL THEN -1 ELSE 1 END
    WHERE court_id = substr(NEW.subject, 1, instr(NEW.subject, ':') - 1)
      AND EXISTS (SELECT 1 FROM ecf_accounts e
                  WHERE e.court_id = substr(NEW.subject, 1, instr(NEW.subject, ':') - 1)
                    AND e.login = substr(NEW.subject, instr(NEW.subject, ':') + 1))
      AND NOT EXISTS (SELECT 1 FROM links l
                      WHERE l.court_id = substr(NEW.subject, 1, instr(NEW.subject, ':') - 1)
                        AND l.ecf_login = substr(NEW.subject, instr(NEW.subject, ':') + 1));
END;

CREATE TRIGGER sign_in_failures_coverage_deleted AFTER DELETE ON sign_in_failures
WHEN OLD.subject_kind = 'ecf' AND OLD.last_failed_at IS NOT NULL
BEGIN
    UPDATE court_coverage SET unlinked_failed = unlinked_failed - 1
    WHERE court_id = substr(OLD.subject, 1, instr(OLD.subject, ':') - 1)
      AND EXISTS (SELECT 1 FROM ecf_accounts e
                  WHERE e.court_id = substr(OLD.subject, 1, instr(OLD.subject, ':') - 1)
                    AND e.login = substr(OLD.subject, instr(OLD.subject, ':') + 1))
      AND NOT EXISTS (SELECT 1 FROM links l
                      WHERE l.court_id = substr(OLD.subject, 1, instr(OLD.subject, ':') - 1)
                        AND l.ecf_login = substr(OLD.subject, instr(OLD.subject, ':') + 1));
END;

INSERT INTO court_coverage (court_id, ecf_accounts, linked, unlinked_failed)
SELECT c.court_id,
       (SELECT count(*) FROM ecf_accounts e WHERE e.court_id = c.court_id),
       (SELECT count(*) FROM links l WHERE l.court_id = c.court_id),
       (SELECT count(*) FROM ecf_accounts e
        JOIN sign_in_failures f
          ON f.subject_kind = 'ecf' AND f.subject = e.court_id || ':' || e.login
        WHERE e.court_id = c.court_id AND f.last_failed_at IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM links l
                          WHERE l.court_id = e.court_id AND l.ecf_login = e.login))
FROM courts c;
