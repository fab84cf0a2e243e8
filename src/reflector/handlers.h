/*
 * handlers: what the reflector does with each message it receives.
 *
 * conn.c cuts the byte stream into frames; this module decodes each frame
 * (core/protocol) and answers it according to the connection's state:
 * an unknown peer may only pair; an authorized one may say hello, ask for,
 * close and describe sessions.
 */
#ifndef PP_REFLECTOR_HANDLERS_H
#define PP_REFLECTOR_HANDLERS_H

#include <stddef.h>

struct conn;

void handlers_on_frame(struct conn *c, const char *json, size_t len);

#endif
