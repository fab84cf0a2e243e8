/* capture/findings: the bounded finding table and the catalogue. */
#include "paramedic/capture/findings.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct finding_info finding_catalogue[] = {
	{"capture.truncated", "capture file is truncated",
	 "the capture was cut while being written (disk full, tcpdump killed, copy interrupted)",
	 "results cover the frames before the cut; capture again and stop tcpdump cleanly"},
	{"capture.malformed", "malformed packets",
	 "packets whose headers contradict their length (corruption, or a capture bug)",
	 "look at the listed frames in Wireshark"},
	{"capture.flows_evicted", "flow table full: oldest flows evicted",
	 "more concurrent flows than --max-flows; evicted flows were analysed up to eviction",
	 "raise --max-flows or filter the capture"},
	{"checksum.unverifiable", "checksums not verifiable (snaplen)",
	 "the capture kept only the start of these packets, so their checksums cannot be checked",
	 "capture with -s 0 to verify checksums; these packets were not flagged"},
	{"checksum.tx_offload", "checksums left for offload (TX offload artefact, not corruption)",
	 "the sender's stack left the checksum for the NIC to fill after the capture point "
	 "(harmless on real NICs); seen on received packets, they crossed a veth/virtual link "
	 "that trusts offload, where a userspace datapath (OVS, containers) may drop them",
	 "usually nothing; if TCP fails between containers/VMs, try `ethtool -K IFACE tx off` on "
	 "the veth/tap"},
	{"checksum.corruption", "bad checksums on received packets (corruption)",
	 "packets were damaged on the way (NIC, cable, middlebox) or a device rewrote them "
	 "without fixing the checksum; the receiver drops them",
	 "capture at the previous hop to find where they change; check NIC/switch error counters"},
	{"tcp.syn_unanswered", "TCP SYN never answered",
	 "the server is down, or a firewall drops the SYN (or the SYN-ACK) silently",
	 "check the service is listening and that firewalls on the path allow the port"},
	{"tcp.synack_lost", "SYN-ACK sent but the handshake did not complete",
	 "the SYN-ACK (or the final ACK) is lost on the way back: asymmetric routing, a stateful "
	 "firewall that saw only one direction, or a return-path filter",
	 "capture on the client side too; check return routing and firewall state"},
	{"tcp.refused", "connection refused (RST to SYN)",
	 "nothing listens on the port, or a firewall rejects with a reset",
	 "check the service and the firewall's reject rules"},
	{"tcp.reset", "connection reset",
	 "an application aborted, or a middlebox reset the connection",
	 "see which side sent the RST and the events before it"},
	{"tcp.retransmissions", "TCP retransmissions",
	 "packet loss on the path (congestion, a bad link, a policer) or an unreachable peer",
	 "measure loss with `paramedic latency` and find the hop with a two-point capture"},
	{"tcp.zero_window", "receiver advertised a zero window",
	 "the receiving application is not reading fast enough (not a network fault)",
	 "look at the receiving application's load"},
	{"tcp.oversize_segment", "segments larger than the peer's MSS",
	 "segments above the MSS the peer announced: a broken MSS clamp, or TSO/GRO super-packets "
	 "(when captured on a host that offloads segmentation)",
	 "if captured on an end host, disable TSO/GRO for the capture (`ethtool -K IFACE tso off "
	 "gro off`); otherwise check MSS clamping on the path"},
	{"tcp.idle_then_loss", "loss or reset after a long idle period",
	 "a firewall/NAT dropped the idle connection from its state table (seed 003)",
	 "enable TCP keepalives shorter than the idle timeout, or raise the middlebox timeout; "
	 "measure it with `paramedic idle-timeout`"},
	{"tls.no_server_hello", "TLS ClientHello without a ServerHello",
	 "the server's reply (large, with certificates) is lost: typically an MTU/PMTU black "
	 "hole (seed 001), or a TLS-inspecting middlebox",
	 "run `paramedic pmtu HOST` and `ping -M do -s 1472 HOST`; lower the MTU or fix ICMP"},
	{"icmp.frag_needed", "ICMP fragmentation needed / packet too big",
	 "a hop's MTU is below the packet size; PMTU discovery is working as designed",
	 "nothing if the sender then sends smaller packets; else check the MTU of the path"},
	{"pmtu.black_hole", "path MTU black hole",
	 "large packets with DF set vanish and no ICMP fragmentation-needed comes back, while "
	 "small ones pass: a hop with a smaller MTU whose ICMP is filtered (seed 001)",
	 "allow ICMP type 3 code 4 / ICMPv6 type 2 through firewalls, or clamp the MSS / lower "
	 "the MTU to the largest size that got through"},
	{"l2.forwarded_same_macs", "frame forwarded with its original MAC addresses",
	 "a forwarder (userspace rewriter, scapy sendp, a broken bridge) re-sent the frame at "
	 "layer 2 without rewriting the MACs for the next hop; the next hop drops it (seed 000)",
	 "forward at layer 3 (let the kernel route and ARP), or rewrite src/dst MAC per hop"},
	{"l2.dst_is_src", "frame addressed to its own sender's MAC",
	 "a frame whose destination MAC is its own source MAC: wrong next-hop MAC",
	 "check the forwarder's next-hop resolution (ARP/neighbour table)"},
	{"l2.inconsistent_macs", "one IP flow seen with different MAC addresses",
	 "the same IP source/destination arrived with different MACs: an ARP/neighbour change, "
	 "ECMP/failover, a duplicate IP address, or a capture on several interfaces",
	 "compare the MACs with the neighbour tables; look for a duplicate IP"},
	{"proto.tcp_blocked", "ICMP and UDP answered while TCP is not",
	 "the peer is reachable but TCP fails: a TCP-only filter, or checksum offload breaking "
	 "TCP on a veth/userspace datapath (seed 004)",
	 "check firewall rules for TCP; on veth/OVS try `ethtool -K IFACE tx off rx off`"},
	{NULL, NULL, NULL, NULL},
};

const struct finding_info *finding_info(const char *code)
{
	for (const struct finding_info *i = finding_catalogue; i->code != NULL; i++)
		if (strcmp(i->code, code) == 0)
			return i;
	return NULL;
}

void findings_add(struct findings *f, const char *code, enum severity sev, const char *subject,
                  uint64_t frame, const char *detail_fmt, ...)
{
	struct finding *it = NULL;
	for (size_t i = 0; i < f->n; i++) {
		if (strcmp(f->items[i].code, code) == 0 && strcmp(f->items[i].subject, subject) == 0) {
			it = &f->items[i];
			break;
		}
	}
	if (it == NULL) {
		if (f->n == FINDINGS_MAX) {
			f->dropped++;
			return;
		}
		it = &f->items[f->n++];
		memset(it, 0, sizeof(*it));
		it->code = code;
		it->severity = sev;
		snprintf(it->subject, sizeof(it->subject), "%s", subject);
		va_list ap;
		va_start(ap, detail_fmt);
		vsnprintf(it->detail, sizeof(it->detail), detail_fmt, ap);
		va_end(ap);
	}
	it->count++;
	if (sev > it->severity)
		it->severity = sev;
	if (frame != 0 && it->nframes < FINDING_MAX_FRAMES)
		it->frames[it->nframes++] = frame;
}

static int cmp_finding(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;
	if (x->severity != y->severity)
		return x->severity > y->severity ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->code, y->code);
}

void findings_sort(struct findings *f)
{
	qsort(f->items, f->n, sizeof(f->items[0]), cmp_finding);
}

enum severity findings_worst(const struct findings *f)
{
	enum severity w = SEV_INFO;
	for (size_t i = 0; i < f->n; i++)
		if (f->items[i].severity > w)
			w = f->items[i].severity;
	return w;
}

const char *severity_name(enum severity s)
{
	switch (s) {
	case SEV_INFO: return "info";
	case SEV_WARNING: return "warning";
	case SEV_CRITICAL: return "critical";
	}
	return "?";
}
