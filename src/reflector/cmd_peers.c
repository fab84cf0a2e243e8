/* reflector peers list | remove ID [--json]. */
#include "reflector/cli.h"

#include "core/endpoint_id.h"
#include "lib/errbuf.h"
#include "reflector/control.h"
#include "reflector/peers.h"

#include <stdio.h>
#include <string.h>

static void print_peers(const json_t *peers)
{
	if (json_array_size(peers) == 0) {
		printf("no authorized peers (pair one with `reflector pair`)\n");
		return;
	}
	size_t i;
	const json_t *p;
	json_array_foreach(peers, i, p) {
		const char *when = json_string_value(json_object_get(p, "enrolled_at"));
		printf("%s  %-6s %s\n", json_string_value(json_object_get(p, "id")),
		       json_string_value(json_object_get(p, "source")), when != NULL ? when : "");
	}
}

/* Without a server: the config's list and the enrolled file, directly. */
static json_t *offline(struct cli *cli, const char *remove_id, char *err)
{
	struct peer_store *store = peers_open(cli->cfg.data_dir, cli->cfg.access.authorized_peers,
	                                      cli->cfg.access.n_authorized_peers, err);
	if (store == NULL)
		return NULL;
	json_t *out = NULL;
	if (remove_id == NULL) {
		out = json_pack("{s:b, s:o}", "ok", 1, "peers", peers_list_json(store));
	} else {
		enum peers_remove_result r = peers_remove(store, remove_id, err);
		if (r == PEERS_REMOVED) {
			cli_audit(cli, "peer_removed", remove_id, json_pack("{s:s}", "via", "file"));
			out = json_pack("{s:b, s:s}", "ok", 1, "removed", remove_id);
		} else if (r == PEERS_NOT_FOUND) {
			out = control_error("%s is not an enrolled peer", remove_id);
		} else if (r == PEERS_IN_CONFIG) {
			out = control_error("%s is listed in the config's [access] authorized_peers: remove it there", remove_id);
		}
	}
	peers_free(store);
	return out;
}

int cmd_peers(struct cli *cli, int argc, char **argv)
{
	if (argc < 2 || (strcmp(argv[1], "list") == 0 && argc != 2) ||
	    (strcmp(argv[1], "remove") == 0 && argc != 3) ||
	    (strcmp(argv[1], "list") != 0 && strcmp(argv[1], "remove") != 0)) {
		return cli_usage(stderr, "peers");
	}
	char err[ERRBUF_LEN], id[ENDPOINT_ID_LEN], sock[4096];
	const char *remove_id = NULL;
	if (argc == 3) {
		if (endpoint_id_parse(argv[2], NULL, id, err) != 0) {
			fprintf(stderr, "reflector peers remove: %s\n", err);
			return 2;
		}
		remove_id = id;
	}
	cli_control_path(cli, sock, sizeof(sock));
	json_t *req = remove_id ? json_pack("{s:s, s:s}", "cmd", "peers_remove", "id", remove_id)
	                        : json_pack("{s:s}", "cmd", "peers_list");
	int not_running = 0;
	json_t *res = control_call(sock, req, 5000, &not_running, err);
	if (res == NULL && not_running)
		res = offline(cli, remove_id, err);
	if (res == NULL || !json_is_true(json_object_get(res, "ok"))) {
		fprintf(stderr, "reflector peers: %s\n", res ? json_string_value(json_object_get(res, "error")) : err);
		json_decref(res);
		return 1;
	}
	if (cli->json) {
		cli_print_json(res);
		return 0;
	}
	if (remove_id != NULL)
		printf("removed %s\n", remove_id);
	else
		print_peers(json_object_get(res, "peers"));
	json_decref(res);
	return 0;
}
