/* SMTP server: one listener per MX address of the world, all on one port.
 * The address a client dialled selects the host and its behaviour. */
#ifndef SIM_SMTP_H
#define SIM_SMTP_H

#include "bench/simworld/server.h"

/* Bind a listener on ADDR:--smtp-port for every host of the world except
 * those with the "refused" profile, which must refuse connections. Logs
 * and returns LC_ERR_IO when an address cannot be bound. */
enum lc_status sim_smtp_start(struct sim_server *server);

#endif
