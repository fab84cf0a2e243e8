#!/usr/bin/env bash
# capture analyze on captures of real kernel traffic, made here in network
# namespaces this script creates (client - router - server over veth) and
# removes. Where tshark counts the same thing, the counts must agree.
#   1. retransmissions: nftables drops 3% of forwarded packets at random;
#      retransmissions and duplicate ACKs are compared with tshark's.
#   2. TX checksum offload left on: partial checksums on the sender's side
#      are "tx_offload", never "corruption"; bad count compared with tshark.
#   3. PMTU black hole (seed 001): the router's link to the client has MTU
#      1280 and nftables drops its ICMP frag-needed; a TLS handshake whose
#      server flight is large. Server side: pmtu.black_hole; client side:
#      tls.no_server_hello with the SNI.
#   4. TCP filtered, ICMP answered (seed 004): proto.tcp_blocked.
#   5. IPv6 and a Linux cooked (-i any) capture decode, with directions.
# Only addresses inside the namespaces: 10.200.1.0/24, 10.200.2.0/24,
# fd00:200:1::/64, fd00:200:2::/64.
set -u
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root for network namespaces"; exit 77; }
for t in ip nft tcpdump tshark openssl nc jq ethtool; do
	command -v $t >/dev/null || { echo "skip: $t missing"; exit 77; }
done
P=${PARAMEDIC_BIN:?}
source "${PP_SOURCE_DIR:?}/tests/harness/wait.sh"
tag=pc$$
C=${tag}c R=${tag}r S=${tag}s
dir=$(mktemp -d /tmp/pp-capture-netns.XXXXXX)
pids=()    # servers
caps=()    # tcpdumps
cleanup() {
	for p in "${caps[@]}" "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for n in $C $R $S; do ip netns del $n 2>/dev/null; done
	[ -n "${PP_KEEP:-}" ] && echo "kept $dir" || rm -rf "$dir"
}
trap cleanup EXIT
fails=0
check() { # description, condition...
	local what=$1; shift
	if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fails=$((fails + 1)); fi
}

for n in $C $R $S; do ip netns add $n; ip -n $n link set lo up; done
ip link add ${tag}c0 netns $C type veth peer name ${tag}r0 netns $R
ip link add ${tag}r1 netns $R type veth peer name ${tag}s0 netns $S
ip -n $C addr add 10.200.1.2/24 dev ${tag}c0
ip -n $R addr add 10.200.1.1/24 dev ${tag}r0
ip -n $R addr add 10.200.2.1/24 dev ${tag}r1
ip -n $S addr add 10.200.2.2/24 dev ${tag}s0
ip -n $C addr add fd00:200:1::2/64 dev ${tag}c0 nodad
ip -n $R addr add fd00:200:1::1/64 dev ${tag}r0 nodad
ip -n $R addr add fd00:200:2::1/64 dev ${tag}r1 nodad
ip -n $S addr add fd00:200:2::2/64 dev ${tag}s0 nodad
for l in "$C ${tag}c0" "$R ${tag}r0" "$R ${tag}r1" "$S ${tag}s0"; do
	set -- $l; ip -n $1 link set $2 up
done
ip -n $C route add default via 10.200.1.1
ip -n $S route add default via 10.200.2.1
ip -n $C -6 route add default via fd00:200:1::1
ip -n $S -6 route add default via fd00:200:2::1
ip netns exec $R sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
ip netns exec $S sysctl -qw net.ipv4.tcp_mtu_probing=0

# capture NAME NS IFACE [tcpdump args...]: starts tcpdump, waits until it listens
capture() {
	local name=$1 ns=$2 ifc=$3; shift 3
	ip netns exec $ns tcpdump -i $ifc --immediate-mode -U -w "$dir/$name.pcap" "$@" 2>"$dir/$name.log" &
	caps+=($!)
	for _ in $(seq 50); do grep -q "listening" "$dir/$name.log" 2>/dev/null && return; sleep 0.1; done
}
stop_captures() {
	sleep 0.5
	for p in "${caps[@]}"; do kill -INT "$p" 2>/dev/null; done
	for p in "${caps[@]}"; do wait "$p" 2>/dev/null; done
	caps=()
}
analyze() { # name -> $dir/name.json, returns paramedic's status
	"$P" capture analyze --json "$dir/$1.pcap" >"$dir/$1.json" 2>"$dir/$1.err"
}
finding() { # json, code [subject substring] -> prints the finding count or 0
	jq --arg c "$2" --arg s "${3:-}" \
	   '[.findings[] | select(.code == $c and (.subject | contains($s)))] | length' "$dir/$1.json"
}
tshark_count() { # pcap, filter [extra tshark args]
	local f=$1 filter=$2; shift 2
	tshark -n -r "$dir/$f.pcap" "$@" -Y "$filter" 2>/dev/null | wc -l
}

# --- 1 + 2: random drops, offload on ---------------------------------------
ip netns exec $R nft -f - <<NFT
table inet $tag {
	chain fw { type filter hook forward priority 0; meta l4proto tcp numgen random mod 100 < 3 drop; }
}
NFT
# MSS-sized segments (no TSO/GSO super-packets): a few thousand packets, so
# 3 % random drops always hit some; checksum offload stays on.
ip netns exec $C ethtool -K ${tag}c0 tso off gso off >/dev/null
ip netns exec $S nc -l -p 5001 >/dev/null &
pids+=($!)
check "nc listens on 5001" wait_listening 5001 $S
capture drops $C ${tag}c0 tcp
head -c 3000000 /dev/zero | ip netns exec $C timeout 20 nc -q 1 10.200.2.2 5001
stop_captures
ip netns exec $R nft delete table inet $tag
ip netns exec $C ethtool -K ${tag}c0 tso on gso on >/dev/null
analyze drops; rc=$?
check "drops: analysed (exit $rc)" test $rc -le 1
ours=$(jq '[.flows[] | select(.proto == "tcp") | .retransmissions] | add' "$dir/drops.json")
theirs=$(tshark_count drops 'tcp.analysis.retransmission || tcp.analysis.fast_retransmission || tcp.analysis.spurious_retransmission || tcp.analysis.out_of_order')
check "drops: retransmissions seen ($ours)" test "$ours" -gt 0
check "drops: retransmissions = tshark's ($ours vs $theirs)" test "$ours" -eq "$theirs"
ours=$(jq '[.flows[] | select(.proto == "tcp") | .duplicate_acks] | add' "$dir/drops.json")
theirs=$(tshark_count drops 'tcp.analysis.duplicate_ack')
check "drops: duplicate ACKs = tshark's ($ours vs $theirs)" test "$ours" -eq "$theirs"
check "drops: tcp.retransmissions finding" test "$(finding drops tcp.retransmissions)" -ge 1
ours=$(jq '.checksums.bad + .checksums.partial' "$dir/drops.json")
theirs=$(tshark_count drops 'tcp.checksum.status == 0' -o tcp.check_checksum:TRUE)
check "offload: bad TCP checksums = tshark's ($ours vs $theirs)" test "$ours" -eq "$theirs"
check "offload: reported as tx_offload of 10.200.1.2" test "$(finding drops checksum.tx_offload 10.200.1.2)" -eq 1
check "offload: never as corruption" test "$(finding drops checksum.corruption)" -eq 0

# --- 3: PMTU black hole under a TLS handshake -------------------------------
openssl req -x509 -newkey rsa:4096 -nodes -subj "/CN=black.hole.test" -days 1 \
	-keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
ip -n $R link set ${tag}r0 mtu 1280   # not below: IPv6 would leave the link
ip netns exec $R nft -f - <<NFT
table inet $tag {
	chain outp { type filter hook output priority 0; icmp type destination-unreachable icmp code frag-needed drop; }
}
NFT
ip netns exec $S openssl s_server -quiet -accept 4433 -cert "$dir/cert.pem" -key "$dir/key.pem" \
	>/dev/null 2>&1 &
pids+=($!)
check "s_server listens on 4433" wait_listening 4433 $S
capture bh_client $C ${tag}c0 tcp port 4433
capture bh_server $S ${tag}s0 'tcp port 4433 or icmp'
echo | ip netns exec $C timeout 4 openssl s_client -connect 10.200.2.2:4433 \
	-servername app.black.hole.test >/dev/null 2>&1
stop_captures
analyze bh_server; rc=$?
check "black hole: server side exit 1 ($rc)" test $rc -eq 1
check "black hole: pmtu.black_hole on the server's capture" test "$(finding bh_server pmtu.black_hole 10.200.2.2:4433)" -eq 1
analyze bh_client; rc=$?
check "black hole: client side exit 1 ($rc)" test $rc -eq 1
check "black hole: tls.no_server_hello on the client's capture" test "$(finding bh_client tls.no_server_hello 10.200.2.2:4433)" -eq 1
check "black hole: the SNI is named" grep -q "app.black.hole.test" "$dir/bh_client.json"
ip netns exec $R nft delete table inet $tag
ip -n $R link set ${tag}r0 mtu 1500

# --- 4: ICMP answered, TCP filtered (seed 004) ------------------------------
ip netns exec $R nft -f - <<NFT
table inet $tag {
	chain fw { type filter hook forward priority 0; tcp dport 8080 drop; }
}
NFT
capture blocked $C ${tag}c0 'not port 4433'
ip netns exec $C ping -c 2 -i 0.2 -q 10.200.2.2 >/dev/null
ip netns exec $C timeout 3 nc -w 2 10.200.2.2 8080 </dev/null
stop_captures
ip netns exec $R nft delete table inet $tag
analyze blocked; rc=$?
check "tcp blocked: exit 1 ($rc)" test $rc -eq 1
check "tcp blocked: proto.tcp_blocked" test "$(finding blocked proto.tcp_blocked '10.200.1.2 > 10.200.2.2')" -eq 1
check "tcp blocked: tcp.syn_unanswered" test "$(finding blocked tcp.syn_unanswered 10.200.2.2:8080)" -eq 1

# --- 5: IPv6, Linux cooked capture -----------------------------------------
ip netns exec $S nc -6 -l 5002 >/dev/null &
pids+=($!)
check "nc listens on 5002" wait_listening 5002 $S
capture any6 $C any
ip netns exec $C ping -6 -c 2 -i 0.2 -q fd00:200:2::2 >/dev/null
echo hello | ip netns exec $C timeout 5 nc -q 1 fd00:200:2::2 5002
stop_captures
analyze any6; rc=$?
check "ipv6 cooked: exit 0 ($rc)" test $rc -eq 0
check "ipv6 cooked: link type" grep -q '"link_type": "Linux cooked' "$dir/any6.json"
check "ipv6 cooked: handshake complete" test "$(jq '[.flows[] | select(.to == "[fd00:200:2::2]:5002" and .handshake == "complete")] | length' "$dir/any6.json")" -eq 1
check "ipv6 cooked: echo answered" test "$(jq '[.peers[] | .icmp_echo_replies | add] | add' "$dir/any6.json")" -eq 2

# --- bad input --------------------------------------------------------------
echo "not a capture" >"$dir/bad.pcap"
"$P" capture analyze "$dir/bad.pcap" >/dev/null 2>"$dir/bad.err"; rc=$?
check "not a capture: exit 2 ($rc)" test $rc -eq 2
check "not a capture: says so" grep -q "not a readable pcap/pcapng capture" "$dir/bad.err"
size=$(stat -c %s "$dir/drops.pcap")
head -c $((size - 7)) "$dir/drops.pcap" >"$dir/cut.pcap"
"$P" capture analyze "$dir/cut.pcap" >"$dir/cut.out" 2>"$dir/cut.err"; rc=$?
check "truncated: exit 1 ($rc)" test $rc -eq 1
check "truncated: reported" grep -q "capture file is truncated" "$dir/cut.out"
"$P" capture analyze >/dev/null 2>&1; rc=$?
check "usage: exit 2 ($rc)" test $rc -eq 2

if [ $fails -ne 0 ]; then
	echo "$fails check(s) failed; outputs:"
	for f in "$dir"/*.err; do echo "== $f"; cat "$f"; done
	for f in drops bh_server bh_client blocked any6; do
		echo "== $f"; "$P" capture analyze "$dir/$f.pcap" | head -40
	done
	exit 1
fi
echo "all checks passed"
