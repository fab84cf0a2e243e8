#!/usr/bin/env bash
# tls_handshakes.sh: full mTLS handshakes per second against `reflector
# serve`, `openssl s_server` and nginx (stream module, one worker), in the
# same run, with the same load generator (bench/handshake_load).
#
# Every handshake: a new TCP connection, TLS 1.3, Ed25519 certificates on
# both sides, client certificate required, ALPN pp-link/1, no resumption
# (the client caches nothing and refuses tickets; servers issue none).
# Servers are pinned to core 0, the load generator to core 1. Prints each
# rate, the server's CPU use, handshakes per server CPU-second (the number
# that survives a noisy shared machine), the ratios and the targets. It
# never fails on a number: it is a benchmark, not a test.
#
#   bash bench/tls_handshakes.sh [--duration SEC] [--concurrency N]
#                                [--only reflector,nginx,s_server]
# BUILD_DIR=DIR uses binaries already built there; REFLECTOR_BIN=PATH
# another reflector.
set -euo pipefail
# shellcheck source=bench/bench_lib.sh
. "$(dirname "$0")/bench_lib.sh"

duration=10
concurrency=32
only="reflector,nginx,s_server"
while [ $# -gt 0 ]; do
	case "$1" in
	--duration) duration=$2; shift 2 ;;
	--concurrency) concurrency=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	-h|--help) sed -n '2,20p' "$0"; exit 0 ;;
	*) echo "tls_handshakes.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

TARGET_VS_NGINX=1.0 # the reflector at least equal to nginx, on one core

bench_init
bench_build
T=$BENCH_TMP
clk_tck=$(getconf CLK_TCK)
if [ "$(nproc)" -ge 2 ]; then
	pin_server=(taskset -c 0)
	pin_load=(taskset -c 1)
else
	echo "warning: one CPU only: server and load generator share it, no pinning"
	pin_server=()
	pin_load=()
fi

# One server certificate for s_server and nginx (the reflector has its own).
openssl genpkey -algorithm ed25519 -out "$T/server.key" 2>/dev/null
openssl req -x509 -new -key "$T/server.key" -subj "/CN=bench-server" -days 2 \
	-out "$T/server.pem" 2>/dev/null
client_key=$T/client.ed25519
client_id=$("$HANDSHAKE_LOAD" --key "$client_key" --print-id)

declare -A rate failed server_cpu_pct per_cpu_sec client_cpu note

# measure NAME PID PORT [handshake_load flags...]
measure() {
	local name=$1 pid=$2 port=$3
	shift 3
	local out=$T/$name.out t0 t1 ok elapsed cpu_sec
	t0=$(bench_cpu_ticks "$pid")
	bench_run "$out" "${pin_load[@]}" "$HANDSHAKE_LOAD" --connect "127.0.0.1:$port" \
		--duration "$duration" --concurrency "$concurrency" --key "$client_key" "$@" || true
	t1=$(bench_cpu_ticks "$pid")
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "  $name: the server exited during the run; its CPU time is lost"
		note[$name]="server exited during the run"
	fi
	grep -E '^(negotiated|failures|client CPU|gave up)' "$out" | sed "s/^/  $name: /"
	grep -q '^result:' "$out" || { sed "s/^/  $name: /" "$out"; note[$name]="load generator failed"; return; }
	rate[$name]=$(bench_result "$out" rate_per_sec)
	failed[$name]=$(bench_result "$out" failed)
	client_cpu[$name]=$(bench_result "$out" client_cpu_pct)%
	ok=$(bench_result "$out" ok)
	elapsed=$(bench_result "$out" elapsed_sec)
	cpu_sec=$(awk -v t=$((t1 - t0)) -v hz="$clk_tck" 'BEGIN {printf "%.2f", t / hz}')
	server_cpu_pct[$name]=$(awk -v c="$cpu_sec" -v e="$elapsed" 'BEGIN {printf "%.0f%%", (e > 0 ? 100 * c / e : 0)}')
	per_cpu_sec[$name]=$(awk -v n="$ok" -v c="$cpu_sec" 'BEGIN {printf "%.0f", (c > 0 ? n / c : 0)}')
}

run_s_server() {
	local port pid
	port=$(bench_free_port)
	# s_server reads stdin between connections: a FIFO we hold open keeps
	# it quiet (/dev/null's endless EOF slows it down several times).
	mkfifo "$T/s_server.stdin"
	exec 9<>"$T/s_server.stdin"
	"${pin_server[@]}" openssl s_server -accept "127.0.0.1:$port" -cert "$T/server.pem" \
		-key "$T/server.key" -tls1_3 -Verify 1 -alpn pp-link/1 -num_tickets 0 -no_cache \
		-quiet <&9 >"$T/s_server.log" 2>&1 &
	pid=$!
	bench_track "$pid"
	if bench_wait_listen "$pid" "$port"; then
		echo "s_server: openssl s_server -tls1_3 -Verify 1 -alpn pp-link/1 -num_tickets 0 -no_cache"
		measure s_server "$pid" "$port"
	else
		note[s_server]="did not start: $(tail -1 "$T/s_server.log")"
	fi
	bench_stop "$pid"
	exec 9>&-
}

run_nginx() {
	local port pid dir=$T/nginx
	port=$(bench_free_port)
	mkdir -p "$dir"
	# The stream module is the fair peer: nginx's http module refuses a
	# client that offers only ALPN pp-link/1. ssl_verify_client on would
	# reject a self-signed client certificate after the handshake (silently:
	# handshake_load --expect-data catches it); optional_no_ca asks for the
	# certificate, verifies its signature and accepts it, like the reflector.
	# `return` answers every accepted client with 3 bytes and closes.
	cat >"$dir/nginx.conf" <<EOF
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
stream {
    server {
        listen 127.0.0.1:$port ssl;
        ssl_certificate $T/server.pem;
        ssl_certificate_key $T/server.key;
        ssl_protocols TLSv1.3;
        ssl_verify_client optional_no_ca;
        ssl_alpn pp-link/1;
        ssl_session_cache off;
        ssl_session_tickets off;
        ssl_conf_command NumTickets 0;
        return "pp\n";
    }
}
EOF
	"${pin_server[@]}" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" \
		>"$dir/stderr.log" 2>&1 &
	pid=$!
	bench_track "$pid"
	if bench_wait_listen "$pid" "$port"; then
		printf 'nginx: %s, stream module, 1 worker, ssl_verify_client optional_no_ca, return "pp\\n"\n' \
			"$(nginx -v 2>&1 | sed 's/.*: //')"
		measure nginx "$pid" "$port" --expect-data
	else
		note[nginx]="did not start: $(tail -1 "$dir/error.log" "$dir/stderr.log" 2>/dev/null | tr '\n' ' ')"
	fi
	bench_stop "$pid"
}

run_reflector() {
	local port pid cfg
	port=$(bench_free_port)
	cfg=$(bench_reflector_config "$T/reflector" "$port" "$client_id")
	"${pin_server[@]}" "$REFLECTOR_BIN" -c "$cfg" serve >"$T/reflector.log" 2>&1 &
	pid=$!
	bench_track "$pid"
	if bench_wait_listen "$pid" "$port"; then
		# --hello: each connection also sends a pp-link hello and needs the
		# server_hello, which proves the peer was authorized, not just that
		# TLS finished.
		echo "reflector: $("$REFLECTOR_BIN" --version 2>&1), serve, client authorized, one hello per connection"
		measure reflector "$pid" "$port" --hello
	else
		note[reflector]="'reflector serve' did not start: $(tail -1 "$T/reflector.log")"
	fi
	bench_stop "$pid"
}

# What the crypto alone allows on one core: per server handshake one X25519
# key generation and one X25519 derivation (both about one scalar
# multiplication), one Ed25519 signature (CertificateVerify) and one Ed25519
# verification (the client's CertificateVerify).
crypto_bound() {
	"${pin_server[@]}" openssl speed -seconds 1 ed25519 ecdhx25519 2>/dev/null | awk '
		/ecdh \(X25519\)/ {x = $NF}
		/EdDSA \(Ed25519\)/ {s = $(NF - 1); v = $NF}
		END {if (x && s && v) printf "%.0f", 1 / (2 / x + 1 / s + 1 / v)}'
}

echo "== full mTLS handshakes/s: TLS 1.3, Ed25519 both sides, client cert, ALPN pp-link/1, no resumption"
echo "   ${duration} s each, concurrency $concurrency, server on core 0, load generator on core 1"
echo "   client ID $client_id"
for s in ${only//,/ }; do
	case $s in
	reflector) run_reflector ;;
	nginx) run_nginx ;;
	s_server) run_s_server ;;
	*) echo "unknown server $s (reflector, nginx, s_server)" >&2; exit 2 ;;
	esac
done
bound=$(crypto_bound || true)

echo
printf '%-10s %13s %7s %11s %18s %11s\n' server handshakes/s failed "server CPU" "per server CPU-s" "client CPU"
for s in ${only//,/ }; do
	if [ -n "${rate[$s]:-}" ]; then
		printf '%-10s %13s %7s %11s %18s %11s\n' "$s" "${rate[$s]}" "${failed[$s]}" \
			"${server_cpu_pct[$s]}" "${per_cpu_sec[$s]}" "${client_cpu[$s]}"
	else
		printf '%-10s  not measured: %s\n' "$s" "${note[$s]:-?}"
	fi
done
for s in ${only//,/ }; do
	c=${client_cpu[$s]:-0%}
	if [ "${c%\%}" -ge 90 ]; then
		echo "note: $s: the load generator used ${c} of core 1: that rate is a lower bound" \
			"(client-bound); compare the per-server-CPU-s column"
	fi
done
[ -n "$bound" ] && printf '%-10s %13s   (openssl speed on core 0: 2 X25519 + 1 Ed25519 sign + 1 verify)\n' "crypto" "$bound"

# ratio A B [target]: rate and per-CPU-second ratios of A over B.
ratio() {
	local a=$1 b=$2 target=${3:-}
	if [ -z "${rate[$a]:-}" ] || [ -z "${rate[$b]:-}" ]; then
		printf '  %-20s n/a\n' "$a / $b"
		return
	fi
	awk -v a="${rate[$a]}" -v b="${rate[$b]}" -v ca="${per_cpu_sec[$a]}" -v cb="${per_cpu_sec[$b]}" \
		-v name="$a / $b" -v target="$target" 'BEGIN {
		printf "  %-20s %5.2f   per server CPU-s %5.2f", name, (b > 0 ? a / b : 0), (cb > 0 ? ca / cb : 0)
		if (target != "")
			printf "   (target >= %.2f: %s)", target, ((b > 0 && a / b >= target) ? "met" : "NOT met")
		printf "\n"}'
}
echo
echo "ratios:"
ratio reflector nginx "$TARGET_VS_NGINX"
ratio reflector s_server
ratio nginx s_server
if [ -n "$bound" ] && [ -n "${rate[reflector]:-}" ]; then
	awk -v a="${rate[reflector]}" -v b="$bound" 'BEGIN {printf "  %-20s %5.2f\n", "reflector / crypto", a / b}'
fi
echo "targets: reflector >= nginx on one core; measured before: nginx ~1,200/s, s_server ~740/s, crypto ~5,300/s per core"
