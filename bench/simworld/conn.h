/* One accepted TCP connection with an optional TLS layer.
 *
 * The owner embeds a struct sim_conn, accepts it from a listener and gets
 * plaintext through ops->on_data. TLS runs over memory BIOs: bytes read
 * from the socket go into the SSL object and what OpenSSL produces is
 * written to the socket, so the loop never blocks in OpenSSL. The owner
 * frees its memory in ops->on_close, which runs once, after uv_close().
 */
#ifndef SIM_CONN_H
#define SIM_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>
#include <uv.h>

#include "engine/status.h"

struct sim_conn;

struct sim_conn_ops {
  /* Plaintext bytes arrived. The callee may write, pause or close. */
  void (*on_data)(struct sim_conn *conn, const char *data, size_t len);
  /* The handle is closed; the owner may free the memory now. */
  void (*on_close)(struct sim_conn *conn);
};

struct sim_conn {
  uv_tcp_t tcp;
  const struct sim_conn_ops *ops;
  void *owner;
  SSL *ssl; /* NULL unless TLS was started */
  unsigned pending_writes;
  bool closing;
  bool close_after_write;
  bool paused;
  uint32_t local_addr; /* IPv4 the client dialled, host byte order */
  uint32_t peer_addr;
};

/* Accept a connection from SERVER into CONN and start reading. On failure
 * the handle is closed and ops->on_close still runs, so the caller frees in
 * one place. */
enum lc_status sim_conn_accept(uv_stream_t *server, struct sim_conn *conn,
                               const struct sim_conn_ops *ops, void *owner);
/* Send LEN bytes of DATA, through TLS when it is active. Data that the
 * socket does not take at once is copied and queued. */
void sim_conn_write(struct sim_conn *conn, const char *data, size_t len);
/* Close now, dropping queued writes. Safe to call more than once. */
void sim_conn_close(struct sim_conn *conn);
/* Close once every queued write has been sent. */
void sim_conn_close_after_write(struct sim_conn *conn);
/* Stop and restart delivering data (backpressure, delayed replies). */
void sim_conn_pause(struct sim_conn *conn);
void sim_conn_resume(struct sim_conn *conn);
/* Start a server-side TLS handshake with CTX; later reads and writes go
 * through TLS. Returns LC_ERR_TLS when OpenSSL cannot create the session. */
enum lc_status sim_conn_start_tls(struct sim_conn *conn, SSL_CTX *ctx);

#endif
