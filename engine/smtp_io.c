/* SMTP probe session: libuv and TLS glue.
 *
 * Each session owns one uv_tcp_t and one uv_timer_t. Trying the next MX
 * address closes the TCP handle and initialises it again from the close
 * callback, because libuv cannot reuse a handle before that. The session is
 * freed only after both handles are closed (lc_smtp_on_handles_closed).
 *
 * Output goes through one bounded buffer (wire) with at most one uv_write
 * in flight; bytes queued during a write wait behind it. With TLS the
 * commands are encrypted into a memory BIO first and its ciphertext moves
 * into wire as space frees up.
 *
 * A failed write is not reported from inside the call that queued it:
 * the timer fires at once instead, so the state machine never sees an
 * error in the middle of a reply handler.
 */
#include <string.h>

#include <netinet/in.h>

#include "engine/log.h"
#include "engine/smtp_session.h"

/* Room kept for the TLS record header, tag and padding of one write. */
#define IO_TLS_OVERHEAD 64

static void io_alloc_cb(uv_handle_t *handle, size_t suggested, uv_buf_t *buf);
static void io_read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);
static void io_write_cb(uv_write_t *req, int status);
static void io_connect_cb(uv_connect_t *req, int status);
static void io_timer_cb(uv_timer_t *timer);
static void io_tcp_close_cb(uv_handle_t *handle);
static void io_timer_close_cb(uv_handle_t *handle);
static void io_flush(struct lc_smtp_session *s);
static void io_fail_later(struct lc_smtp_session *s, const char *why);

enum lc_status lc_smtp_io_init(struct lc_smtp_session *s)
{
  /* On Unix both calls only fill in the struct (no socket is created
   * before connect), so neither fails and no half-made handle needs a
   * close here. */
  if (uv_tcp_init(s->loop, &s->tcp) != 0 ||
      uv_timer_init(s->loop, &s->timer) != 0)
    return LC_ERR_INTERNAL;
  s->tcp.data = s;
  s->timer.data = s;
  s->connect_req.data = s;
  s->write_req.data = s;
  s->tcp_open = true;
  s->handles = 2;
  return LC_OK;
}

/* Connect to the current address; failures move on to the next one. */
void lc_smtp_io_connect(struct lc_smtp_session *s)
{
  struct sockaddr_storage *addr = &s->addrs[s->addr_index];
  int rc;

  if (addr->ss_family == AF_INET)
    ((struct sockaddr_in *)addr)->sin_port = htons(s->opts.port);
  else if (addr->ss_family == AF_INET6)
    ((struct sockaddr_in6 *)addr)->sin6_port = htons(s->opts.port);
  lc_smtp_rearm(s);
  rc = uv_tcp_connect(&s->connect_req, &s->tcp, (const struct sockaddr *)addr,
                      io_connect_cb);
  if (rc != 0) {
    s->last_error = uv_strerror(rc);
    lc_smtp_io_next_address(s);
  }
}

/* Give up on the current address: its close callback tries the next. */
void lc_smtp_io_next_address(struct lc_smtp_session *s)
{
  char name[64] = "?";

  uv_ip_name((const struct sockaddr *)&s->addrs[s->addr_index], name,
             sizeof(name));
  lc_debug("smtp %s: connect to %s port %u failed: %s", s->mx, name,
           (unsigned)s->opts.port, s->last_error);
  uv_timer_stop(&s->timer);
  if (!uv_is_closing((uv_handle_t *)&s->tcp))
    uv_close((uv_handle_t *)&s->tcp, io_tcp_close_cb);
}

/* Report whether a pipelined command of LEN bytes may be queued now. */
bool lc_smtp_io_room(const struct lc_smtp_session *s, size_t len)
{
  size_t queued = s->wire_len;

  if (s->tls != NULL)
    queued += lc_tls_output_pending(s->tls) + IO_TLS_OVERHEAD;
  return queued + len <= LC_SMTP_PIPE_MAX;
}

/* Move waiting ciphertext into the free part of wire. */
static void io_pull_tls(struct lc_smtp_session *s)
{
  s->wire_len += lc_tls_take_output(s->tls, s->wire + s->wire_len,
                                    sizeof(s->wire) - s->wire_len);
}

/* Queue one command line of LEN bytes. */
void lc_smtp_io_send(struct lc_smtp_session *s, const char *line, size_t len)
{
  if (s->tls != NULL) {
    if (lc_tls_write(s->tls, line, len) != LC_OK) {
      io_fail_later(s, "TLS write failed");
      return;
    }
    io_pull_tls(s);
  } else if (len <= sizeof(s->wire) - s->wire_len) {
    memcpy(s->wire + s->wire_len, line, len);
    s->wire_len += len;
  } else {
    /* Unreachable: pipelining stops at LC_SMTP_PIPE_MAX, leaving room. */
    io_fail_later(s, "write queue full");
    return;
  }
  io_flush(s);
}

/* Start the TLS handshake after the 220 to STARTTLS. */
enum lc_status lc_smtp_io_start_tls(struct lc_smtp_session *s)
{
  enum lc_status status;
  bool done = false;

  status = lc_tls_new(s->opts.ssl_ctx, s->mx, &s->tls);
  if (status != LC_OK)
    return status;
  status = lc_tls_handshake(s->tls, &done);
  if (status != LC_OK)
    return status;
  io_pull_tls(s);
  io_flush(s);
  return LC_OK;
}

/* Arm the timer for MS milliseconds from now; 0 stops it. */
void lc_smtp_io_timer(struct lc_smtp_session *s, unsigned ms)
{
  if (s->io_failed || uv_is_closing((uv_handle_t *)&s->timer))
    return;
  if (ms == 0)
    uv_timer_stop(&s->timer);
  else
    uv_timer_start(&s->timer, io_timer_cb, ms, 0);
}

/* Close both handles; lc_smtp_on_handles_closed() follows.
 * NOTE: TLS connections close without a close_notify alert, so that closing
 * never waits for a write. */
void lc_smtp_io_close(struct lc_smtp_session *s)
{
  if (s->tcp_open && !uv_is_closing((uv_handle_t *)&s->tcp)) {
    uv_read_stop((uv_stream_t *)&s->tcp);
    uv_close((uv_handle_t *)&s->tcp, io_tcp_close_cb);
  }
  if (!uv_is_closing((uv_handle_t *)&s->timer)) {
    uv_timer_stop(&s->timer);
    uv_close((uv_handle_t *)&s->timer, io_timer_close_cb);
  }
}

static void io_connect_cb(uv_connect_t *req, int status)
{
  struct lc_smtp_session *s = req->data;
  int rc;

  if (status == UV_ECANCELED || s->state != LC_SMTP_CONNECT)
    return;
  if (status != 0) {
    s->last_error = uv_strerror(status);
    lc_smtp_io_next_address(s);
    return;
  }
  uv_tcp_nodelay(&s->tcp, 1);
  rc = uv_read_start((uv_stream_t *)&s->tcp, io_alloc_cb, io_read_cb);
  if (rc != 0) {
    s->last_error = uv_strerror(rc);
    lc_smtp_io_next_address(s);
    return;
  }
  lc_smtp_on_connected(s);
}

static void io_alloc_cb(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
  struct lc_smtp_session *s = handle->data;

  (void)suggested;
  buf->base = s->rbuf;
  buf->len = sizeof(s->rbuf);
}

/* Decrypt what TLS can and hand the plaintext to the state machine. */
static void io_tls_pump(struct lc_smtp_session *s)
{
  char plain[LC_SMTP_READ_MAX];

  for (;;) {
    size_t n = 0;
    enum lc_status status = lc_tls_read(s->tls, plain, sizeof(plain), &n);

    if (status == LC_ERR_CLOSED) {
      lc_smtp_on_closed(s);
      return;
    }
    if (status != LC_OK) {
      lc_smtp_on_tls_failed(s);
      return;
    }
    if (n == 0)
      break;
    lc_smtp_on_input(s, plain, n);
    if (s->state == LC_SMTP_DONE)
      return;
  }
  io_pull_tls(s);
  io_flush(s);
}

static void io_tls_input(struct lc_smtp_session *s, const char *data,
                         size_t len)
{
  bool done = false;

  if (lc_tls_feed(s->tls, data, len) != LC_OK) {
    lc_smtp_on_tls_failed(s);
    return;
  }
  if (!s->tls_active) {
    if (lc_tls_handshake(s->tls, &done) != LC_OK) {
      lc_smtp_on_tls_failed(s);
      return;
    }
    io_pull_tls(s);
    io_flush(s);
    if (!done)
      return;
    lc_debug("smtp %s: %s %s", s->mx, lc_tls_version(s->tls),
             lc_tls_cipher(s->tls));
    lc_smtp_on_handshake_done(s);
    if (s->state == LC_SMTP_DONE)
      return;
  }
  io_tls_pump(s);
}

static void io_read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
  struct lc_smtp_session *s = stream->data;

  if (s->state == LC_SMTP_DONE || nread == 0)
    return;
  /* Replies in these bytes can only answer commands sent before now. */
  s->owed = s->commands_sent - s->replies_seen;
  if (nread < 0) {
    lc_debug("smtp %s: read: %s", s->mx, uv_strerror((int)nread));
    lc_smtp_on_closed(s);
    return;
  }
  if (s->tls != NULL)
    io_tls_input(s, buf->base, (size_t)nread);
  else
    lc_smtp_on_input(s, buf->base, (size_t)nread);
}

static void io_flush(struct lc_smtp_session *s)
{
  uv_buf_t buf;
  int rc;

  if (s->wire_busy > 0 || s->wire_len == 0 || s->state == LC_SMTP_DONE)
    return;
  buf = uv_buf_init(s->wire, (unsigned)s->wire_len);
  rc = uv_write(&s->write_req, (uv_stream_t *)&s->tcp, &buf, 1, io_write_cb);
  if (rc != 0) {
    io_fail_later(s, uv_strerror(rc));
    return;
  }
  s->wire_busy = s->wire_len;
}

static void io_write_cb(uv_write_t *req, int status)
{
  struct lc_smtp_session *s = req->data;

  memmove(s->wire, s->wire + s->wire_busy, s->wire_len - s->wire_busy);
  s->wire_len -= s->wire_busy;
  s->wire_busy = 0;
  if (s->state == LC_SMTP_DONE)
    return;
  if (status != 0) {
    lc_debug("smtp %s: write: %s", s->mx, uv_strerror(status));
    lc_smtp_on_closed(s);
    return;
  }
  if (s->tls != NULL)
    io_pull_tls(s);
  io_flush(s);
  lc_smtp_on_writable(s);
}

/* Report a write failure from the loop, not from the caller's stack. */
static void io_fail_later(struct lc_smtp_session *s, const char *why)
{
  lc_debug("smtp %s: write failed: %s", s->mx, why);
  if (s->io_failed || uv_is_closing((uv_handle_t *)&s->timer))
    return;
  s->io_failed = true;
  uv_timer_start(&s->timer, io_timer_cb, 0, 0);
}

static void io_timer_cb(uv_timer_t *timer)
{
  struct lc_smtp_session *s = timer->data;

  if (s->io_failed) {
    lc_smtp_on_closed(s);
    return;
  }
  if (s->state == LC_SMTP_CONNECT) {
    s->last_error = "connection timed out";
    lc_smtp_io_next_address(s);
    return;
  }
  lc_smtp_on_timeout(s);
}

static void io_handle_closed(struct lc_smtp_session *s)
{
  if (--s->handles == 0)
    lc_smtp_on_handles_closed(s);
}

static void io_tcp_close_cb(uv_handle_t *handle)
{
  struct lc_smtp_session *s = handle->data;
  int rc;

  if (s->state == LC_SMTP_DONE) {
    s->tcp_open = false;
    io_handle_closed(s);
    return;
  }
  /* Closed to try the next address. */
  rc = s->addr_index + 1 < s->naddrs ? uv_tcp_init(s->loop, &s->tcp) : 1;
  if (rc != 0) {
    if (rc < 0)
      s->last_error = uv_strerror(rc);
    s->tcp_open = false;
    s->handles--;
    lc_smtp_on_connect_failed(s, s->last_error);
    return;
  }
  s->addr_index++;
  s->tcp.data = s;
  lc_smtp_io_connect(s);
}

static void io_timer_close_cb(uv_handle_t *handle)
{
  io_handle_closed(handle->data);
}
