/* udp_pingpong: the kernel's own loopback UDP round trip, as a baseline
 * for bench/latency_bench.sh. A forked echo child and a parent that sends
 * one 64-byte datagram per interval on an absolute CLOCK_MONOTONIC grid
 * (clock_nanosleep TIMER_ABSTIME), blocks in recv for the echo and times
 * the round trip as paramedic does: CLOCK_REALTIME just before send, the
 * kernel's SO_TIMESTAMPNS receive time at the other end.
 * Nothing else: no headers to parse, no batching, no statistics beyond
 * the median, so the difference to `paramedic latency` is our overhead.
 *
 * With ECHO_CPU and CLIENT_CPU the two sides are pinned apart, as the
 * benchmark pins a server and its client.
 *
 *   udp_pingpong COUNT INTERVAL_US [ECHO_CPU CLIENT_CPU]  ->  "result: sent=N received=N misses=N median_ns=N cpu_client_ms=N cpu_echo_ms=N"
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static void pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		perror("udp_pingpong: sched_setaffinity");
}

static double tv_ms(struct timeval tv)
{
	return (double)tv.tv_sec * 1e3 + (double)tv.tv_usec / 1e3;
}

int main(int argc, char **argv)
{
	if (argc != 3 && argc != 5) {
		fprintf(stderr, "usage: udp_pingpong COUNT INTERVAL_US [ECHO_CPU CLIENT_CPU]\n");
		return 2;
	}
	long count = atol(argv[1]), interval_us = atol(argv[2]);
	if (count < 1 || count > 10000000 || interval_us < 1) {
		fprintf(stderr, "udp_pingpong: bad arguments\n");
		return 2;
	}
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	int es = socket(AF_INET, SOCK_DGRAM, 0);
	if (es < 0 || bind(es, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(es, (struct sockaddr *)&a, &al) != 0) {
		perror("udp_pingpong: echo socket");
		return 1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (argc == 5)
		pin(atoi(argv[pid == 0 ? 3 : 4]));
	if (pid == 0) {
		char buf[2048];
		for (;;) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t n = recvfrom(es, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
			if (n == 1) /* the end marker: report our CPU time and stop */
				break;
			if (n > 0)
				sendto(es, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
		}
		_exit(0); /* the parent reads our CPU time with RUSAGE_CHILDREN */
	}
	close(es);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct timeval tmo = {.tv_sec = 1};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		perror("udp_pingpong: client socket");
		kill(pid, SIGKILL);
		return 1;
	}
	int on = 1;
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
	uint64_t ctrl[16];
	int64_t *rtt = calloc((size_t)count, sizeof(*rtt));
	char buf[64] = "pingpong";
	long got = 0, misses = 0;
	int64_t start = now_ns() + 1000000;
	for (long i = 0; i < count; i++) {
		int64_t due = start + i * interval_us * 1000LL;
		struct timespec ts = {.tv_sec = due / 1000000000LL, .tv_nsec = due % 1000000000LL};
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		if (now_ns() - due > interval_us * 1000LL) /* the machine's own miss rate */
			misses++;
		int64_t t0 = real_ns();
		if (send(fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf))
			continue;
		struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl,
		                    .msg_controllen = sizeof(ctrl)};
		if (recvmsg(fd, &mh, 0) != (ssize_t)sizeof(buf))
			continue;
		int64_t t1 = real_ns();
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec ts1;
				memcpy(&ts1, CMSG_DATA(c), sizeof(ts1));
				t1 = (int64_t)ts1.tv_sec * 1000000000LL + ts1.tv_nsec;
			}
		rtt[got++] = t1 - t0;
	}
	send(fd, "x", 1, 0);
	waitpid(pid, NULL, 0);
	struct rusage self, child;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &child);
	qsort(rtt, (size_t)got, sizeof(*rtt), cmp);
	printf("result: sent=%ld received=%ld misses=%ld median_ns=%lld cpu_client_ms=%.0f cpu_echo_ms=%.0f\n", count, got, misses,
	       got ? (long long)rtt[(got + 1) / 2 - 1] : -1LL, tv_ms(self.ru_utime) + tv_ms(self.ru_stime),
	       tv_ms(child.ru_utime) + tv_ms(child.ru_stime));
	free(rtt);
	return 0;
}
