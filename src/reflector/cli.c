#include "reflector/cli.h"

#include "lib/clock.h"
#include "lib/errbuf.h"
#include "reflector/audit.h"
#include "reflector/control.h"

#include <stdio.h>
#include <stdlib.h>

void cli_control_path(const struct cli *cli, char *out, size_t outlen)
{
	control_socket_path(cli->cfg.data_dir, out, outlen);
}

void cli_print_json(json_t *msg)
{
	json_object_del(msg, "ok");
	char *text = json_dumps(msg, JSON_COMPACT | JSON_SORT_KEYS);
	if (text != NULL)
		printf("%s\n", text);
	free(text);
	json_decref(msg);
}

void cli_audit(const struct cli *cli, const char *event_type, const char *peer_id, json_t *fields)
{
	char err[ERRBUF_LEN];
	struct audit_log *log = audit_open(cli->cfg.logging.audit_log_path, err);
	if (log == NULL) {
		fprintf(stderr, "reflector: warning: audit log: %s\n", err);
		json_decref(fields);
		return;
	}
	if (audit_event(log, event_type, peer_id, fields) != 0)
		fprintf(stderr, "reflector: warning: audit log: %s\n", audit_last_error(log));
	audit_close(log);
}
