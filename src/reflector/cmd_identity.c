/* reflector show-id | rotate-identity. */
#include "reflector/cli.h"

#include "core/identity.h"
#include "lib/errbuf.h"
#include "reflector/control.h"

#include <stdio.h>
#include <unistd.h>

int cmd_show_id(struct cli *cli, int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		return cli_usage(stderr, "show-id");
	}
	struct identity id = {0};
	char err[ERRBUF_LEN];
	int created = 0;
	if (identity_load_or_create(cli->cfg.identity.private_key_path, &id, &created, err) != 0) {
		fprintf(stderr, "reflector: %s\n", err);
		return 1;
	}
	if (cli->json)
		cli_print_json(json_pack("{s:s, s:s, s:b}", "endpoint_id", id.id, "key_path",
		                         cli->cfg.identity.private_key_path, "created", created));
	else
		printf("%s\n", id.id);
	if (created && !cli->json)
		fprintf(stderr, "reflector: created a new identity in %s\n", cli->cfg.identity.private_key_path);
	identity_free(&id);
	return 0;
}

int cmd_rotate_identity(struct cli *cli, int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		return cli_usage(stderr, "rotate-identity");
	}
	const char *path = cli->cfg.identity.private_key_path;
	struct identity id = {0};
	char err[ERRBUF_LEN], old_id[ENDPOINT_ID_LEN] = "";
	if (access(path, F_OK) == 0) {
		if (identity_load_or_create(path, &id, NULL, err) != 0) {
			fprintf(stderr, "reflector: %s\n", err);
			return 1;
		}
		snprintf(old_id, sizeof(old_id), "%s", id.id);
		identity_free(&id);
	}
	if (identity_rotate(path, &id, err) != 0) {
		fprintf(stderr, "reflector: %s\n", err);
		return 1;
	}
	json_t *fields = json_pack("{s:s, s:s}", "new_endpoint_id", id.id, "key_path", path);
	json_object_set_new(fields, "old_endpoint_id", old_id[0] ? json_string(old_id) : json_null());
	cli_audit(cli, "identity_rotated", id.id, fields);
	if (cli->json)
		cli_print_json(json_pack("{s:s, s:s}", "old_id", old_id, "endpoint_id", id.id));
	else
		printf("old endpoint ID: %s\nnew endpoint ID: %s\n", old_id[0] ? old_id : "(none)", id.id);
	char sock[4096];
	cli_control_path(cli, sock, sizeof(sock));
	int not_running;
	json_t *st = control_call(sock, json_pack("{s:s}", "cmd", "status"), 2000, &not_running, err);
	if (st != NULL)
		fprintf(stderr, "reflector: a reflector is running with the old identity: restart it to use the new one; "
		                "paired peers must re-pair or pin the new ID\n");
	json_decref(st);
	identity_free(&id);
	return 0;
}
