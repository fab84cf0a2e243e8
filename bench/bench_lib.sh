# shellcheck shell=bash
# bench_lib.sh: helpers shared by the bench/*.sh scripts (sourced, not run).
#
# Owns: building the benchmark binaries, a temp dir and the list of server
# processes a script started (all stopped by the EXIT trap, by PID), free
# loopback ports, waiting for a listener, and reading a process's CPU time
# and RSS from /proc.

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_PIDS=()
BENCH_TMP=""

bench_cleanup() {
	local pid
	for pid in "${BENCH_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${BENCH_PIDS[@]}"; do
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	BENCH_PIDS=()
	[ -n "$BENCH_TMP" ] && rm -rf "$BENCH_TMP"
	BENCH_TMP=""
}

# Sets BENCH_TMP and the trap that stops every server and removes it.
bench_init() {
	BENCH_TMP=$(mktemp -d /tmp/pp-bench.XXXXXX)
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}

# Remembers a PID to stop at exit.
bench_track() {
	BENCH_PIDS+=("$1")
}

bench_untrack() {
	local keep=() p
	for p in "${BENCH_PIDS[@]}"; do
		[ "$p" != "$1" ] && keep+=("$p")
	done
	BENCH_PIDS=("${keep[@]}")
}

# Stops one tracked server now (TERM, then KILL after 5 s).
bench_stop() {
	local pid=$1
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	bench_untrack "$pid"
}

# Runs a command to completion with its output in OUT, in the background so
# that Ctrl-C / SIGTERM reach the traps at once (bash defers traps until a
# foreground command ends): bench_run OUT cmd args...
bench_run() {
	local out=$1 pid rc=0
	shift
	"$@" >"$out" 2>&1 &
	pid=$!
	bench_track "$pid"
	wait "$pid" || rc=$?
	bench_untrack "$pid"
	return "$rc"
}

# Builds the benchmark binaries (Release, in build/bench unless BUILD_DIR is
# set) and sets HANDSHAKE_LOAD and REFLECTOR_BIN.
bench_build() {
	local dir=${BUILD_DIR:-$BENCH_ROOT/build/bench}
	if [ -z "${BUILD_DIR:-}" ]; then
		cmake -S "$BENCH_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
		cmake --build "$dir" -j2 --target handshake_load reflector >/dev/null
	fi
	HANDSHAKE_LOAD=$dir/bench/handshake_load
	REFLECTOR_BIN=${REFLECTOR_BIN:-$dir/reflector}
	[ -x "$HANDSHAKE_LOAD" ] || { echo "no $HANDSHAKE_LOAD" >&2; return 1; }
}

# Prints a TCP port nobody listens on or is connected from, in 20000-29999.
bench_free_port() {
	local p
	for p in $(shuf -i 20000-29999 -n 100); do
		if [ -z "$(ss -Htan "( sport = :$p or dport = :$p )")" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# Waits up to 10 s for pid to listen on 127.0.0.1:port; 1 if it died or
# never did.
bench_wait_listen() {
	local pid=$1 port=$2
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || return 1
		[ -n "$(ss -Htln "sport = :$port")" ] && return 0
		sleep 0.1
	done
	return 1
}

# CPU time (user+system, clock ticks) of pid and its direct children: nginx's
# master and worker, or a single server process.
bench_cpu_ticks() {
	local pid=$1 total=0 p t
	for p in "$pid" $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
		t=$(sed 's/.*) //' /proc/"$p"/stat 2>/dev/null | awk '{print $12 + $13}')
		total=$((total + ${t:-0}))
	done
	echo "$total"
}

# VmRSS / VmHWM / RssAnon (the process's own heap and stacks, without the
# shared library pages RssFile counts) of pid in kB.
bench_rss_kb() {
	awk '/^VmRSS:/ {print $2}' /proc/"$1"/status
}
bench_rss_anon_kb() {
	awk '/^RssAnon:/ {print $2}' /proc/"$1"/status
}
bench_hwm_kb() {
	awk '/^VmHWM:/ {print $2}' /proc/"$1"/status
}

# A value from the load generator's "result:" line: bench_result FILE KEY.
bench_result() {
	sed -n 's/^result: .*\<'"$2"'=\([^ ]*\).*/\1/p' "$1" | tail -1
}

# Writes a reflector config for the bench: bench_reflector_config DIR PORT PEER_ID.
bench_reflector_config() {
	local dir=$1 port=$2 peer=$3
	mkdir -p "$dir"
	cat >"$dir/reflector.toml" <<EOF
[identity]
private_key_path = "$dir/identity.ed25519"

[network]
listen_address = "127.0.0.1:$port"
# All load comes from 127.0.0.1: lift the per-source limit on handshakes in
# progress (default 16, a flood guard) above the load generator's
# concurrency, or the excess is refused at accept.
max_handshakes_per_source = 1024

[access]
authorized_peers = ["$peer"]

[logging]
level = "warn"
audit_log_path = "$dir/audit.jsonl"
EOF
	echo "$dir/reflector.toml"
}
