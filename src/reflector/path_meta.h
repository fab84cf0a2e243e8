/*
 * path_meta: what the reflector tells a peer about its own host, so that a
 * slow result can be told apart from a busy or badly configured endpoint:
 * CPU count, memory, load, interfaces with their MTU, clock
 * synchronisation, version. Read from /proc and /sys under a root that
 * tests can point at fixtures (PP_PROC_ROOT, default "/").
 */
#ifndef PP_REFLECTOR_PATH_META_H
#define PP_REFLECTOR_PATH_META_H

#include <jansson.h>

/* The fields of a path_meta payload, read under root ("/" normally). */
json_t *path_meta_collect(const char *root);

/* A whole path_meta envelope answering request_id. */
json_t *path_meta_message(const char *request_id);

#endif
