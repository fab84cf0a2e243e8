#include "lib/fsutil.h"

#include "lib/errbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fsutil_mkdirs(const char *path, mode_t mode, char *err)
{
	char buf[4096];
	size_t len = strlen(path);
	if (len == 0 || len >= sizeof(buf))
		return errbuf_set(err, "%s: bad directory path", path);
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) != 0 && errno != EEXIST)
			return errbuf_errno(err, "cannot create directory %s", buf);
		*p = '/';
	}
	if (mkdir(buf, mode) != 0 && errno != EEXIST)
		return errbuf_errno(err, "cannot create directory %s", buf);
	struct stat st;
	if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
		return errbuf_set(err, "%s exists and is not a directory", buf);
	return 0;
}

void fsutil_dirname(const char *path, char *out, size_t outlen)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL) {
		snprintf(out, outlen, ".");
	} else if (slash == path) {
		snprintf(out, outlen, "/");
	} else {
		snprintf(out, outlen, "%.*s", (int)(slash - path), path);
	}
}

int fsutil_mkdirs_for(const char *path, mode_t mode, char *err)
{
	char dir[4096];
	fsutil_dirname(path, dir, sizeof(dir));
	return fsutil_mkdirs(dir, mode, err);
}

int fsutil_write_atomic(const char *path, const void *data, size_t len,
                        mode_t mode, char *err)
{
	char tmp[4200];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
		return errbuf_set(err, "%s: path too long", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return errbuf_errno(err, "cannot write %s", tmp);
	const char *p = data;
	size_t left = len;
	while (left > 0) {
		ssize_t n = write(fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			errbuf_errno(err, "cannot write %s", tmp);
			goto fail;
		}
		p += n;
		left -= (size_t)n;
	}
	if (fchmod(fd, mode) != 0 || fsync(fd) != 0) {
		errbuf_errno(err, "cannot sync %s", tmp);
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		errbuf_errno(err, "cannot close %s", tmp);
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		errbuf_errno(err, "cannot rename %s to %s", tmp, path);
		goto fail;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

char *fsutil_read_all(const char *path, size_t max_bytes, size_t *len, char *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		errbuf_errno(err, "cannot open %s", path);
		return NULL;
	}
	size_t cap = 4096, used = 0;
	char *buf = malloc(cap);
	if (buf == NULL)
		goto fail;
	for (;;) {
		if (used + 1 >= cap) {
			if (cap > max_bytes) {
				errbuf_set(err, "%s: larger than %zu bytes", path, max_bytes);
				goto fail;
			}
			char *bigger = realloc(buf, cap * 2);
			if (bigger == NULL)
				goto fail;
			buf = bigger;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + used, cap - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			errbuf_errno(err, "cannot read %s", path);
			goto fail;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	if (used > max_bytes) {
		errbuf_set(err, "%s: larger than %zu bytes", path, max_bytes);
		goto fail;
	}
	close(fd);
	buf[used] = '\0';
	if (len != NULL)
		*len = used;
	return buf;
fail:
	{
		int saved = errno;
		free(buf);
		close(fd);
		errno = saved;
	}
	return NULL;
}

int fsutil_dir_writable(const char *dir)
{
	if (fsutil_mkdirs(dir, 0700, NULL) != 0)
		return 0;
	return access(dir, W_OK | X_OK) == 0;
}
