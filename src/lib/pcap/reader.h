/*
 * pcap/reader: streaming pcap and pcapng files through libpcap, with
 * nanosecond timestamps, one record at a time (memory does not grow with
 * the file). A file cut in the middle of a record is read up to the last
 * whole record and then reported as truncated.
 */
#ifndef PP_LIB_PCAP_READER_H
#define PP_LIB_PCAP_READER_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/errbuf.h"

struct pcap_reader;

struct pcap_record {
	uint64_t frame_no;       /* 1-based, as Wireshark numbers them */
	int64_t ts_ns;           /* capture time, ns since the Unix epoch */
	uint32_t caplen;         /* bytes in data */
	uint32_t wirelen;        /* bytes the frame had on the wire */
	const uint8_t *data;     /* valid until the next pcap_reader_next() */
};

/* Opens path ("-" is stdin). NULL + err when it is not a capture file or
 * its link type is one pkt_decode does not understand. */
struct pcap_reader *pcap_reader_open(const char *path, char err[ERRBUF_LEN]);

/* 1: *rec filled; 0: end of file; -1: read error, err says (a truncated
 * file ends here: pcap_reader_truncated() then says so). */
int pcap_reader_next(struct pcap_reader *r, struct pcap_record *rec, char err[ERRBUF_LEN]);

int pcap_reader_linktype(const struct pcap_reader *r);
uint32_t pcap_reader_snaplen(const struct pcap_reader *r);
bool pcap_reader_truncated(const struct pcap_reader *r);
void pcap_reader_close(struct pcap_reader *r);

#endif
