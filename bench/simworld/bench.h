/* `simworld bench`: SMTP load client for measuring replies/s. */
#ifndef SIM_BENCH_H
#define SIM_BENCH_H

#include <uv.h>

/* Run `simworld bench` with its command-line arguments. Returns the process
 * exit status. */
int sim_bench_main(int argc, char **argv);

#endif
