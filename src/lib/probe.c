/* probe: PPRB probe header and PPT1 tunnel prefix (see probe.h). */
#include "lib/probe.h"

#include <string.h>

static const uint8_t probe_magic[4] = {'P', 'P', 'R', 'B'};
static const uint8_t tunnel_magic[4] = {'P', 'P', 'T', '1'};

/* Field offsets, PROTOCOL.md §9.3. */
enum {
	OFF_VERSION = 4,
	OFF_FLAGS = 5,
	OFF_HDRLEN = 6,
	OFF_SEQ = 8,
	OFF_CLIENT_SEND = 16,
	OFF_SERVER_RECV = 24,
	OFF_SERVER_SEND = 32,
	OFF_RX_COUNT = 40,
};

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

int probe_encode(uint8_t *buf, size_t len, const struct probe_header *h)
{
	if (!buf || !h || len < PROBE_HEADER_BYTES)
		return -1;
	memcpy(buf, probe_magic, 4);
	buf[OFF_VERSION] = PROBE_VERSION;
	buf[OFF_FLAGS] = h->flags & PROBE_FLAG_REPLY;
	buf[OFF_HDRLEN] = 0;
	buf[OFF_HDRLEN + 1] = PROBE_HEADER_BYTES;
	put_u64(buf + OFF_SEQ, h->seq);
	put_u64(buf + OFF_CLIENT_SEND, h->client_send_ns);
	put_u64(buf + OFF_SERVER_RECV, h->server_recv_ns);
	put_u64(buf + OFF_SERVER_SEND, h->server_send_ns);
	put_u64(buf + OFF_RX_COUNT, h->server_rx_count);
	return 0;
}

static int is_probe(const uint8_t *buf, size_t len)
{
	return buf && len >= PROBE_HEADER_BYTES && memcmp(buf, probe_magic, 4) == 0 &&
	       buf[OFF_VERSION] == PROBE_VERSION;
}

int probe_decode(const uint8_t *buf, size_t len, struct probe_header *h)
{
	if (!is_probe(buf, len))
		return 0;
	if (h) {
		h->flags = buf[OFF_FLAGS];
		h->seq = get_u64(buf + OFF_SEQ);
		h->client_send_ns = get_u64(buf + OFF_CLIENT_SEND);
		h->server_recv_ns = get_u64(buf + OFF_SERVER_RECV);
		h->server_send_ns = get_u64(buf + OFF_SERVER_SEND);
		h->server_rx_count = get_u64(buf + OFF_RX_COUNT);
	}
	return 1;
}

int probe_stamp_received(uint8_t *buf, size_t len, uint64_t recv_ns, uint64_t rx_count)
{
	if (!is_probe(buf, len))
		return 0;
	/* Only bit 0 is defined; the others go back as the spec says: 0. */
	buf[OFF_FLAGS] = PROBE_FLAG_REPLY;
	put_u64(buf + OFF_SERVER_RECV, recv_ns);
	put_u64(buf + OFF_RX_COUNT, rx_count);
	return 1;
}

int probe_stamp_sent(uint8_t *buf, size_t len, uint64_t send_ns)
{
	if (!is_probe(buf, len))
		return 0;
	put_u64(buf + OFF_SERVER_SEND, send_ns);
	return 1;
}

int probe_tunnel_parse(const uint8_t *buf, size_t len,
                       uint8_t token[PROBE_TUNNEL_TOKEN_BYTES])
{
	if (!buf || len < PROBE_TUNNEL_PREFIX_BYTES || memcmp(buf, tunnel_magic, 4) != 0)
		return -1;
	if (token)
		memcpy(token, buf + 4, PROBE_TUNNEL_TOKEN_BYTES);
	return 0;
}

int probe_tunnel_put(uint8_t *buf, size_t len, const uint8_t token[PROBE_TUNNEL_TOKEN_BYTES])
{
	if (!buf || !token || len < PROBE_TUNNEL_PREFIX_BYTES)
		return -1;
	memcpy(buf, tunnel_magic, 4);
	memcpy(buf + 4, token, PROBE_TUNNEL_TOKEN_BYTES);
	return 0;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int probe_uuid_parse(const char *text, uint8_t out[PROBE_TUNNEL_TOKEN_BYTES])
{
	if (!text || !out)
		return -1;
	uint8_t tmp[PROBE_TUNNEL_TOKEN_BYTES];
	size_t n = 0;
	size_t i = 0;
	/* Dashes exactly at 8, 13, 18 and 23; 32 hex digits elsewhere. */
	for (; i < 36; i++) {
		char c = text[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return -1;
			continue;
		}
		int hi = hex_value(c);
		if (hi < 0)
			return -1;
		int lo = hex_value(text[++i]);
		if (lo < 0 || i == 8 || i == 13 || i == 18 || i == 23)
			return -1;
		tmp[n++] = (uint8_t)(hi << 4 | lo);
	}
	if (text[36] != '\0' || n != PROBE_TUNNEL_TOKEN_BYTES)
		return -1;
	memcpy(out, tmp, sizeof(tmp));
	return 0;
}

void probe_uuid_format(const uint8_t in[PROBE_TUNNEL_TOKEN_BYTES], char out[37])
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (size_t i = 0; i < PROBE_TUNNEL_TOKEN_BYTES; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[in[i] >> 4];
		out[o++] = hex[in[i] & 0xf];
	}
	out[o] = '\0';
}
