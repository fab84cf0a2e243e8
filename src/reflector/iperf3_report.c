/* iperf3_report: the pure parsers of iperf3.h (the -J report, /proc/net/tcp). */
#include "reflector/iperf3.h"

#include "lib/errbuf.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* A byte count of a sum object: a non-negative JSON integer, or a real
 * (older iperf3 versions print some counters as reals) within range. */
static int sum_bytes(const json_t *sum, uint64_t *out)
{
	const json_t *b = json_object_get(sum, "bytes");
	if (json_is_integer(b) && json_integer_value(b) >= 0) {
		*out = (uint64_t)json_integer_value(b);
		return 0;
	}
	if (json_is_real(b) && json_real_value(b) >= 0 && json_real_value(b) < 9.0e18) {
		*out = (uint64_t)json_real_value(b);
		return 0;
	}
	return -1;
}

/* The last complete JSON document of text: with authentication, iperf3
 * -s writes a report ({"error": "... authorization failed"}) for every
 * client it refuses before the test's own. NULL and jerr when there is
 * none, or when anything after it is not JSON. No JSON_REJECT_DUPLICATES: iperf3 3.12 writes "sock_bufsize" twice
 * in its start section (the last one wins). */
static json_t *last_document(const char *text, size_t len, json_error_t *jerr)
{
	json_t *last = NULL;
	size_t off = 0;
	for (;;) {
		while (off < len && (text[off] == ' ' || text[off] == '\n' || text[off] == '\r' || text[off] == '\t'))
			off++;
		if (off == len && last != NULL)
			return last;
		json_error_t e;
		json_t *doc = json_loadb(text + off, len - off, JSON_DISABLE_EOF_CHECK, &e);
		if (doc == NULL || e.position <= 0) { /* anything unreadable spoils the whole */
			json_decref(doc);
			json_decref(last);
			*jerr = e;
			return NULL;
		}
		json_decref(last);
		last = doc;
		off += (size_t)e.position;
	}
}

int iperf3_report_bytes(const char *text, size_t len, uint64_t *bytes, char *error_out,
                        size_t error_len, char *err)
{
	if (error_out != NULL && error_len > 0)
		error_out[0] = '\0';
	json_error_t jerr;
	json_t *root = last_document(text, len, &jerr);
	if (!json_is_object(root)) {
		json_decref(root);
		return errbuf_set(err, "iperf3 report is not a JSON object (%s)",
		                  root == NULL ? jerr.text : "another JSON value");
	}
	char error[160] = ""; /* copied: root is freed before it is quoted */
	const char *e = json_string_value(json_object_get(root, "error"));
	if (e != NULL) {
		snprintf(error, sizeof(error), "%s", e);
		if (error_out != NULL && error_len > 0)
			snprintf(error_out, error_len, "%s", e);
	}
	const json_t *end = json_object_get(root, "end");
	const json_t *sent = json_object_get(end, "sum_sent");
	const json_t *received = json_object_get(end, "sum_received");
	uint64_t s = 0, r = 0;
	int have_s = json_is_object(sent) && sum_bytes(sent, &s) == 0;
	int have_r = json_is_object(received) && sum_bytes(received, &r) == 0;
	if (!have_s && !have_r) {
		/* UDP reports of some versions only have end.sum. */
		const json_t *sum = json_object_get(end, "sum");
		if (json_is_object(sum) && sum_bytes(sum, &r) == 0)
			have_r = 1;
	}
	if (!have_s && !have_r) {
		/* Stopped mid-test, some versions write no end sums: the
		 * intervals measured so far are what moved. */
		const json_t *iv;
		size_t i;
		json_array_foreach(json_object_get(root, "intervals"), i, iv) {
			uint64_t b;
			if (sum_bytes(json_object_get(iv, "sum"), &b) == 0 && r <= UINT64_MAX - b) {
				r += b;
				have_r = 1;
			}
		}
	}
	json_decref(root);
	if (!have_s && !have_r)
		return errbuf_set(err, "iperf3 report has no byte counts%s%s", error[0] ? ": " : "", error);
	if (s > UINT64_MAX - r)
		return errbuf_set(err, "iperf3 report: byte counts overflow");
	*bytes = s + r;
	return 0;
}

/* /proc/net/tcp lines: "  0: 0100007F:0FA0 00000000:0000 0A ..." (sl,
 * local address:port in hex, remote, state). */
/* want_listen: a LISTEN socket on port; else any other state on port. */
static bool proc_net_scan(const char *text, size_t len, uint16_t port, bool want_listen)
{
	size_t i = 0;
	while (i < len) {
		size_t eol = i;
		while (eol < len && text[eol] != '\n')
			eol++;
		char line[256];
		size_t n = eol - i < sizeof(line) - 1 ? eol - i : sizeof(line) - 1;
		memcpy(line, text + i, n);
		line[n] = '\0';
		i = eol + 1;
		char local[80], remote[80], state[8];
		unsigned sl;
		if (sscanf(line, " %u: %79s %79s %7s", &sl, local, remote, state) != 4)
			continue; /* the header, or a line we do not understand */
		const char *colon = strrchr(local, ':');
		/* 8 hex digits of IPv4 or 32 of IPv6, ':', 4 of the port. */
		if (colon == NULL || strlen(colon + 1) != 4 ||
		    ((size_t)(colon - local) != 8 && (size_t)(colon - local) != 32))
			continue;
		unsigned p, rp = 0;
		if (sscanf(colon + 1, "%4x", &p) != 1)
			continue;
		const char *rcolon = strrchr(remote, ':');
		if (rcolon == NULL || sscanf(rcolon + 1, "%4x", &rp) != 1)
			rp = 0;
		bool listen = strcmp(state, "0A") == 0;
		if (want_listen ? (listen && p == port) : (!listen && (p == port || rp == port)))
			return true;
	}
	return false;
}

bool iperf3_proc_net_listening(const char *text, size_t len, uint16_t port)
{
	return proc_net_scan(text, len, port, true);
}

bool iperf3_proc_net_connected(const char *text, size_t len, uint16_t port)
{
	return proc_net_scan(text, len, port, false);
}
