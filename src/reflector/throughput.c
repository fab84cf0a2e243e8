/* throughput: placeholder until the throughput engine lands (see throughput.h). */
#include "reflector/throughput.h"

#include "lib/errbuf.h"

int throughput_start(struct server *srv, struct session *s, char *err)
{
	(void)srv;
	(void)s;
	return errbuf_set(err, "throughput engine not available yet");
}

void throughput_stop(struct server *srv, struct session *s)
{
	(void)srv;
	(void)s;
}
