/* throughput_iperf3: the local iperf3 client (see throughput.h). */
#include "paramedic/throughput.h"

#include "lib/errbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;


int tp_iperf3_run(const struct tp_client_opts *o, char **out, size_t *out_len, char *err)
{
	*out = NULL;
	*out_len = 0;
	char port[8], dur[16], streams[16];
	snprintf(port, sizeof(port), "%u", o->port);
	snprintf(dur, sizeof(dur), "%d", o->duration_sec);
	snprintf(streams, sizeof(streams), "%d", o->streams);
	char *argv[24];
	int n = 0;
	argv[n++] = (char *)o->iperf3;
	argv[n++] = "-c";
	argv[n++] = (char *)o->host;
	argv[n++] = "-p";
	argv[n++] = port;
	argv[n++] = "-t";
	argv[n++] = dur;
	argv[n++] = "-P";
	argv[n++] = streams;
	argv[n++] = "-J";
	/* A port that does not answer fails in seconds, not minutes. */
	argv[n++] = "--connect-timeout";
	argv[n++] = "5000";
	if (o->reverse)
		argv[n++] = "-R";
	if (o->udp)
		argv[n++] = "-u";
	if (o->bitrate != NULL) {
		argv[n++] = "-b";
		argv[n++] = (char *)o->bitrate;
	}
	argv[n] = NULL;

	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0)
		return errbuf_errno(err, "pipe");
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	pid_t pid;
	int rc = strchr(o->iperf3, '/') ? posix_spawn(&pid, o->iperf3, &fa, NULL, argv, environ)
	                                : posix_spawnp(&pid, o->iperf3, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc != 0) {
		close(fds[0]);
		return errbuf_set(err, "failed to run iperf3 (%s): %s", o->iperf3, strerror(rc));
	}
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap + 1);
	for (;;) {
		if (buf != NULL && len == cap && cap < TP_MAX_OUTPUT_BYTES) {
			char *bigger = realloc(buf, cap * 2 + 1);
			if (bigger == NULL) {
				free(buf);
				buf = NULL;
			} else {
				buf = bigger;
				cap *= 2;
			}
		}
		char sink[4096];
		bool keep = buf != NULL && len < cap;
		ssize_t got = keep ? read(fds[0], buf + len, cap - len) : read(fds[0], sink, sizeof(sink));
		if (got > 0) {
			if (keep)
				len += (size_t)got;
		} else if (got == 0 || errno != EINTR) {
			break;
		}
	}
	close(fds[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (buf == NULL)
		return errbuf_set(err, "out of memory reading iperf3's output");
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	free(buf);
	*out = NULL;
	return errbuf_set(err, "iperf3 died from signal %d", WTERMSIG(status));
}
