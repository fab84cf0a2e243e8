/*
 * cmd_capture: `paramedic capture SUBCOMMAND`, dispatching to analyze
 * (capture/analyze.h) and compare (capture/compare.h).
 */
#ifndef PP_PARAMEDIC_CMD_CAPTURE_H
#define PP_PARAMEDIC_CMD_CAPTURE_H

/* argv[0] is "capture". */
int cmd_capture(int argc, char **argv);

#endif
