/*
 * argv: small command-line helpers shared by the programs.
 */
#ifndef PP_LIB_ARGV_H
#define PP_LIB_ARGV_H

#include <stdbool.h>

/* Removes every occurrence of flag from argv[1..] (a flag like --json that
 * may stand anywhere on the line); true when there was one. */
bool argv_take_flag(int *argc, char **argv, const char *flag);

/* true when argv[1..] holds -h or --help before any "--" (a command's
 * arguments: the caller then prints its usage instead of running it). */
bool argv_wants_help(int argc, char **argv);

#endif
