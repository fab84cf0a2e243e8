/* engine: dispatch by test type (see engine.h). */
#include "reflector/engine.h"

#include "lib/errbuf.h"
#include "reflector/echo.h"
#include "reflector/sessions.h"
#include "reflector/throughput.h"

#include <string.h>

int engine_server_init(struct server *srv, char *err)
{
	return echo_server_init(srv, err) != 0 ? -1 : throughput_server_init(srv, err);
}

void engine_server_cleanup(struct server *srv)
{
	echo_server_cleanup(srv);
}

int engine_start(struct server *srv, struct session *s, char *err)
{
	if (strcmp(s->test_type, "udp_echo") == 0)
		return echo_start(srv, s, err);
	if (strcmp(s->test_type, "throughput") == 0)
		return throughput_start(srv, s, err);
	return errbuf_set(err, "no data-plane engine for test type '%s'", s->test_type);
}

void engine_stop(struct server *srv, struct session *s)
{
	if (strcmp(s->test_type, "udp_echo") == 0)
		echo_stop(srv, s);
	else if (strcmp(s->test_type, "throughput") == 0)
		throughput_stop(srv, s);
}
