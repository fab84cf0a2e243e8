/*
 * errbuf: the project's error convention (after Redis' anet.c).
 *
 * Library functions return 0 / -1 (or NULL) and, on failure, fill a
 * caller-provided buffer of ERRBUF_LEN bytes with one line that names the
 * thing that failed (file:line:key, peer id, port...). Only main() and the
 * daemon's edges print it.
 */
#ifndef PP_LIB_ERRBUF_H
#define PP_LIB_ERRBUF_H

#include <stddef.h>

#define ERRBUF_LEN 512

/* printf into err (which may be NULL); always NUL-terminated. Returns -1 so
 * that `return errbuf_set(err, ...)` reads naturally. */
int errbuf_set(char *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Like errbuf_set, with ": strerror(errno)" appended. */
int errbuf_errno(char *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
