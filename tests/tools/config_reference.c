/*
 * config_reference: prints the reflector's config key table as Markdown
 * (config_reference_markdown). tests/config_docs.sh checks that docs/CONFIG.md
 * and README.md carry exactly this text, and rewrites them with --update.
 */
#include "reflector/config.h"

#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	char *md = config_reference_markdown();
	if (md == NULL)
		return 1;
	fputs(md, stdout);
	free(md);
	return 0;
}
