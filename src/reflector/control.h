/*
 * control: the reflector's local control socket.
 *
 * A unix stream socket in the data directory (mode 0600, so only the
 * reflector's user can drive it). `reflector pair|status|peers` talk to a
 * running `reflector serve` through it. Both ends share this definition:
 * each request and each response is one frame (lib/frame.h: 4-byte
 * big-endian length + JSON), one request per connection.
 *
 *   request:  {"cmd": "status" | "pair" | "peers_list" | "peers_remove", ...}
 *   response: {"ok": true, ...} or {"ok": false, "error": "one line"}
 */
#ifndef PP_REFLECTOR_CONTROL_H
#define PP_REFLECTOR_CONTROL_H

#include <jansson.h>
#include <stddef.h>

#define CONTROL_SOCKET_NAME "control.sock"
#define CONTROL_MAX_FRAME_BYTES (256 * 1024)

struct evloop;
struct control_server;

/* Called for each request; returns the response (owned by the caller). */
typedef json_t *(*control_handler_fn)(void *ctx, const json_t *request);

/* Path of the control socket of a data directory. */
void control_socket_path(const char *data_dir, char *out, size_t outlen);

/* Starts listening at path. A stale socket file (nobody answers) is
 * replaced; a live one means another reflector uses this data directory,
 * which is an error. */
struct control_server *control_server_start(struct evloop *loop, const char *path,
                                            control_handler_fn handler, void *ctx,
                                            char *err);
/* Stops listening, closes client connections and removes the socket file. */
void control_server_stop(struct control_server *cs);

/* Client side (blocking). Returns the response, or NULL with err filled.
 * *not_running is set to 1 when no server listens at path (so the caller
 * can fall back to working on the files directly). */
json_t *control_call(const char *path, json_t *request /* stolen */, int timeout_ms,
                     int *not_running, char *err);

/* A response helper: {"ok": false, "error": message}. */
json_t *control_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
