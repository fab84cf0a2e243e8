#!/usr/bin/env bash
# echo_bench.sh: the reflector's UDP echo engine against the floor (a
# minimal blocking recvmmsg/sendmmsg loop, bench/minimal_echo.c) and against
# `irtt server`, in the same run, on loopback.
#
#   1. maximum echoed datagrams/s (closed loop, --window in flight, 64-byte
#      PPRB probes): minimal loop, reflector direct_ephemeral, reflector
#      tunneled. Target: reflector >= 90% of the minimal loop.
#   2. RTT at a fixed 1,000 datagrams/s: same three with udp_echo_load, and
#      irtt server measured by its own client (irtt client -i 1ms). Target:
#      reflector median within 10 us of the minimal loop's.
#   3. RSS of the reflector before, during (peak, sampled every 0.2 s) and
#      after a one-million-datagram flood (unlimited rate). Target: flat.
#
# Servers run pinned to core 0, the load to core 1. Prints numbers and
# ratios beside the targets; never fails on them.
#
#   bash bench/echo_bench.sh [--duration SEC] [--flood N]
# BUILD_DIR=DIR uses binaries already built there.
set -euo pipefail
# shellcheck source=bench/bench_lib.sh
. "$(dirname "$0")/bench_lib.sh"

duration=10
flood=1000000
while [ $# -gt 0 ]; do
	case "$1" in
	--duration) duration=$2; shift 2 ;;
	--flood) flood=$2; shift 2 ;;
	-h|--help) sed -n '2,20p' "$0"; exit 0 ;;
	*) echo "echo_bench.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

bench_init
bench_build
dir=${BUILD_DIR:-$BENCH_ROOT/build/bench}
[ -z "${BUILD_DIR:-}" ] && cmake --build "$dir" -j2 --target udp_echo_load minimal_echo >/dev/null
LOAD=$dir/bench/udp_echo_load
MINIMAL=$dir/bench/minimal_echo
T=$BENCH_TMP
key=$T/client.ed25519
client_id=$("$LOAD" --key "$key" --print-id)
pin_server="taskset -c 0"
pin_load="taskset -c 1"
[ "$(nproc)" -lt 2 ] && pin_server="" && pin_load=""

# A free UDP+TCP port (the tunneled reflector needs both numbers).
free_port() {
	local p
	while :; do
		p=$(bench_free_port)
		[ -z "$(ss -Huan "sport = :$p")" ] && { echo "$p"; return; }
	done
}

# start_reflector MODE: sets RPORT, RPID.
start_reflector() {
	local mode=$1 dport
	RPORT=$(free_port)
	dport=$(free_port)
	local cfg
	cfg=$(bench_reflector_config "$T/r-$mode" "$RPORT" "$client_id")
	cat >>"$cfg" <<EOF

[quotas]
max_packet_rate = 0
max_concurrent_tests = 16
max_test_duration_sec = 3600
max_tests_per_hour_per_peer = 1000
cooldown_sec = 0
EOF
	sed -i "s/^\[network\]$/[network]\nmode = \"$mode\"\ndata_port_range_start = $dport\ndata_port_range_end = $dport/" "$cfg"
	$pin_server "$REFLECTOR_BIN" -c "$cfg" serve >"$T/r-$mode.log" 2>&1 &
	RPID=$!
	bench_track "$RPID"
	bench_wait_listen "$RPID" "$RPORT" || { echo "reflector ($mode) did not start: $(tail -2 "$T/r-$mode.log")"; exit 1; }
}

# load NAME ARGS...: runs the load generator pinned, keeps its output.
load() {
	local name=$1
	shift
	bench_run "$T/$name.out" $pin_load "$LOAD" "$@" || { cat "$T/$name.out"; exit 1; }
}

printf '%s\n' "UDP echo, loopback, 64-byte datagrams, ${duration} s per run ($(nproc) cores; servers on core 0, load on core 1)"

# --- the floor ---
mport=$(free_port)
$pin_server "$MINIMAL" "127.0.0.1:$mport" >"$T/minimal.log" 2>&1 &
mpid=$!
bench_track "$mpid"
sleep 0.3
load min_max --target "127.0.0.1:$mport" --max --duration "$duration"
load min_rtt --target "127.0.0.1:$mport" --rate 1000 --duration "$duration"
bench_stop "$mpid"

# --- the reflector, both modes ---
for mode in direct_ephemeral tunneled; do
	start_reflector "$mode"
	load "${mode}_max" --reflector "127.0.0.1:$RPORT" --key "$key" --max --duration "$duration"
	load "${mode}_rtt" --reflector "127.0.0.1:$RPORT" --key "$key" --rate 1000 --duration "$duration"
	bench_stop "$RPID"
done

# --- irtt, by its own client ---
irtt_med_us=""
if command -v irtt >/dev/null; then
	iport=$(free_port)
	$pin_server irtt server -b "127.0.0.1:$iport" -i 0 >"$T/irtt.log" 2>&1 &
	ipid=$!
	bench_track "$ipid"
	sleep 0.5
	bench_run "$T/irtt_client.log" $pin_load irtt client -i 1ms -d "${duration}s" -l 64 -Q -o "$T/irtt.json" "127.0.0.1:$iport" || true
	bench_stop "$ipid"
	irtt_med_us=$(jq '.stats.rtt.median / 1000' "$T/irtt.json" 2>/dev/null || echo "")
fi

r() { bench_result "$T/$1.out" "$2"; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "-" }'; }
dus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.1f us", a - b }'; }

echo
echo "1. maximum echoed datagrams/s (closed loop, 256 in flight)"
printf '   %-28s %12s %10s\n' "server" "echoed/s" "vs minimal"
for n in min direct_ephemeral tunneled; do
	label=$n
	[ "$n" = min ] && label="minimal recvmmsg loop"
	[ "$n" != min ] && label="reflector $n"
	printf '   %-28s %12s %10s\n' "$label" "$(r "${n}_max" pps)" "$(pct "$(r "${n}_max" pps)" "$(r min_max pps)")"
done
echo "   target: reflector >= 90% of the minimal loop"

echo
echo "2. RTT at 1,000 datagrams/s"
printf '   %-28s %10s %10s %10s %14s\n' "server" "min us" "median us" "p99 us" "median vs min."
for n in min direct_ephemeral tunneled; do
	label="reflector $n"
	[ "$n" = min ] && label="minimal recvmmsg loop"
	printf '   %-28s %10s %10s %10s %14s\n' "$label" "$(r "${n}_rtt" rtt_min_us)" "$(r "${n}_rtt" rtt_median_us)" \
		"$(r "${n}_rtt" rtt_p99_us)" "$(dus "$(r "${n}_rtt" rtt_median_us)" "$(r min_rtt rtt_median_us)")"
done
[ -n "$irtt_med_us" ] && printf '   %-28s %10s %10s %10s %14s\n' "irtt server (irtt client)" \
	"$(jq '.stats.rtt.min / 1000' "$T/irtt.json")" "$irtt_med_us" "-" "$(dus "$irtt_med_us" "$(r min_rtt rtt_median_us)")"
echo "   target: reflector median within 10 us of the minimal loop's"
echo "   (irtt is measured by its own Go client: its RTT includes that client's overhead)"

# --- 3. RSS during and after a flood ---
start_reflector direct_ephemeral
load warm --reflector "127.0.0.1:$RPORT" --key "$key" --max --duration 1
sleep 0.5
before=$(bench_rss_kb "$RPID")
peak=$before
"$LOAD" --reflector "127.0.0.1:$RPORT" --key "$key" --max --count "$flood" --duration 600 >"$T/flood.out" 2>&1 &
fpid=$!
bench_track "$fpid"
while kill -0 "$fpid" 2>/dev/null; do
	now=$(bench_rss_kb "$RPID")
	[ "$now" -gt "$peak" ] && peak=$now
	sleep 0.2
done
wait "$fpid" || true
bench_untrack "$fpid"
sleep 1
after=$(bench_rss_kb "$RPID")
echo
echo "3. reflector RSS around a flood of $(r flood sent) datagrams ($(r flood pps) echoed/s)"
printf '   before %s kB, peak during %s kB, after %s kB (after - before: %+d kB)\n' "$before" "$peak" "$after" \
	$((after - before))
echo "   target: flat"
bench_stop "$RPID"
