#!/usr/bin/env bash
# The optional plain-HTTP listener: GET /health and GET /metrics (SPEC §1
# "Health and metrics"), bad requests, and a port in use.
source "${PP_SOURCE_DIR:?}/tests/harness/lib.sh" || exit 1
mkdir -p "$T"
HP=$(free_port)
ALICE=$(make_client alice) || fail "make_client"
start_reflector "[access]
authorized_peers = [\"$ALICE\"]
[health]
listen_address = \"127.0.0.1:$HP\""

http() { # METHOD PATH -> whole response
	exec 3<>"/dev/tcp/127.0.0.1/$HP" || return 1
	printf '%s %s HTTP/1.0\r\nHost: x\r\n\r\n' "$1" "$2" >&3
	timeout 5 cat <&3
	exec 3<&-
}
body() { sed '1,/^\r$/d'; }

resp=$(http GET /health) || fail "no answer on the health port"
head -1 <<<"$resp" | grep -q "200" || fail "/health status: $(head -1 <<<"$resp")"
j=$(body <<<"$resp")
[ "$(jq -r .status <<<"$j")" = ok ] || fail "/health body: $j"
[ "$(jq -r .endpoint_id <<<"$j")" = "$RID" ] || fail "/health endpoint_id"
[ "$(jq -r .active_sessions <<<"$j")" = 0 ] || fail "/health active_sessions"
pass "/health answers JSON with the endpoint ID"

# Some traffic: one accepted peer (hello), one denied handshake.
"$PARAMEDIC_BIN" --data-dir "$T/clients/alice/pm" hello "127.0.0.1:$PORT" >/dev/null || fail "hello"
(echo | timeout 5 openssl s_client -connect "127.0.0.1:$PORT" -alpn pp-link/1 >/dev/null 2>&1)
metric() { awk -v n="$1" '$1 == n {print $2}' <<<"$m"; }
counted() { m=$(http GET /metrics | body); [ "$(metric reflector_handshake_failures_total)" -ge 1 ]; }
eventually 10 counted
[ "$(metric reflector_connections_accepted_total)" -ge 1 ] || fail "accepted counter: $m"
[ "$(metric reflector_handshake_failures_total)" -ge 1 ] || fail "handshake failure counter"
[ "$(metric reflector_uptime_seconds)" -ge 0 ] || fail "uptime gauge"
grep -q '^reflector_sessions_denied_total{reason="rate_limited"} 0$' <<<"$m" || fail "denied by reason"
grep -q '^# TYPE reflector_connections gauge$' <<<"$m" || fail "TYPE lines"
pass "/metrics in Prometheus text format counts connections and failures"

http GET /nope | head -1 | grep -q 404 || fail "unknown path not 404"
http POST /health | head -1 | grep -q 405 || fail "POST not 405"
(printf 'garbage\r\n\r\n' | timeout 5 bash -c "cat > /dev/tcp/127.0.0.1/$HP") 2>/dev/null
http GET /health | head -1 | grep -q 200 || fail "listener broken by garbage"
pass "unknown paths 404, other methods 405, garbage survives"
stop_reflector || fail "exit status"

# A health port in use is a clear start-up error: point it at the TLS port
# of a running reflector.
start_reflector ""
cat >"$T/b.toml" <<CFG
[identity]
private_key_path = "$T/b/identity.ed25519"
[network]
listen_address = "127.0.0.1:$(free_port)"
[health]
listen_address = "127.0.0.1:$PORT"
CFG
out=$("$REFLECTOR_BIN" -c "$T/b.toml" serve 2>&1) && fail "started with its health port in use"
grep -q "health listener on 127.0.0.1:$PORT" <<<"$out" || fail "health port in use not named: $out"
stop_reflector
pass "health port in use is named at start-up"
