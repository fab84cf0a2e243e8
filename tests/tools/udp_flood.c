/*
 * udp_flood: sends COUNT datagrams "ping-N" (N from 1) to HOST:PORT through
 * one connected UDP socket, as fast as it can, each behind an optional
 * binary prefix given in hex (the 20-byte tunnel prefix of a session).
 * Answers are not read. For shell tests (seed 002 §5.5): bash's /dev/udp
 * splits a datagram at every newline byte, and a token may contain one.
 *
 *   udp_flood HOST PORT COUNT [PREFIX_HEX]
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: udp_flood HOST PORT COUNT [PREFIX_HEX]\n");
		return 2;
	}
	unsigned char buf[256];
	size_t prefix_len = 0;
	if (argc == 5) {
		const char *hex = argv[4];
		size_t n = strlen(hex);
		if (n % 2 != 0 || n / 2 > 64) {
			fprintf(stderr, "udp_flood: bad prefix\n");
			return 2;
		}
		for (size_t i = 0; i < n / 2; i++) {
			unsigned v;
			if (sscanf(hex + 2 * i, "%2x", &v) != 1)
				return 2;
			buf[prefix_len++] = (unsigned char)v;
		}
	}
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *ai;
	if (getaddrinfo(argv[1], argv[2], &hints, &ai) != 0) {
		fprintf(stderr, "udp_flood: cannot resolve %s:%s\n", argv[1], argv[2]);
		return 1;
	}
	int fd = socket(ai->ai_family, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		perror("udp_flood");
		return 1;
	}
	freeaddrinfo(ai);
	long count = atol(argv[3]);
	long sent = 0;
	for (long i = 1; i <= count; i++) {
		int n = snprintf((char *)buf + prefix_len, sizeof(buf) - prefix_len, "ping-%ld\n", i);
		if (send(fd, buf, prefix_len + (size_t)n, 0) > 0)
			sent++;
	}
	printf("%ld\n", sent);
	close(fd);
	return 0;
}
