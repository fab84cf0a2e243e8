/*
 * audit: JSON-lines audit log with coalescing of repeated events.
 * See audit.h for the line format and the coalescing rule.
 */
#include "reflector/audit.h"

#include "lib/clock.h"
#include "lib/errbuf.h"
#include "lib/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const struct audit_event_type audit_event_types[] = {
	{"server_started", "the reflector started serving (endpoint_id, listen, mode)"},
	{"server_stopped", "the reflector stopped (reason: signal name or error)"},
	{"connection_accepted", "an authorized peer completed the mTLS handshake (source)"},
	{"connection_denied",
	 "a connection was refused (source, reason: unauthorized, tls_handshake_failed, "
	 "too_many_connections, too_many_handshakes, handshake_timeout); coalesced"},
	{"pairing_enabled", "a pairing token was created (ttl_sec, expires_at; never the token)"},
	{"peer_paired", "a peer redeemed a valid pairing token and was enrolled"},
	{"pairing_failed", "a pair_request was refused (reason: invalid, expired, already_used)"},
	{"peer_removed", "an enrolled peer was removed from the authorized set"},
	{"session_granted",
	 "a session was granted (test_id, test_type, duration_sec, streams, port, expires_at)"},
	{"session_denied",
	 "a session request was refused (reason, code, limit, current, maximum, "
	 "retry_after_sec, message)"},
	{"session_completed",
	 "a session ended, however it ended (test_id, test_type, ended_by: closed, expired, "
	 "disconnected, peer_removed, engine_failed, shutdown; bytes, duration_ms)"},
	{"session_expired", "a session reached its expires_at (test_id); session_completed follows"},
	{"identity_rotated", "rotate-identity replaced the key (old_endpoint_id, new_endpoint_id)"},
	{"config_reloaded", "SIGHUP re-read the configuration (path)"},
	{NULL, NULL},
};

#define KEY_TYPE_LEN 32
#define KEY_TEXT_LEN 96
#define PEER_ID_LEN 128

struct coalesce_entry {
	char event_type[KEY_TYPE_LEN];
	char source[KEY_TEXT_LEN];
	char reason[KEY_TEXT_LEN];
	int64_t window_start_ms;
	uint64_t count; /* repeats not written yet */
	int64_t first_ms, last_ms;
	char peer_id[PEER_ID_LEN];
	int has_peer_id;
	json_t *fields; /* of the latest repeat */
};

struct audit_log {
	char *path;
	int fd;
	struct coalesce_entry *entries;
	size_t n_entries;
	char last_error[ERRBUF_LEN];
};

int audit_event_type_known(const char *name)
{
	for (size_t i = 0; audit_event_types[i].name != NULL; i++)
		if (strcmp(audit_event_types[i].name, name) == 0)
			return 1;
	return 0;
}

void audit_format_timestamp(int64_t ms, char out[AUDIT_TIMESTAMP_LEN])
{
	int64_t sec = ms / 1000, milli = ms % 1000;
	if (milli < 0) {
		milli += 1000;
		sec--;
	}
	time_t t = (time_t)sec;
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(out, AUDIT_TIMESTAMP_LEN, "1970-01-01T00:00:00.000Z");
		return;
	}
	char date[24];
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, AUDIT_TIMESTAMP_LEN, "%s.%03dZ", date, (int)milli);
}

static int open_fd(struct audit_log *log, char *err)
{
	if (fsutil_mkdirs_for(log->path, 0700, err) != 0)
		return -1;
	log->fd = open(log->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (log->fd < 0)
		return errbuf_errno(err, "cannot open audit log %s", log->path);
	return 0;
}

struct audit_log *audit_open(const char *path, char *err)
{
	struct audit_log *log = calloc(1, sizeof(*log));
	if (log == NULL || (log->path = strdup(path)) == NULL ||
	    (log->entries = calloc(AUDIT_COALESCE_MAX_KEYS, sizeof(*log->entries))) == NULL) {
		errbuf_set(err, "%s: out of memory", path);
		goto fail;
	}
	if (open_fd(log, err) != 0)
		goto fail;
	return log;
fail:
	if (log != NULL) {
		free(log->entries);
		free(log->path);
	}
	free(log);
	return NULL;
}

/* Builds the line: the three fixed keys first, then the event's fields. */
static int write_line(struct audit_log *log, int64_t ts_ms, const char *event_type,
                      const char *peer_id, json_t *fields)
{
	char ts[AUDIT_TIMESTAMP_LEN];
	audit_format_timestamp(ts_ms, ts);
	json_t *line = json_object();
	json_object_set_new(line, "timestamp", json_string(ts));
	json_object_set_new(line, "event_type", json_string(event_type));
	json_object_set_new(line, "peer_id", peer_id ? json_string(peer_id) : json_null());
	const char *key;
	json_t *value;
	if (json_is_object(fields)) {
		json_object_foreach(fields, key, value) {
			if (strcmp(key, "timestamp") != 0 && strcmp(key, "event_type") != 0 &&
			    strcmp(key, "peer_id") != 0)
				json_object_set(line, key, value);
		}
	}
	char *text = json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(line);
	if (text == NULL) {
		errbuf_set(log->last_error, "%s: cannot encode a %s event", log->path, event_type);
		return -1;
	}
	size_t len = strlen(text);
	text[len] = '\n'; /* json_dumps' NUL becomes the newline: one write() */
	ssize_t n;
	do {
		n = write(log->fd, text, len + 1);
	} while (n < 0 && errno == EINTR);
	free(text);
	if (n != (ssize_t)(len + 1)) {
		if (n < 0)
			errbuf_errno(log->last_error, "cannot write audit log %s", log->path);
		else
			errbuf_set(log->last_error, "short write to audit log %s", log->path);
		return -1;
	}
	return 0;
}

int audit_event(struct audit_log *log, const char *event_type, const char *peer_id,
                json_t *fields)
{
	int rc;
	if (!audit_event_type_known(event_type)) {
		rc = errbuf_set(log->last_error, "audit: unknown event type \"%.40s\"", event_type);
	} else {
		rc = write_line(log, clock_wall_ms(), event_type, peer_id, fields);
	}
	json_decref(fields);
	return rc;
}

/* Writes the count line of e (if it counted anything) and resets it. */
static int emit_count(struct audit_log *log, struct coalesce_entry *e, int64_t now_ms)
{
	if (e->count == 0)
		return 0;
	json_t *fields = e->fields ? e->fields : json_object();
	char first[AUDIT_TIMESTAMP_LEN], last[AUDIT_TIMESTAMP_LEN];
	audit_format_timestamp(e->first_ms, first);
	audit_format_timestamp(e->last_ms, last);
	json_object_set_new(fields, "source", json_string(e->source));
	json_object_set_new(fields, "reason", json_string(e->reason));
	json_object_set_new(fields, "count", json_integer((json_int_t)e->count));
	json_object_set_new(fields, "first_timestamp", json_string(first));
	json_object_set_new(fields, "last_timestamp", json_string(last));
	int rc = write_line(log, now_ms, e->event_type, e->has_peer_id ? e->peer_id : NULL,
	                    fields);
	json_decref(fields);
	e->fields = NULL;
	e->count = 0;
	return rc;
}

static void remove_entry(struct audit_log *log, size_t i)
{
	json_decref(log->entries[i].fields);
	log->entries[i] = log->entries[log->n_entries - 1];
	log->n_entries--;
}

/* A window ended: write its count; keep the key only if the flood goes on
 * (it counted something), so that the next window also coalesces. */
static int close_window(struct audit_log *log, size_t i, int64_t now_ms)
{
	struct coalesce_entry *e = &log->entries[i];
	if (e->count == 0) {
		remove_entry(log, i);
		return 0;
	}
	int rc = emit_count(log, e, now_ms);
	e->window_start_ms = now_ms;
	return rc;
}

int audit_event_coalesced(struct audit_log *log, const char *event_type, const char *peer_id,
                          const char *source, const char *reason, json_t *fields)
{
	if (source == NULL)
		source = "";
	if (reason == NULL)
		reason = "";
	if (!audit_event_type_known(event_type)) {
		json_decref(fields);
		return errbuf_set(log->last_error, "audit: unknown event type \"%.40s\"", event_type);
	}
	int64_t now = clock_wall_ms();
	int rc = 0;
	size_t i;
	for (i = 0; i < log->n_entries; i++) {
		struct coalesce_entry *e = &log->entries[i];
		if (strncmp(e->event_type, event_type, KEY_TYPE_LEN - 1) == 0 &&
		    strncmp(e->source, source, KEY_TEXT_LEN - 1) == 0 &&
		    strncmp(e->reason, reason, KEY_TEXT_LEN - 1) == 0)
			break;
	}
	if (i < log->n_entries && now >= log->entries[i].window_start_ms + AUDIT_COALESCE_WINDOW_MS) {
		size_t before = log->n_entries;
		rc = close_window(log, i, now);
		if (log->n_entries != before)
			i = log->n_entries; /* the key was idle: start afresh below */
	}
	if (i < log->n_entries) {
		struct coalesce_entry *e = &log->entries[i];
		if (e->count == 0)
			e->first_ms = now;
		e->count++;
		e->last_ms = now;
		e->has_peer_id = peer_id != NULL;
		snprintf(e->peer_id, sizeof(e->peer_id), "%s", peer_id ? peer_id : "");
		json_decref(e->fields);
		e->fields = json_is_object(fields) ? fields : NULL;
		if (e->fields == NULL)
			json_decref(fields);
		return rc;
	}

	/* A new key: make room, remember it, write this first one at once. */
	if (log->n_entries == AUDIT_COALESCE_MAX_KEYS) {
		size_t oldest = 0;
		for (size_t j = 1; j < log->n_entries; j++)
			if (log->entries[j].window_start_ms < log->entries[oldest].window_start_ms)
				oldest = j;
		if (emit_count(log, &log->entries[oldest], now) != 0)
			rc = -1;
		remove_entry(log, oldest);
	}
	struct coalesce_entry *e = &log->entries[log->n_entries++];
	memset(e, 0, sizeof(*e));
	snprintf(e->event_type, sizeof(e->event_type), "%s", event_type);
	snprintf(e->source, sizeof(e->source), "%s", source);
	snprintf(e->reason, sizeof(e->reason), "%s", reason);
	e->window_start_ms = now;

	if (fields == NULL)
		fields = json_object();
	if (json_is_object(fields)) {
		json_object_set_new(fields, "source", json_string(source));
		json_object_set_new(fields, "reason", json_string(reason));
	}
	if (write_line(log, now, event_type, peer_id, fields) != 0)
		rc = -1;
	json_decref(fields);
	return rc;
}

int audit_tick(struct audit_log *log, int64_t now_ms)
{
	int rc = 0;
	for (size_t i = log->n_entries; i-- > 0;)
		if (now_ms >= log->entries[i].window_start_ms + AUDIT_COALESCE_WINDOW_MS)
			if (close_window(log, i, now_ms) != 0)
				rc = -1;
	return rc;
}

int audit_flush(struct audit_log *log)
{
	int rc = 0;
	int64_t now = clock_wall_ms();
	while (log->n_entries > 0) {
		if (emit_count(log, &log->entries[log->n_entries - 1], now) != 0)
			rc = -1;
		remove_entry(log, log->n_entries - 1);
	}
	return rc;
}

void audit_close(struct audit_log *log)
{
	if (log == NULL)
		return;
	audit_flush(log);
	if (log->fd >= 0)
		close(log->fd);
	free(log->entries);
	free(log->path);
	free(log);
}

int audit_reopen(struct audit_log *log, char *err)
{
	int old = log->fd;
	if (open_fd(log, err) != 0) {
		log->fd = old; /* keep writing where we were */
		return -1;
	}
	if (old >= 0)
		close(old);
	return 0;
}

const char *audit_last_error(const struct audit_log *log)
{
	return log->last_error;
}

size_t audit_pending_keys(const struct audit_log *log)
{
	return log->n_entries;
}
