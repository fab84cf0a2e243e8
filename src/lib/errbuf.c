#include "lib/errbuf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int errbuf_set(char *err, const char *fmt, ...)
{
	if (err == NULL)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, ERRBUF_LEN, fmt, ap);
	va_end(ap);
	return -1;
}

int errbuf_errno(char *err, const char *fmt, ...)
{
	int saved = errno;
	if (err == NULL)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(err, ERRBUF_LEN, fmt, ap);
	va_end(ap);
	if (n >= 0 && n < ERRBUF_LEN)
		snprintf(err + n, ERRBUF_LEN - (size_t)n, ": %s", strerror(saved));
	errno = saved;
	return -1;
}
