#include "lib/evloop.h"

#include "lib/errbuf.h"

#include <event2/event.h>
#include <stdlib.h>

#define EVLOOP_MAX_HOOKS 16

struct evloop_timer {
	struct event *ev;
	evloop_fn fn;
	void *arg;
};

struct evloop_hook { /* a periodic timer or a signal handler */
	struct event *ev;
	const char *name;
	evloop_fn fn;
	evloop_signal_fn sig_fn;
	void *arg;
};

struct evloop {
	struct event_base *base;
	struct evloop_hook hooks[EVLOOP_MAX_HOOKS];
	int n_hooks;
};

struct evloop *evloop_new(char *err)
{
	struct evloop *loop = calloc(1, sizeof(*loop));
	if (loop == NULL) {
		errbuf_set(err, "out of memory");
		return NULL;
	}
	loop->base = event_base_new();
	if (loop->base == NULL) {
		free(loop);
		errbuf_set(err, "cannot create the libevent event loop");
		return NULL;
	}
	return loop;
}

void evloop_free(struct evloop *loop)
{
	if (loop == NULL)
		return;
	for (int i = 0; i < loop->n_hooks; i++)
		event_free(loop->hooks[i].ev);
	event_base_free(loop->base);
	free(loop);
}

struct event_base *evloop_base(struct evloop *loop)
{
	return loop->base;
}

int evloop_run(struct evloop *loop)
{
	return event_base_dispatch(loop->base) < 0 ? -1 : 0;
}

void evloop_stop(struct evloop *loop)
{
	event_base_loopbreak(loop->base);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct evloop_timer *t = arg;
	t->fn(t->arg);
}

struct evloop_timer *evloop_timer_new(struct evloop *loop, evloop_fn fn, void *arg)
{
	struct evloop_timer *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->fn = fn;
	t->arg = arg;
	t->ev = evtimer_new(loop->base, timer_cb, t);
	if (t->ev == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

static struct timeval ms_to_tv(int64_t ms)
{
	if (ms < 0)
		ms = 0;
	struct timeval tv = {.tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000};
	return tv;
}

void evloop_timer_arm_ms(struct evloop_timer *t, int64_t delay_ms)
{
	struct timeval tv = ms_to_tv(delay_ms);
	evtimer_add(t->ev, &tv);
}

void evloop_timer_disarm(struct evloop_timer *t)
{
	if (t != NULL)
		evtimer_del(t->ev);
}

int evloop_timer_armed(const struct evloop_timer *t)
{
	return evtimer_pending(t->ev, NULL) != 0;
}

void evloop_timer_free(struct evloop_timer *t)
{
	if (t == NULL)
		return;
	event_free(t->ev);
	free(t);
}

static void hook_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct evloop_hook *h = arg;
	if (h->sig_fn != NULL)
		h->sig_fn((int)fd, h->arg);
	else
		h->fn(h->arg);
}

static struct evloop_hook *hook_slot(struct evloop *loop, char *err)
{
	if (loop->n_hooks >= EVLOOP_MAX_HOOKS) {
		errbuf_set(err, "too many periodic timers and signal handlers");
		return NULL;
	}
	return &loop->hooks[loop->n_hooks];
}

int evloop_add_periodic(struct evloop *loop, const char *name, int64_t interval_ms,
                        evloop_fn fn, void *arg, char *err)
{
	struct evloop_hook *h = hook_slot(loop, err);
	if (h == NULL)
		return -1;
	*h = (struct evloop_hook){.name = name, .fn = fn, .arg = arg};
	h->ev = event_new(loop->base, -1, EV_PERSIST, hook_cb, h);
	struct timeval tv = ms_to_tv(interval_ms);
	if (h->ev == NULL || event_add(h->ev, &tv) != 0) {
		if (h->ev != NULL)
			event_free(h->ev);
		return errbuf_set(err, "cannot start periodic timer %s", name);
	}
	loop->n_hooks++;
	return 0;
}

int evloop_on_signal(struct evloop *loop, int signo, evloop_signal_fn fn, void *arg,
                     char *err)
{
	struct evloop_hook *h = hook_slot(loop, err);
	if (h == NULL)
		return -1;
	*h = (struct evloop_hook){.name = "signal", .sig_fn = fn, .arg = arg};
	h->ev = evsignal_new(loop->base, signo, hook_cb, h);
	if (h->ev == NULL || event_add(h->ev, NULL) != 0) {
		if (h->ev != NULL)
			event_free(h->ev);
		return errbuf_set(err, "cannot handle signal %d", signo);
	}
	loop->n_hooks++;
	return 0;
}
