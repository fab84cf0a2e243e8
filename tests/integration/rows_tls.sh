#!/usr/bin/env bash
# Seed 002 checklist rows 6-10: TLS and connectivity, checked with the tool
# an operator would use, openssl s_client.
source "${PP_SOURCE_DIR:?}/tests/harness/lib.sh" || exit 1

mkdir -p "$T"
ALICE=$(make_client alice) || fail "make_client"
start_reflector "[access]
pairing_enabled = false
authorized_peers = [\"$ALICE\"]"
C="$T/clients/alice"
sclient() { timeout 10 openssl s_client -connect "127.0.0.1:$PORT" "$@" </dev/null 2>&1; }
# TLS 1.3 clients finish before the server judges their certificate: stay
# connected a moment to read the server's alert.
sclient_wait() { (sleep 1) | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" "$@" 2>&1; }
# The log says why each handshake failed (the audit log coalesces repeats):
# denied ALERT N holds once N failures name ALERT.
denied() { [ "$(grep -c "TLS handshake failed: .*$1" "$T/server.log")" -ge "$2" ]; }

# Row 6: a valid mTLS peer is accepted.
out=$(sclient -tls1_3 -alpn pp-link/1 -cert "$C/cert.pem" -key "$C/key.pem")
grep -q "Protocol  *: TLSv1.3" <<<"$out" || grep -q "TLSv1.3" <<<"$out" || fail "row 6: no TLS 1.3 handshake: $out"
accepted() { [ "$(audit_count connection_accepted ".peer_id == \"$ALICE\"")" -ge 1 ]; }
eventually 10 accepted || fail "row 6: no connection_accepted for $ALICE"
pass "row 6: mTLS with a valid peer accepted"

# Row 7: no client certificate -> the handshake fails with an alert.
out=$(sclient_wait -tls1_3 -alpn pp-link/1)
grep -qi "certificate required" <<<"$out" || fail "row 7: no 'certificate required' alert: $out"
eventually 10 denied "certificate required" 1 || fail "row 7: not audited with the alert"
pass "row 7: connection without a client certificate fails"

# Row 8: TLS 1.2 is refused.
out=$(sclient -tls1_2 -alpn pp-link/1 -cert "$C/cert.pem" -key "$C/key.pem")
grep -q "Protocol  *: TLSv1.2" <<<"$out" && grep -q "Cipher is [A-Z]" <<<"$out" && fail "row 8: TLS 1.2 negotiated"
grep -qi "alert protocol version" <<<"$out" || fail "row 8: TLS 1.2 not refused with a version alert: $out"
eventually 10 denied "protocol version" 1 || fail "row 8: not audited with the alert"
pass "row 8: TLS 1.2 refused"

# Row 9: wrong ALPN, and no ALPN at all, fail the handshake.
out=$(sclient -tls1_3 -alpn h2 -cert "$C/cert.pem" -key "$C/key.pem")
grep -qi "no application protocol" <<<"$out" || fail "row 9: wrong ALPN not refused: $out"
out=$(sclient -tls1_3 -cert "$C/cert.pem" -key "$C/key.pem")
grep -qi "no application protocol" <<<"$out" || fail "row 9: missing ALPN not refused: $out"
eventually 10 denied "no application protocol" 2 || fail "row 9: not audited with the alert"
pass "row 9: ALPN mismatch fails"

# Row 10: the server certificate's SAN holds pp-id-<EndpointID>.
sclient -tls1_3 -alpn pp-link/1 -cert "$C/cert.pem" -key "$C/key.pem" -showcerts |
	openssl x509 -noout -ext subjectAltName >"$T/san.txt" 2>&1
grep -q "DNS:pp-id-$RID" "$T/san.txt" || fail "row 10: SAN is $(cat "$T/san.txt"), expected pp-id-$RID"
pass "row 10: server certificate SAN contains pp-id-$RID"

# A non-Ed25519 client certificate is refused.
openssl req -new -x509 -newkey rsa:2048 -nodes -keyout "$T/rsa.key" -out "$T/rsa.pem" -days 1 -subj /CN=rsa 2>/dev/null
out=$(sclient_wait -tls1_3 -alpn pp-link/1 -cert "$T/rsa.pem" -key "$T/rsa.key")
grep -qi "alert bad certificate" <<<"$out" || fail "RSA client certificate: no alert: $out"
eventually 10 denied "bad certificate" 1 || fail "RSA cert not refused"
pass "non-Ed25519 client certificate refused"

stop_reflector || fail "reflector exit status $?"
# Every failed handshake is in the audit log once the coalesced counts are flushed.
[ "$(audit_count connection_denied '.reason == "tls_handshake_failed"')" -eq 5 ] ||
	fail "expected 5 failed handshakes in the audit log, got $(audit_count connection_denied '.reason == "tls_handshake_failed"')"
pass "clean shutdown; 5 failed handshakes audited"
