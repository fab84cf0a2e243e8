/*
 * exec_path: would exec find this program? (A name with a '/' is a path;
 * otherwise each $PATH directory is tried, as execvp does.) Used to tell
 * "iperf3 is missing" before a test instead of after a failed spawn.
 */
#ifndef PP_LIB_EXEC_PATH_H
#define PP_LIB_EXEC_PATH_H

#include <stdbool.h>

bool exec_path_found(const char *cmd);

#endif
