#!/usr/bin/env bash
# reflector_rss.sh: the resident memory of `reflector serve` idle after
# start, and after rounds of 1,000 connections have come and gone (each a
# full mTLS handshake by an authorized peer plus one hello/server_hello).
#
# Reads VmRSS (and the peak, VmHWM) from /proc/PID/status and counts open
# file descriptors. Growth from round 1 to round 2 is the leak signal: the
# first round also pays one-time costs (allocator arenas, OpenSSL tables).
# Prints the numbers beside the targets; never fails on them.
#
#   bash bench/reflector_rss.sh [--connections N] [--rounds R]
# BUILD_DIR=DIR uses binaries already built there; REFLECTOR_BIN=PATH
# another reflector.
set -euo pipefail
# shellcheck source=bench/bench_lib.sh
. "$(dirname "$0")/bench_lib.sh"

connections=1000
rounds=2
while [ $# -gt 0 ]; do
	case "$1" in
	--connections) connections=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	-h|--help) sed -n '2,14p' "$0"; exit 0 ;;
	*) echo "reflector_rss.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

TARGET_IDLE_KB=$((5 * 1024)) # the issue's target
SEED_IDLE_KB=$((10 * 1024))  # what seed 002 promises
NOISE_KB=100                 # RSS moves by pages; less than this is not growth

bench_init
bench_build
T=$BENCH_TMP
client_key=$T/client.ed25519
client_id=$("$HANDSHAKE_LOAD" --key "$client_key" --print-id)
port=$(bench_free_port)
cfg=$(bench_reflector_config "$T/reflector" "$port" "$client_id")

"$REFLECTOR_BIN" -c "$cfg" serve >"$T/reflector.log" 2>&1 &
pid=$!
bench_track "$pid"
if ! bench_wait_listen "$pid" "$port"; then
	echo "reflector_rss: 'reflector serve' did not start: $(tail -1 "$T/reflector.log")"
	exit 1
fi

mb() { awk -v k="$1" 'BEGIN {printf "%.2f MB", k / 1024}'; }
delta() { awk -v k="$1" 'BEGIN {printf "%+.2f MB", k / 1024}'; }
fds() { find /proc/"$pid"/fd -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
# Waits (up to 10 s) until no TCP connection to the reflector's port is
# left, then a moment for the server to free what it held.
wait_quiet() {
	for _ in $(seq 100); do
		[ -z "$(ss -Htn state established "( sport = :$port or dport = :$port )")" ] && break
		sleep 0.1
	done
	sleep 1
}

sleep 1 # let start-up finish (key creation, listener, timers)
idle_kb=$(bench_rss_kb "$pid")
idle_fds=$(fds)
echo "== reflector serve: RSS (VmRSS from /proc/$pid/status)"
echo "   config: $cfg (authorized: the load generator's ID)"
printf '  %-34s %10s   (target < %s; seed 002 promises < %s)   fds %s, anon %s\n' \
	"idle after start:" "$(mb "$idle_kb")" "$(mb $TARGET_IDLE_KB)" "$(mb $SEED_IDLE_KB)" \
	"$idle_fds" "$(mb "$(bench_rss_anon_kb "$pid")")"

prev_kb=$idle_kb
before_last_kb=$idle_kb
total=0
for round in $(seq "$rounds"); do
	out=$T/round$round.out
	bench_run "$out" "$HANDSHAKE_LOAD" --connect "127.0.0.1:$port" --count "$connections" \
		--concurrency 16 --hello --key "$client_key" || true
	ok=$(bench_result "$out" ok)
	failed=$(bench_result "$out" failed)
	[ -n "$ok" ] || { sed 's/^/  load: /' "$out"; ok=0; failed="?"; }
	total=$((total + connections))
	wait_quiet
	kill -0 "$pid" 2>/dev/null || { echo "reflector died: $(tail -3 "$T/reflector.log")"; exit 1; }
	now_kb=$(bench_rss_kb "$pid")
	printf '  %-34s %10s   (%s since the previous line; %s ok, %s failed)   fds %s, anon %s\n' \
		"after $total connections closed:" "$(mb "$now_kb")" "$(delta $((now_kb - prev_kb)))" \
		"$ok" "$failed" "$(fds)" "$(mb "$(bench_rss_anon_kb "$pid")")"
	before_last_kb=$prev_kb
	prev_kb=$now_kb
done
hwm_kb=$(bench_hwm_kb "$pid")
printf '  %-34s %10s\n' "peak (VmHWM):" "$(mb "$hwm_kb")"

echo
verdict() { if [ "$1" -eq 1 ]; then echo met; else echo "NOT met"; fi; }
echo "targets:"
echo "  idle RSS < $(mb $TARGET_IDLE_KB): $(verdict $((idle_kb < TARGET_IDLE_KB)))  (measured $(mb "$idle_kb"))"
echo "  (VmRSS also counts the pages of the shared libraries the process touched,"
echo "   libcrypto first; 'anon' is its own memory: heap, stacks. See bench/README.md.)"
growth_kb=$((prev_kb - before_last_kb))
echo "  no growth after the connections close: $(verdict $((growth_kb <= NOISE_KB)))  (last round $(delta "$growth_kb"); up to $NOISE_KB kB counts as page noise)"
