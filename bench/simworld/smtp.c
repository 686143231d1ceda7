/* SMTP server: listeners, sessions, reply queue and reply delays.
 *
 * Replies are queued in the session's output buffer. Without delay, every
 * reply to a batch of pipelined commands goes out in one write. With a
 * delay (--latency-ms, tarpit hosts) the session stops reading commands
 * until the timer has sent the queued reply, so each reply waits its own
 * delay, as on a slow server.
 */
#include "bench/simworld/smtp.h"
#include "bench/simworld/log.h"
#include "bench/simworld/seen.h"
#include "bench/simworld/smtp_session.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LISTEN_BACKLOG 1024
#define GREYLIST_ENTRIES (1u << 20)
#define IN_INITIAL 4096
/* Input kept while a delayed reply waits; above it reading pauses. */
#define IN_PAUSE (64 * 1024)

static const char *const state_names[] = {"connected", "greet",  "ready",
                                          "mail",      "rcpt",   "rejected",
                                          "silent",    "closing"};

static void process_input(struct smtp_session *session);

void smtp_set_state(struct smtp_session *session, enum smtp_state state)
{
  if (sim_log_enabled(SIM_LOG_TRACE))
    sim_log_trace("smtp %s: %s -> %s", session->host->name,
                  state_names[session->state], state_names[state]);
  session->state = state;
}

static void release(struct smtp_session *session)
{
  if (--session->open_handles > 0)
    return;
  free(session->in);
  free(session);
}

static void timer_close_cb(uv_handle_t *handle)
{
  release(handle->data);
}

/* Stop counting SESSION as a concurrent connection of its host. This
 * happens once the final reply is queued, not when the socket closes: the
 * client may open its next connection as soon as it reads that reply, and
 * the count must not depend on which event the loop handles first. */
static void release_concurrency(struct smtp_session *session)
{
  if (session->host != NULL && !session->concurrency_released) {
    session->concurrency_released = true;
    session->host->stats.concurrent--;
  }
}

static void conn_close_cb(struct sim_conn *conn)
{
  struct smtp_session *session = conn->owner;
  if (session->host != NULL) {
    release_concurrency(session);
    smtp_set_state(session, SMTP_CLOSING);
  }
  if (session->timer_open) {
    session->timer_open = false;
    uv_close((uv_handle_t *)&session->timer, timer_close_cb);
  }
  release(session);
}

static void close_session(struct smtp_session *session)
{
  smtp_set_state(session, SMTP_CLOSING);
  if (session->timer_open)
    uv_timer_stop(&session->timer);
  sim_conn_close_after_write(&session->conn);
}

/* Send the queued replies, then start TLS or close if a reply asked. */
static void flush_out(struct smtp_session *session)
{
  if (session->out_len > 0) {
    sim_conn_write(&session->conn, session->out, session->out_len);
    session->out_len = 0;
  }
  if (session->tls_pending) {
    session->tls_pending = false;
    /* Commands pipelined after STARTTLS were sent in plaintext and must
     * not be acted on (RFC 3207 section 4.2). */
    session->in_start = session->in_len = 0;
    if (sim_conn_start_tls(&session->conn, session->server->smtp_tls) != LC_OK)
      close_session(session);
  }
  if (session->close_pending) {
    session->close_pending = false;
    close_session(session);
  }
}

static void timer_cb(uv_timer_t *timer)
{
  struct smtp_session *session = timer->data;
  session->waiting = false;
  flush_out(session);
  process_input(session);
}

static uint64_t reply_delay(struct smtp_session *session)
{
  const struct sim_serve_config *config = &session->server->config;
  int64_t delay = config->latency_ms;
  if (config->jitter_ms > 0)
    delay += (int64_t)sim_rng_below(&session->server->rng,
                                    2 * (uint64_t)config->jitter_ms + 1) -
             config->jitter_ms;
  if (session->host->mods & SIM_MOD_TARPIT)
    delay += config->tarpit_ms;
  return delay > 0 ? (uint64_t)delay : 0;
}

static void start_delay(struct smtp_session *session, uint64_t delay)
{
  if (!session->timer_open) {
    uv_timer_init(session->server->loop, &session->timer);
    session->timer.data = session;
    session->timer_open = true;
    session->open_handles++;
  }
  session->waiting = true;
  uv_timer_start(&session->timer, timer_cb, delay, 0);
}

void smtp_send(struct smtp_session *session, const struct sim_reply *reply,
               bool close)
{
  if (sim_log_enabled(SIM_LOG_TRACE))
    sim_log_trace("smtp %s: >>> %.*s", session->host->name,
                  (int)(reply->len > 0 ? reply->len - 1 : 0), reply->text);
  if (session->out_len + reply->len > sizeof(session->out))
    flush_out(session);
  memcpy(session->out + session->out_len, reply->text, reply->len);
  session->out_len += reply->len;
  if (close) {
    session->close_pending = true;
    release_concurrency(session);
  }
  uint64_t delay = reply_delay(session);
  if (delay > 0)
    start_delay(session, delay);
}

void smtp_send_line(struct smtp_session *session, int code, bool close,
                    const char *fmt, ...)
{
  struct sim_reply reply;
  char text[SIM_REPLY_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof(text), fmt, ap);
  va_end(ap);
  sim_reply_init(&reply, session->host);
  sim_reply_line(&reply, code, false, "%s", text);
  smtp_send(session, &reply, close);
}

/* Run every complete command line unless a delayed reply is waiting. */
static void process_input(struct smtp_session *session)
{
  char line[SMTP_LINE_MAX + 1];
  while (!session->waiting && session->state != SMTP_CLOSING) {
    char *start = session->in + session->in_start;
    size_t avail = session->in_len - session->in_start;
    char *newline = memchr(start, '\n', avail);
    if (newline == NULL)
      break;
    size_t len = (size_t)(newline - start);
    session->in_start += len + 1;
    if (len > 0 && start[len - 1] == '\r')
      len--;
    if (len > SMTP_LINE_MAX - 2) {
      smtp_send_line(session, 500, false, "5.5.0 Error: line too long");
      continue;
    }
    memcpy(line, start, len);
    line[len] = '\0';
    smtp_command(session, line, len);
  }
  if (session->in_start == session->in_len)
    session->in_start = session->in_len = 0;
  if (!session->waiting)
    flush_out(session);
  if (session->waiting && session->in_len > IN_PAUSE)
    sim_conn_pause(&session->conn);
  else
    sim_conn_resume(&session->conn);
}

/* Append LEN bytes to the input buffer, compacting or growing it. */
static bool append_input(struct smtp_session *session, const char *data,
                         size_t len)
{
  if (session->in_start > 0) {
    memmove(session->in, session->in + session->in_start,
            session->in_len - session->in_start);
    session->in_len -= session->in_start;
    session->in_start = 0;
  }
  size_t need = session->in_len + len;
  if (need > SMTP_IN_MAX)
    return false;
  if (need > session->in_cap) {
    size_t cap = session->in_cap * 2 > need ? session->in_cap * 2 : need;
    char *bigger = realloc(session->in, cap);
    if (bigger == NULL)
      return false;
    session->in = bigger;
    session->in_cap = cap;
  }
  memcpy(session->in + session->in_len, data, len);
  session->in_len += len;
  return true;
}

static void data_cb(struct sim_conn *conn, const char *data, size_t len)
{
  struct smtp_session *session = conn->owner;
  if (session->state == SMTP_SILENT || session->state == SMTP_CLOSING)
    return;
  if (!append_input(session, data, len)) {
    sim_log_warn("smtp %s: client %s sent over %d bytes of unread input; "
                 "closing",
                 session->host->name, session->peer, SMTP_IN_MAX);
    close_session(session);
    return;
  }
  process_input(session);
}

static const struct sim_conn_ops session_ops = {data_cb, conn_close_cb};

static void start_session(struct smtp_session *session)
{
  struct sim_host *host = session->host;
  struct sim_reply reply;
  sim_reply_init(&reply, host);
  if (host->base == SIM_BASE_SILENT) {
    smtp_set_state(session, SMTP_SILENT);
    return;
  }
  if ((host->mods & SIM_MOD_CONNLIMIT) &&
      host->stats.concurrent > session->server->config.conn_limit) {
    host->stats.busy_421++;
    sim_reply_line(&reply, 421, false,
                   "4.7.0 %s Error: too many connections from [%s]", host->name,
                   session->peer);
    smtp_send(session, &reply, true);
  } else if (host->base == SIM_BASE_BANNER554) {
    sim_reply_line(&reply, 554, false,
                   "5.7.1 %s ESMTP not accepting connections from [%s]: "
                   "listed at zen.spamhaus.org",
                   host->name, session->peer);
    smtp_send(session, &reply, false);
    smtp_set_state(session, SMTP_REJECTED);
  } else {
    sim_reply_banner(&reply, host);
    smtp_send(session, &reply, false);
    smtp_set_state(session, SMTP_GREET);
  }
  process_input(session);
}

static void connection_cb(uv_stream_t *listener, int status)
{
  struct sim_server *server = listener->data;
  if (status < 0) {
    sim_log_warn("smtp listener: %s", uv_strerror(status));
    return;
  }
  struct smtp_session *session = calloc(1, sizeof(*session));
  char *in = malloc(IN_INITIAL);
  if (session == NULL || in == NULL) {
    sim_log_error("out of memory accepting an SMTP connection");
    free(session);
    free(in);
    return;
  }
  session->server = server;
  session->in = in;
  session->in_cap = IN_INITIAL;
  session->open_handles = 1;
  if (sim_conn_accept(listener, &session->conn, &session_ops, session) != LC_OK)
    return;
  struct sim_host *host =
      sim_world_find_host(server->world, session->conn.local_addr);
  if (host == NULL) {
    sim_conn_close(&session->conn);
    return;
  }
  session->host = host;
  uint32_t peer = session->conn.peer_addr;
  snprintf(session->peer, sizeof(session->peer), "%u.%u.%u.%u", peer >> 24,
           (peer >> 16) & 255, (peer >> 8) & 255, peer & 255);
  host->stats.connections++;
  if (++host->stats.concurrent > host->stats.peak_concurrent)
    host->stats.peak_concurrent = host->stats.concurrent;
  start_session(session);
}

static enum lc_status listen_host(struct sim_server *server,
                                  const struct sim_host *host,
                                  uv_tcp_t *listener)
{
  struct sockaddr_in addr = {.sin_family = AF_INET};
  addr.sin_port = htons((uint16_t)server->config.smtp_port);
  addr.sin_addr.s_addr = htonl(host->addr);
  uv_tcp_init(server->loop, listener);
  listener->data = server;
  int rc = uv_tcp_bind(listener, (const struct sockaddr *)&addr, 0);
  if (rc == 0)
    rc = uv_listen((uv_stream_t *)listener, LISTEN_BACKLOG, connection_cb);
  if (rc != 0) {
    sim_log_error("cannot listen for SMTP on %s (%u.%u.%u.%u:%d): %s",
                  host->name, host->addr >> 24, (host->addr >> 16) & 255,
                  (host->addr >> 8) & 255, host->addr & 255,
                  server->config.smtp_port, uv_strerror(rc));
    return LC_ERR_IO;
  }
  return LC_OK;
}

enum lc_status sim_smtp_start(struct sim_server *server)
{
  const struct sim_world *world = server->world;
  uv_tcp_t *listeners = calloc(world->host_count + 1, sizeof(*listeners));
  server->greylist = sim_seen_new(GREYLIST_ENTRIES);
  if (listeners == NULL || server->greylist == NULL) {
    sim_log_error("out of memory starting the SMTP listeners");
    free(listeners);
    return LC_ERR_NOMEM;
  }
  for (size_t i = 0; i < world->host_count; i++) {
    const struct sim_host *host = &world->hosts[i];
    if (host->base == SIM_BASE_REFUSED || (host->mods & SIM_MOD_EXTERNAL))
      continue;
    if (listen_host(server, host, &listeners[server->smtp_listeners]) != LC_OK)
      return LC_ERR_IO;
    server->smtp_listeners++;
  }
  /* NOTE: the listeners live until the process exits. */
  return LC_OK;
}
