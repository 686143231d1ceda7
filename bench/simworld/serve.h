/* `simworld serve`: DNS, SMTP and HTTPS servers of one world on one libuv
 * loop, bound to loopback addresses only. */
#ifndef SIM_SERVE_H
#define SIM_SERVE_H

/* Run `simworld serve` with its command-line arguments. Returns the process
 * exit status after SIGTERM or SIGINT. */
int sim_serve_main(int argc, char **argv);

#endif
