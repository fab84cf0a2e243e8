/* throughput_result: iperf3 client JSON -> struct tp_result (pure). */
#include "paramedic/throughput.h"

#include "lib/errbuf.h"

#include <stdio.h>
#include <string.h>

static double num(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);
	return json_is_number(v) && json_number_value(v) >= 0 ? json_number_value(v) : 0;
}

static uint64_t count(const json_t *obj, const char *key)
{
	double d = num(obj, key);
	return d < 1.8e19 ? (uint64_t)d : 0;
}

static int64_t opt_int(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);
	return json_is_integer(v) && json_integer_value(v) >= 0 ? (int64_t)json_integer_value(v) : -1;
}

int tp_result_parse(const char *text, size_t len, struct tp_result *r, char *err)
{
	memset(r, 0, sizeof(*r));
	r->retransmits = -1;
	r->lost_packets = r->packets = -1;
	json_error_t jerr;
	/* No JSON_REJECT_DUPLICATES: iperf3 3.12 writes "sock_bufsize" twice
	 * in its start section (the last one wins). */
	json_t *root = json_loadb(text, len, 0, &jerr);
	if (!json_is_object(root)) {
		json_decref(root);
		return errbuf_set(err, "iperf3's output is not a JSON object%s%s", root == NULL ? ": " : "",
		                  root == NULL ? jerr.text : "");
	}
	const char *error = json_string_value(json_object_get(root, "error"));
	if (error != NULL)
		snprintf(r->error, sizeof(r->error), "%s", error);
	const json_t *ts = json_object_get(json_object_get(root, "start"), "test_start");
	const char *proto = json_string_value(json_object_get(ts, "protocol"));
	r->udp = proto != NULL && strcmp(proto, "UDP") == 0;
	const json_t *rev = json_object_get(ts, "reverse");
	r->reverse = json_is_integer(rev) ? json_integer_value(rev) != 0 : json_is_true(rev);
	int64_t ns = opt_int(ts, "num_streams");
	r->streams = ns > 0 && ns <= 1000000 ? (int)ns : 0;

	const json_t *end = json_object_get(root, "end");
	const json_t *sent = json_object_get(end, "sum_sent");
	const json_t *received = json_object_get(end, "sum_received");
	const json_t *sum = json_object_get(end, "sum"); /* UDP */
	if (!json_is_object(sent) && !json_is_object(received) && !json_is_object(sum)) {
		json_decref(root);
		return errbuf_set(err, "iperf3 gave no result%s%s", r->error[0] ? ": " : "", r->error);
	}
	if (json_is_object(sent)) {
		r->sent_bytes = count(sent, "bytes");
		r->sent_bps = num(sent, "bits_per_second");
		r->retransmits = opt_int(sent, "retransmits");
		r->duration_sec = num(sent, "seconds");
	}
	if (json_is_object(received)) {
		r->received_bytes = count(received, "bytes");
		r->received_bps = num(received, "bits_per_second");
		if (r->duration_sec == 0)
			r->duration_sec = num(received, "seconds");
	}
	if (r->udp && json_is_object(sum)) {
		r->jitter_ms = num(sum, "jitter_ms");
		r->lost_percent = num(sum, "lost_percent");
		r->lost_packets = opt_int(sum, "lost_packets");
		r->packets = opt_int(sum, "packets");
		if (!json_is_object(sent)) {
			r->sent_bytes = count(sum, "bytes");
			r->sent_bps = num(sum, "bits_per_second");
		}
	}
	size_t i;
	const json_t *st;
	json_array_foreach(json_object_get(end, "streams"), i, st) {
		if (r->n_stream == TP_MAX_STREAMS)
			break;
		struct tp_stream_result *s = &r->stream[r->n_stream++];
		const json_t *snd = json_object_get(st, "sender");
		const json_t *rcv = json_object_get(st, "receiver");
		if (!json_is_object(snd))
			snd = json_object_get(st, "udp");
		s->sent_bps = num(snd, "bits_per_second");
		s->sent_bytes = count(snd, "bytes");
		s->retransmits = opt_int(snd, "retransmits");
		s->received_bps = num(rcv, "bits_per_second");
		s->received_bytes = count(rcv, "bytes");
	}
	json_decref(root);
	return 0;
}

json_t *tp_result_json(const struct tp_result *r)
{
	json_t *streams = json_array();
	for (size_t i = 0; i < r->n_stream; i++) {
		const struct tp_stream_result *s = &r->stream[i];
		json_t *o = json_pack("{s:f, s:f, s:I, s:I}", "sent_bits_per_second", s->sent_bps,
		                      "received_bits_per_second", s->received_bps, "sent_bytes",
		                      (json_int_t)s->sent_bytes, "received_bytes", (json_int_t)s->received_bytes);
		json_object_set_new(o, "retransmits", s->retransmits >= 0 ? json_integer(s->retransmits) : json_null());
		json_array_append_new(streams, o);
	}
	json_t *o = json_pack("{s:s, s:b, s:i, s:f, s:I, s:I, s:f, s:f}", "protocol", r->udp ? "udp" : "tcp",
	                      "reverse", r->reverse, "streams", r->streams, "duration_sec", r->duration_sec,
	                      "sent_bytes", (json_int_t)r->sent_bytes, "received_bytes",
	                      (json_int_t)r->received_bytes, "sent_bits_per_second", r->sent_bps,
	                      "received_bits_per_second", r->received_bps);
	json_object_set_new(o, "retransmits", r->retransmits >= 0 ? json_integer(r->retransmits) : json_null());
	if (r->udp) {
		json_object_set_new(o, "jitter_ms", json_real(r->jitter_ms));
		json_object_set_new(o, "lost_percent", json_real(r->lost_percent));
		json_object_set_new(o, "lost_packets", r->lost_packets >= 0 ? json_integer(r->lost_packets) : json_null());
		json_object_set_new(o, "packets", r->packets >= 0 ? json_integer(r->packets) : json_null());
	}
	json_object_set_new(o, "per_stream", streams);
	return o;
}
