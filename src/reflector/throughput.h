/*
 * throughput: the reflector's throughput engine (iperf3 supervision and
 * the tunneled relay). Owned by the throughput engineer; this is the seam
 * engine.c calls (see engine.h for the contract).
 */
#ifndef PP_REFLECTOR_THROUGHPUT_H
#define PP_REFLECTOR_THROUGHPUT_H

struct server;
struct session;

int throughput_start(struct server *srv, struct session *s, char *err);
void throughput_stop(struct server *srv, struct session *s);

#endif
