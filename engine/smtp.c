/* SMTP probe session: lifecycle, state setter and outcomes.
 *
 * This file creates and frees sessions, owns the one function that changes
 * a session's state, and turns every way a session can end into recipient
 * callbacks or "not asked" entries (the rules are listed in
 * engine/smtp.h). The per-state reply handlers live in engine/smtp_proto.c
 * and the libuv/TLS glue in engine/smtp_io.c.
 */
#include "engine/smtp.h"

#include <stdlib.h>
#include <string.h>

#include "engine/log.h"
#include "engine/smtp_session.h"

#define SMTP_PORT_DEFAULT 25
#define SMTP_CONNECT_TIMEOUT_DEFAULT 30000
#define SMTP_COMMAND_TIMEOUT_DEFAULT 60000
#define SMTP_QUIT_TIMEOUT_DEFAULT 1000
#define SMTP_HELO_MAX 255

static const char *const smtp_state_names[] = {
    [LC_SMTP_CONNECT] = "CONNECT",   [LC_SMTP_BANNER] = "BANNER",
    [LC_SMTP_EHLO] = "EHLO",         [LC_SMTP_HELO] = "HELO",
    [LC_SMTP_STARTTLS] = "STARTTLS", [LC_SMTP_TLS_HANDSHAKE] = "TLS_HANDSHAKE",
    [LC_SMTP_EHLO_TLS] = "EHLO_TLS", [LC_SMTP_MAIL] = "MAIL",
    [LC_SMTP_RCPT] = "RCPT",         [LC_SMTP_RSET] = "RSET",
    [LC_SMTP_QUIT] = "QUIT",         [LC_SMTP_DONE] = "DONE"};

static const char *const smtp_end_names[] = {
    [LC_SMTP_END_OK] = "ok",
    [LC_SMTP_END_REJECTED] = "rejected",
    [LC_SMTP_END_RATE_LIMITED] = "rate_limited",
    [LC_SMTP_END_TOO_MANY_RCPTS] = "too_many_recipients",
    [LC_SMTP_END_DROPPED] = "dropped",
    [LC_SMTP_END_TIMEOUT] = "timeout",
    [LC_SMTP_END_CONNECT_FAILED] = "connect_failed",
    [LC_SMTP_END_TLS_FAILED] = "tls_failed",
    [LC_SMTP_END_PROTOCOL_ERROR] = "protocol_error",
    [LC_SMTP_END_CANCELED] = "canceled",
    [LC_SMTP_END_INTERNAL] = "internal_error"};

static enum lc_status smtp_check_options(const struct lc_smtp_options *opts);
static enum lc_status smtp_check_rcpts(const char *const *rcpts, size_t n);
static void smtp_apply_defaults(struct lc_smtp_options *opts);
static void smtp_store_rcpts(struct lc_smtp_session *s,
                             const char *const *rcpts, size_t n);
static unsigned smtp_state_timeout(const struct lc_smtp_session *s);

enum lc_status
lc_smtp_session_new(uv_loop_t *loop, const struct lc_smtp_options *opts,
                    const char *mx_host, const struct sockaddr_storage *addrs,
                    size_t naddrs, const char *const *rcpts, size_t nrcpts,
                    lc_smtp_rcpt_cb rcpt_cb, lc_smtp_done_cb done_cb,
                    void *user, struct lc_smtp_session **out)
{
  struct lc_smtp_session *s;
  struct lc_smtp_options o;
  enum lc_status status;
  size_t cap;

  if (loop == NULL || opts == NULL || mx_host == NULL || addrs == NULL ||
      rcpt_cb == NULL || done_cb == NULL || out == NULL || naddrs == 0 ||
      nrcpts == 0 || strlen(mx_host) >= LC_SMTP_HOST_MAX)
    return LC_ERR_INVALID;
  if ((status = smtp_check_options(opts)) != LC_OK ||
      (status = smtp_check_rcpts(rcpts, nrcpts)) != LC_OK)
    return status;
  o = *opts;
  smtp_apply_defaults(&o);
  cap = o.rcpt_per_session;
  if (nrcpts > cap || naddrs > LC_SMTP_ADDRS_MAX)
    return LC_ERR_LIMIT;
  /* One block: session, addresses, recipient pointers, recipient flags. */
  s = calloc(1, sizeof(*s) + naddrs * sizeof(*addrs) +
                    cap * (sizeof(*s->rcpts) + sizeof(*s->rcpt_flags)));
  if (s == NULL)
    return LC_ERR_NOMEM;
  s->addrs = (struct sockaddr_storage *)(s + 1);
  s->rcpts = (const char **)(s->addrs + naddrs);
  s->rcpt_flags = (uint8_t *)(s->rcpts + cap);
  memcpy(s->addrs, addrs, naddrs * sizeof(*addrs));
  s->naddrs = naddrs;
  s->loop = loop;
  s->opts = o;
  s->rcpt_cb = rcpt_cb;
  s->done_cb = done_cb;
  s->user = user;
  strcpy(s->mx, mx_host);
  smtp_store_rcpts(s, rcpts, nrcpts);
  s->state = LC_SMTP_CONNECT;
  if ((status = lc_smtp_io_init(s)) != LC_OK) {
    free(s);
    return status;
  }
  *out = s;
  lc_smtp_io_connect(s);
  return LC_OK;
}

/* Return whether RCPTS[0..N) may join the open transaction. The last batch
 * must be in MAIL or RCPT, because its last reply moves the session to
 * RSET or QUIT. None of them may need SMTPUTF8 that the transaction lacks. */
static bool smtp_can_join(const struct lc_smtp_session *s,
                          const char *const *rcpts, size_t n)
{
  if ((s->state != LC_SMTP_MAIL && s->state != LC_SMTP_RCPT) ||
      s->batch_end != s->nrcpts)
    return false;
  for (size_t i = 0; i < n && !s->utf8_txn; i++)
    for (const char *p = rcpts[i]; *p != '\0'; p++)
      if ((unsigned char)*p >= 0x80)
        return false;
  return true;
}

enum lc_status lc_smtp_session_add_recipients(struct lc_smtp_session *s,
                                              const char *const *rcpts,
                                              size_t nrcpts,
                                              size_t *first_index)
{
  enum lc_status status;
  bool join;

  if (s == NULL || nrcpts == 0 || first_index == NULL)
    return LC_ERR_INVALID;
  if (s->state == LC_SMTP_QUIT || s->state == LC_SMTP_DONE || s->end_set)
    return LC_ERR_CLOSED;
  if ((status = smtp_check_rcpts(rcpts, nrcpts)) != LC_OK)
    return status;
  if (nrcpts > s->opts.rcpt_per_session - s->nrcpts)
    return LC_ERR_LIMIT;
  *first_index = s->nrcpts;
  join = smtp_can_join(s, rcpts, nrcpts);
  smtp_store_rcpts(s, rcpts, nrcpts);
  if (join) {
    /* The open transaction takes them: RCPT replies still to come send
     * them (smtp_rcpt_fill), without RSET and MAIL FROM. */
    s->rcpt_flags[*first_index] &= (uint8_t)~LC_SMTP_RCPT_BATCH;
    s->batch_end = s->nrcpts;
  }
  return LC_OK;
}

void lc_smtp_session_cancel(struct lc_smtp_session *s)
{
  if (s == NULL || s->state == LC_SMTP_DONE)
    return;
  if (s->state == LC_SMTP_QUIT) {
    /* Everything was answered or handed back already. */
    lc_smtp_finish(s);
    return;
  }
  lc_smtp_set_end(s, LC_SMTP_END_CANCELED, NULL);
  lc_smtp_finish(s);
  lc_smtp_fail_rest(s, LC_ERR_CANCELED, LC_RCPT_NOT_PROBED, NULL, NULL);
}

const char *lc_smtp_end_name(enum lc_smtp_end end)
{
  if ((unsigned)end >= sizeof(smtp_end_names) / sizeof(smtp_end_names[0]))
    return "unknown";
  return smtp_end_names[end];
}

const char *lc_smtp_state_name(enum lc_smtp_state state)
{
  return smtp_state_names[state];
}

/* The only place that assigns s->state. Entering a state arms the timer
 * for the reply (or connection) that the state waits for. */
void lc_smtp_set_state(struct lc_smtp_session *s, enum lc_smtp_state state)
{
  if (s->opts.trace)
    lc_trace("smtp %s: %s -> %s", s->mx, smtp_state_names[s->state],
             smtp_state_names[state]);
  s->state = state;
  lc_smtp_io_timer(s, smtp_state_timeout(s));
}

/* Restart the reply timer of the current state. */
void lc_smtp_rearm(struct lc_smtp_session *s)
{
  lc_smtp_io_timer(s, smtp_state_timeout(s));
}

/* Record why the session ends and the reply that ended it (may be NULL).
 * The first cause wins: a close after a 452, say, stays "too many". */
void lc_smtp_set_end(struct lc_smtp_session *s, enum lc_smtp_end end,
                     const struct lc_reply *reply)
{
  if (s->end_set)
    return;
  s->end_set = true;
  s->end = end;
  if (reply == NULL)
    return;
  s->end_code = reply->code;
  memcpy(s->end_enhanced, reply->enhanced, sizeof(s->end_enhanced));
  memcpy(s->end_message, reply->text, sizeof(s->end_message));
}

/* Report recipient INDEX. MESSAGE, when not NULL, replaces the reply text
 * (REPLY may be NULL then). The caller advanced next_result already, so a
 * callback that cancels the session does not report INDEX twice. */
void lc_smtp_report(struct lc_smtp_session *s, size_t index,
                    enum lc_status status, enum lc_rcpt_class cls,
                    const struct lc_reply *reply, const char *message)
{
  struct lc_smtp_result r;

  memset(&r, 0, sizeof(r));
  r.status = status;
  r.cls = cls;
  if (reply != NULL) {
    r.code = reply->code;
    memcpy(r.enhanced, reply->enhanced, sizeof(r.enhanced));
    memcpy(r.message, reply->text, sizeof(r.message));
    r.enhanced[sizeof(r.enhanced) - 1] = '\0';
    r.message[sizeof(r.message) - 1] = '\0';
  }
  if (message != NULL)
    snprintf(r.message, sizeof(r.message), "%s", message);
  r.mx = s->mx;
  r.addr = s->connected ? &s->addrs[s->addr_index] : NULL;
  r.tls = s->tls_active;
  s->rcpt_cb(s, s->user, index, &r);
}

/* Give every recipient still waiting the same result. */
void lc_smtp_fail_rest(struct lc_smtp_session *s, enum lc_status status,
                       enum lc_rcpt_class cls, const struct lc_reply *reply,
                       const char *message)
{
  while (s->next_result < s->nrcpts) {
    size_t index = s->next_result++;

    lc_smtp_report(s, index, status, cls, reply, message);
  }
}

/* Stop all I/O now; the done callback follows from the close callbacks. */
void lc_smtp_finish(struct lc_smtp_session *s)
{
  if (s->state == LC_SMTP_DONE)
    return;
  lc_smtp_set_state(s, LC_SMTP_DONE);
  lc_smtp_io_close(s);
}

/* Called once every libuv handle of S is closed: report and free. */
void lc_smtp_on_handles_closed(struct lc_smtp_session *s)
{
  struct lc_smtp_summary sum;

  memset(&sum, 0, sizeof(sum));
  sum.end = s->end_set ? s->end : LC_SMTP_END_OK;
  sum.not_asked_first = s->next_result;
  sum.not_asked_count = s->nrcpts - s->next_result;
  sum.recipient_count = s->nrcpts;
  sum.tls = s->tls_active;
  sum.plain_retry = s->plain_retry;
  sum.code = s->end_code;
  memcpy(sum.enhanced, s->end_enhanced, sizeof(sum.enhanced));
  memcpy(sum.message, s->end_message, sizeof(sum.message));
  sum.mx = s->mx;
  sum.addr = s->addr_index < s->naddrs ? &s->addrs[s->addr_index] : NULL;
  lc_debug("smtp mx=%s end=%s recipients=%zu not_asked=%zu tls=%s", s->mx,
           lc_smtp_end_name(sum.end), sum.recipient_count, sum.not_asked_count,
           sum.tls ? "yes" : "no");
  s->done_cb(s, s->user, &sum);
  lc_tls_free(s->tls);
  free(s);
}

static enum lc_status smtp_check_options(const struct lc_smtp_options *opts)
{
  const char *from = opts->mail_from != NULL ? opts->mail_from : "";

  if (opts->helo_name == NULL || opts->helo_name[0] == '\0' ||
      strlen(opts->helo_name) > SMTP_HELO_MAX ||
      strcspn(opts->helo_name, " <>\r\n\t") != strlen(opts->helo_name))
    return LC_ERR_INVALID;
  if (from[0] != '\0' && smtp_check_rcpts(&from, 1) != LC_OK)
    return LC_ERR_INVALID;
  for (const char *p = from; *p != '\0'; p++)
    if ((unsigned char)*p >= 0x80)
      return LC_ERR_INVALID;
  if (opts->rcpt_per_session > LC_SMTP_RCPT_MAX)
    return LC_ERR_LIMIT;
  return LC_OK;
}

/* Addresses go into command lines, so a CR, LF or bracket would let the
 * caller's data inject commands. */
static enum lc_status smtp_check_rcpts(const char *const *rcpts, size_t n)
{
  if (rcpts == NULL)
    return LC_ERR_INVALID;
  for (size_t i = 0; i < n; i++) {
    const char *r = rcpts[i];
    size_t len;

    if (r == NULL || (len = strlen(r)) == 0 || len > LC_SMTP_PATH_MAX)
      return LC_ERR_INVALID;
    for (size_t j = 0; j < len; j++) {
      unsigned char c = (unsigned char)r[j];

      if (c <= ' ' || c == 0x7f || c == '<' || c == '>')
        return LC_ERR_INVALID;
    }
  }
  return LC_OK;
}

static void smtp_apply_defaults(struct lc_smtp_options *o)
{
  if (o->mail_from == NULL)
    o->mail_from = "";
  if (o->port == 0)
    o->port = SMTP_PORT_DEFAULT;
  if (o->connect_timeout_ms == 0)
    o->connect_timeout_ms = SMTP_CONNECT_TIMEOUT_DEFAULT;
  if (o->command_timeout_ms == 0)
    o->command_timeout_ms = SMTP_COMMAND_TIMEOUT_DEFAULT;
  if (o->banner_timeout_ms == 0)
    o->banner_timeout_ms = o->command_timeout_ms;
  if (o->quit_timeout_ms == 0)
    o->quit_timeout_ms = SMTP_QUIT_TIMEOUT_DEFAULT;
  if (o->rcpt_per_session == 0)
    o->rcpt_per_session = LC_SMTP_RCPT_DEFAULT;
}

static void smtp_store_rcpts(struct lc_smtp_session *s,
                             const char *const *rcpts, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    uint8_t flags = i == 0 ? LC_SMTP_RCPT_BATCH : 0;

    for (const char *p = rcpts[i]; *p != '\0'; p++)
      if ((unsigned char)*p >= 0x80)
        flags |= LC_SMTP_RCPT_UTF8;
    s->rcpts[s->nrcpts + i] = rcpts[i];
    s->rcpt_flags[s->nrcpts + i] = flags;
  }
  s->nrcpts += n;
}

static unsigned smtp_state_timeout(const struct lc_smtp_session *s)
{
  switch (s->state) {
  case LC_SMTP_CONNECT:
    return s->opts.connect_timeout_ms;
  case LC_SMTP_BANNER:
    return s->opts.banner_timeout_ms;
  case LC_SMTP_QUIT:
    return s->opts.quit_timeout_ms < s->opts.command_timeout_ms
               ? s->opts.quit_timeout_ms
               : s->opts.command_timeout_ms;
  case LC_SMTP_DONE:
    return 0;
  default:
    return s->opts.command_timeout_ms;
  }
}
