#!/usr/bin/env bash
# throughput_bench.sh: TCP throughput over loopback, in the same run, of
#   direct    iperf3 -c -> iperf3 -s (no tunnel: the ceiling)
#   reflector paramedic throughput, tunneled mode: iperf3 -c -> paramedic's
#             local relay -> one mTLS link per stream -> reflector's relay
#             -> iperf3 -s on loopback
#   stunnel   iperf3 -c -> stunnel (client) -> TLS 1.3 mTLS -> stunnel
#             (server) -> iperf3 -s: the tool a user would pick instead
# Same streams, same duration; Ed25519 certificates and TLS 1.3 on both
# tunnels. Prints Gbit/s (the receiver's view), the ratios and the target
# (reflector >= 1.5 x stunnel). Whether kernel TLS is available is printed
# too. It never fails on a number: a benchmark, not a test.
#
#   bash bench/throughput_bench.sh [--duration SEC] [--streams N] [--runs N]
# BUILD_DIR=DIR uses binaries already built there.
set -euo pipefail
# shellcheck source=bench/bench_lib.sh
. "$(dirname "$0")/bench_lib.sh"

duration=10
streams=2
runs=1
while [ $# -gt 0 ]; do
	case "$1" in
	--duration) duration=$2; shift 2 ;;
	--streams) streams=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	-h|--help) sed -n '2,17p' "$0"; exit 0 ;;
	*) echo "throughput_bench.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
TARGET_VS_STUNNEL=1.5

for tool in iperf3 stunnel jq; do
	command -v "$tool" >/dev/null || { echo "throughput_bench.sh: $tool is not installed" >&2; exit 1; }
done

bench_init
dir=${BUILD_DIR:-$BENCH_ROOT/build/bench}
if [ -z "${BUILD_DIR:-}" ]; then
	cmake -S "$BENCH_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$dir" -j2 --target reflector paramedic >/dev/null
fi
REFLECTOR_BIN=$dir/reflector
PARAMEDIC_BIN=$dir/paramedic
T=$BENCH_TMP

if grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp 2>/dev/null; then
	ktls="available (tls ULP loaded)"
else
	ktls="not available (no 'tls' in /proc/sys/net/ipv4/tcp_available_ulp; modprobe tls needs the module)"
fi

# bps FILE: the receiver's bits/s from an iperf3 -J client report.
# (iperf3 prints indented JSON; paramedic one line, maybe after a warning.)
bps() {
	local f='.end.sum_received.bits_per_second // .received_bits_per_second // 0'
	jq -r "$f" "$1" 2>/dev/null || grep '^{' "$1" | tail -1 | jq -r "$f" 2>/dev/null ||
		{ echo "no result in $1:" >&2; head -3 "$1" >&2; echo 0; }
}

run_direct() {
	local port pid
	port=$(bench_free_port)
	iperf3 -s -1 -p "$port" -B 127.0.0.1 >/dev/null 2>&1 &
	pid=$!
	bench_track "$pid"
	bench_wait_listen "$pid" "$port"
	bench_run "$T/direct.json" iperf3 -c 127.0.0.1 -p "$port" -t "$duration" -P "$streams" -J || true
	bench_stop "$pid"
	bps "$T/direct.json"
}

run_reflector() {
	local port pid pm=$T/pm
	port=$(bench_free_port)
	mkdir -p "$pm"
	local id
	id=$("$PARAMEDIC_BIN" --data-dir "$pm" id)
	cat >"$T/reflector.toml" <<CFG
[identity]
private_key_path = "$T/reflector/identity.ed25519"

[network]
listen_address = "127.0.0.1:$port"
mode = "tunneled"

[access]
authorized_peers = ["$id"]

[quotas]
max_test_duration_sec = $((duration + 5))
max_tests_per_hour_per_peer = 1000
max_bytes_per_day_per_peer = 100000000000000
cooldown_sec = 0

[iperf3]
max_streams = 128

[logging]
level = "warn"
audit_log_path = "$T/reflector/audit.jsonl"
CFG
	"$REFLECTOR_BIN" -c "$T/reflector.toml" serve >"$T/reflector.log" 2>&1 &
	pid=$!
	bench_track "$pid"
	bench_wait_listen "$pid" "$port"
	bench_run "$T/reflector.json" "$PARAMEDIC_BIN" --data-dir "$pm" --json throughput "127.0.0.1:$port" \
		--duration "$duration" --streams "$streams" || true
	bench_stop "$pid"
	bps "$T/reflector.json"
}

run_stunnel() {
	local plain tls back spid cpid ipid
	plain=$(bench_free_port)
	tls=$(bench_free_port)
	back=$(bench_free_port)
	for who in s c; do
		openssl genpkey -algorithm ed25519 -out "$T/$who.key" 2>/dev/null
		openssl req -x509 -new -key "$T/$who.key" -subj "/CN=$who" -days 2 -out "$T/$who.pem" 2>/dev/null
	done
	cat >"$T/stunnel-server.conf" <<CFG
foreground = yes
pid =
debug = 3
[server]
accept = 127.0.0.1:$tls
connect = 127.0.0.1:$back
cert = $T/s.pem
key = $T/s.key
CAfile = $T/c.pem
verifyPeer = yes
sslVersionMin = TLSv1.3
CFG
	cat >"$T/stunnel-client.conf" <<CFG
foreground = yes
pid =
debug = 3
[client]
client = yes
accept = 127.0.0.1:$plain
connect = 127.0.0.1:$tls
cert = $T/c.pem
key = $T/c.key
CAfile = $T/s.pem
verifyPeer = yes
sslVersionMin = TLSv1.3
CFG
	iperf3 -s -1 -p "$back" -B 127.0.0.1 >/dev/null 2>&1 &
	ipid=$!
	bench_track "$ipid"
	stunnel "$T/stunnel-server.conf" >"$T/stunnel-server.log" 2>&1 &
	spid=$!
	bench_track "$spid"
	stunnel "$T/stunnel-client.conf" >"$T/stunnel-client.log" 2>&1 &
	cpid=$!
	bench_track "$cpid"
	bench_wait_listen "$ipid" "$back"
	bench_wait_listen "$spid" "$tls"
	bench_wait_listen "$cpid" "$plain"
	bench_run "$T/stunnel.json" iperf3 -c 127.0.0.1 -p "$plain" -t "$duration" -P "$streams" -J || true
	bench_stop "$cpid"
	bench_stop "$spid"
	bench_stop "$ipid"
	bps "$T/stunnel.json"
}

gbit() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1e9 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

echo "throughput over loopback: $streams stream(s), $duration s, $runs run(s); $(nproc) CPUs, shared"
echo "kernel TLS: $ktls"
echo "$(openssl version); $(stunnel -version 2>&1 | grep -m1 '^stunnel'); $(iperf3 --version | head -1)"
best_d=0 best_r=0 best_s=0
for run in $(seq "$runs"); do
	d=$(run_direct)
	r=$(run_reflector)
	s=$(run_stunnel)
	printf "run %d: direct %s  reflector %s  stunnel %s Gbit/s\n" "$run" "$(gbit "$d")" "$(gbit "$r")" "$(gbit "$s")"
	best_d=$(awk -v a="$best_d" -v b="$d" 'BEGIN { print (b > a ? b : a) }')
	best_r=$(awk -v a="$best_r" -v b="$r" 'BEGIN { print (b > a ? b : a) }')
	best_s=$(awk -v a="$best_s" -v b="$s" 'BEGIN { print (b > a ? b : a) }')
done
echo
printf "%-28s %10s\n" "path" "Gbit/s"
printf "%-28s %10s\n" "direct iperf3 (no tunnel)" "$(gbit "$best_d")"
printf "%-28s %10s\n" "reflector tunneled relay" "$(gbit "$best_r")"
printf "%-28s %10s\n" "stunnel pair" "$(gbit "$best_s")"
echo
echo "reflector / stunnel : $(ratio "$best_r" "$best_s")  (target >= $TARGET_VS_STUNNEL)"
echo "reflector / direct  : $(ratio "$best_r" "$best_d")"
echo "stunnel / direct    : $(ratio "$best_s" "$best_d")"
grep -h "warn\|error" "$T/reflector.log" 2>/dev/null | head -5 || true
