#!/usr/bin/env bash
# Seed 002 §3.6 / row 26 from the shell: `echo ping | nc -u HOST PORT` gets
# "ping" back from a udp_echo session, in direct_ephemeral mode on the
# granted data port and in tunneled mode (the PPT1 prefix written with
# printf) on the control port's number.
source "$PP_SOURCE_DIR/tests/harness/lib.sh"
source "$PP_SOURCE_DIR/tests/harness/echo.sh"
command -v nc >/dev/null || { echo "nc missing"; exit 77; }

ALICE=$(make_client alice)
PORT=$(free_port)
DPORT=$(free_port)
QUOTAS=$(printf '[access]\nauthorized_peers = ["%s"]\n[quotas]\ncooldown_sec = 0\n' "$ALICE")

# direct_ephemeral: plain nc against the granted port.
NETWORK_LINES=$(printf 'mode = "direct_ephemeral"\ndata_port_range_start = %d\ndata_port_range_end = %d' "$DPORT" "$DPORT")
start_reflector "$QUOTAS"
echo_start_session alice 30
[ "$EMODE" = direct_ephemeral ] || fail "mode $EMODE"
[ "$EPORT" = "$DPORT" ] || fail "granted port $EPORT, expected $DPORT"
got=$(echo "ping" | nc -u -w1 127.0.0.1 "$EPORT")
[ "$got" = "ping" ] || fail "direct: nc got '$got'"
pass "direct: echo ping | nc -u 127.0.0.1 $EPORT -> ping"
echo_end_session
stop_reflector || fail "reflector exit status"

# tunneled: the same through the control port's number, behind the prefix.
NETWORK_LINES='mode = "tunneled"'
start_reflector "$QUOTAS"
echo_start_session alice 30
[ "$EMODE" = tunneled ] || fail "mode $EMODE"
[ "$EPORT" = "$PORT" ] || fail "tunneled port $EPORT, expected the control port $PORT"
# One file, so that nc reads (and sends) it as one datagram.
(echo_prefix; echo "ping") >"$T/dgram"
got=$(nc -u -w1 127.0.0.1 "$EPORT" <"$T/dgram" | tail -c +21)
[ "$got" = "ping" ] || fail "tunneled: nc got '$got'"
# Without the prefix nothing comes back.
got=$(echo "ping" | nc -u -w1 127.0.0.1 "$EPORT")
[ -z "$got" ] || fail "tunneled: a datagram without the prefix was answered: '$got'"
[ "$(echo_counter echo_dropped_source)" = 1 ] || fail "the unprefixed datagram was not counted"
pass "tunneled: PPT1+token+ping | nc -u 127.0.0.1 $EPORT -> ping"
echo_end_session
stop_reflector || fail "reflector exit status"
