/* latency_opts: the latency test's command-line values (see latency.h). */
#include "paramedic/latency.h"

#include "lib/errbuf.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	int64_t ns;
} units[] = {
    {"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000},
};

int latency_parse_time_ns(const char *opt, const char *text, int64_t default_unit_ns, int64_t *out,
                          char *err)
{
	const char *p = text;
	int64_t whole = 0, frac = 0, frac_scale = 1;
	int digits = 0;
	while (isdigit((unsigned char)*p)) {
		if (++digits > 18)
			goto bad;
		whole = whole * 10 + (*p++ - '0');
	}
	if (*p == '.') {
		p++;
		int fdigits = 0;
		while (isdigit((unsigned char)*p)) {
			if (++fdigits > 9)
				goto bad;
			frac = frac * 10 + (*p++ - '0');
			frac_scale *= 10;
		}
		if (fdigits == 0)
			goto bad;
		digits += fdigits;
	}
	if (digits == 0)
		goto bad;
	int64_t unit = 0;
	if (*p == 0) {
		unit = default_unit_ns;
	} else {
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strcmp(p, units[i].name) == 0)
				unit = units[i].ns;
	}
	if (unit == 0 || whole > INT64_MAX / 2 / unit)
		goto bad;
	int64_t v = whole * unit + frac * unit / frac_scale;
	if (v <= 0)
		goto bad;
	*out = v;
	return 0;
bad:
	return errbuf_set(err, "%s '%s': expected a positive time such as %s", opt, text,
	                  default_unit_ns ? "10, 1.5s or 500ms" : "10ms, 0.5ms or 100us");
}

int latency_parse_int(const char *opt, const char *text, long min, long max, long *out, char *err)
{
	char *end = NULL;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (!isdigit((unsigned char)text[0]) || errno != 0 || *end != 0 || v < min || v > max)
		return errbuf_set(err, "%s '%s': expected a whole number from %ld to %ld", opt, text, min, max);
	*out = v;
	return 0;
}
