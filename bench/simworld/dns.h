/* Authoritative DNS for every name of the world, over UDP and TCP. */
#ifndef SIM_DNS_H
#define SIM_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "bench/simworld/server.h"

/* Largest DNS message over UDP without EDNS (RFC 1035 4.2.1). */
#define SIM_DNS_UDP_MAX 512
#define SIM_DNS_TCP_MAX 65535

/* Build the answer to QUERY (LEN bytes) into OUT (CAP bytes, at least
 * SIM_DNS_UDP_MAX), truncating with the TC bit above LIMIT bytes. Returns
 * the answer length, or 0 when the query gets no answer (silent domain, a
 * response packet or bytes too short for a header). */
size_t sim_dns_answer(const struct sim_world *world, const uint8_t *query,
                      size_t len, uint8_t *out, size_t cap, size_t limit);

/* Start the UDP and TCP servers on HOST:PORT. Returns LC_ERR_IO after
 * logging when a socket cannot be bound. */
enum lc_status sim_dns_start(struct sim_server *server);

#endif
