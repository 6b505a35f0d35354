#!/usr/bin/env bash
# What each call of the seed flow sends to PostgreSQL: the release binary on
# `serve --demo` against a fresh database whose statements the server logs
# (`log_statement = 'all'`), one grpcurl call at a time, each between two
# marker statements; prints the statements and the commits of each call.
#
#   cargo build --release --bin pacer-link
#   bash benches/statements.sh
#
# PG_URL: the server (default postgres://postgres@127.0.0.1:5432); PG_LOG: its
# log file (default Debian's); GRPCURL: the grpcurl binary. The readiness
# `SELECT 1` and the event outbox poll run on their own clock and are left
# out; a statement outside a transaction block is its own commit.
set -euo pipefail

PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
PG_LOG=${PG_LOG:-/var/log/postgresql/postgresql-15-main.log}
GRPCURL=${GRPCURL:-grpcurl}
BIN=${BIN:-target/release/pacer-link}
DB=pacer_link_statements_$$
ADDR=127.0.0.1:${PORT:-50197}
S=court.identity.v1.AccountLinkService
F=court.identity.v1.FilerAuthService

psql "$PG_URL/postgres" -qAtc "CREATE DATABASE $DB"
psql "$PG_URL/postgres" -qAtc "ALTER DATABASE $DB SET log_statement = 'all'"
PACER_LINK_WEB_LISTEN=127.0.0.1:0 DATABASE_URL="$PG_URL/$DB" PACER_LINK_LISTEN=$ADDR \
  "$BIN" serve --demo >/tmp/$DB.log 2>&1 &
SERVER=$!
cleanup() {
  kill "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
  psql "$PG_URL/postgres" -qAtc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" || true
}
trap cleanup EXIT
for _ in $(seq 100); do
  "$GRPCURL" -plaintext "$ADDR" list >/dev/null 2>&1 && break
  sleep 0.2
done

mark() { psql "$PG_URL/$DB" -qAtc "SELECT 'pacer-link-mark $1'" >/dev/null; }
# An error answer is a call measured like any other.
call() { "$GRPCURL" -plaintext -d "$2" "$ADDR" "$1" 2>&1 || true; }
# The court is read once per process and kept: a first call reads it here,
# outside the counts.
call $S/AuthenticatePacer '{"court_id":"cod","username":"cquilty","password":"not-the-password"}' >/dev/null
START=$(wc -l <"$PG_LOG")

mark AuthenticatePacer
TOKEN=$(call $S/AuthenticatePacer \
  '{"court_id":"cod","username":"hhumbert","password":"Humbert-Train-2021!"}' |
  sed -n 's/.*"flowToken": "\(.*\)".*/\1/p')
mark VerifyEcf
call $S/VerifyEcf "{\"flow_token\":\"$TOKEN\",\"ecf_login\":\"coattorneytwo\",\"ecf_password\":\"AttorneyTwo-Ecf-2021!\"}" >/dev/null
mark PreviewLink
call $S/PreviewLink "{\"flow_token\":\"$TOKEN\"}" >/dev/null
mark ConfirmLink
call $S/ConfirmLink "{\"flow_token\":\"$TOKEN\"}" >/dev/null
mark AuthenticatePacer-wrong-password-again
call $S/AuthenticatePacer '{"court_id":"cod","username":"cquilty","password":"not-the-password"}' >/dev/null
mark AuthenticatePacer-unknown-username
call $S/AuthenticatePacer '{"court_id":"cod","username":"nosuchfiler","password":"not-the-password"}' >/dev/null
mark AuthenticateFiler
call $F/AuthenticateFiler '{"court_id":"cod","username":"hhumbert","password":"Humbert-Train-2021!"}' >/dev/null
mark end
sleep 0.5

# Log lines of this database after START: a statement starts with
# "LOG:  statement:" or "LOG:  execute <name>:"; continuation lines do not.
tail -n +"$((START + 1))" "$PG_LOG" | grep -a "@$DB " | grep -a -E "LOG:  (statement|execute)" |
  python3 -c '
import re, sys
calls, name = {}, None
for line in sys.stdin:
    text = re.split(r"LOG:  (?:statement|execute [^:]*): ", line, maxsplit=1)[-1].strip()
    m = re.match(r"SELECT .pacer-link-mark ([\w-]+)", text)
    if m:
        name = None if m.group(1) == "end" else m.group(1)
        if name:
            calls[name] = []
        continue
    if name is None or text == "SELECT 1" or "FROM link_events" in text:
        continue
    calls[name].append(text)
total = [0, 0]
print("%-42s %10s %8s" % ("call", "statements", "commits"))
for name, texts in calls.items():
    statements, commits, block = 0, 0, False
    for t in texts:
        word = t.split()[0].upper()
        if word == "BEGIN":
            block = True
        elif word == "COMMIT":
            block, commits = False, commits + 1
        elif word == "ROLLBACK":
            block = False
        else:
            statements += 1
            if not block and word != "SELECT":
                commits += 1
    print("%-42s %10d %8d" % (name, statements, commits))
    if "-" not in name and name != "AuthenticateFiler":
        total[0] += statements
        total[1] += commits
    if "-v" in sys.argv:
        for t in texts:
            print("    " + t[:150])
print("%-42s %10d %8d" % ("the four-step flow", total[0], total[1]))
' "$@"
