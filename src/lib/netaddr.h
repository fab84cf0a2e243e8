/*
 * netaddr: "host:port" text <-> socket addresses, for listen addresses in
 * configs and HOST[:PORT] on command lines. Numeric hosts only for
 * listening ("0.0.0.0:4000", "[::]:4000", "127.0.0.1:0"); names resolved
 * with getaddrinfo for connecting.
 */
#ifndef PP_LIB_NETADDR_H
#define PP_LIB_NETADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Splits "host:port", "[v6]:port", "host" (port = default_port) into
 * host (without brackets) and port text. -1 and err on a malformed text. */
int netaddr_split(const char *text, const char *default_port, char *host, size_t hostlen,
                  char *port, size_t portlen, char *err);

/* Parses a numeric listen address into *ss; *sslen gets its length. */
int netaddr_parse_listen(const char *text, struct sockaddr_storage *ss, socklen_t *sslen,
                         char *err);

/* The port of an address (host byte order). */
uint16_t netaddr_port(const struct sockaddr_storage *ss);

/* "192.0.2.1:4000" / "[2001:db8::1]:4000". */
void netaddr_format(const struct sockaddr *sa, char *out, size_t outlen);

/* 1 when a and b have the same IP address (ports ignored). */
int netaddr_same_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b);

#endif
