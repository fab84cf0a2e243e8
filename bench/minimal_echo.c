/*
 * minimal_echo: the floor the reflector's echo engine is measured against
 * (bench/echo_bench.sh): one blocking recvmmsg/sendmmsg loop, batches of
 * 32, no checks, no timestamps, no event loop.
 *
 *   minimal_echo HOST:PORT     (runs until killed)
 */
#include "lib/errbuf.h"
#include "lib/netaddr.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 32
#define SLOT_BYTES 65536

static unsigned char slots[BATCH][SLOT_BYTES];

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: minimal_echo HOST:PORT\n");
		return 2;
	}
	char err[ERRBUF_LEN];
	struct sockaddr_storage ss;
	socklen_t sslen;
	if (netaddr_parse_listen(argv[1], &ss, &sslen, err) != 0) {
		fprintf(stderr, "minimal_echo: %s\n", err);
		return 2;
	}
	int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	int buf = 1 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, sslen) != 0) {
		perror("minimal_echo: bind");
		return 1;
	}
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_storage from[BATCH];
	for (;;) {
		memset(m, 0, sizeof(m));
		for (int i = 0; i < BATCH; i++) {
			iov[i].iov_base = slots[i];
			iov[i].iov_len = SLOT_BYTES;
			m[i].msg_hdr.msg_iov = &iov[i];
			m[i].msg_hdr.msg_iovlen = 1;
			m[i].msg_hdr.msg_name = &from[i];
			m[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
		int n = recvmmsg(fd, m, BATCH, MSG_WAITFORONE, NULL);
		if (n <= 0)
			continue;
		for (int i = 0; i < n; i++)
			iov[i].iov_len = m[i].msg_len;
		int done = 0;
		while (done < n) {
			int k = sendmmsg(fd, m + done, (unsigned)(n - done), 0);
			if (k <= 0)
				break;
			done += k;
		}
	}
}
