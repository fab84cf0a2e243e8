/*
 * server_control: the running server's answers on its control socket
 * (status, pair, peers_list, peers_remove). The transport is control.c;
 * the CLI side is cmd_*.c.
 */
#ifndef PP_REFLECTOR_SERVER_CONTROL_H
#define PP_REFLECTOR_SERVER_CONTROL_H

#include <jansson.h>

json_t *server_control_handle(void *srv, const json_t *request);

#endif
