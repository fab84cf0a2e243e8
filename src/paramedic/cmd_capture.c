/* cmd_capture: see cmd_capture.h. One table row per subcommand. */
#include "paramedic/cmd_capture.h"

#include "paramedic/capture/analyze.h"
#include "paramedic/capture/compare.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} subcommands[] = {
	{"analyze", capture_analyze_main, "analyse one pcap/pcapng file"},
	{"compare", capture_compare_main, "compare two captures of the same traffic"},
};

int cmd_capture(int argc, char **argv)
{
	size_t n = sizeof(subcommands) / sizeof(subcommands[0]);
	if (argc >= 2) {
		for (size_t i = 0; i < n; i++)
			if (strcmp(argv[1], subcommands[i].name) == 0)
				return subcommands[i].run(argc - 1, argv + 1);
	}
	bool help = argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0);
	FILE *out = help ? stdout : stderr;
	fprintf(out, "usage: paramedic capture SUBCOMMAND ...  (SUBCOMMAND --help for its options)\n");
	for (size_t i = 0; i < n; i++)
		fprintf(out, "  %-8s %s\n", subcommands[i].name, subcommands[i].help);
	return help ? 0 : 2;
}
