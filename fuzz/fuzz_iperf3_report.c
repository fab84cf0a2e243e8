/* Fuzz the iperf3 report parser and the /proc/net/tcp reader: any bytes,
 * as a misbehaving (or replaced) iperf3 binary or kernel could write. */
#include "fuzz.h"

#include "lib/errbuf.h"
#include "reflector/iperf3.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t bytes = 0;
	char error[64], err[ERRBUF_LEN];
	error[0] = 'x';
	if (iperf3_report_bytes((const char *)data, size, &bytes, error, sizeof(error), err) != 0 &&
	    err[0] == '\0')
		abort(); /* a refusal always says why */
	(void)iperf3_proc_net_listening((const char *)data, size, 5201);
	(void)iperf3_proc_net_listening((const char *)data, size, 0);
	return 0;
}
