#!/usr/bin/env bash
# Import throughput and memory of the release binary as shipped: RECORDS
# account records (half PACER, half CM/ECF, each with an MD5-crypt hash, as
# a legacy system holds them) in one JSON Lines file, streamed by
# `pacer-link import` through one ImportAccounts stream to `pacer-link serve`
# (defaults, logs on) over PostgreSQL. Prints records/s, and the server's
# resident memory before, at every 10 % of the run and at its peak.
#
#   bash benches/import-probe.sh [RECORDS]     (default 1000000)
#
# Needs `cargo build --release` and a PostgreSQL server at BENCH_DATABASE_URL
# (default postgres://postgres@127.0.0.1:5432/postgres): a fresh database is
# created on it and dropped afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
RECORDS=${1:-1000000}
BIN=${BIN:-target/release/pacer-link}
SERVER=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
DB=pacer_link_import_probe_$$
ADDR=127.0.0.1:50997
TOKEN=import-probe-token-0123456789
WORK=$(mktemp -d)
psql -q "$SERVER" -c "CREATE DATABASE $DB"
URL="${SERVER%/*}/$DB"
cleanup() {
  kill "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  psql -q "$SERVER" -c "DROP DATABASE IF EXISTS $DB" || true
  rm -rf "$WORK"
}
trap cleanup EXIT

awk -v n="$RECORDS" 'BEGIN {
  hash = "$1$saltsalt$ZliGyAN3DciDHEkDboonh/"
  for (i = 0; i < n; i++) {
    if (i % 2 == 0)
      printf "{\"pacer\":{\"username\":\"probe%08d\",\"displayName\":\"Probe Filer %d\",\"upgraded\":true,\"passwordHash\":\"%s\"}}\n", i, i, hash
    else
      printf "{\"ecf\":{\"courtId\":\"cod\",\"login\":\"coprobe%08d\",\"displayName\":\"Filer %d, Probe\",\"passwordHash\":\"%s\"}}\n", i, i, hash
  }
}' > "$WORK/accounts.jsonl"
echo "file: $RECORDS records, $(du -h "$WORK/accounts.jsonl" | cut -f1)"

DATABASE_URL=$URL PACER_LINK_LISTEN=$ADDR PACER_LINK_ADMIN_TOKEN=$TOKEN PACER_LINK_WEB_LISTEN=127.0.0.1:0 \
  $BIN serve --demo > "$WORK/server.log" 2>&1 &
PID=$!
until grep -q "serving gRPC" "$WORK/server.log" 2>/dev/null || ! kill -0 $PID 2>/dev/null; do sleep 0.1; done
sleep 1
rss() { grep VmRSS /proc/$PID/status | awk '{printf "%d MiB", $2/1024}'; }
echo "server before: $(rss)"

start=$(date +%s%N)
PACER_LINK_ADMIN_TOKEN=$TOKEN RUST_LOG=warn $BIN import "$WORK/accounts.jsonl" \
  --addr "http://$ADDR" > "$WORK/import.out" 2> "$WORK/import.err" &
IMPORT=$!
samples=""
while kill -0 $IMPORT 2>/dev/null; do
  samples="$samples $(grep VmRSS /proc/$PID/status | awk '{printf "%d", $2/1024}')"
  sleep 0.5
done
wait $IMPORT || true
end=$(date +%s%N)
ms=$(( (end - start) / 1000000 ))
cat "$WORK/import.out" | head -3
echo "server RSS (MiB) every 0.5 s during the import:$samples"
echo "server peak: $(grep VmHWM /proc/$PID/status | awk '{printf "%d MiB", $2/1024}')"
echo "import: $RECORDS records in $ms ms = $(( RECORDS * 1000 / (ms > 0 ? ms : 1) )) records/s"
