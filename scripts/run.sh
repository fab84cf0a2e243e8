#!/usr/bin/env bash
# The main job: install what is missing, build, start a reflector on the
# built-in defaults (its endpoint ID is printed), and run paramedic's checks
# against it: pair with a fresh one-time token (pinning the reflector's ID),
# hello (its policy), a latency test, a throughput test and the history of
# results. The reflector keeps serving until Ctrl-C.
# PP_RUN_ONCE=1 stops it after the checks (for scripted runs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j"$(nproc)" >/dev/null
R=build/release/reflector
P=build/release/paramedic
# "-c /dev/null": an empty file, i.e. exactly the embedded defaults, even if
# /etc/reflector/reflector.toml exists.
CFG=(-c /dev/null)
PORT=4000

"$R" "${CFG[@]}" serve &
RPID=$!
trap 'kill $RPID 2>/dev/null; wait $RPID 2>/dev/null' EXIT INT TERM
for _ in $(seq 1 250); do
	"$R" "${CFG[@]}" status >/dev/null 2>&1 && break
	kill -0 $RPID 2>/dev/null || { echo "the reflector did not start" >&2; exit 1; }
	sleep 0.02
done
ID=$("$R" "${CFG[@]}" show-id)

echo "== paramedic checks against the reflector $ID on 127.0.0.1:$PORT"
TOKEN=$("$R" "${CFG[@]}" --json pair --ttl 2m | jq -r .token)
"$P" pair "127.0.0.1:$PORT" --token "$TOKEN" --expect-id "$ID"
"$P" hello "127.0.0.1:$PORT"
echo "== latency (3 s of UDP probes, 10 ms apart)"
"$P" latency "127.0.0.1:$PORT" --duration 3s
sleep 5 # the default [quotas] cooldown_sec between two tests of one peer
# 2 s at local speed is ~2.5 GB: the default quota (10 GB a day per peer,
# kept in /var/lib/reflector) allows a few runs of this job a day.
echo "== throughput (2 s of iperf3 through the tunnel)"
"$P" throughput "127.0.0.1:$PORT" --duration 2
echo "== history"
"$P" history --limit 5
echo
"$R" "${CFG[@]}" status
if [ -n "${PP_RUN_ONCE:-}" ]; then
	exit 0
fi
echo
echo "reflector $ID is serving on port $PORT (pid $RPID); Ctrl-C stops it"
wait $RPID
