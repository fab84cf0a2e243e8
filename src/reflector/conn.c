#include "reflector/conn.h"

#include "core/protocol.h"
#include "core/tls.h"
#include "lib/clock.h"
#include "lib/errbuf.h"
#include "lib/evloop.h"
#include "lib/frame.h"
#include "lib/log.h"
#include "reflector/governance.h"
#include "reflector/handlers.h"
#include "reflector/peers.h"
#include "reflector/pairing.h"
#include "reflector/relay.h"
#include "reflector/server.h"
#include "reflector/server_audit.h"
#include "reflector/sessions.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* How long a closing connection may take to flush its last message. */
#define CONN_FLUSH_DEADLINE_MS 2000

static void read_cb(struct bufferevent *bev, void *arg);
static void event_cb(struct bufferevent *bev, short what, void *arg);

static void addr_to_text(const struct sockaddr *sa, char *out, size_t outlen)
{
	const void *ip = NULL;
	if (sa->sa_family == AF_INET)
		ip = &((const struct sockaddr_in *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		ip = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (ip == NULL || inet_ntop(sa->sa_family, ip, out, (socklen_t)outlen) == NULL)
		snprintf(out, outlen, "?");
}

void conn_free(struct conn *c)
{
	struct server *srv = c->srv;
	if (c->state != CONN_HANDSHAKE && srv->sessions != NULL) /* NULL: shutting down */
		sessions_end_matching(srv->sessions, c, NULL, SESSION_END_DISCONNECTED);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	srv->n_conns--;
	if (c->relay != NULL)
		relay_conn_gone(c->relay);
	evloop_timer_free(c->deadline);
	/* A finished TLS session ends with close_notify (RFC 8446 6.1), so the
	 * peer can tell a clean close from a cut. Best effort, non-blocking:
	 * the output was flushed already. */
	SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
	if (ssl != NULL && c->state != CONN_HANDSHAKE && SSL_is_init_finished(ssl))
		SSL_shutdown(ssl);
	ERR_clear_error();
	bufferevent_free(c->bev); /* frees the SSL and closes the socket */
	free(c);
}

static void deadline_cb(void *arg)
{
	struct conn *c = arg;
	switch (c->state) {
	case CONN_HANDSHAKE:
		log_info("%s: TLS handshake did not finish in time", c->addr_text);
		srv_audit_connection_denied(c->srv, c, "handshake_timeout", NULL);
		conn_free(c);
		break;
	case CONN_PAIRING:
	case CONN_AUTHORIZED:
		log_info("%s %s: frame not completed in time", c->addr_text, c->peer_id);
		conn_send(c, protocol_error(NULL, PP_ERR_TIMEOUT, "a frame did not complete in time"));
		conn_shutdown(c);
		break;
	case CONN_RELAY: /* not armed: the relay has no deadline of its own */
	case CONN_CLOSING:
		conn_free(c);
		break;
	}
}

/* OpenSSL's error queue says little ("reason(1)") about a failed
 * handshake; the alert that went over the wire says what an operator needs:
 * "certificate required", "no application protocol", "protocol version". */
static void tls_info_cb(const SSL *ssl, int where, int ret)
{
	if (!(where & SSL_CB_ALERT))
		return;
	struct conn *c = SSL_get_app_data(ssl);
	if (c != NULL && c->tls_alert[0] == '\0')
		snprintf(c->tls_alert, sizeof(c->tls_alert), "%s alert: %s",
		         (where & SSL_CB_READ) ? "peer sent" : "sent", tls_alert_name(ret));
}

void conn_accept(struct server *srv, int fd, const struct sockaddr *sa, int salen)
{
	struct conn *c = calloc(1, sizeof(*c));
	SSL *ssl = SSL_new(srv->tls);
	if (c == NULL || ssl == NULL) {
		free(c);
		SSL_free(ssl);
		close(fd);
		return;
	}
	SSL_set_app_data(ssl, c);
	SSL_set_info_callback(ssl, tls_info_cb);
	memcpy(&c->addr, sa, (size_t)salen < sizeof(c->addr) ? (size_t)salen : sizeof(c->addr));
	addr_to_text(sa, c->addr_text, sizeof(c->addr_text));
	c->srv = srv;
	c->state = CONN_HANDSHAKE;
	c->accepted_ms = clock_wall_ms();
	c->bev = bufferevent_openssl_socket_new(evloop_base(srv->loop), fd, ssl,
	                                        BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	c->deadline = evloop_timer_new(srv->loop, deadline_cb, c);
	if (c->bev == NULL || c->deadline == NULL) {
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		else {
			SSL_free(ssl);
			close(fd);
		}
		evloop_timer_free(c->deadline);
		free(c);
		return;
	}
	/* Peers that vanish without close_notify are normal on the Internet. */
	bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	c->next = srv->conns;
	if (c->next != NULL)
		c->next->prev = c;
	srv->conns = c;
	srv->n_conns++;
	evloop_timer_arm_ms(c->deadline, (int64_t)srv->cfg.network.handshake_timeout_sec * 1000);
	bufferevent_setcb(c->bev, read_cb, NULL, event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

void conn_send(struct conn *c, json_t *msg)
{
	if (msg == NULL)
		return;
	char err[ERRBUF_LEN];
	size_t len;
	char *text = protocol_serialize(msg, &len, err);
	json_decref(msg);
	if (text == NULL) {
		log_error("%s: cannot send a message: %s", c->peer_id, err);
		return;
	}
	uint8_t header[FRAME_HEADER_BYTES];
	frame_put_header(header, (uint32_t)len);
	bufferevent_write(c->bev, header, sizeof(header));
	bufferevent_write(c->bev, text, len);
	free(text);
}

static void closing_write_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	conn_free(arg); /* output drained: done */
}

void conn_shutdown(struct conn *c)
{
	if (c->state == CONN_CLOSING)
		return;
	if (c->state != CONN_HANDSHAKE && c->srv->sessions != NULL)
		sessions_end_matching(c->srv->sessions, c, NULL, SESSION_END_DISCONNECTED);
	c->state = CONN_CLOSING;
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_setcb(c->bev, NULL, closing_write_cb, event_cb, c);
	/* Freed by the write callback once flushed, or by the deadline if the
	 * peer does not read (0 ms when there is nothing left to send). */
	int64_t wait_ms = evbuffer_get_length(bufferevent_get_output(c->bev)) > 0 ? CONN_FLUSH_DEADLINE_MS : 0;
	evloop_timer_arm_ms(c->deadline, wait_ms);
}

static void set_idle_timeout(struct conn *c)
{
	const struct reflector_config *cfg = &c->srv->cfg;
	/* An unknown peer must speak promptly; an authorized control connection
	 * may sit quiet while its test runs. */
	int64_t idle_sec = cfg->network.frame_timeout_sec;
	if (c->state == CONN_AUTHORIZED)
		idle_sec += (int64_t)cfg->quotas.max_test_duration_sec + GOV_GRACE_SEC;
	struct timeval tv = {.tv_sec = (time_t)idle_sec};
	bufferevent_set_timeouts(c->bev, &tv, NULL);
}

static void handshake_done(struct conn *c)
{
	struct server *srv = c->srv;
	char err[ERRBUF_LEN];
	evloop_timer_disarm(c->deadline);
	SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
	if (tls_check_alpn(ssl, srv->cfg.network.alpn, err) != 0 ||
	    tls_peer_endpoint_id(ssl, c->peer_id, err) != 0) {
		log_info("%s: TLS handshake failed: %s", c->addr_text, err);
		srv->counters.handshake_failures++;
		srv_audit_connection_denied(srv, c, "tls_handshake_failed", err);
		conn_shutdown(c);
		return;
	}
	if (peers_contains(srv->peers, c->peer_id)) {
		c->state = CONN_AUTHORIZED;
		srv->counters.connections_accepted++;
		srv_audit_connection_accepted(srv, c);
	} else if (srv->cfg.access.pairing_enabled &&
	           pairing_window_open(srv->pairing, clock_wall_ms())) {
		c->state = CONN_PAIRING; /* its first message decides */
		log_info("%s %s: unknown peer, pairing window open", c->addr_text, c->peer_id);
	} else {
		c->state = CONN_AUTHORIZED; /* so that the error below is framed */
		srv->counters.connections_denied++;
		srv_audit_connection_denied(srv, c, "unauthorized", NULL);
		conn_send(c, protocol_error(NULL, PP_ERR_UNAUTHORIZED,
		                            "this endpoint ID is not authorized on this reflector"));
		conn_shutdown(c);
		return;
	}
	set_idle_timeout(c);
}

static void handshake_failed(struct conn *c)
{
	struct server *srv = c->srv;
	char reason[ERRBUF_LEN] = "connection closed during the handshake";
	if (c->tls_alert[0] != '\0')
		snprintf(reason, sizeof(reason), "%s", c->tls_alert);
	while (bufferevent_get_openssl_error(c->bev) != 0)
		; /* drained: the alert above is the useful part */
	ERR_clear_error();
	log_info("%s: TLS handshake failed: %s", c->addr_text, reason);
	srv->counters.handshake_failures++;
	srv->counters.connections_denied++;
	srv_audit_connection_denied(srv, c, "tls_handshake_failed", reason);
	conn_free(c);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	struct conn *c = arg;
	if (what & BEV_EVENT_CONNECTED) {
		handshake_done(c);
		return;
	}
	if (c->state == CONN_HANDSHAKE) {
		handshake_failed(c);
		return;
	}
	if ((what & BEV_EVENT_TIMEOUT) && c->state != CONN_CLOSING) {
		log_info("%s %s: idle for too long, closing", c->addr_text, c->peer_id);
		conn_send(c, protocol_error(NULL, PP_ERR_TIMEOUT, "idle for too long"));
		conn_shutdown(c);
		return;
	}
	/* EOF or error: the peer is gone. */
	log_debug("%s %s: connection closed", c->addr_text, c->peer_id);
	conn_free(c);
}

/* Reads whole frames and hands each to the handlers, while the connection
 * stays open for reading. */
static void read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	while (c->state == CONN_PAIRING || c->state == CONN_AUTHORIZED) {
		size_t avail = evbuffer_get_length(in), payload_len;
		if (avail == 0) {
			evloop_timer_disarm(c->deadline);
			return;
		}
		const uint8_t *head = evbuffer_pullup(in, avail < FRAME_HEADER_BYTES ? (ssize_t)avail : FRAME_HEADER_BYTES);
		enum frame_status st = frame_parse(head, avail, FRAME_MAX_PAYLOAD_BYTES, &payload_len);
		if (st == FRAME_NEED_MORE) {
			/* A frame has started: it must finish in time (slow-loris). */
			if (!evloop_timer_armed(c->deadline))
				evloop_timer_arm_ms(c->deadline, (int64_t)c->srv->cfg.network.frame_timeout_sec * 1000);
			return;
		}
		if (st != FRAME_OK) {
			log_info("%s %s: %s", c->addr_text, c->peer_id, frame_status_name(st));
			conn_send(c, protocol_error(NULL, st == FRAME_TOO_BIG ? PP_ERR_FRAME_TOO_LARGE : PP_ERR_MALFORMED_FRAME,
			                            frame_status_name(st)));
			conn_shutdown(c);
			return;
		}
		evloop_timer_disarm(c->deadline);
		const uint8_t *frame = evbuffer_pullup(in, (ssize_t)(FRAME_HEADER_BYTES + payload_len));
		handlers_on_frame(c, (const char *)frame + FRAME_HEADER_BYTES, payload_len);
		evbuffer_drain(in, FRAME_HEADER_BYTES + payload_len);
	}
}
