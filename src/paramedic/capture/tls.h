/*
 * capture/tls: recognising TLS ClientHello / ServerHello at the start of
 * a TCP stream, and the SNI of a ClientHello. A pure parser over the
 * stream's first bytes; the caller reassembles them (they may arrive in
 * several segments).
 */
#ifndef PP_PARAMEDIC_CAPTURE_TLS_H
#define PP_PARAMEDIC_CAPTURE_TLS_H

#include <stddef.h>
#include <stdint.h>

enum tls_hello {
	TLS_HELLO_NEED_MORE,     /* fewer than 6 bytes: cannot tell yet */
	TLS_HELLO_NOT_TLS,
	TLS_HELLO_CLIENT,
	TLS_HELLO_SERVER,
};

/* Looks at the first len bytes of a stream. For a ClientHello, *sni_done
 * says whether the SNI question is settled (found, absent, or the hello is
 * malformed) and sni holds the name when found ("" otherwise). */
enum tls_hello tls_parse_hello(const uint8_t *buf, size_t len, char *sni, size_t sni_len,
                               int *sni_done);

#endif
