-- GetLinkCoverage's three numbers per court, kept by triggers in the same
-- transactions that add accounts, link, unlink and record sign-in failures,
-- so reading them is one row however many accounts a court has (counting
-- them at each call grew with the court: 0.45 s at a million accounts).
--
-- unlinked_failed counts a court's accounts that exist, are not linked and
-- have a CM/ECF sign-in failure on record (sign_in_failures.last_failed_at
-- set), exactly what the listing shows. Three things move it: the failure
-- row (set, cleared, purged), the link (made, removed) and the account
-- (added, deleted). Each trigger first locks the court's counter row, then
-- looks at the other two in a later statement: under READ COMMITTED that
-- statement sees whatever a concurrent change to the same account committed
-- while this one waited, so two such changes racing are counted in turn.
CREATE TABLE court_coverage (
    court_id        text PRIMARY KEY REFERENCES courts (court_id) ON DELETE CASCADE,
    ecf_accounts    bigint NOT NULL,
    linked          bigint NOT NULL,
    unlinked_failed bigint NOT NULL
);

CREATE FUNCTION court_coverage_open() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO court_coverage (court_id, ecf_accounts, linked, unlinked_failed)
    VALUES (NEW.court_id, 0, 0, 0);
    RETURN NULL;
END $$;

CREATE TRIGGER courts_coverage AFTER INSERT ON courts
FOR EACH ROW EXECUTE FUNCTION court_coverage_open();

-- Accounts arrive by the hundred through the import, so this runs once a
-- statement over its rows (`changed`: those added, or those deleted). A new
-- account has no link yet (the link's foreign key), nor has one deleted.
CREATE FUNCTION court_coverage_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_shift bigint := CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END;
BEGIN
    PERFORM 1 FROM court_coverage
    WHERE court_id IN (SELECT court_id FROM changed) ORDER BY court_id FOR UPDATE;
    UPDATE court_coverage c
    SET ecf_accounts = c.ecf_accounts + v_shift * n.accounts,
        unlinked_failed = c.unlinked_failed + v_shift * n.failed
    FROM (SELECT a.court_id, count(*) AS accounts,
                 count(*) FILTER (WHERE EXISTS (
                     SELECT 1 FROM sign_in_failures f
                     WHERE f.subject_kind = 'ecf' AND f.subject = a.court_id || ':' || a.login
                       AND f.last_failed_at IS NOT NULL)) AS failed
          FROM changed a GROUP BY a.court_id) n
    WHERE c.court_id = n.court_id;
    RETURN NULL;
END $$;

CREATE TRIGGER ecf_accounts_coverage_added AFTER INSERT ON ecf_accounts
REFERENCING NEW TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION court_coverage_accounts();

CREATE TRIGGER ecf_accounts_coverage_deleted AFTER DELETE ON ecf_accounts
REFERENCING OLD TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION court_coverage_accounts();

-- Links, too, a statement at a time: a row trigger would update the
-- court's one counter row once per link, and a statement writing many links
-- (a bulk load) would walk an ever longer chain of that row's versions.
CREATE FUNCTION court_coverage_links() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_shift bigint := CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END;
BEGIN
    PERFORM 1 FROM court_coverage
    WHERE court_id IN (SELECT court_id FROM changed) ORDER BY court_id FOR UPDATE;
    UPDATE court_coverage c
    SET linked = c.linked + v_shift * n.links,
        unlinked_failed = c.unlinked_failed - v_shift * n.failed
    FROM (SELECT l.court_id, count(*) AS links,
                 count(*) FILTER (WHERE EXISTS (
                     SELECT 1 FROM sign_in_failures f
                     WHERE f.subject_kind = 'ecf' AND f.subject = l.court_id || ':' || l.ecf_login
                       AND f.last_failed_at IS NOT NULL)) AS failed
          FROM changed l GROUP BY l.court_id) n
    WHERE c.court_id = n.court_id;
    RETURN NULL;
END $$;

CREATE TRIGGER links_coverage_added AFTER INSERT ON links
REFERENCING NEW TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION court_coverage_links();

CREATE TRIGGER links_coverage_removed AFTER DELETE ON links
REFERENCING OLD TABLE AS changed
FOR EACH STATEMENT EXECUTE FUNCTION court_coverage_links();

-- A failure row's subject is 'court:login' (court ids hold no colon).
CREATE FUNCTION court_coverage_failure() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_subject text;
    v_court text;
    v_login text;
    v_shift bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN
        v_subject := OLD.subject; v_shift := -1;
    ELSIF NEW.last_failed_at IS NULL THEN
        v_subject := NEW.subject; v_shift := -1;
    ELSE
        v_subject := NEW.subject; v_shift := 1;
    END IF;
    v_court := split_part(v_subject, ':', 1);
    v_login := substr(v_subject, length(v_court) + 2);
    PERFORM 1 FROM court_coverage WHERE court_id = v_court FOR UPDATE;
    UPDATE court_coverage SET unlinked_failed = unlinked_failed + v_shift
    WHERE court_id = v_court
      AND EXISTS (SELECT 1 FROM ecf_accounts e WHERE e.court_id = v_court AND e.login = v_login)
      AND NOT EXISTS (SELECT 1 FROM links l WHERE l.court_id = v_court AND l.ecf_login = v_login);
    RETURN NULL;
END $$;

CREATE TRIGGER sign_in_failures_coverage_inserted AFTER INSERT ON sign_in_failures
FOR EACH ROW WHEN (NEW.subject_kind = 'ecf' AND NEW.last_failed_at IS NOT NULL)
EXECUTE FUNCTION court_coverage_failure();

CREATE TRIGGER sign_in_failures_coverage_updated AFTER UPDATE ON sign_in_failures
FOR EACH ROW WHEN (NEW.subject_kind = 'ecf'
                   AND (OLD.last_failed_at IS NULL) <> (NEW.last_failed_at IS NULL))
EXECUTE FUNCTION court_coverage_failure();

CREATE TRIGGER sign_in_failures_coverage_deleted AFTER DELETE ON sign_in_failures
FOR EACH ROW WHEN (OLD.subject_kind = 'ecf' AND OLD.last_failed_at IS NOT NULL)
EXECUTE FUNCTION court_coverage_failure();

-- The counts so far. The triggers above hold their tables' locks until this
-- migration commits, so no change slips between them and this count.
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
