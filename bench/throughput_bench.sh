#!/usr/bin/env bash
# throughput_bench.sh: TCP throughput over loopback, in the same run, of
#   direct    iperf3 -c -> iperf3 -s (no tunnel: the ceiling)
#   reflector paramedic throughput, tunneled mode: iperf3 -c -> paramedic's
#             local relay -> one mTLS link per stream -> reflector's relay
#             -> iperf3 -s on loopback
#   stunnel   iperf3 -c -> stunnel (client) -> TLS 1.3 mTLS -> stunnel
#             (server) -> iperf3 -s: the tool a user would pick instead
#   floor     iperf3 -c -> relay_floor -> relay_floor -> iperf3 -s: the
#             tunnel's shape (three loopback hops) with plain copying relays
#   aes-floor the same with AES-256-GCM over every byte in each relay (a
#             cost model, not a protocol): the most any user-space tunnel
#             with stunnel's cipher reaches here
#   chacha-floor  the same with ChaCha20-Poly1305
# Same streams, same duration; Ed25519 certificates and TLS 1.3 on both
# tunnels. Prints Gbit/s (the receiver's view), the CPU seconds all the
# path's processes spent per GB moved (steadier than Gbit/s on a shared
# machine), the ratios and the target (reflector >= 1.5 x stunnel).
# Whether kernel TLS is available is printed too. It never fails on a
# number: a benchmark, not a test.
#
#   bash bench/throughput_bench.sh [--duration SEC] [--streams N] [--runs N]
# BUILD_DIR=DIR uses binaries already built there. STUNNEL_SUITES=LIST sets
# stunnel's TLS 1.3 ciphersuites (default: OpenSSL's, AES-256-GCM first).
set -euo pipefail
# shellcheck source=bench/bench_lib.sh
. "$(dirname "$0")/bench_lib.sh"

duration=5
streams=2
runs=3
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
	cmake --build "$dir" -j2 --target reflector paramedic relay_floor >/dev/null
fi
RELAY_FLOOR=$dir/bench/relay_floor
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

# result FILE: "bits/s cpu-seconds", the CPU of every process this subshell
# started and reaped (the path's servers, relays and iperf3 ends).
result() {
	local cpu f=$T/times.$BASHPID
	times >"$f" # a builtin with a redirection: this shell's own children
	cpu=$(awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); s += t[1] * 60 + t[2] } print s }' "$f")
	echo "$(bps "$1") $cpu"
}

# serve LOG PORT CMD...: starts a server (tracked) and waits until it
# listens on 127.0.0.1:PORT; its PID in SERVED.
serve() {
	local log=$1 port=$2
	shift 2
	"$@" >"$log" 2>&1 &
	SERVED=$!
	bench_track "$SERVED"
	bench_wait_listen "$SERVED" "$port"
}

# through NAME PORT PID...: the iperf3 client to PORT with this run's
# options, then the PIDs stopped; prints the result.
through() {
	local name=$1 port=$2 pid
	shift 2
	bench_run "$T/$name.json" iperf3 -c 127.0.0.1 -p "$port" -t "$duration" -P "$streams" -J || true
	for pid in "$@"; do
		bench_stop "$pid"
	done
	result "$T/$name.json"
}

run_direct() {
	local port
	port=$(bench_free_port)
	serve /dev/null "$port" iperf3 -s -1 -p "$port" -B 127.0.0.1
	through direct "$port" "$SERVED"
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
level = "debug"
audit_log_path = "$T/reflector/audit.jsonl"
CFG
	serve "$T/reflector.log" "$port" "$REFLECTOR_BIN" -c "$T/reflector.toml" serve
	pid=$SERVED
	bench_run "$T/reflector.json" "$PARAMEDIC_BIN" --data-dir "$pm" --json throughput "127.0.0.1:$port" \
		--duration "$duration" --streams "$streams" || true
	bench_stop "$pid"
	result "$T/reflector.json"
}

# stunnel_conf FILE SERVICE ACCEPT_PORT CONNECT_PORT ME PEER [CLIENT]: one end
# of the stunnel pair, mutually authenticated with the Ed25519 certs ME/PEER.
stunnel_conf() {
	cat >"$1" <<CFG
foreground = yes
pid =
debug = 6
[$2]
client = ${7:-no}
accept = 127.0.0.1:$3
connect = 127.0.0.1:$4
cert = $T/$5.pem
key = $T/$5.key
CAfile = $T/$6.pem
verifyPeer = yes
sslVersionMin = TLSv1.3
${STUNNEL_SUITES:+ciphersuites = $STUNNEL_SUITES}
CFG
}

run_stunnel() {
	local plain tls back spid ipid
	plain=$(bench_free_port)
	tls=$(bench_free_port)
	back=$(bench_free_port)
	for who in s c; do
		openssl genpkey -algorithm ed25519 -out "$T/$who.key" 2>/dev/null
		openssl req -x509 -new -key "$T/$who.key" -subj "/CN=$who" -days 2 -out "$T/$who.pem" 2>/dev/null
	done
	stunnel_conf "$T/stunnel-server.conf" server "$tls" "$back" s c
	stunnel_conf "$T/stunnel-client.conf" client "$plain" "$tls" c s yes
	serve /dev/null "$back" iperf3 -s -1 -p "$back" -B 127.0.0.1
	ipid=$SERVED
	serve "$T/stunnel-server.log" "$tls" stunnel "$T/stunnel-server.conf"
	spid=$SERVED
	serve "$T/stunnel-client.log" "$plain" stunnel "$T/stunnel-client.conf"
	through stunnel "$plain" "$SERVED" "$spid" "$ipid"
}

# run_floor NAME [--aead]: iperf3 through two relay_floor processes.
run_floor() {
	local name=$1 a b back ipid bpid
	shift
	a=$(bench_free_port)
	b=$(bench_free_port)
	back=$(bench_free_port)
	serve /dev/null "$back" iperf3 -s -1 -p "$back" -B 127.0.0.1
	ipid=$SERVED
	serve "$T/$name-b.log" "$b" "$RELAY_FLOOR" "$b" "$back" "$@"
	bpid=$SERVED
	serve "$T/$name-a.log" "$a" "$RELAY_FLOOR" "$a" "$b" "$@"
	through "$name" "$a" "$SERVED" "$bpid" "$ipid"
}

gbit() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1e9 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

echo "throughput over loopback: $streams stream(s), $duration s, $runs run(s); $(nproc) CPUs, shared"
echo "kernel TLS: $ktls"
echo "$(openssl version); $(stunnel -version 2>&1 | grep -m1 '^stunnel'); $(iperf3 --version | head -1)"
paths=(direct reflector stunnel floor aes-floor chacha-floor)
declare -A label=([direct]="direct iperf3 (no tunnel)" [reflector]="reflector tunneled relay"
	[stunnel]="stunnel pair" [floor]="plain relay pair (floor)"
	[aes-floor]="AES-256-GCM relay pair (floor)" [chacha-floor]="ChaCha20 relay pair (floor)")
declare -A best cpu_of
for p in "${paths[@]}"; do best[$p]=0; cpu_of[$p]=0; done
# Per run, paths measured a minute apart: the ratios that compare like with
# like on a machine whose speed drifts (the headline is their median).
declare -A per_run_ratio=([reflector]="" [aes-floor]="" [chacha-floor]="")
declare -A this_run
# cpu_per_gb BITS_PER_S CPU_S: CPU seconds per GB moved in the run.
cpu_per_gb() { awk -v b="$1" -v c="$2" -v d="$duration" 'BEGIN { if (b > 0) printf "%.2f", c / (b * d / 8 / 1e9); else print "n/a" }'; }
for run in $(seq "$runs"); do
	line="run $run:"
	for p in "${paths[@]}"; do
		case $p in
		direct) out=$(run_direct) ;;
		reflector) out=$(run_reflector) ;;
		stunnel) out=$(run_stunnel) ;;
		floor) out=$(run_floor floor) ;;
		aes-floor) out=$(run_floor aes-floor --aead AES-256-GCM) ;;
		chacha-floor) out=$(run_floor chacha-floor --aead ChaCha20-Poly1305) ;;
		esac
		read -r b c <<<"$out"
		this_run[$p]=$b
		line+=" $p $(gbit "$b")"
		if awk -v a="${best[$p]}" -v b="$b" 'BEGIN { exit !(b > a) }'; then
			best[$p]=$b
			cpu_of[$p]=$(cpu_per_gb "$b" "$c")
		fi
	done
	for p in reflector aes-floor chacha-floor; do
		per_run_ratio[$p]+=" $(ratio "${this_run[$p]}" "${this_run[stunnel]}")"
	done
	echo "$line Gbit/s; reflector/stunnel $(ratio "${this_run[reflector]}" "${this_run[stunnel]}")"
done
# median LIST: the median of numbers ("n/a" ignored).
median() { tr ' ' '\n' <<<"$1" | grep -E '^[0-9.]+$' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo
printf "%-28s %10s %16s\n" "path (best run)" "Gbit/s" "CPU s per GB"
for p in "${paths[@]}"; do
	printf "%-28s %10s %16s\n" "${label[$p]}" "$(gbit "${best[$p]}")" "${cpu_of[$p]}"
done
echo
echo "median of the per-run ratios (best run / best run in brackets):"
echo "reflector / stunnel    : $(median "${per_run_ratio[reflector]}") ($(ratio "${best[reflector]}" "${best[stunnel]}"))  target >= $TARGET_VS_STUNNEL"
echo "AES floor / stunnel    : $(median "${per_run_ratio[aes-floor]}") ($(ratio "${best[aes-floor]}" "${best[stunnel]}"))  the most a user-space tunnel with stunnel's cipher reaches here"
echo "ChaCha floor / stunnel : $(median "${per_run_ratio[chacha-floor]}") ($(ratio "${best[chacha-floor]}" "${best[stunnel]}"))"
echo "stunnel / reflector, CPU s per GB: $(ratio "${cpu_of[stunnel]}" "${cpu_of[reflector]}") (best runs)"
echo "reflector / direct     : $(ratio "${best[reflector]}" "${best[direct]}")"
echo "stunnel / direct       : $(ratio "${best[stunnel]}" "${best[direct]}")"
# The suites the last run negotiated (the reflector logs its order at debug).
r_suite=$(sed -n 's/.*fastest on this machine first: \([A-Z0-9_]*\).*/\1/p' "$T/reflector.log" | tail -1) || true
s_suite=$(sed -n 's/.*ciphersuite: \([A-Z0-9_]*\).*/\1/p' "$T/stunnel-client.log" | tail -1) || true
echo "TLS suites: reflector ${r_suite:-?}, stunnel ${s_suite:-?}"
grep -h "warn\|error" "$T/reflector.log" 2>/dev/null | head -5 || true
