/* reflector serve [--bind ADDR]: run the endpoint until SIGTERM/SIGINT. */
#include "reflector/cli.h"

#include "lib/errbuf.h"
#include "lib/log.h"
#include "lib/netaddr.h"
#include "reflector/server.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

int cmd_serve(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"bind", required_argument, NULL, 'b'}, {NULL, 0, NULL, 0}};
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "b:", opts, NULL)) != -1) {
		if (ch != 'b') {
			return cli_usage(stderr, "serve");
		}
		/* A bad address is a usage error, found before anything is made. */
		struct sockaddr_storage ss;
		socklen_t sslen;
		char err[ERRBUF_LEN];
		if (netaddr_parse_listen(optarg, &ss, &sslen, err) != 0) {
			fprintf(stderr, "reflector serve: --bind %s\n", err);
			return 2;
		}
		snprintf(cli->cfg.network.listen_address, sizeof(cli->cfg.network.listen_address), "%s", optarg);
	}
	if (optind < argc) {
		fprintf(stderr, "reflector serve: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}

	static struct server srv; /* large; lives as long as the process */
	char err[ERRBUF_LEN];
	if (server_init(&srv, &cli->cfg, cli->config_path, err) != 0) {
		fprintf(stderr, "reflector: %s\n", err);
		server_cleanup(&srv);
		return 1;
	}
	printf("\n  PacketParamedic Reflector\n  ========================\n"
	       "  Endpoint ID : %s\n  Listen      : %s\n  Mode        : %s\n"
	       "  Config      : %s\n  Data dir    : %s\n\n",
	       srv.id.id, srv.cfg.network.listen_address, server_mode_name(&srv.cfg),
	       srv.cfg.source_path[0] ? srv.cfg.source_path : "(built-in defaults)", srv.cfg.data_dir);
	fflush(stdout);
	log_info("serving on %s", srv.cfg.network.listen_address);
	int rc = server_run(&srv);
	server_cleanup(&srv);
	log_info("stopped");
	return rc == 0 ? 0 : 1;
}
