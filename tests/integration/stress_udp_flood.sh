#!/usr/bin/env bash
# Seed 002 §5.5: a flood of 10,000 datagrams against a udp_echo session with
# max_packet_rate = 1000. The excess is dropped silently (and counted), the
# reflector keeps serving (control connection, status, echo after the
# flood) and its memory does not grow: VmRSS before and after, within 2 MB
# (memory is not timing: a fair assertion on a shared machine).
source "$PP_SOURCE_DIR/tests/harness/lib.sh"
source "$PP_SOURCE_DIR/tests/harness/echo.sh"
command -v nc >/dev/null || { echo "nc missing"; exit 77; }

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$RPID/status"; }

# flood PORT COUNT [PREFIX_HEX]: COUNT datagrams "ping-N" through one
# connected UDP socket (tests/tools/udp_flood.c).
flood() {
	"$PP_BUILD_DIR/udp_flood" 127.0.0.1 "$1" "$2" ${3:+"$3"} >/dev/null
}

ALICE=$(make_client alice)
PORT=$(free_port)
DPORT=$(free_port)
TOML=$(printf '[access]\nauthorized_peers = ["%s"]\n[quotas]\nmax_packet_rate = 1000\ncooldown_sec = 0\n[logging]\nlevel = "warn"\n' "$ALICE")

for mode in direct_ephemeral tunneled; do
	NETWORK_LINES=$(printf 'mode = "%s"\ndata_port_range_start = %d\ndata_port_range_end = %d' "$mode" "$DPORT" "$DPORT")
	start_reflector "$TOML"
	echo_start_session alice 120
	pfx=""
	[ "$mode" = tunneled ] && pfx="50505431$ETOKEN" # "PPT1" + token
	flood "$EPORT" 200 "$pfx" # warm-up: every buffer slot touched once
	sleep 1.5                 # let the bucket refill
	before=$(rss_kb)
	flood "$EPORT" 10000 "$pfx"
	kill -0 "$RPID" || fail "$mode: the reflector died in the flood"
	after=$(rss_kb)
	echoed=$(echo_counter echo_packets)
	limited=$(echo_counter echo_dropped_rate_limit)
	echo "$mode: VmRSS before ${before} kB, after ${after} kB; echoed $echoed, dropped by the rate limit $limited, as not the peer's $(echo_counter echo_dropped_source) (token $ETOKEN)"
	[ "$limited" -gt 0 ] || fail "$mode: nothing dropped by the rate limit"
	[ $((after - before)) -le 2048 ] || fail "$mode: VmRSS grew by $((after - before)) kB"
	# Still serving: a fresh datagram is echoed once the bucket refills.
	sleep 1.5
	if [ -n "$pfx" ]; then
		(echo_prefix; echo "after") >"$T/dgram"
		got=$(nc -u -w1 127.0.0.1 "$EPORT" <"$T/dgram" | tail -c +21)
	else
		got=$(echo "after" | nc -u -w1 127.0.0.1 "$EPORT")
	fi
	[ "$got" = "after" ] || fail "$mode: no echo after the flood (got '$got')"
	pass "$mode: 10,000 datagrams at max_packet_rate 1000: excess dropped, RSS +$((after - before)) kB, still echoing"
	echo_end_session
	stop_reflector || fail "$mode: reflector exit status"
done
