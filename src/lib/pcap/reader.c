/* pcap/reader: see reader.h. libpcap reads both formats and checks the
 * record headers; we add nanosecond timestamps and the bookkeeping. */
#include "lib/pcap/reader.h"

#include "lib/pcap/decode.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_BUFFER_BYTES (1 << 20)

struct pcap_reader {
	pcap_t *pcap;
	char *iobuf;             /* a large stdio buffer: 4 KiB reads cost more than decoding */
	int linktype;
	uint64_t frames;
	bool truncated;
};

struct pcap_reader *pcap_reader_open(const char *path, char err[ERRBUF_LEN])
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	bool is_stdin = strcmp(path, "-") == 0;
	FILE *fp = is_stdin ? stdin : fopen(path, "rb");
	if (fp == NULL) {
		errbuf_errno(err, "%s: not a readable pcap/pcapng capture", path);
		return NULL;
	}
	char *iobuf = malloc(READ_BUFFER_BYTES);
	if (iobuf != NULL)
		setvbuf(fp, iobuf, _IOFBF, READ_BUFFER_BYTES);
	/* libpcap closes fp with pcap_close() */
	pcap_t *p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (p == NULL) {
		errbuf_set(err, "%s: not a readable pcap/pcapng capture: %s", path, perr);
		if (!is_stdin)
			fclose(fp);
		free(iobuf);
		return NULL;
	}
	int lt = pcap_datalink(p);
	if (!pkt_linktype_supported(lt)) {
		const char *name = pcap_datalink_val_to_name(lt);
		errbuf_set(err, "%s: link type %d (%s) is not supported (Ethernet, Linux cooked v1/v2, "
		           "raw IP and BSD loopback are)", path, lt, name != NULL ? name : "unknown");
		pcap_close(p);
		free(iobuf);
		return NULL;
	}
	struct pcap_reader *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		pcap_close(p);
		free(iobuf);
		errbuf_set(err, "%s: out of memory", path);
		return NULL;
	}
	r->pcap = p;
	r->iobuf = iobuf;
	r->linktype = lt;
	return r;
}

int pcap_reader_next(struct pcap_reader *r, struct pcap_record *rec, char err[ERRBUF_LEN])
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc = pcap_next_ex(r->pcap, &h, &data);
	if (rc == PCAP_ERROR_BREAK)
		return 0;
	if (rc != 1) {
		const char *msg = pcap_geterr(r->pcap);
		/* libpcap says "truncated dump file" / "truncated pcapng dump file". */
		r->truncated = strstr(msg, "truncated") != NULL;
		errbuf_set(err, "after frame %llu: %s", (unsigned long long)r->frames, msg);
		return -1;
	}
	r->frames++;
	rec->frame_no = r->frames;
	rec->ts_ns = (int64_t)h->ts.tv_sec * 1000000000 + (int64_t)h->ts.tv_usec;
	rec->caplen = h->caplen;
	/* Some writers put len < caplen; the bytes we have were on the wire. */
	rec->wirelen = h->len < h->caplen ? h->caplen : h->len;
	rec->data = data;
	return 1;
}

int pcap_reader_linktype(const struct pcap_reader *r)
{
	return r->linktype;
}

uint32_t pcap_reader_snaplen(const struct pcap_reader *r)
{
	return (uint32_t)pcap_snapshot(r->pcap);
}

bool pcap_reader_truncated(const struct pcap_reader *r)
{
	return r->truncated;
}

void pcap_reader_close(struct pcap_reader *r)
{
	if (r == NULL)
		return;
	pcap_close(r->pcap); /* closes the FILE before its buffer goes */
	free(r->iobuf);
	free(r);
}
