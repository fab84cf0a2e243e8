/* throughput_iperf3: the local iperf3 client (see throughput.h). */
#include "paramedic/throughput.h"

#include "lib/errbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int tp_write_public_key(const char *dir, const char *pem, char *path_out, size_t path_len, char *err)
{
	if (snprintf(path_out, path_len, "%s/iperf3-key.XXXXXX", dir) >= (int)path_len)
		return errbuf_set(err, "%s: path too long", dir);
	int fd = mkostemp(path_out, O_CLOEXEC); /* mode 0600 */
	if (fd < 0)
		return errbuf_errno(err, "%s", path_out);
	size_t len = strlen(pem);
	bool ok = write(fd, pem, len) == (ssize_t)len;
	ok = close(fd) == 0 && ok;
	if (!ok) {
		unlink(path_out);
		return errbuf_set(err, "%s: could not be written", path_out);
	}
	return 0;
}

/* environ without IPERF3_PASSWORD, plus ours (NULL: environ as is). A
 * malloc'd array of borrowed strings; *pw_entry is the one we made. */
static char **child_env(const char *password, char **pw_entry)
{
	*pw_entry = NULL;
	if (password == NULL)
		return environ;
	size_t n = 0;
	while (environ[n] != NULL)
		n++;
	char **env = calloc(n + 2, sizeof(*env));
	if (env == NULL || asprintf(pw_entry, "IPERF3_PASSWORD=%s", password) < 0) {
		free(env);
		*pw_entry = NULL;
		return NULL;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "IPERF3_PASSWORD=", 16) != 0)
			env[k++] = environ[i];
	env[k++] = *pw_entry;
	env[k] = NULL;
	return env;
}


static void free_env(char **env, char *pw_entry)
{
	if (env != environ) {
		OPENSSL_cleanse(pw_entry, strlen(pw_entry));
		free(pw_entry);
		free(env);
	}
}

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
	if (o->username != NULL) {
		argv[n++] = "--username";
		argv[n++] = (char *)o->username;
		argv[n++] = "--rsa-public-key-path";
		argv[n++] = (char *)o->rsa_public_key_path;
	}
	argv[n] = NULL;
	char *pw_entry;
	char **env = child_env(o->username != NULL ? o->password : NULL, &pw_entry);
	if (env == NULL)
		return errbuf_set(err, "out of memory");

	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0) {
		free_env(env, pw_entry);
		return errbuf_errno(err, "pipe");
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	pid_t pid;
	int rc = strchr(o->iperf3, '/') ? posix_spawn(&pid, o->iperf3, &fa, NULL, argv, env)
	                                : posix_spawnp(&pid, o->iperf3, &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	free_env(env, pw_entry);
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
