/*
 * fsutil: small, careful file-system helpers.
 *
 * Persistent state (keys, enrolled peers, usage ledger) is written with
 * fsutil_write_atomic so that a crash leaves either the old or the new file,
 * never half of one.
 */
#ifndef PP_LIB_FSUTIL_H
#define PP_LIB_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* mkdir -p with the given mode for each created directory. */
int fsutil_mkdirs(const char *path, mode_t mode, char *err);

/* mkdir -p of the directory part of path ("a/b/c.txt" → "a/b"). */
int fsutil_mkdirs_for(const char *path, mode_t mode, char *err);

/* Write data to path via a temporary file in the same directory, fsync,
 * then rename over path. The file gets `mode`. */
int fsutil_write_atomic(const char *path, const void *data, size_t len,
                        mode_t mode, char *err);

/* Read a whole file (at most max_bytes) into a malloc'd, NUL-terminated
 * buffer. *len gets the size without the NUL. NULL on error (errno kept;
 * ENOENT means the file does not exist). */
char *fsutil_read_all(const char *path, size_t max_bytes, size_t *len, char *err);

/* 1 when the directory exists (or could be created) and is writable by us. */
int fsutil_dir_writable(const char *dir);

/* Directory part of path in out (size outlen): "a/b/c" → "a/b", "c" → ".". */
void fsutil_dirname(const char *path, char *out, size_t outlen);

#endif
