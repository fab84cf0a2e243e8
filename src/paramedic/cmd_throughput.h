/* paramedic throughput HOST: an iperf3 test through a granted session. */
#ifndef PP_PARAMEDIC_CMD_THROUGHPUT_H
#define PP_PARAMEDIC_CMD_THROUGHPUT_H

#include "paramedic/cli.h"

int pm_cmd_throughput(struct pm_cli *cli, int argc, char **argv);

#endif
