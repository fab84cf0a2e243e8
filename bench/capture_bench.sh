#!/usr/bin/env bash
# capture_bench.sh: `paramedic capture analyze` against tshark's TCP analysis
# and against `cat` (the read limit), on a real capture of >= 300 MB.
#
# The capture: an iperf3 bulk transfer over the loopback of a network
# namespace made here (lo MTU 1500, TSO/GSO/GRO off, so the file holds
# ordinary 1500-byte segments and their ACKs, ~250,000 packets, not 64 kB
# super-packets), written by tcpdump -s 0. A second capture of half the
# size shows whether paramedic's memory grows with the file (it must not).
# Each program reads each file from the page cache (a warm-up cat first),
# best of --runs. Targets are printed beside the measured ratios, never
# asserted. The captures are deleted at exit. Needs root (netns, tcpdump).
#
#   bash bench/capture_bench.sh [--size-mb 300] [--runs 2]
#   BUILD_DIR=build/dev bash bench/capture_bench.sh   # an existing build
set -euo pipefail
. "$(dirname "$0")/bench_lib.sh"

size_mb=300
runs=2
while [ $# -gt 0 ]; do
	case "$1" in
	--size-mb) size_mb=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	*) echo "usage: $0 [--size-mb MB] [--runs N]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" -eq 0 ] || { echo "capture_bench: needs root (network namespace, tcpdump)" >&2; exit 2; }
for t in iperf3 tcpdump tshark ethtool /usr/bin/time; do
	command -v "$t" >/dev/null || { echo "capture_bench: $t missing (bash scripts/install-deps.sh --bench)" >&2; exit 2; }
done

dir=${BUILD_DIR:-$BENCH_ROOT/build/bench}
if [ -z "${BUILD_DIR:-}" ]; then
	cmake -S "$BENCH_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$dir" -j2 --target paramedic >/dev/null
fi
PARAMEDIC=$dir/paramedic
[ -x "$PARAMEDIC" ] || { echo "no $PARAMEDIC" >&2; exit 2; }

ns=ppbench-cap-$$
bench_init
trap 'bench_cleanup; ip netns del $ns 2>/dev/null || true' EXIT
ip netns add $ns
ip -n $ns link set lo mtu 1500 up
ip netns exec $ns ethtool -K lo tso off gso off gro off >/dev/null 2>&1 || true

# capture FILE MB: an iperf3 upload of MB megabytes, captured on lo.
capture() {
	local file=$1 mb=$2 log=$BENCH_TMP/tcpdump.log pid srv
	ip netns exec $ns tcpdump -i lo -s 0 -B 65536 -n -w "$file" 'tcp port 5201' 2>"$log" &
	pid=$!
	bench_track $pid
	for _ in $(seq 100); do grep -q "listening on" "$log" && break; sleep 0.1; done
	ip netns exec $ns iperf3 -s -1 -B 127.0.0.1 -p 5201 >/dev/null 2>&1 &
	srv=$!
	bench_track $srv
	sleep 0.5
	# Paced, so that tcpdump keeps up (a drop only shortens the file), and
	# 15% extra so that the file holds at least MB megabytes.
	ip netns exec $ns iperf3 -c 127.0.0.1 -p 5201 -n "$((mb * 115 / 100))M" -l 64K -b 1500M >/dev/null
	wait $srv 2>/dev/null || true
	sleep 0.5
	bench_stop $pid
	echo "  $(basename "$file"): $(stat -c %s "$file") bytes; tcpdump: $(grep -h 'dropped by kernel' "$log")"
}

echo "== making the captures (iperf3 over lo in netns $ns, MTU 1500, no offloads)"
big=$BENCH_TMP/bulk_full.pcap
half=$BENCH_TMP/bulk_half.pcap
capture "$big" "$size_mb"
capture "$half" $((size_mb / 2))

# measure NAME FILE CMD...: best wall time of $runs runs; sets SEC and RSS_KB.
measure() {
	local name=$1 file=$2 best="" rss=0 t0 t1 s m
	shift 2
	cat "$file" >/dev/null # warm the page cache
	for _ in $(seq "$runs"); do
		t0=$(date +%s%N)
		/usr/bin/time -f "%M" -o "$BENCH_TMP/time.out" "$@" >/dev/null 2>"$BENCH_TMP/$name.err" || true
		t1=$(date +%s%N)
		s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
		m=$(tail -1 "$BENCH_TMP/time.out")
		[ -z "$best" ] || awk -v s="$s" -v b="$best" 'BEGIN { exit !(s < b) }' && best=$s
		[ "$m" -gt "$rss" ] && rss=$m
	done
	SEC=$best
	RSS_KB=$rss
}

mbps() { awk -v bytes="$1" -v s="$2" 'BEGIN { printf "%.1f", bytes / 1e6 / s }'; }

bytes=$(stat -c %s "$big")
echo
echo "== reading $(basename "$big"): $bytes bytes, best of $runs"
measure cat "$big" cat "$big"
cat_s=$SEC cat_rss=$RSS_KB
measure analyze "$big" "$PARAMEDIC" capture analyze "$big"
pm_s=$SEC pm_rss=$RSS_KB
measure tshark "$big" tshark -r "$big" -q -z io,stat,0,tcp.analysis.retransmission
ts_s=$SEC ts_rss=$RSS_KB
measure compare "$big" "$PARAMEDIC" capture compare "$big" "$big"
cmp_s=$SEC cmp_rss=$RSS_KB
hbytes=$(stat -c %s "$half")
measure analyze_half "$half" "$PARAMEDIC" capture analyze "$half"
pmh_s=$SEC pmh_rss=$RSS_KB

printf '  %-44s %8s s %9s MB/s  peak RSS %7s kB\n' \
	"cat FILE > /dev/null" "$cat_s" "$(mbps "$bytes" "$cat_s")" "$cat_rss" \
	"paramedic capture analyze FILE" "$pm_s" "$(mbps "$bytes" "$pm_s")" "$pm_rss" \
	"tshark -q -z io,stat,0,tcp.analysis.retransm." "$ts_s" "$(mbps "$bytes" "$ts_s")" "$ts_rss" \
	"paramedic capture compare FILE FILE" "$cmp_s" "$(mbps "$bytes" "$cmp_s")" "$cmp_rss"
echo
echo "== ratios (targets printed, not asserted)"
awk -v p="$pm_s" -v t="$ts_s" -v c="$cat_s" 'BEGIN {
	printf "  analyze vs tshark: %.1fx faster   (target >= 20x)\n", t / p
	printf "  analyze vs cat:    %.2f of the cat speed (target >= 0.33)\n", c / p
}'
echo
echo "== paramedic peak RSS against file size (must not grow with the file)"
printf '  analyze, %10s bytes: %7s kB  (%s s)\n' "$hbytes" "$pmh_rss" "$pmh_s" "$bytes" "$pm_rss" "$pm_s"
echo
echo "result: file_bytes=$bytes cat_mbps=$(mbps "$bytes" "$cat_s") analyze_mbps=$(mbps "$bytes" "$pm_s") tshark_mbps=$(mbps "$bytes" "$ts_s") compare_mbps=$(mbps "$bytes" "$cmp_s") analyze_rss_kb=$pm_rss analyze_half_rss_kb=$pmh_rss compare_rss_kb=$cmp_rss"
