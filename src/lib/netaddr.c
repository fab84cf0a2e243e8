#include "lib/netaddr.h"

#include "lib/errbuf.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int netaddr_split(const char *text, const char *default_port, char *host, size_t hostlen,
                  char *port, size_t portlen, char *err)
{
	const char *host_start = text, *host_end, *port_text = NULL;
	if (text[0] == '[') {
		host_start = text + 1;
		host_end = strchr(host_start, ']');
		if (host_end == NULL)
			return errbuf_set(err, "'%s': missing ']' after an IPv6 address", text);
		if (host_end[1] == ':')
			port_text = host_end + 2;
		else if (host_end[1] != '\0')
			return errbuf_set(err, "'%s': expected ':PORT' after ']'", text);
	} else {
		const char *colon = strchr(text, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL) {
			host_end = text + strlen(text); /* a bare IPv6 address, no port */
		} else {
			host_end = colon != NULL ? colon : text + strlen(text);
			if (colon != NULL)
				port_text = colon + 1;
		}
	}
	size_t n = (size_t)(host_end - host_start);
	if (n == 0 || n >= hostlen)
		return errbuf_set(err, "'%s': missing or too long host", text);
	memcpy(host, host_start, n);
	host[n] = '\0';
	if (port_text == NULL)
		port_text = default_port;
	if (port_text == NULL || *port_text == '\0')
		return errbuf_set(err, "'%s': missing port", text);
	char *end;
	long p = strtol(port_text, &end, 10);
	if (*end != '\0' || p < 0 || p > 65535)
		return errbuf_set(err, "'%s': port must be a number from 0 to 65535", text);
	snprintf(port, portlen, "%ld", p);
	return 0;
}

int netaddr_parse_listen(const char *text, struct sockaddr_storage *ss, socklen_t *sslen,
                         char *err)
{
	char host[256], port[8];
	if (netaddr_split(text, NULL, host, sizeof(host), port, sizeof(port), err) != 0)
		return -1;
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	uint16_t p = (uint16_t)atoi(port);
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(p);
		*sslen = sizeof(*v4);
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(p);
		*sslen = sizeof(*v6);
	} else {
		return errbuf_set(err, "'%s': the host must be a numeric IPv4 or IPv6 address", text);
	}
	return 0;
}

uint16_t netaddr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return 0;
}

void netaddr_format(const struct sockaddr *sa, char *out, size_t outlen)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &v4->sin_addr, ip, sizeof(ip));
		snprintf(out, outlen, "%s:%u", ip, ntohs(v4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &v6->sin6_addr, ip, sizeof(ip));
		snprintf(out, outlen, "[%s]:%u", ip, ntohs(v6->sin6_port));
	} else {
		snprintf(out, outlen, "?");
	}
}

int netaddr_same_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		              &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
	return 0;
}
