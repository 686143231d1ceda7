/* HTTPS identity endpoints in the shapes of Microsoft's public ones. */
#ifndef SIM_HTTPS_H
#define SIM_HTTPS_H

#include "bench/simworld/server.h"

/* Listen on 127.0.0.1:--https-port with the TLS context from cert.c. */
enum lc_status sim_https_start(struct sim_server *server);

#endif
