/*
 * evloop: the thin wrapper around libevent's event_base.
 *
 * It owns the loop, one-shot timers, periodic work as named timers, and
 * signal handlers. Code that needs libevent's I/O objects (listeners,
 * bufferevents) asks for the base with evloop_base(); everything that is
 * only "call me later" goes through here.
 */
#ifndef PP_LIB_EVLOOP_H
#define PP_LIB_EVLOOP_H

#include <stdint.h>

struct evloop;
struct evloop_timer;
struct event_base;

typedef void (*evloop_fn)(void *arg);
typedef void (*evloop_signal_fn)(int signo, void *arg);

struct evloop *evloop_new(char *err);
void evloop_free(struct evloop *loop);
struct event_base *evloop_base(struct evloop *loop);

/* Runs until evloop_stop() or until nothing is left to wait for. */
int evloop_run(struct evloop *loop);
void evloop_stop(struct evloop *loop);

/* A one-shot timer, re-armable. Arming an armed timer moves its deadline. */
struct evloop_timer *evloop_timer_new(struct evloop *loop, evloop_fn fn, void *arg);
void evloop_timer_arm_ms(struct evloop_timer *t, int64_t delay_ms);
void evloop_timer_disarm(struct evloop_timer *t);
int evloop_timer_armed(const struct evloop_timer *t);
void evloop_timer_free(struct evloop_timer *t);

/* Periodic work: fn(arg) every interval_ms, named for logs. Freed with the
 * loop. */
int evloop_add_periodic(struct evloop *loop, const char *name, int64_t interval_ms,
                        evloop_fn fn, void *arg, char *err);

/* Calls fn(signo, arg) from the loop (not from signal context). */
int evloop_on_signal(struct evloop *loop, int signo, evloop_signal_fn fn, void *arg,
                     char *err);

#endif
