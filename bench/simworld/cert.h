/* Test certificates: a CA and the server certificates it signs.
 *
 * `serve` writes DIR/ca.pem (and its key, ca-key.pem) the first time and
 * reuses them afterwards, so a client configured with DIR/ca.pem keeps
 * working across restarts. Each start issues fresh server certificates:
 * good.pem (localhost and 127.0.0.1), expired.pem (same names, expired
 * yesterday), wrong-name.pem (wrong-name.invalid) and smtp.pem (the names
 * of the STARTTLS hosts).
 */
#ifndef SIM_CERT_H
#define SIM_CERT_H

#include "bench/simworld/server.h"

/* Create or load the CA, issue the server certificates and build the TLS
 * contexts of SERVER (https_tls with the certificate chosen by
 * --https-cert, smtp_tls). Logs and returns LC_ERR_TLS or LC_ERR_IO. */
enum lc_status sim_cert_setup(struct sim_server *server);

#endif
