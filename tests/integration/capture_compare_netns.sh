#!/usr/bin/env bash
# capture compare on real kernel traffic: client ns -- router ns -- server
# ns over veth pairs; tcpdump on both router interfaces (A = client side,
# B = server side). The router masquerades the client (NAT), clamps the
# SYN's MSS to 1200, decrements TTL and rewrites MACs, and nftables drops a
# random subset of TCP segments each way, counted by named counters: the
# number "lost between A and B" must equal those counters exactly.
# Only addresses inside the namespaces made here (10.201.x.y). Needs root.
set -uo pipefail
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for network namespaces"; exit 77; }
for tool in ip nft tcpdump nc jq; do
	command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done
PARAMEDIC=${PARAMEDIC_BIN:?PARAMEDIC_BIN not set}
source "${PP_SOURCE_DIR:?}/tests/harness/wait.sh"

id=$$
C=ppcc-c-$id R=ppcc-r-$id S=ppcc-s-$id
tmp=$(mktemp -d /tmp/pp_capcmp.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for ns in $C $R $S; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM # so that a timeout still cleans up
fail() { echo "FAIL: $*"; echo "--- report:"; cat "$tmp/report.txt" 2>/dev/null | head -60; exit 1; }

ip netns add $C && ip netns add $R && ip netns add $S || { echo "SKIP: cannot create namespaces"; exit 77; }
ip link add c0-$id netns $C type veth peer name r0-$id netns $R
ip link add s0-$id netns $S type veth peer name r1-$id netns $R
ip -n $C addr add 10.201.1.2/24 dev c0-$id
ip -n $R addr add 10.201.1.1/24 dev r0-$id
ip -n $R addr add 10.201.2.1/24 dev r1-$id
ip -n $S addr add 10.201.2.2/24 dev s0-$id
# IPv6 alongside, routed without NAT (hop limit and MACs change, not addresses).
ip -n $C addr add fd00:201:1::2/64 dev c0-$id nodad
ip -n $R addr add fd00:201:1::1/64 dev r0-$id nodad
ip -n $R addr add fd00:201:2::1/64 dev r1-$id nodad
ip -n $S addr add fd00:201:2::2/64 dev s0-$id nodad
for pair in "$C c0-$id" "$R r0-$id" "$R r1-$id" "$S s0-$id" "$C lo" "$R lo" "$S lo"; do
	set -- $pair; ip -n "$1" link set "$2" up
done
ip -n $C route add default via 10.201.1.1
# One wire segment per captured packet (no GSO/GRO super-packets), so the
# drops hit single segments and retransmissions happen.
if command -v ethtool >/dev/null; then
	for pair in "$C c0-$id" "$R r0-$id" "$R r1-$id" "$S s0-$id"; do
		set -- $pair; ip netns exec "$1" ethtool -K "$2" tso off gso off gro off >/dev/null 2>&1
	done
fi
# The server has no route back to 10.201.1.0/24: only the NAT makes it work.
ip -n $C -6 route add default via fd00:201:1::1
ip -n $S -6 route add default via fd00:201:2::1
ip netns exec $R sysctl -qw net.ipv4.ip_forward=1
ip netns exec $R sysctl -qw net.ipv6.conf.all.forwarding=1

ip netns exec $R nft -f - <<NFT || fail "nftables rules"
table ip ppcc {
	counter lost_fwd { }
	counter lost_rev { }
	chain clamp {
		type filter hook forward priority mangle;
		tcp flags syn tcp option maxseg size set 1200
	}
	chain drops {
		type filter hook forward priority filter;
		iifname "r0-$id" tcp dport 5201 numgen random mod 25 == 0 counter name lost_fwd drop
		iifname "r1-$id" tcp sport 5201 numgen random mod 25 == 0 counter name lost_rev drop
	}
	chain nat {
		type nat hook postrouting priority srcnat;
		oifname "r1-$id" masquerade
	}
}
NFT

start_capture() { # name interface
	ip netns exec $R tcpdump -i "$2" -s 0 -B 8192 -U --immediate-mode -n -w "$tmp/$1.pcap" \
		"tcp port 5201 or tcp port 5202 or icmp or icmp6[icmp6type] == icmp6-echo or icmp6[icmp6type] == icmp6-echoreply" \
		2>"$tmp/$1.log" &
	pids+=($!)
	for _ in $(seq 100); do grep -q "listening on" "$tmp/$1.log" && return 0; sleep 0.1; done
	fail "tcpdump on $2 did not start: $(cat "$tmp/$1.log")"
}
start_capture a r0-$id
start_capture b r1-$id

# Traffic: pings first (never dropped: both captures provably run from the
# start, so a dropped first SYN is not "before B started"), a 400 kB upload
# and a 200 kB download, pings again.
ip netns exec $C ping -c 2 -i 0.2 -q 10.201.2.2 >/dev/null || fail "ping"
head -c 400000 /dev/urandom >"$tmp/up.bin"
head -c 200000 /dev/urandom >"$tmp/down.bin"
ip netns exec $S nc -l 10.201.2.2 5201 >"$tmp/got.bin" &
srv=$!; pids+=($srv)
wait_listening 5201 $S || fail "nc did not listen"
ip netns exec $C nc -N 10.201.2.2 5201 <"$tmp/up.bin" || fail "upload"
wait $srv
ip netns exec $S nc -N -l 10.201.2.2 5201 <"$tmp/down.bin" &
srv=$!; pids+=($srv)
wait_listening 5201 $S || fail "nc did not listen"
ip netns exec $C nc 10.201.2.2 5201 >"$tmp/down.got" </dev/null || fail "download"
wait $srv
cmp -s "$tmp/up.bin" "$tmp/got.bin" || fail "upload corrupted"
ip netns exec $C ping -c 5 -i 0.2 -q 10.201.2.2 >/dev/null || fail "ping"
# IPv6: a 100 kB upload on port 5202 (the drop rules are IPv4 only) and pings.
ip netns exec $S nc -6 -l fd00:201:2::2 5202 >/dev/null &
srv=$!; pids+=($srv)
wait_listening 5202 $S || fail "nc did not listen"
head -c 100000 /dev/urandom | ip netns exec $C nc -6 -N fd00:201:2::2 5202 || fail "IPv6 upload"
wait $srv
ip netns exec $C ping -6 -c 3 -i 0.2 -q fd00:201:2::2 >/dev/null || fail "ping -6"
ip netns exec $C ping -c 1 -q 10.201.2.2 >/dev/null || fail "ping"
# Immediate mode hands every packet to tcpdump at once (else a block of up
# to 1 s waits in the kernel and is lost at SIGINT under load); still, give
# it a moment to write the last ones.
sleep 1
for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null; done
wait 2>/dev/null
pids=()
grep -h "dropped by kernel" "$tmp"/a.log "$tmp"/b.log
if grep -h "dropped by kernel" "$tmp"/a.log "$tmp"/b.log | grep -qv "^0 "; then
	echo "SKIP: tcpdump dropped packets, the captures are incomplete"; exit 77
fi

counter() { ip netns exec $R nft -j list counter ip ppcc "$1" | jq '.nftables[] | select(.counter) | .counter.packets'; }
lost_fwd=$(counter lost_fwd)
lost_rev=$(counter lost_rev)
echo "nftables dropped: $lost_fwd client->server, $lost_rev server->client"

"$PARAMEDIC" capture compare "$tmp/a.pcap" "$tmp/b.pcap" >"$tmp/report.txt"
rc_text=$?
"$PARAMEDIC" capture compare --json "$tmp/a.pcap" "$tmp/b.pcap" >"$tmp/report.json"
rc=$?
head -40 "$tmp/report.txt"
[ $rc -eq $rc_text ] || fail "text and JSON runs disagree on the exit status ($rc_text vs $rc)"
j() { jq -r "$@" "$tmp/report.json"; }
# Per travel direction, packets only at the upstream side = lost between.
got_fwd=$(j '[.flows[] | .directions[] | select(.travel == "a_to_b") | .a.only] | add // 0')
got_rev=$(j '[.flows[] | .directions[] | select(.travel == "b_to_a") | .b.only] | add // 0')
added=$(j '[.flows[] | .directions[] | select(.travel == "a_to_b") | .b.only // 0] + [.flows[] | .directions[] | select(.travel == "b_to_a") | .a.only // 0] | add // 0')
unlinked=$(j '[.flows[] | select(.a == null or .b == null)] | length')
echo "compare: lost A->B $got_fwd, lost B->A $got_rev, added $added, unlinked flows $unlinked"
[ "$got_fwd" -eq "$lost_fwd" ] || fail "lost A->B: compare says $got_fwd, nftables dropped $lost_fwd"
[ "$got_rev" -eq "$lost_rev" ] || fail "lost B->A: compare says $got_rev, nftables dropped $lost_rev"
[ "$added" -eq 0 ] || fail "$added packets reported as added between the points"
[ "$unlinked" -eq 0 ] || fail "$unlinked flows were not matched across the NAT"
# Every TCP flow: client side at A, masqueraded to the router's address at B.
[ "$(j '[.flows[] | select(.a.proto == "tcp" and .a.ip_version == 4)] | length')" -eq 2 ] || fail "expected 2 IPv4 TCP flows"
[ "$(j '[.flows[] | select(.a.proto == "tcp" and .a.src == "10.201.1.2" and .b.src == "10.201.2.1")] | length')" -eq 2 ] \
	|| fail "NAT mapping not learned"
[ "$(j '[.flows[] | select(.a.proto == "icmp" and .b.src == "10.201.2.1")] | length')" -eq 3 ] || fail "ping not matched across the NAT"
# IPv6: one TCP flow and one ping flow, not translated, hop limit -1 each way.
[ "$(j '[.flows[] | select(.a.ip_version == 6 and .a.src == "fd00:201:1::2" and .b.src == "fd00:201:1::2")] | length')" -eq 2 ] \
	|| fail "IPv6 flows not matched"
[ "$(j '[.flows[] | select(.a.ip_version == 6) | .directions[] | select(.a.only + .b.only > 0 or .pairs.changes.nat != null)] | length')" -eq 0 ] \
	|| fail "IPv6 flows lost packets or were translated"
[ "$(j '[.flows[] | select(.a.ip_version == 6) | .directions[] | select(.pairs.ttl_drop.min == (if .travel == "a_to_b" then 1 else -1 end))] | length')" -eq 4 ] \
	|| fail "IPv6 hop limit decrement not seen each way"
# MSS clamp on the client's SYNs (the server's SYN-ACK goes the other way).
[ "$(j '[.flows[] | .directions[] | .pairs.changes.mss // empty | select(.b == 1200 and .a == 1460 and .expected == false)] | length')" -ge 2 ] \
	|| fail "MSS clamp 1460 -> 1200 not reported"
[ "$(j '[.flows[] | .directions[] | select(.travel == "a_to_b") | .pairs.ttl_drop // empty | select(.min == 1 and .max == 1)] | length')" -ge 2 ] \
	|| fail "TTL decrement A->B not reported"
[ "$(j '[.flows[] | .directions[] | select(.travel == "b_to_a") | .pairs.ttl_drop // empty | select(.min == -1 and .max == -1)] | length')" -ge 2 ] \
	|| fail "TTL decrement B->A not reported"
[ "$(j '[.flows[] | .directions[] | .pairs.changes.mac // empty] | length')" -ge 4 ] || fail "MAC rewrite not reported"
[ "$(j '.clock.offset_known')" = true ] || fail "clock offset not estimated"
# The findings name the losses first.
[ "$(j '.findings[0].kind')" = lost ] || [ $((lost_fwd + lost_rev)) -eq 0 ] || fail "first finding is not a loss"
# Exit status: 1 (losses, and the MSS clamp is not declared expected).
[ $rc -eq 1 ] || fail "exit status $rc, want 1"
grep -q "MSS clamping" "$tmp/report.txt" || fail "text report does not name the MSS clamp"

# A capture compared with itself agrees.
"$PARAMEDIC" capture compare "$tmp/a.pcap" "$tmp/a.pcap" >/dev/null || fail "A vs A does not agree"
echo "PASS"
