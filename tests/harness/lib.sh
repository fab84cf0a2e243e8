# Shell helpers for integration scripts: a reflector in a private temp
# directory on a free loopback port, stopped and removed on exit.
# Usage: source "$PP_SOURCE_DIR/tests/harness/lib.sh"; start_reflector [EXTRA_TOML]

set -u
: "${REFLECTOR_BIN:?}" "${PARAMEDIC_BIN:?}"
source "$PP_SOURCE_DIR/tests/harness/wait.sh"
T=$(mktemp -d /tmp/pp-shtest-XXXXXX)
RPID=""
cleanup() {
	[ -n "$RPID" ] && kill "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null
	[ -z "${PP_KEEP_TEST_DIRS:-}" ] && rm -rf "$T"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; [ -f "$T/server.log" ] && tail -20 "$T/server.log" >&2; exit 1; }
pass() { echo "ok: $*"; }

# A port free for TCP and UDP, below the kernel's ephemeral range (32768
# and up) so that no outgoing connection's source port can take it.
free_port() {
	local p
	while :; do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
		ss -Hltun "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}

# write_config EXTRA_TOML: [identity] and [network] are ours. Unless
# NETWORK_LINES says otherwise, the data ports are a small range of this
# test's own, so tests running in parallel never share a port.
write_config() {
	local ports=""
	if ! grep -q data_port_range <<<"${NETWORK_LINES:-}"; then
		DATA_PORT=${DATA_PORT:-$(free_port)}
		ports="data_port_range_start = $DATA_PORT
data_port_range_end = $DATA_PORT"
	fi
	cat > "$T/reflector.toml" <<CFG
[identity]
private_key_path = "$T/data/identity.ed25519"

[network]
listen_address = "127.0.0.1:$PORT"
$ports
${NETWORK_LINES:-}

${1:-}
CFG
}

start_reflector() {
	PORT=${PORT:-$(free_port)}
	write_config "${1:-}"
	"$REFLECTOR_BIN" -c "$T/reflector.toml" serve >>"$T/server.log" 2>&1 &
	RPID=$!
	for _ in $(seq 1 500); do
		[ -S "$T/data/control.sock" ] && break # created after the listener is bound
		kill -0 "$RPID" 2>/dev/null || fail "reflector died at start"
		sleep 0.02
	done
	RID=$("$REFLECTOR_BIN" -c "$T/reflector.toml" show-id)
	AUDIT="$T/data/audit.jsonl"
}

stop_reflector() {
	kill -TERM "$RPID"
	wait "$RPID"
	local rc=$?
	RPID=""
	return $rc
}

# audit_count EVENT [JQ_FILTER]: coalesced lines count their "count".
audit_count() {
	jq -s "[.[] | select(.event_type == \"$1\") ${2:+| select($2)} | (.count // 1)] | add // 0" "$AUDIT"
}

# make_client NAME: an Ed25519 key + self-signed cert for openssl, and the
# same key as a paramedic data dir; prints the endpoint ID.
make_client() {
	local d="$T/clients/$1"
	mkdir -p "$d/pm"
	openssl genpkey -algorithm ed25519 -out "$d/key.pem" 2>/dev/null
	openssl req -new -x509 -key "$d/key.pem" -out "$d/cert.pem" -days 1 -subj "/CN=$1" 2>/dev/null
	# The raw 32-byte secret is the tail of the PKCS#8 DER encoding.
	openssl pkey -in "$d/key.pem" -outform DER | tail -c 32 > "$d/pm/identity.ed25519"
	chmod 600 "$d/pm/identity.ed25519"
	"$PARAMEDIC_BIN" --data-dir "$d/pm" id
}
