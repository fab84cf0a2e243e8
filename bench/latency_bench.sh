#!/usr/bin/env bash
# latency_bench.sh: `paramedic latency` against our reflector vs `irtt
# client` against `irtt server`, same interval, duration and size, same
# run, on loopback, plus the kernel path itself (bench/udp_pingpong: a bare
# send/recv ping-pong, the floor any tool sits on, timed as paramedic times
# its probes: CLOCK_REALTIME before send, SO_TIMESTAMPNS at receive).
#
# Servers (and the ping-pong's echo side) are pinned to core 0, clients to
# core 1: a round trip crosses cores, as it would between two machines'
# stacks, and the one-core number (no cross-CPU wake-up) is not flattered. Prints for each: median
# RTT and its distance to the kernel path, send-time misses (a probe sent
# more than one interval late; irtt's timer_misses), and the CPU time of
# both ends; then the targets. It never fails on a number: it is a
# benchmark, not a test.
#
#   bash bench/latency_bench.sh [--interval-us 1000] [--duration 10]
#                               [--mode direct_ephemeral|tunneled]
# BUILD_DIR=DIR uses binaries already built there.
set -euo pipefail
. "$(dirname "$0")/bench_lib.sh"

interval_us=1000
duration=10
mode=direct_ephemeral
while [ $# -gt 0 ]; do
	case "$1" in
	--interval-us) interval_us=$2; shift 2 ;;
	--duration) duration=$2; shift 2 ;;
	--mode) mode=$2; shift 2 ;;
	-h|--help) sed -n '2,16p' "$0"; exit 0 ;;
	*) echo "latency_bench.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
count=$((duration * 1000000 / interval_us))

TARGET_MEDIAN_OVER_KERNEL_US=20
TARGET_MISS_PCT=1

command -v irtt >/dev/null || { echo "irtt is not installed (scripts/install-deps.sh --bench)" >&2; exit 1; }
bench_init
T=$BENCH_TMP
dir=${BUILD_DIR:-$BENCH_ROOT/build/bench}
if [ -z "${BUILD_DIR:-}" ]; then
	cmake -S "$BENCH_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$dir" -j2 --target reflector paramedic udp_pingpong >/dev/null
fi
REFLECTOR_BIN=$dir/reflector
PARAMEDIC_BIN=$dir/paramedic
PINGPONG=$dir/bench/udp_pingpong
clk_tck=$(getconf CLK_TCK)
if [ "$(nproc)" -ge 2 ]; then
	pin_server=(taskset -c 0)
	pin_client=(taskset -c 1)
else
	echo "warning: one CPU only: no pinning"
	pin_server=()
	pin_client=()
fi
echo "latency bench: ${interval_us} us interval, ${duration} s, 64-byte probes, loopback ($count probes each)"
echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"

# CPU ms of a command run to completion: cpu_of OUT cmd... (bash `times`
# reports the children of a subshell that runs only that command).
cpu_of() {
	local out=$1
	shift
	(
		"$@" >"$out" 2>&1 || true
		times >"$out.times"
	) &
	local pid=$!
	bench_track "$pid"
	wait "$pid" || true
	bench_untrack "$pid"
	# second line: children user and system, as 0m0.123s
	sed -n 2p "$out.times" | awk '{
		t = 0
		for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] }
		printf "%.0f", t * 1000 }'
}

# --- kernel path
pp_pin=()
[ "$(nproc)" -ge 2 ] && pp_pin=(0 1) # echo side on the servers' core, client on the clients'
cpu_of "$T/pingpong.out" "$PINGPONG" "$count" "$interval_us" "${pp_pin[@]}" >/dev/null
kernel_med=$(bench_result "$T/pingpong.out" median_ns)
kernel_cpu_c=$(bench_result "$T/pingpong.out" cpu_client_ms)
kernel_cpu_s=$(bench_result "$T/pingpong.out" cpu_echo_ms)

# --- paramedic vs reflector
PM="$T/pm"
peer=$("$PARAMEDIC_BIN" --data-dir "$PM" id)
port=$(bench_free_port)
cfg=$(bench_reflector_config "$T/refl" "$port" "$peer")
sed -i "s/^\[network\]$/[network]\nmode = \"$mode\"/" "$cfg"
cat >>"$cfg" <<EOF

[quotas]
max_test_duration_sec = $((duration + 5))
max_tests_per_hour_per_peer = 1000
cooldown_sec = 0
max_packet_rate = 0
EOF
"${pin_server[@]}" "$REFLECTOR_BIN" -c "$cfg" serve >"$T/reflector.log" 2>&1 &
rpid=$!
bench_track "$rpid"
bench_wait_listen "$rpid" "$port" || { tail "$T/reflector.log"; exit 1; }
r0=$(bench_cpu_ticks "$rpid")
pm_cpu=$(cpu_of "$T/pm.json" "${pin_client[@]}" "$PARAMEDIC_BIN" --data-dir "$PM" --json latency \
	"127.0.0.1:$port" --interval "${interval_us}us" --duration "$duration" --size 64 --timeout 500ms)
r1=$(bench_cpu_ticks "$rpid")
refl_cpu=$(((r1 - r0) * 1000 / clk_tck))
if ! jq -e .rtt_ns.median "$T/pm.json" >/dev/null 2>&1; then
	echo "paramedic latency failed:"
	cat "$T/pm.json"
	exit 1
fi
pm_med=$(jq .rtt_ns.median "$T/pm.json")
pm_sent=$(jq .packets.sent "$T/pm.json")
pm_recv=$(jq .packets.received "$T/pm.json")
pm_miss=$(jq .packets.send_misses "$T/pm.json")

# --- irtt client vs irtt server
iport=$(bench_free_port)
"${pin_server[@]}" irtt server -b "127.0.0.1:$iport" -i 0 >"$T/irtt-server.log" 2>&1 &
ipid=$!
bench_track "$ipid"
sleep 0.5
i0=$(bench_cpu_ticks "$ipid")
irtt_cpu=$(cpu_of "$T/irtt.out" "${pin_client[@]}" irtt client -i "$((interval_us * 1000))ns" -d "${duration}s" -l 64 \
	--wait=500ms -Q -o "$T/irtt.json" "127.0.0.1:$iport")
i1=$(bench_cpu_ticks "$ipid")
irtt_srv_cpu=$(((i1 - i0) * 1000 / clk_tck))
irtt_med=$(jq .stats.rtt.median "$T/irtt.json")
irtt_sent=$(jq .stats.packets_sent "$T/irtt.json")
irtt_recv=$(jq .stats.packets_received "$T/irtt.json")
irtt_miss=$(jq .stats.timer_misses "$T/irtt.json")

us() { awk -v n="$1" 'BEGIN { printf "%.1f", n / 1000 }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b ? 100 * a / b : 0 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

printf '\n%-42s %10s %10s %9s %9s %12s %12s\n' "" "median us" "vs kernel" "received" "misses %" "client CPU ms" "server CPU ms"
printf '%-42s %10s %10s %9s %9s %12s %12s\n' "kernel path (udp_pingpong)" "$(us "$kernel_med")" "-" \
	"$(bench_result "$T/pingpong.out" received)" "$(pct "$(bench_result "$T/pingpong.out" misses)" "$count")" \
	"$kernel_cpu_c" "$kernel_cpu_s"
printf '%-42s %10s %10s %9s %9s %12s %12s\n' "paramedic -> reflector ($mode)" "$(us "$pm_med")" \
	"+$(us $((pm_med - kernel_med)))" "$pm_recv/$pm_sent" "$(pct "$pm_miss" "$pm_sent")" "$pm_cpu" "$refl_cpu"
printf '%-42s %10s %10s %9s %9s %12s %12s\n' "irtt client -> irtt server" "$(us "$irtt_med")" \
	"+$(us $((irtt_med - kernel_med)))" "$irtt_recv/$irtt_sent" "$(pct "$irtt_miss" "$irtt_sent")" "$irtt_cpu" "$irtt_srv_cpu"
echo
echo "targets (printed, not asserted):"
echo "  median within ${TARGET_MEDIAN_OVER_KERNEL_US} us of the kernel path: paramedic +$(us $((pm_med - kernel_med))) us, irtt +$(us $((irtt_med - kernel_med))) us"
echo "  send misses under ${TARGET_MISS_PCT}%: paramedic $(pct "$pm_miss" "$pm_sent")%, irtt $(pct "$irtt_miss" "$irtt_sent")% (the bare ping-pong's wake-ups: $(pct "$(bench_result "$T/pingpong.out" misses)" "$count")%, the machine's floor)"
echo "  less CPU than irtt on both ends: client $(ratio "$pm_cpu" "$irtt_cpu")x irtt's, server $(ratio "$refl_cpu" "$irtt_srv_cpu")x irtt's (reflector CPU includes the TLS control session)"
