/* Fuzz paramedic's check of a received datagram (latency_accept_reply):
 * any bytes, direct and tunneled, against a run of four probes. An
 * accepted reply must name a probe that was sent and carry its send time. */
#include "fuzz.h"

#include "paramedic/latency.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t sent[4] = {1000, 2000, 3000, 4000};
	struct latency_run r = {.n_sent = 4, .send_ns = sent};
	struct latency_params p = {.size_bytes = 64};
	memset(p.token, 0x5a, sizeof(p.token));
	for (int tunneled = 0; tunneled < 2; tunneled++) {
		p.tunneled = tunneled;
		struct stats_arrival a;
		if (latency_accept_reply(data, size, &p, &r, 5000, &a) == 1) {
			if (a.seq >= 4 || a.recv_ns != 5000)
				abort();
			if (a.echo_recv_ns != 0 && a.echo_send_ns < a.echo_recv_ns)
				abort();
		}
	}
	return 0;
}
