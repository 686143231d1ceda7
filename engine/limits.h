/* Process resource limits that bound the network checks.
 *
 * Every SMTP connection uses one file descriptor, and so do the DNS
 * sockets, the HTTPS connections of the identity check, the input and
 * output files and libuv's own descriptors. A --max-connections that the
 * descriptor limit (RLIMIT_NOFILE) cannot hold makes connects fail with
 * EMFILE half-way through a run, so the limit is raised where the system
 * allows it and the connection cap is lowered to fit where it does not.
 */
#ifndef LC_LIMITS_H
#define LC_LIMITS_H

#include <stdint.h>

/* Descriptors kept for everything but SMTP connections: standard streams,
 * input and output, libuv's internal descriptors, c-ares sockets (a UDP and
 * a TCP socket per DNS server, up to 8 servers) and identity HTTPS
 * connections. */
#define LC_LIMITS_FD_HEADROOM 64

/* Connection cap the scheduler uses when --max-connections is 0.
 * NOTE: a copy of SCHED_MAX_CONNECTIONS_DEFAULT, which engine/sched.c
 * keeps private; change both together. */
#define LC_LIMITS_SMTP_DEFAULT 2000

/* Raise the soft RLIMIT_NOFILE to the hard limit (when the hard limit is
 * unlimited, to the kernel's nr_open bound). Returns the soft limit in
 * force afterwards, UINT64_MAX when it is unlimited. Never fails: when
 * the limit cannot be read or raised, the current soft limit stays. */
uint64_t lc_limits_raise_nofile(void);

/* Return the number of SMTP connections that fit in SOFT_LIMIT descriptors
 * with LC_LIMITS_FD_HEADROOM kept aside: REQUESTED when it fits, otherwise
 * SOFT_LIMIT minus the headroom, and at least 1. Pure. */
unsigned lc_limits_fit_connections(unsigned requested, uint64_t soft_limit);

/* Raise the descriptor limit and return the connection cap to use for
 * REQUESTED (0 selects LC_LIMITS_SMTP_DEFAULT). When the cap does not fit,
 * logs one warning with the numbers and how to raise the limit, and
 * returns the lowered cap. Otherwise returns REQUESTED unchanged, 0
 * included, so that the scheduler's own default still applies. */
unsigned lc_limits_smtp_connections(unsigned requested);

#endif
