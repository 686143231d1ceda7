/* Counters of `simworld serve` as JSON. */
#ifndef SIM_STATS_H
#define SIM_STATS_H

#include "bench/simworld/server.h"

/* Write the counters of SERVER as JSON to PATH, through a temporary file
 * renamed into place so readers never see half a file. Logs and returns
 * LC_ERR_IO on failure. */
enum lc_status sim_stats_write(const struct sim_server *server,
                               const char *path);

#endif
