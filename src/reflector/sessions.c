#include "reflector/sessions.h"

#include "lib/clock.h"
#include "lib/evloop.h"

#include <stdlib.h>
#include <string.h>

struct sessions {
	struct evloop *loop;
	session_end_fn on_end;
	void *ctx;
	struct session *head;
	unsigned count;
};

struct sessions *sessions_new(struct evloop *loop, session_end_fn on_end, void *ctx)
{
	struct sessions *t = calloc(1, sizeof(*t));
	if (t != NULL) {
		t->loop = loop;
		t->on_end = on_end;
		t->ctx = ctx;
	}
	return t;
}

void sessions_free(struct sessions *t)
{
	if (t == NULL)
		return;
	while (t->head != NULL)
		sessions_end(t->head, SESSION_END_SHUTDOWN);
	free(t);
}

static void expiry_cb(void *arg)
{
	sessions_end(arg, SESSION_END_EXPIRED);
}

struct session *sessions_add(struct sessions *t, const struct session *proto)
{
	struct session *s = malloc(sizeof(*s));
	if (s == NULL)
		return NULL;
	*s = *proto;
	s->table = t;
	s->expiry = evloop_timer_new(t->loop, expiry_cb, s);
	if (s->expiry == NULL) {
		free(s);
		return NULL;
	}
	evloop_timer_arm_ms(s->expiry, s->expires_ms - clock_wall_ms());
	s->next = t->head;
	t->head = s;
	t->count++;
	return s;
}

void sessions_end(struct session *s, enum session_end why)
{
	struct sessions *t = s->table;
	struct session **pp = &t->head;
	while (*pp != NULL && *pp != s)
		pp = &(*pp)->next;
	if (*pp == NULL)
		return;
	*pp = s->next;
	t->count--;
	evloop_timer_free(s->expiry);
	s->expiry = NULL;
	s->next = NULL;
	if (t->on_end != NULL)
		t->on_end(s, why, t->ctx);
	free(s);
}

struct session *sessions_find(struct sessions *t, const char *test_id)
{
	for (struct session *s = t->head; s != NULL; s = s->next)
		if (strcmp(s->test_id, test_id) == 0)
			return s;
	return NULL;
}

unsigned sessions_count(const struct sessions *t)
{
	return t->count;
}

struct session *sessions_first(struct sessions *t)
{
	return t->head;
}

void sessions_end_matching(struct sessions *t, const void *owner, const char *peer_id,
                           enum session_end why)
{
	struct session *s = t->head;
	while (s != NULL) {
		struct session *next = s->next;
		if ((owner != NULL && s->owner == owner) ||
		    (peer_id != NULL && strcmp(s->peer_id, peer_id) == 0))
			sessions_end(s, why);
		s = next;
	}
}

const char *session_end_name(enum session_end why)
{
	switch (why) {
	case SESSION_END_CLOSED:
		return "closed";
	case SESSION_END_EXPIRED:
		return "expired";
	case SESSION_END_DISCONNECTED:
		return "disconnected";
	case SESSION_END_PEER_REMOVED:
		return "peer_removed";
	case SESSION_END_SHUTDOWN:
		return "shutdown";
	case SESSION_END_ENGINE_FAILED:
		return "engine_failed";
	}
	return "?";
}
