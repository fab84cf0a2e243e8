#!/usr/bin/env bash
# paramedic latency against a real reflector, in both data-plane modes:
# the grant, probes echoed and stamped (loss split known, one-way
# variation present, kernel timestamps), session closed, the result in the
# history; a denied session; bad command lines.
source "${PP_SOURCE_DIR:?}/tests/harness/lib.sh" || exit 1
PM="$T/pm"
pm() { "$PARAMEDIC_BIN" --data-dir "$PM" "$@"; }
MYID=$(pm id) || fail "paramedic id"
POLICY="[access]
authorized_peers = [\"$MYID\"]

[quotas]
cooldown_sec = 0
max_tests_per_hour_per_peer = 1000"

check_run() { # mode, json
	local mode=$1 out=$2
	[ "$(jq -r .mode <<<"$out")" = "$mode" ] || fail "$mode: mode: $out"
	[ "$(jq -r .reflector_id <<<"$out")" = "$RID" ] || fail "$mode: reflector_id"
	[ "$(jq .packets.sent <<<"$out")" = 200 ] || fail "$mode: sent: $out"
	local recv lost up down
	recv=$(jq .packets.received <<<"$out")
	lost=$(jq .packets.lost <<<"$out")
	[ "$recv" -gt 0 ] || fail "$mode: nothing came back: $out"
	[ $((recv + lost)) = 200 ] || fail "$mode: received + lost != sent"
	# The reflector counted: the split is known and adds up.
	up=$(jq .packets.lost_upstream <<<"$out")
	down=$(jq .packets.lost_downstream <<<"$out")
	[ "$up" != null ] || fail "$mode: no loss split: $out"
	[ $((up + down)) = "$lost" ] || fail "$mode: loss split: $out"
	[ "$(jq .packets.foreign <<<"$out")" = 0 ] || fail "$mode: foreign datagrams"
	[ "$(jq .packets.duplicates <<<"$out")" = 0 ] || fail "$mode: duplicates on loopback"
	jq -e '.rtt_ns.min > 0 and .rtt_ns.min <= .rtt_ns.median and .rtt_ns.median <= .rtt_ns.p99
	       and .rtt_ns.p99 <= .rtt_ns.max' <<<"$out" >/dev/null || fail "$mode: rtt order: $out"
	jq -e '.one_way_variation_ns.upstream.min == 0 and .one_way_variation_ns.downstream.max >= 0
	       and .reflector_dwell_mean_ns >= 0' <<<"$out" >/dev/null || fail "$mode: reflector stamps: $out"
	jq -e '.kernel_timestamps == true and (.summary | test("rtt median"))' <<<"$out" >/dev/null ||
		fail "$mode: timestamps/summary: $out"
}

# Data ports of our own: other tests' reflectors run at the same time.
DPORT=$((40000 + RANDOM % 20000))
while [ -n "$(ss -Hlun "( sport >= :$DPORT and sport <= :$((DPORT + 3)) )")" ]; do
	DPORT=$((40000 + RANDOM % 20000))
done
net_lines() { printf 'mode = "%s"\ndata_port_range_start = %d\ndata_port_range_end = %d' "$1" "$DPORT" $((DPORT + 3)); }

for mode in direct_ephemeral tunneled; do
	NETWORK_LINES=$(net_lines "$mode") start_reflector "$POLICY"
	out=$(pm --json latency "127.0.0.1:$PORT" --interval 5ms --duration 1 --size 100 --dscp 46 \
		--timeout 500ms) || fail "$mode: latency: $out"
	check_run "$mode" "$out"
	[ "$(jq .params.size_bytes <<<"$out")" = 100 ] || fail "$mode: size"
	[ "$(jq .params.dscp <<<"$out")" = 46 ] || fail "$mode: dscp"
	# session_close reached the reflector: no session is left open.
	[ "$(audit_count session_granted)" -ge 1 ] || fail "$mode: no session_granted audit line"
	# Human output: the table and the plain-language line.
	human=$(pm latency "127.0.0.1:$PORT" --interval 10ms --duration 1 --timeout 200ms) || fail "$mode: human: $human"
	grep -q "rtt ms" <<<"$human" || fail "$mode: human table: $human"
	grep -qE "^(no loss|loss )" <<<"$human" || fail "$mode: human verdict: $human"
	pass "latency in $mode mode"
	stop_reflector || fail "reflector exit status"
done

# Every run is in the history, newest first.
h=$(pm --json history --kind latency) || fail "history"
[ "$(jq '.results | length' <<<"$h")" = 4 ] || fail "history rows: $h"
[ "$(jq -r '.results[0].result.mode' <<<"$h")" = tunneled ] || fail "history order: $h"
[ "$(jq -r '.results[3].result.mode' <<<"$h")" = direct_ephemeral ] || fail "history order"
[ "$(jq '[.results[] | select(.reflector_id != null and .summary != null)] | length' <<<"$h")" = 4 ] ||
	fail "history fields: $h"
[ "$(pm --json history --kind throughput | jq '.results | length')" = 0 ] || fail "history --kind"
[ "$(pm --json history --target 127.0.0.1 --limit 1 | jq '.results | length')" = 1 ] || fail "history --target"
pm history --since 1h | grep -q latency || fail "human history"
pass "the results are in the history"

# A denied session: the reason, exit 1, nothing stored.
NETWORK_LINES=$(net_lines direct_ephemeral) start_reflector "$POLICY
allow_udp_echo = false"
out=$(pm latency "127.0.0.1:$PORT" --duration 1 2>&1) && fail "latency ran though udp_echo is off"
grep -q "refused the test: invalid_params" <<<"$out" || fail "deny message: $out"
[ "$(pm --json history | jq '.results | length')" = 4 ] || fail "a denied test was stored"
pass "a denied session says why"

# Bad command lines: exit 2, a message naming the option.
expect_usage() { # expected text, args...
	local text=$1; shift
	out=$(pm latency "$@" 2>&1); rc=$?
	[ $rc -eq 2 ] || fail "latency $*: exit status $rc: $out"
	grep -q -- "$text" <<<"$out" || fail "latency $*: message '$out'"
}
expect_usage "--dscp" "127.0.0.1:$PORT" --dscp 64
expect_usage "--interval" "127.0.0.1:$PORT" --interval 5
expect_usage "--interval" "127.0.0.1:$PORT" --interval 1us
expect_usage "--size" "127.0.0.1:$PORT" --size 47
expect_usage "--timeout" "127.0.0.1:$PORT" --timeout 10s
expect_usage "which reflector" --duration 1
expect_usage "more than" "127.0.0.1:$PORT" --interval 10us --duration 3600
pass "bad command lines"
