#!/usr/bin/env bash
# Seed 002 §5.1: 50 concurrent connections that fail mTLS (no client
# certificate), then a valid session: no crash, no hang, and the valid peer
# is served. The denials are coalesced in the audit log.
source "${PP_SOURCE_DIR:?}/tests/harness/lib.sh" || exit 1
mkdir -p "$T"
ALICE=$(make_client alice) || fail "make_client"
start_reflector "[access]
authorized_peers = [\"$ALICE\"]"
clients=()
for _ in $(seq 1 50); do
	(echo | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -alpn pp-link/1 -brief >/dev/null 2>&1) &
	clients+=($!)
done
wait "${clients[@]}" # not the reflector
kill -0 "$RPID" || fail "reflector died under 50 garbage connections"
"$PARAMEDIC_BIN" --data-dir "$T/clients/alice/pm" hello "127.0.0.1:$PORT" >"$T/hello.out" 2>&1 ||
	fail "valid peer not served after the flood: $(cat "$T/hello.out")"
grep -q "$RID" "$T/hello.out" || fail "hello did not show the reflector's ID"
pass "valid session after 50 garbage connections"
stop_reflector || fail "exit status after the flood"
denied=$(audit_count connection_denied)
lines=$(jq -s '[.[] | select(.event_type == "connection_denied")] | length' "$AUDIT")
[ "$denied" -eq 50 ] || fail "expected 50 denied connections in the audit log, counted $denied"
[ "$lines" -lt 50 ] || fail "50 denials took $lines audit lines: not coalesced"
pass "50 denials recorded in $lines coalesced audit lines"
