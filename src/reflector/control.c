#include "reflector/control.h"

#include "lib/errbuf.h"
#include "lib/evloop.h"
#include "lib/frame.h"
#include "lib/log.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define CONTROL_CLIENT_TIMEOUT_SEC 5

struct control_client {
	struct control_server *cs;
	struct bufferevent *bev;
	struct control_client *next;
};

struct control_server {
	struct evconnlistener *listener;
	control_handler_fn handler;
	void *ctx;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct control_client *clients;
};

void control_socket_path(const char *data_dir, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/%s", data_dir, CONTROL_SOCKET_NAME);
}

json_t *control_error(const char *fmt, ...)
{
	char msg[ERRBUF_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

static int fill_sockaddr(const char *path, struct sockaddr_un *sa, char *err)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return errbuf_set(err, "control socket path too long: %s", path);
	strcpy(sa->sun_path, path);
	return 0;
}

static void client_free(struct control_client *c)
{
	struct control_client **pp = &c->cs->clients;
	while (*pp != NULL && *pp != c)
		pp = &(*pp)->next;
	if (*pp == c)
		*pp = c->next;
	bufferevent_free(c->bev);
	free(c);
}

static void client_write_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	client_free(arg); /* one request per connection: done once flushed */
}

static void client_reply(struct control_client *c, json_t *response)
{
	char *text = json_dumps(response, JSON_COMPACT);
	json_decref(response);
	if (text == NULL) {
		client_free(c);
		return;
	}
	uint8_t header[FRAME_HEADER_BYTES];
	size_t len = strlen(text);
	frame_put_header(header, (uint32_t)len);
	bufferevent_write(c->bev, header, sizeof(header));
	bufferevent_write(c->bev, text, len);
	free(text);
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_setcb(c->bev, NULL, client_write_cb, NULL, c);
}

static void client_read_cb(struct bufferevent *bev, void *arg)
{
	struct control_client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t avail = evbuffer_get_length(in), payload_len;
	uint8_t *data = evbuffer_pullup(in, (ssize_t)(avail < FRAME_HEADER_BYTES ? avail : FRAME_HEADER_BYTES));
	enum frame_status st = frame_parse(data, avail, CONTROL_MAX_FRAME_BYTES, &payload_len);
	if (st == FRAME_NEED_MORE)
		return;
	if (st != FRAME_OK) {
		client_reply(c, control_error("bad request: %s", frame_status_name(st)));
		return;
	}
	data = evbuffer_pullup(in, (ssize_t)(FRAME_HEADER_BYTES + payload_len));
	json_error_t jerr;
	json_t *request = json_loadb((const char *)data + FRAME_HEADER_BYTES, payload_len,
	                             JSON_REJECT_DUPLICATES, &jerr);
	evbuffer_drain(in, FRAME_HEADER_BYTES + payload_len);
	if (!json_is_object(request) || !json_is_string(json_object_get(request, "cmd"))) {
		json_decref(request);
		client_reply(c, control_error("bad request: expected a JSON object with \"cmd\""));
		return;
	}
	json_t *response = c->cs->handler(c->cs->ctx, request);
	json_decref(request);
	client_reply(c, response != NULL ? response : control_error("internal error"));
}

static void client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what; /* EOF, error or timeout: the exchange is over either way */
	client_free(arg);
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
	(void)sa;
	(void)salen;
	struct control_server *cs = arg;
	struct control_client *c = calloc(1, sizeof(*c));
	struct bufferevent *bev = bufferevent_socket_new(evconnlistener_get_base(l), fd,
	                                                 BEV_OPT_CLOSE_ON_FREE);
	if (c == NULL || bev == NULL) {
		free(c);
		if (bev != NULL)
			bufferevent_free(bev);
		else
			close(fd);
		return;
	}
	c->cs = cs;
	c->bev = bev;
	c->next = cs->clients;
	cs->clients = c;
	struct timeval tv = {CONTROL_CLIENT_TIMEOUT_SEC, 0};
	bufferevent_set_timeouts(bev, &tv, &tv);
	bufferevent_setcb(bev, client_read_cb, NULL, client_event_cb, c);
	bufferevent_enable(bev, EV_READ);
}

/* 1 when something answers at path. */
static int socket_is_live(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	int live = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	return live;
}

struct control_server *control_server_start(struct evloop *loop, const char *path,
                                            control_handler_fn handler, void *ctx,
                                            char *err)
{
	struct sockaddr_un sa;
	if (fill_sockaddr(path, &sa, err) != 0)
		return NULL;
	if (socket_is_live(&sa)) {
		errbuf_set(err, "another reflector is running with this data directory (%s answers)", path);
		return NULL;
	}
	unlink(path); /* a stale socket left by a crash */
	struct control_server *cs = calloc(1, sizeof(*cs));
	if (cs == NULL) {
		errbuf_set(err, "out of memory");
		return NULL;
	}
	cs->handler = handler;
	cs->ctx = ctx;
	snprintf(cs->path, sizeof(cs->path), "%s", path);
	/* Create the socket file already private: no window where others could connect. */
	mode_t old = umask(0177);
	cs->listener = evconnlistener_new_bind(evloop_base(loop), accept_cb, cs,
	                                       LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
	                                       (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (cs->listener == NULL) {
		errbuf_errno(err, "cannot listen on control socket %s", path);
		free(cs);
		return NULL;
	}
	chmod(path, 0600);
	return cs;
}

void control_server_stop(struct control_server *cs)
{
	if (cs == NULL)
		return;
	while (cs->clients != NULL)
		client_free(cs->clients);
	evconnlistener_free(cs->listener);
	unlink(cs->path);
	free(cs);
}

static int wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = events};
	int n;
	do
		n = poll(&p, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	return n;
}

static int read_exact(int fd, void *buf, size_t len, int timeout_ms, char *err)
{
	uint8_t *p = buf;
	while (len > 0) {
		if (wait_fd(fd, POLLIN, timeout_ms) <= 0)
			return errbuf_set(err, "the reflector did not answer on its control socket");
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return errbuf_set(err, "the reflector closed its control socket without answering");
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

json_t *control_call(const char *path, json_t *request, int timeout_ms, int *not_running,
                     char *err)
{
	*not_running = 0;
	struct sockaddr_un sa;
	json_t *response = NULL;
	char *text = NULL;
	int fd = -1;
	if (fill_sockaddr(path, &sa, err) != 0)
		goto out;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		errbuf_errno(err, "socket");
		goto out;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			*not_running = 1;
		errbuf_errno(err, "no reflector answers on %s", path);
		goto out;
	}
	text = json_dumps(request, JSON_COMPACT);
	if (text == NULL) {
		errbuf_set(err, "cannot encode control request");
		goto out;
	}
	size_t len = strlen(text);
	uint8_t header[FRAME_HEADER_BYTES];
	frame_put_header(header, (uint32_t)len);
	if (write(fd, header, sizeof(header)) != (ssize_t)sizeof(header) ||
	    write(fd, text, len) != (ssize_t)len) {
		errbuf_errno(err, "cannot write to control socket %s", path);
		goto out;
	}
	if (read_exact(fd, header, sizeof(header), timeout_ms, err) != 0)
		goto out;
	size_t payload_len;
	/* A 4-byte buffer is a header alone: "need more" means a sane length. */
	if (frame_parse(header, sizeof(header), CONTROL_MAX_FRAME_BYTES, &payload_len) != FRAME_NEED_MORE) {
		errbuf_set(err, "bad answer on control socket %s", path);
		goto out;
	}
	char *body = malloc(payload_len);
	if (body == NULL || read_exact(fd, body, payload_len, timeout_ms, err) != 0) {
		free(body);
		goto out;
	}
	json_error_t jerr;
	response = json_loadb(body, payload_len, 0, &jerr);
	free(body);
	if (!json_is_object(response)) {
		json_decref(response);
		response = NULL;
		errbuf_set(err, "bad answer on control socket %s", path);
	}
out:
	free(text);
	json_decref(request);
	if (fd >= 0)
		close(fd);
	return response;
}
