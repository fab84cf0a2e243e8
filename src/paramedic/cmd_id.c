/* paramedic id: print this paramedic's endpoint ID. */
#include "paramedic/cli.h"

#include "lib/errbuf.h"
#include "paramedic/state.h"

#include <stdio.h>
#include <stdlib.h>

void pm_print_json(json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT | JSON_SORT_KEYS);
	if (text != NULL)
		printf("%s\n", text);
	free(text);
	json_decref(msg);
}

int pm_cmd_id(struct pm_cli *cli, int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		return pm_usage(stderr, "id");
	}
	struct pm_state st;
	char err[ERRBUF_LEN];
	if (pm_state_open(cli->data_dir, &st, err) != 0) {
		fprintf(stderr, "paramedic: %s\n", err);
		return 1;
	}
	if (cli->json)
		pm_print_json(json_pack("{s:s, s:s}", "endpoint_id", st.id.id, "data_dir", st.data_dir));
	else
		printf("%s\n", st.id.id);
	pm_state_close(&st);
	return 0;
}
