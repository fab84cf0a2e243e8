/* capture/tls: see tls.h. Every length is checked against what we hold. */
#include "paramedic/capture/tls.h"

#include <string.h>

static uint32_t be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

/* Walks the ClientHello body at buf[0..len) (after the 4-byte handshake
 * header) to the server_name extension. 1 = settled, 0 = need more bytes. */
static int find_sni(const uint8_t *b, size_t len, size_t body_len, char *sni, size_t sni_len)
{
	size_t end = body_len < len ? body_len : len;
	size_t i = 2 + 32; /* client_version, random */
	if (i + 1 > end)
		return body_len <= len;
	i += 1 + b[i]; /* session id */
	if (i + 2 > end)
		return body_len <= len;
	i += 2 + be16(b + i); /* cipher suites */
	if (i + 1 > end)
		return body_len <= len;
	i += 1 + b[i]; /* compression methods */
	if (i + 2 > end)
		return body_len <= len;
	size_t ext_end = i + 2 + be16(b + i);
	i += 2;
	if (ext_end > body_len)
		return 1; /* malformed: settled, no SNI */
	while (i + 4 <= end && i + 4 <= ext_end) {
		uint32_t type = be16(b + i), elen = be16(b + i + 2);
		i += 4;
		if (type == 0) {
			/* server_name_list: len(2) name_type(1) name_len(2) name */
			if (i + 5 > end)
				return body_len <= len;
			uint32_t nlen = be16(b + i + 3);
			if (nlen + 5 > elen)
				return 1;
			if (i + 5 + nlen > end)
				return body_len <= len;
			size_t n = nlen < sni_len - 1 ? nlen : sni_len - 1;
			for (size_t k = 0; k < n; k++) {
				uint8_t c = b[i + 5 + k];
				sni[k] = (char)(c >= 0x21 && c < 0x7f ? c : '?'); /* printable only */
			}
			sni[n] = '\0';
			return 1;
		}
		i += elen;
	}
	return i >= ext_end || body_len <= len;
}

enum tls_hello tls_parse_hello(const uint8_t *buf, size_t len, char *sni, size_t sni_len,
                               int *sni_done)
{
	*sni_done = 1;
	if (sni_len > 0)
		sni[0] = '\0';
	if (len < 6)
		return TLS_HELLO_NEED_MORE;
	/* record: content type 22 (handshake), version 3.x, length; then the
	 * handshake type: 1 ClientHello, 2 ServerHello */
	if (buf[0] != 22 || buf[1] != 3 || buf[2] > 4)
		return TLS_HELLO_NOT_TLS;
	uint32_t rec_len = be16(buf + 3);
	if (rec_len < 4)
		return TLS_HELLO_NOT_TLS;
	if (buf[5] == 2)
		return TLS_HELLO_SERVER;
	if (buf[5] != 1)
		return TLS_HELLO_NOT_TLS;
	if (sni_len == 0)
		return TLS_HELLO_CLIENT;
	if (len < 9) {
		*sni_done = 0;
		return TLS_HELLO_CLIENT;
	}
	size_t body_len = (size_t)buf[6] << 16 | (size_t)buf[7] << 8 | buf[8];
	/* the body may continue in a second record; we only read the first */
	size_t avail_in_record = rec_len - 4 < body_len ? rec_len - 4 : body_len;
	*sni_done = find_sni(buf + 9, len - 9, avail_in_record, sni, sni_len);
	return TLS_HELLO_CLIENT;
}
