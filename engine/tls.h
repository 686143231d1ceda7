/* TLS client over memory BIOs, for protocols that run on libuv streams.
 *
 * The owner moves bytes: ciphertext read from the socket goes in with
 * lc_tls_feed(), ciphertext to send comes out with lc_tls_take_output().
 * OpenSSL never touches the socket, so one loop drives thousands of
 * connections. Certificates are not verified, as MTAs do for opportunistic
 * STARTTLS; the name given is sent as SNI only.
 */
#ifndef LC_TLS_H
#define LC_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "engine/status.h"

struct lc_tls;

/* Create a client SSL_CTX fit for probing: the lowest protocol version
 * that the OpenSSL build and its security level allow, and no certificate
 * verification. The caller owns it
 * and frees it with SSL_CTX_free(). */
enum lc_status lc_tls_client_ctx_new(SSL_CTX **out);

/* Create a client connection from CTX that sends SNI (NULL or an IP
 * literal: no SNI). Stores it in *OUT on LC_OK; LC_ERR_TLS or
 * LC_ERR_NOMEM otherwise. */
enum lc_status lc_tls_new(SSL_CTX *ctx, const char *sni, struct lc_tls **out);

/* Free TLS; accepts NULL. */
void lc_tls_free(struct lc_tls *tls);

/* Hand LEN bytes of ciphertext received from the peer to TLS. */
enum lc_status lc_tls_feed(struct lc_tls *tls, const char *data, size_t len);

/* Advance the handshake. Sets *DONE when it completed. Returns LC_ERR_TLS
 * when it failed (the reason is logged at debug level). */
enum lc_status lc_tls_handshake(struct lc_tls *tls, bool *done);

/* Decrypt up to SIZE bytes into BUF and store the count in *N (0 when a
 * record is still incomplete). LC_ERR_CLOSED when the peer sent
 * close_notify, LC_ERR_TLS on a record error. */
enum lc_status lc_tls_read(struct lc_tls *tls, char *buf, size_t size,
                           size_t *n);

/* Encrypt LEN bytes; the ciphertext waits for lc_tls_take_output(). */
enum lc_status lc_tls_write(struct lc_tls *tls, const char *data, size_t len);

/* Bytes of ciphertext waiting to be sent. */
size_t lc_tls_output_pending(const struct lc_tls *tls);

/* Move up to SIZE bytes of waiting ciphertext into BUF; returns the count. */
size_t lc_tls_take_output(struct lc_tls *tls, char *buf, size_t size);

/* Return the protocol version ("TLSv1.3") and the cipher name
 * ("TLS_AES_256_GCM_SHA384") for logs. The text lives as long as TLS. */
const char *lc_tls_version(const struct lc_tls *tls);
const char *lc_tls_cipher(const struct lc_tls *tls);

#endif
