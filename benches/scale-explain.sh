#!/usr/bin/env bash
# The audit and coverage queries at a court's scale: seeds a fresh PostgreSQL
# database (migrated by the release binary) with ACCOUNTS PACER and CM/ECF
# accounts, half of them linked, and AUDIT audit rows, then runs each query
# the service sends for ListAuditEvents, GetLinkCoverage and ListEcfAccounts
# (the same SQL as src/store/sql/audit.rs and coverage.rs, with typical
# bound values) under EXPLAIN (ANALYZE, BUFFERS): which index each uses and
# what it costs. Run it at two sizes and compare, e.g.
#   ACCOUNTS=10000 AUDIT=100000 bash benches/scale-explain.sh > /tmp/small.txt
#   ACCOUNTS=1000000 AUDIT=10000000 bash benches/scale-explain.sh > /tmp/large.txt
# Needs psql and `cargo build --release`; BENCH_DATABASE_URL names the server
# (default the local one). The database is dropped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
SERVER=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
BIN=${BIN:-target/release/pacer-link}
ACCOUNTS=${ACCOUNTS:-1000000}
AUDIT=${AUDIT:-10000000}
DB=pacer_link_scale_$$
URL="${SERVER%/*}/$DB"

psql "$SERVER" -qc "CREATE DATABASE $DB"
trap 'psql "$SERVER" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"' EXIT
DATABASE_URL=$URL "$BIN" migrate >/dev/null

q() { psql "$URL" -v ON_ERROR_STOP=1 -qAt "$@"; }

start=$(date +%s)
q -v n="$ACCOUNTS" -v a="$AUDIT" <<'SQL'
INSERT INTO courts (court_id, name, ecf_login_prefix, environment)
VALUES ('cod', 'U.S. District Court, District of Colorado', 'co', 'train');
INSERT INTO pacer_accounts (username, password_hash, display_name, upgraded)
SELECT 'p' || lpad(i::text, 8, '0'), '$argon2id$v=19$m=19456,t=2,p=1$c2VlZA$c2VlZA',
       'Filer ' || i, true
FROM generate_series(1, :n) i;
-- One unlinked account in fifty failed a sign-in. Written before the
-- accounts, so the trigger that keeps the court's counts runs once for all
-- of them (a row trigger per failure would update one counter row 20,000
-- times in one statement).
INSERT INTO sign_in_failures (subject_kind, subject, consecutive, last_failure_at, lockouts,
                              hour_start, hour_count, last_failed_at)
SELECT 'ecf', 'cod:co' || lpad(i::text, 8, '0'), 1, now(), 0, now(), 1, now()
FROM generate_series(1, :n, 50) i;
INSERT INTO ecf_accounts (court_id, login, password_hash, display_name)
SELECT 'cod', 'co' || lpad(i::text, 8, '0'), '$argon2id$v=19$m=19456,t=2,p=1$c2VlZA$c2VlZA',
       'Filer ' || i
FROM generate_series(1, :n) i;
-- Every other account is linked, through a confirmed flow.
INSERT INTO link_flows (flow_id, token_hash, court_id, pacer_username, stage, ecf_login,
                        created_at, expires_at, confirmed_at)
SELECT md5(i::text)::uuid, decode(md5(i::text), 'hex'), 'cod', 'p' || lpad(i::text, 8, '0'),
       'confirmed', 'co' || lpad(i::text, 8, '0'), now(), now() + interval '10 minutes', now()
FROM generate_series(2, :n, 2) i;
INSERT INTO links (court_id, ecf_login, pacer_username, linked_at, flow_id)
SELECT 'cod', 'co' || lpad(i::text, 8, '0'), 'p' || lpad(i::text, 8, '0'), now(),
       md5(i::text)::uuid
FROM generate_series(2, :n, 2) i;
UPDATE ecf_accounts SET password_hash = NULL, retired_at = now()
WHERE (substr(login, 3))::int % 2 = 0;
-- The trail: a year of sign-ins and flow steps, every 1,000th an admin call.
INSERT INTO audit_events (occurred_at, rpc, court_id, subject, subject_normalized, outcome,
                          reason, caller, caller_identity, operator, repeat_count)
SELECT now() - (:a - i) * (interval '1 year' / :a),
       (ARRAY['AuthenticatePacer', 'VerifyEcf', 'PreviewLink', 'ConfirmLink',
              'AuthenticateFiler'])[1 + i % 5],
       'cod', 'p' || lpad((1 + i % :n)::text, 8, '0'), 'p' || lpad((1 + i % :n)::text, 8, '0'),
       CASE WHEN i % 7 = 0 THEN 'UNAUTHENTICATED' ELSE 'OK' END,
       CASE WHEN i % 7 = 0 THEN 'INVALID_CREDENTIALS' END,
       '10.0.0.1',
       (ARRAY['spiffe://court.example/ns/cmecf/sa/cmecf-web',
              'spiffe://court.example/ns/docketing/sa/docketing', 'anonymous'])[1 + i % 3],
       CASE WHEN i % 1000 = 0 THEN 'alice' END, 1
FROM generate_series(1, :a) i;
VACUUM ANALYZE;
SQL
echo "seeded $ACCOUNTS accounts, $((ACCOUNTS / 2)) links, $AUDIT audit rows in $(( $(date +%s) - start )) s"

COLS="audit_id, occurred_at, rpc, court_id, subject, subject_normalized, outcome, reason, \
caller, caller_identity, end_user_address, operator, detail, repeat_count, trace_id"
MID=$(q -c "SELECT max(audit_id) / 2 FROM audit_events")
T1=$(q -c "SELECT now() - interval '200 days'")
T2=$(q -c "SELECT now() - interval '199 days'")
SUBJECT=p$(printf %08d $((ACCOUNTS / 3)))
JOINS="FROM ecf_accounts e LEFT JOIN links l ON l.court_id = e.court_id AND l.ecf_login = e.login \
LEFT JOIN sign_in_failures f ON f.subject_kind = 'ecf' AND f.subject = e.court_id || ':' || e.login"
PAGE="SELECT e.login, e.display_name, l.pacer_username, l.linked_at, f.last_failed_at $JOINS \
WHERE e.court_id = 'cod' AND e.login > "
AFTER=co$(printf %08d $((ACCOUNTS / 2)))

# Each query runs once first, so the figure is of a warm cache (the rows
# just written also get their hint bits set then, not during the measure).
explain() {
  echo
  echo "## $1"
  q -c "$2" >/dev/null
  q -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) $2" | grep -vE '^ *(Planning:|Buffers: shared hit=[0-9]+$)'
}

explain "ListAuditEvents, first page" \
  "SELECT $COLS FROM audit_events WHERE 1 = 1 ORDER BY audit_id DESC LIMIT 101"
explain "ListAuditEvents, a page half way down the trail" \
  "SELECT $COLS FROM audit_events WHERE 1 = 1 AND audit_id < $MID ORDER BY audit_id DESC LIMIT 101"
explain "ListAuditEvents by court, first page" \
  "SELECT $COLS FROM audit_events WHERE 1 = 1 AND court_id = 'cod' ORDER BY audit_id DESC LIMIT 101"
explain "ListAuditEvents by subject, first page" \
  "SELECT $COLS FROM audit_events WHERE 1 = 1 AND subject_normalized = '$SUBJECT' ORDER BY audit_id DESC LIMIT 101"
explain "ListAuditEvents by subject, half way down" \
  "SELECT $COLS FROM audit_events WHERE 1 = 1 AND subject_normalized = '$SUBJECT' AND audit_id < $MID ORDER BY audit_id DESC LIMIT 101"
explain "ListAuditEvents by operator, first page" \
  "SELECT $COLS FROM audit_events WHERE 1 = 1 AND operator = 'alice' ORDER BY audit_id DESC LIMIT 101"
explain "ListAuditEvents by caller identity, half way down" \
  "SELECT $COLS FROM audit_events WHERE 1 = 1 AND caller_identity = 'anonymous' AND audit_id < $MID ORDER BY audit_id DESC LIMIT 101"
explain "ListAuditEvents, one day 200 days ago" \
  "SELECT $COLS FROM audit_events WHERE 1 = 1 AND occurred_at >= '$T1' AND occurred_at < '$T2' ORDER BY occurred_at DESC, audit_id DESC LIMIT 101"
# A page half way into that day: the cursor is the last row of the page before.
read -r TMID IDMID <<<"$(q -F ' ' -c "SELECT occurred_at, audit_id FROM audit_events \
  WHERE occurred_at >= '$T1' AND occurred_at < '$T2' ORDER BY occurred_at, audit_id \
  OFFSET (SELECT count(*) / 2 FROM audit_events WHERE occurred_at >= '$T1' AND occurred_at < '$T2') LIMIT 1" | sed 's/ /T/')"
explain "ListAuditEvents, one day 200 days ago, half way into it" \
  "SELECT $COLS FROM audit_events WHERE 1 = 1 AND occurred_at >= '$T1' AND occurred_at < '$T2' AND occurred_at <= '$TMID' AND (occurred_at < '$TMID' OR audit_id < $IDMID) ORDER BY occurred_at DESC, audit_id DESC LIMIT 101"
explain "ListAuditEvents by court since 200 days ago" \
  "SELECT $COLS FROM audit_events WHERE 1 = 1 AND court_id = 'cod' AND occurred_at >= '$T1' ORDER BY occurred_at DESC, audit_id DESC LIMIT 101"
# The kept counts against a recount over every account (the statement
# GetLinkCoverage ran before the counts were kept): they must agree.
KEPT=$(q -c "SELECT ecf_accounts, linked, unlinked_failed FROM court_coverage WHERE court_id = 'cod'")
COUNTED=$(q -c "SELECT COUNT(*), COUNT(l.ecf_login), COUNT(*) FILTER (WHERE l.ecf_login IS NULL AND f.last_failed_at IS NOT NULL) $JOINS WHERE e.court_id = 'cod'")
echo
echo "## GetLinkCoverage counts: kept $KEPT, recounted $COUNTED"
[ "$KEPT" = "$COUNTED" ] || { echo "the kept counts differ from a recount" >&2; exit 1; }
explain "GetLinkCoverage" \
  "SELECT ecf_accounts, linked, unlinked_failed FROM court_coverage WHERE court_id = 'cod'"
explain "ListEcfAccounts, first page" "$PAGE '' ORDER BY e.login LIMIT 101"
explain "ListEcfAccounts, half way down" "$PAGE '$AFTER' ORDER BY e.login LIMIT 101"
explain "ListEcfAccounts, unlinked, half way down" \
  "$PAGE '$AFTER' AND l.ecf_login IS NULL ORDER BY e.login LIMIT 101"
