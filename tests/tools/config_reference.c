/*
 * config_reference: prints the reflector's config key table as Markdown
 * (config_reference_markdown). tests/config_docs.sh checks that docs/CONFIG.md
 * and README.md carry exactly this text, and rewrites them with --update.
 * With a FILE argument it instead loads FILE as the reflector would and
 * exits 1 on any error or warning (used to check the documented example).
 */
#include "reflector/config.h"

#include "lib/errbuf.h"

#include <stdio.h>
#include <stdlib.h>

static void print_warning(void *ctx, const char *msg)
{
	int *warnings = ctx;
	(*warnings)++;
	fprintf(stderr, "warning: %s\n", msg);
}

int main(int argc, char **argv)
{
	if (argc == 2) {
		struct reflector_config cfg;
		char err[ERRBUF_LEN];
		int warnings = 0;
		if (config_load(argv[1], &cfg, print_warning, &warnings, err) != 0) {
			fprintf(stderr, "error: %s\n", err);
			return 1;
		}
		config_free(&cfg);
		return warnings ? 1 : 0;
	}
	char *md = config_reference_markdown();
	if (md == NULL)
		return 1;
	fputs(md, stdout);
	free(md);
	return 0;
}
