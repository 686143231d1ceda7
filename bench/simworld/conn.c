/* TCP connections with optional TLS over memory BIOs. */
#include "bench/simworld/conn.h"
#include "bench/simworld/log.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#define READ_BUFFER (64u * 1024)

struct write_req {
  uv_write_t req;
  struct sim_conn *conn;
  char data[];
};

/* Reads are consumed before the callback returns, so one buffer serves
 * every connection of the loop. */
static char read_buffer[READ_BUFFER];

static void flush_tls(struct sim_conn *conn);

static void alloc_cb(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
  (void)handle;
  (void)suggested;
  *buf = uv_buf_init(read_buffer, sizeof(read_buffer));
}

static void close_cb(uv_handle_t *handle)
{
  struct sim_conn *conn = handle->data;
  if (conn->ssl != NULL) {
    SSL_free(conn->ssl);
    conn->ssl = NULL;
  }
  conn->ops->on_close(conn);
}

void sim_conn_close(struct sim_conn *conn)
{
  if (conn->closing)
    return;
  conn->closing = true;
  uv_close((uv_handle_t *)&conn->tcp, close_cb);
}

void sim_conn_close_after_write(struct sim_conn *conn)
{
  /* Send close_notify so TLS clients see a clean end of the stream. */
  if (conn->ssl != NULL && !conn->closing && SSL_is_init_finished(conn->ssl)) {
    SSL_shutdown(conn->ssl);
    flush_tls(conn);
  }
  if (conn->pending_writes == 0)
    sim_conn_close(conn);
  else
    conn->close_after_write = true;
}

static void write_cb(uv_write_t *req, int status)
{
  struct write_req *wr = (struct write_req *)req;
  struct sim_conn *conn = wr->conn;
  free(wr);
  conn->pending_writes--;
  if (status < 0 && status != UV_ECANCELED)
    sim_conn_close(conn);
  else if (conn->close_after_write && conn->pending_writes == 0)
    sim_conn_close(conn);
}

/* Write raw bytes to the socket: try at once, queue the rest. */
static void write_raw(struct sim_conn *conn, const char *data, size_t len)
{
  if (conn->closing || len == 0)
    return;
  uv_buf_t buf = uv_buf_init((char *)(uintptr_t)data, (unsigned)len);
  if (conn->pending_writes == 0) {
    int written = uv_try_write((uv_stream_t *)&conn->tcp, &buf, 1);
    if (written > 0) {
      data += written;
      len -= (size_t)written;
    } else if (written < 0 && written != UV_EAGAIN) {
      sim_conn_close(conn);
      return;
    }
  }
  if (len == 0)
    return;
  struct write_req *wr = malloc(sizeof(*wr) + len);
  if (wr == NULL) {
    sim_log_error("out of memory queueing %zu bytes; closing", len);
    sim_conn_close(conn);
    return;
  }
  wr->conn = conn;
  memcpy(wr->data, data, len);
  buf = uv_buf_init(wr->data, (unsigned)len);
  conn->pending_writes++;
  if (uv_write(&wr->req, (uv_stream_t *)&conn->tcp, &buf, 1, write_cb) < 0) {
    conn->pending_writes--;
    free(wr);
    sim_conn_close(conn);
  }
}

/* Send whatever OpenSSL queued in the write BIO. */
static void flush_tls(struct sim_conn *conn)
{
  char chunk[16 * 1024];
  BIO *wbio = SSL_get_wbio(conn->ssl);
  int n;
  while ((n = BIO_read(wbio, chunk, sizeof(chunk))) > 0)
    write_raw(conn, chunk, (size_t)n);
}

void sim_conn_write(struct sim_conn *conn, const char *data, size_t len)
{
  if (conn->closing)
    return;
  if (conn->ssl == NULL) {
    write_raw(conn, data, len);
    return;
  }
  if (len > 0 && SSL_write(conn->ssl, data, (int)len) <= 0) {
    sim_conn_close(conn);
    return;
  }
  flush_tls(conn);
}

/* Feed ciphertext into the SSL object and deliver the plaintext. */
static void read_tls(struct sim_conn *conn, const char *data, size_t len)
{
  char plain[16 * 1024];
  if (BIO_write(SSL_get_rbio(conn->ssl), data, (int)len) != (int)len) {
    sim_conn_close(conn);
    return;
  }
  while (!conn->closing) {
    int n = SSL_read(conn->ssl, plain, sizeof(plain));
    if (n > 0) {
      conn->ops->on_data(conn, plain, (size_t)n);
      continue;
    }
    int err = SSL_get_error(conn->ssl, n);
    flush_tls(conn);
    if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
      sim_log_debug("TLS session ended (SSL error %d)", err);
      sim_conn_close_after_write(conn);
    }
    return;
  }
}

static void read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
  struct sim_conn *conn = stream->data;
  if (nread < 0) {
    sim_conn_close(conn);
    return;
  }
  if (nread == 0 || conn->closing)
    return;
  if (conn->ssl != NULL)
    read_tls(conn, buf->base, (size_t)nread);
  else
    conn->ops->on_data(conn, buf->base, (size_t)nread);
}

static uint32_t sockaddr_ipv4(const struct sockaddr_storage *ss)
{
  if (ss->ss_family != AF_INET)
    return 0;
  return ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr);
}

static void read_addresses(struct sim_conn *conn)
{
  struct sockaddr_storage ss;
  int len = sizeof(ss);
  if (uv_tcp_getsockname(&conn->tcp, (struct sockaddr *)&ss, &len) == 0)
    conn->local_addr = sockaddr_ipv4(&ss);
  len = sizeof(ss);
  if (uv_tcp_getpeername(&conn->tcp, (struct sockaddr *)&ss, &len) == 0)
    conn->peer_addr = sockaddr_ipv4(&ss);
}

enum lc_status sim_conn_accept(uv_stream_t *server, struct sim_conn *conn,
                               const struct sim_conn_ops *ops, void *owner)
{
  memset(conn, 0, sizeof(*conn));
  conn->ops = ops;
  conn->owner = owner;
  uv_tcp_init(server->loop, &conn->tcp);
  conn->tcp.data = conn;
  int rc = uv_accept(server, (uv_stream_t *)&conn->tcp);
  if (rc == 0) {
    uv_tcp_nodelay(&conn->tcp, 1);
    read_addresses(conn);
    rc = uv_read_start((uv_stream_t *)&conn->tcp, alloc_cb, read_cb);
  }
  if (rc < 0) {
    sim_log_warn("accept failed: %s", uv_strerror(rc));
    sim_conn_close(conn);
    return LC_ERR_IO;
  }
  return LC_OK;
}

void sim_conn_pause(struct sim_conn *conn)
{
  if (!conn->paused && !conn->closing)
    uv_read_stop((uv_stream_t *)&conn->tcp);
  conn->paused = true;
}

void sim_conn_resume(struct sim_conn *conn)
{
  if (conn->paused && !conn->closing)
    uv_read_start((uv_stream_t *)&conn->tcp, alloc_cb, read_cb);
  conn->paused = false;
}

enum lc_status sim_conn_start_tls(struct sim_conn *conn, SSL_CTX *ctx)
{
  SSL *ssl = SSL_new(ctx);
  BIO *rbio = BIO_new(BIO_s_mem());
  BIO *wbio = BIO_new(BIO_s_mem());
  if (ssl == NULL || rbio == NULL || wbio == NULL) {
    SSL_free(ssl);
    BIO_free(rbio);
    BIO_free(wbio);
    sim_log_error("cannot create a TLS session");
    return LC_ERR_TLS;
  }
  SSL_set_bio(ssl, rbio, wbio);
  SSL_set_accept_state(ssl);
  conn->ssl = ssl;
  return LC_OK;
}
