#!/usr/bin/env bash
# Seed 002 checklist rows 39-43: configuration, plus the start-up errors SPEC
# asks for (bad config, unreadable key, port in use: one clear line, non-zero).
source "${PP_SOURCE_DIR:?}/tests/harness/lib.sh" || exit 1
unset REFLECTOR_CONFIG

status_json() { "$REFLECTOR_BIN" -c "$T/reflector.toml" --json status; }

# Row 39: no config file at all: built-in defaults. Run as nobody, so the
# default /var/lib/reflector is not writable and the XDG fallback is used
# (and the test never touches the real system directories).
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	H="$T/home"; mkdir -p "$H"; chmod 777 "$T" "$H"
	P=$(free_port)
	as_nobody() { env -i PATH="$PATH" HOME="$H" XDG_STATE_HOME="$H/state" XDG_CONFIG_HOME="$H/config" \
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
	# Not through the function: $! must be the reflector itself (env and
	# setpriv exec it), so that the kill below reaches it.
	env -i PATH="$PATH" HOME="$H" XDG_STATE_HOME="$H/state" XDG_CONFIG_HOME="$H/config" \
		setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$REFLECTOR_BIN" serve --bind "127.0.0.1:$P" >"$T/defaults.log" 2>&1 &
	DPID=$!
	trap 'kill $DPID 2>/dev/null; cleanup' EXIT
	for _ in $(seq 1 500); do [ -S "$H/state/reflector/control.sock" ] && break; sleep 0.02; done
	st=$(as_nobody "$REFLECTOR_BIN" --json status) || fail "row 39: status failed: $(cat "$T/defaults.log")"
	kill "$DPID"; wait "$DPID"
	[ "$(jq -r .config <<<"$st")" = "(built-in defaults)" ] || fail "row 39: config is $(jq -r .config <<<"$st")"
	[ "$(jq -r .quotas.max_test_duration_sec <<<"$st")" = 60 ] || fail "row 39: default max_test_duration_sec"
	[ "$(jq -r .mode <<<"$st")" = tunneled ] || fail "row 39: default mode"
	[ "$(jq -r .data_dir <<<"$st")" = "$H/state/reflector" ] || fail "row 39: data dir $(jq -r .data_dir <<<"$st")"
	[ -f "$H/state/reflector/identity.ed25519" ] || fail "row 39: no identity in the fallback data dir"
	pass "row 39: no config file: defaults, data dir falls back to \$XDG_STATE_HOME/reflector"
else
	echo "skip: row 39 needs root to run as nobody"
fi

# Row 40: a partial config (no [quotas]) fills in defaults.
start_reflector "[access]
pairing_enabled = false"
st=$(status_json)
[ "$(jq -r .quotas.max_tests_per_hour_per_peer <<<"$st")" = 10 ] || fail "row 40: quotas default missing"
[ "$(jq -r .pairing.enabled <<<"$st")" = false ] || fail "row 40: the file's value not applied"
stop_reflector
pass "row 40: partial config uses defaults for missing sections"

# Row 41: a full config: every value applied.
NETWORK_LINES='mode = "direct_ephemeral"
data_port_range_start = 31000
data_port_range_end = 31010
max_connections = 64
handshake_timeout_sec = 3'
start_reflector '[access]
pairing_enabled = true
authorized_peers = []

[quotas]
max_test_duration_sec = 17
max_concurrent_tests = 3
max_tests_per_hour_per_peer = 7
max_bytes_per_day_per_peer = 123456789
cooldown_sec = 9
allow_udp_echo = true
allow_throughput = false
max_packet_rate = 1000

[iperf3]
path = "/usr/bin/iperf3"
default_streams = 2
max_streams = 5

[logging]
level = "debug"'
st=$(status_json)
for kv in quotas.max_test_duration_sec=17 quotas.max_concurrent_tests=3 quotas.max_tests_per_hour_per_peer=7 \
	quotas.max_bytes_per_day_per_peer=123456789 quotas.cooldown_sec=9 quotas.allow_throughput=false \
	quotas.max_packet_rate=1000 mode=direct_ephemeral config="$T/reflector.toml"; do
	k=${kv%%=*}; v=${kv#*=}
	[ "$(jq -r ".$k" <<<"$st")" = "$v" ] || fail "row 41: $k is $(jq -r ".$k" <<<"$st"), expected $v"
done
stop_reflector
unset NETWORK_LINES
pass "row 41: full config applied"

# Row 42: REFLECTOR_CONFIG names the file.
cp "$T/reflector.toml" "$T/env.toml"
out=$(REFLECTOR_CONFIG="$T/env.toml" "$REFLECTOR_BIN" --json show-id) || fail "row 42: $out"
REFLECTOR_CONFIG="$T/missing.toml" "$REFLECTOR_BIN" show-id >"$T/out" 2>&1 && fail "row 42: a missing env file accepted"
grep -q "missing.toml" "$T/out" || fail "row 42: error does not name the file: $(cat "$T/out")"
pass "row 42: REFLECTOR_CONFIG honoured (and a missing file named)"

# Row 43: invalid config files: one clear line naming file:line (and key), exit 2.
expect_config_error() { # description, file text, expected text
	printf '%s\n' "$2" >"$T/bad.toml"
	"$REFLECTOR_BIN" -c "$T/bad.toml" show-id >"$T/out" 2>&1
	rc=$?
	[ $rc -eq 2 ] || fail "row 43 ($1): exit status $rc, expected 2: $(cat "$T/out")"
	grep -q -- "$3" "$T/out" || fail "row 43 ($1): error does not say '$3': $(cat "$T/out")"
}
expect_config_error "malformed TOML" '[quotas
x = 1' "bad.toml:1"
expect_config_error "wrong type" '[quotas]
cooldown_sec = "five"' "bad.toml:2.*quotas.cooldown_sec"
expect_config_error "out of range" '[network]
listen_address = "127.0.0.1:99999"' "network.listen_address"
expect_config_error "bad peer ID" '[access]
authorized_peers = ["PP-NOT-AN-ID"]' "access.authorized_peers"
"$REFLECTOR_BIN" -c "$T/nonexistent.toml" show-id >"$T/out" 2>&1
[ $? -eq 2 ] && grep -q nonexistent.toml "$T/out" || fail "row 43: -c of a missing file: $(cat "$T/out")"
printf '[quotas]\nfrobnicate = 1\n[identity]\nprivate_key_path = "%s/warn/id.key"\n' "$T" >"$T/warn.toml"
"$REFLECTOR_BIN" -c "$T/warn.toml" show-id >"$T/out" 2>&1 || fail "unknown key must only warn: $(cat "$T/out")"
grep -q "warn.toml:2.*frobnicate" "$T/out" || fail "unknown key warning does not name file:line: $(cat "$T/out")"
pass "row 43: invalid configs give a clear error and exit 2; unknown keys warn"

# Port in use: one clear line naming the port, non-zero exit.
start_reflector ""
cp "$T/reflector.toml" "$T/second.toml"
sed -i "s|$T/data/identity|$T/data2/identity|" "$T/second.toml"
"$REFLECTOR_BIN" -c "$T/second.toml" serve >"$T/out" 2>&1 && fail "second server on the same port started"
grep -q "127.0.0.1:$PORT.*[Aa]ddress already in use" "$T/out" || fail "port in use not named: $(cat "$T/out")"
# A second server on the same data directory is refused too.
sed -i "s|127.0.0.1:$PORT|127.0.0.1:$(free_port)|" "$T/reflector.toml"
"$REFLECTOR_BIN" -c "$T/reflector.toml" serve >"$T/out" 2>&1 && fail "second server on the same data dir started"
grep -q "another reflector is running" "$T/out" || fail "data dir in use not said: $(cat "$T/out")"
stop_reflector
pass "port in use and data directory in use are clear errors"
