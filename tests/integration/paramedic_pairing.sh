#!/usr/bin/env bash
# paramedic id / pair / hello against a real reflector: enrolment, the
# pinned reflector ID, refusal of a changed key, and bad command lines.
source "${PP_SOURCE_DIR:?}/tests/harness/lib.sh" || exit 1
PM="$T/pm"
pm() { "$PARAMEDIC_BIN" --data-dir "$PM" "$@"; }

start_reflector ""
MYID=$(pm id) || fail "paramedic id"
[ "$(pm id)" = "$MYID" ] || fail "paramedic id is not stable"
[ "$(stat -c %a "$PM/identity.ed25519")" = 600 ] || fail "paramedic key mode"
pass "paramedic id: $MYID"

# Not yet authorized, no pairing window: a clear refusal.
out=$(pm hello "127.0.0.1:$PORT" 2>&1) && fail "hello succeeded before pairing"
grep -q "not authorized" <<<"$out" || fail "hello before pairing: $out"
pass "hello before pairing says how to pair"

TOKEN=$("$REFLECTOR_BIN" -c "$T/reflector.toml" --json pair --ttl 10m | jq -r .token)
# A wrong --expect-id is refused before the token is spent.
WRONG=$("$PARAMEDIC_BIN" --data-dir "$T/other" id)
out=$(pm pair "127.0.0.1:$PORT" --token "$TOKEN" --expect-id "$WRONG" 2>&1) && fail "pair with a wrong --expect-id succeeded"
grep -q "not the expected" <<<"$out" || fail "wrong expect-id message: $out"
# The real one, typed in lower case: fine.
out=$(pm pair "127.0.0.1:$PORT" --token "$TOKEN" --expect-id "${RID,,}" 2>&1) || fail "pair: $out"
grep -q "$RID" <<<"$out" || fail "pair output lacks the reflector ID: $out"
[ "$(jq -r '.reflectors[0].endpoint_id' "$PM/reflectors.json")" = "$RID" ] || fail "ID not pinned"
pass "pair with --expect-id pins $RID"

out=$(pm --json hello "127.0.0.1:$PORT") || fail "hello after pairing: $out"
[ "$(jq -r .endpoint_id <<<"$out")" = "$RID" ] || fail "hello --json endpoint_id"
[ "$(jq -r .pinned <<<"$out")" = true ] || fail "hello --json pinned"
[ "$(jq -r .policy_summary.max_test_duration_sec <<<"$out")" = 60 ] || fail "hello policy: $out"
# A fresh peer has the whole daily byte budget left.
[ "$(jq -r .policy_summary.bytes_left_today <<<"$out")" = 10000000000 ] || fail "hello bytes_left_today: $out"
human=$(pm hello "127.0.0.1:$PORT")
grep -q "(pinned)" <<<"$human" || fail "human hello"
grep -q "bytes left    : 10000000000 today" <<<"$human" || fail "human hello: bytes left: $human"
pass "hello shows the policy and the bytes left today"

# The reflector's key changes: the pinned ID no longer matches.
stop_reflector
"$REFLECTOR_BIN" -c "$T/reflector.toml" rotate-identity >/dev/null 2>&1 || fail "rotate-identity"
start_reflector ""
NEWID=$RID
out=$(pm hello "127.0.0.1:$PORT" 2>&1) && fail "hello accepted a changed reflector key"
grep -q "its key changed" <<<"$out" || fail "changed key message: $out"
grep -q -- "--expect-id $NEWID" <<<"$out" || fail "message does not say how to accept the new key: $out"
pass "a changed reflector key is refused with a clear message"
TOKEN=$("$REFLECTOR_BIN" -c "$T/reflector.toml" --json pair --ttl 10m | jq -r .token)
pm pair "127.0.0.1:$PORT" --token "$TOKEN" --expect-id "$NEWID" >/dev/null 2>&1 || fail "re-pair with the new ID"
pm hello "127.0.0.1:$PORT" >/dev/null || fail "hello after re-pairing"
pass "re-pairing with --expect-id accepts the new key"

# Bad command lines: exit 2 and a clear message.
expect_usage() { # description, expected text, args...
	local what=$1 text=$2; shift 2
	out=$(pm "$@" 2>&1); rc=$?
	[ $rc -eq 2 ] || fail "$what: exit status $rc: $out"
	grep -qi -- "$text" <<<"$out" || fail "$what: message '$out'"
}
expect_usage "pair without token" "usage" pair "127.0.0.1:$PORT"
expect_usage "bad port" "port" hello "127.0.0.1:99999"
# Change the check character to another one (a typo the Luhn check catches).
last=${NEWID: -1}; typo=0; [ "$last" = 0 ] && typo=1
expect_usage "mistyped expect-id" "check character" pair "127.0.0.1:$PORT" --token x --expect-id "${NEWID%?}$typo"
expect_usage "unknown command" "unknown command" frobnicate
expect_usage "empty token" "token is empty" pair "127.0.0.1:$PORT" --token ""
expect_usage "option taken for a host" "unknown option" hello -x
pass "bad command lines are refused with exit status 2"
out=$(pm hello "127.0.0.1:1" 2>&1) && fail "hello to a closed port succeeded"
grep -q "127.0.0.1" <<<"$out" || fail "connection error does not name the address: $out"
pass "an unreachable reflector is named in the error"
stop_reflector
