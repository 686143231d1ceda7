/* SMTP probe session: per-state reply handlers and commands.
 *
 * The I/O layer (engine/smtp_io.c) turns socket and timer events into the
 * lc_smtp_on_*() calls below. Each complete reply goes to the handler of
 * the current state, which records observations and sends the next
 * command. Any callback into the user may cancel the session, so after
 * every report the handlers check for LC_SMTP_DONE before going on.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine/log.h"
#include "engine/smtp_session.h"

/* Maximum command line length (RFC 5321 4.5.3.1.4), CRLF included. */
#define SMTP_LINE_MAX 512

static void smtp_on_reply(struct lc_smtp_session *s,
                          const struct lc_reply *reply);
static void smtp_unsolicited(struct lc_smtp_session *s,
                             const struct lc_reply *reply);
static void smtp_send(struct lc_smtp_session *s, const char *fmt, ...)
    LC_PRINTF(2, 3);
static void smtp_send_ehlo(struct lc_smtp_session *s, enum lc_smtp_state state);
static void smtp_send_mail(struct lc_smtp_session *s);
static void smtp_send_quit(struct lc_smtp_session *s);
static void smtp_rcpt_advance(struct lc_smtp_session *s);
static void smtp_reject_all(struct lc_smtp_session *s,
                            const struct lc_reply *reply);
static void smtp_fail(struct lc_smtp_session *s, enum lc_smtp_end end,
                      enum lc_rcpt_class cls, const struct lc_reply *reply,
                      const char *message);

void lc_smtp_on_connected(struct lc_smtp_session *s)
{
  s->connected = true;
  s->commands_sent = 1; /* the banner is due without a command */
  lc_reply_parser_init(&s->parser);
  lc_smtp_set_state(s, LC_SMTP_BANNER);
}

void lc_smtp_on_connect_failed(struct lc_smtp_session *s, const char *reason)
{
  char message[LC_REPLY_TEXT_MAX];

  snprintf(message, sizeof(message), "connection failed: %s", reason);
  smtp_fail(s, LC_SMTP_END_CONNECT_FAILED, LC_RCPT_CONNECTION_FAILED, NULL,
            message);
}

/* Feed received plaintext to the reply parser and dispatch each reply. */
void lc_smtp_on_input(struct lc_smtp_session *s, const char *data, size_t len)
{
  while (len > 0 && s->state != LC_SMTP_DONE) {
    struct lc_reply reply;
    bool complete = false;
    size_t used = 0;

    if (lc_reply_parse(&s->parser, data, len, &used, &reply, &complete) !=
        LC_OK) {
      smtp_fail(s, LC_SMTP_END_PROTOCOL_ERROR, LC_RCPT_PROTOCOL_ERROR, NULL,
                "malformed reply");
      return;
    }
    data += used;
    len -= used;
    if (!complete)
      return;
    s->replies_seen++;
    if (s->owed == 0) {
      smtp_unsolicited(s, &reply);
      return;
    }
    s->owed--;
    smtp_on_reply(s, &reply);
    /* Bytes behind the 220 to STARTTLS were sent before the handshake, so
     * an attacker on the path may have injected them: never trust them. */
    if (s->state == LC_SMTP_TLS_HANDSHAKE && len > 0) {
      smtp_fail(s, LC_SMTP_END_PROTOCOL_ERROR, LC_RCPT_PROTOCOL_ERROR, NULL,
                "data after the STARTTLS reply");
      return;
    }
  }
}

void lc_smtp_on_handshake_done(struct lc_smtp_session *s)
{
  s->tls_active = true;
  lc_reply_parser_init(&s->parser);
  lc_debug("smtp %s: TLS established", s->mx);
  smtp_send_ehlo(s, LC_SMTP_EHLO_TLS);
}

/* A TLS failure before or after the handshake. When the server did not
 * require TLS, the recipients go back to the scheduler for a plain retry. */
void lc_smtp_on_tls_failed(struct lc_smtp_session *s)
{
  if (s->state == LC_SMTP_QUIT) {
    lc_smtp_finish(s);
    return;
  }
  if (s->tls_required) {
    smtp_fail(s, LC_SMTP_END_TLS_FAILED, LC_RCPT_TLS_FAILED, NULL,
              "TLS failed");
    return;
  }
  s->plain_retry = true;
  lc_smtp_set_end(s, LC_SMTP_END_TLS_FAILED, NULL);
  lc_smtp_finish(s);
}

/* End of file, reset or write error. */
void lc_smtp_on_closed(struct lc_smtp_session *s)
{
  switch (s->state) {
  case LC_SMTP_QUIT:
    lc_smtp_finish(s);
    break;
  case LC_SMTP_BANNER:
    smtp_fail(s, LC_SMTP_END_DROPPED, LC_RCPT_DROPPED, NULL,
              "connection closed before the banner");
    break;
  case LC_SMTP_TLS_HANDSHAKE:
    lc_smtp_on_tls_failed(s);
    break;
  default:
    /* Recipients without a reply count as not asked, so a server that
     * closes after a 5xx does not cost them their turn. */
    lc_smtp_set_end(s, LC_SMTP_END_DROPPED, NULL);
    lc_smtp_finish(s);
    break;
  }
}

void lc_smtp_on_timeout(struct lc_smtp_session *s)
{
  char message[LC_REPLY_TEXT_MAX];

  if (s->state == LC_SMTP_CONNECT) {
    lc_smtp_io_next_address(s);
    return;
  }
  snprintf(message, sizeof(message), "timed out in state %s",
           lc_smtp_state_name(s->state));
  smtp_fail(s, LC_SMTP_END_TIMEOUT, LC_RCPT_TIMEOUT, NULL, message);
}

/* The write queue drained: pipelining may send more RCPTs. */
void lc_smtp_on_writable(struct lc_smtp_session *s)
{
  if (s->state == LC_SMTP_RCPT)
    smtp_rcpt_advance(s);
}

static void smtp_trace_reply(const struct lc_smtp_session *s,
                             const struct lc_reply *r)
{
  if (!s->opts.trace || !lc_log_enabled(LC_LOG_TRACE))
    return;
  lc_trace("<<< %s: %d%s%s %s%s", s->mx, r->code, r->enhanced[0] ? " " : "",
           r->enhanced, r->text, r->lines > 1 ? " (multi-line)" : "");
}

static void smtp_banner_reply(struct lc_smtp_session *s,
                              const struct lc_reply *reply)
{
  if (reply->code / 100 != 2) {
    smtp_reject_all(s, reply);
    return;
  }
  smtp_send_ehlo(s, LC_SMTP_EHLO);
}

static void smtp_ehlo_reply(struct lc_smtp_session *s,
                            const struct lc_reply *reply)
{
  if (reply->code / 100 == 5 && s->state == LC_SMTP_EHLO) {
    lc_smtp_set_state(s, LC_SMTP_HELO);
    smtp_send(s, "HELO %s\r\n", s->opts.helo_name);
    return;
  }
  if (reply->code / 100 != 2) {
    smtp_reject_all(s, reply);
    return;
  }
  s->ext_starttls = reply->ext_starttls;
  s->ext_pipelining = reply->ext_pipelining;
  s->ext_smtputf8 = reply->ext_smtputf8;
  if (s->state == LC_SMTP_EHLO && s->ext_starttls && s->opts.use_tls &&
      s->opts.ssl_ctx != NULL) {
    lc_smtp_set_state(s, LC_SMTP_STARTTLS);
    smtp_send(s, "STARTTLS\r\n");
    return;
  }
  smtp_send_mail(s);
}

static void smtp_helo_reply(struct lc_smtp_session *s,
                            const struct lc_reply *reply)
{
  if (reply->code / 100 != 2) {
    smtp_reject_all(s, reply);
    return;
  }
  smtp_send_mail(s);
}

static void smtp_starttls_reply(struct lc_smtp_session *s,
                                const struct lc_reply *reply)
{
  if (reply->code == 220) {
    lc_smtp_set_state(s, LC_SMTP_TLS_HANDSHAKE);
    if (lc_smtp_io_start_tls(s) != LC_OK)
      lc_smtp_on_tls_failed(s);
    return;
  }
  if (reply->code == 421 || !s->tls_required) {
    /* Opportunistic: go on in plain text, as MTAs do. */
    if (reply->code == 421)
      smtp_reject_all(s, reply);
    else
      smtp_send_mail(s);
    return;
  }
  smtp_fail(s, LC_SMTP_END_TLS_FAILED, LC_RCPT_TLS_FAILED, reply, NULL);
}

static void smtp_mail_reply(struct lc_smtp_session *s,
                            const struct lc_reply *reply)
{
  if (reply->code / 100 == 2) {
    lc_smtp_set_state(s, LC_SMTP_RCPT);
    smtp_rcpt_advance(s);
    return;
  }
  if (reply->code != 530 || s->tls_active) {
    smtp_reject_all(s, reply);
    return;
  }
  /* 530 5.7.0: the server requires TLS before it accepts mail. */
  s->tls_required = true;
  if (s->ext_starttls && s->opts.ssl_ctx != NULL && s->tls == NULL) {
    lc_smtp_set_state(s, LC_SMTP_STARTTLS);
    smtp_send(s, "STARTTLS\r\n");
    return;
  }
  smtp_fail(s, LC_SMTP_END_TLS_FAILED, LC_RCPT_TLS_FAILED, reply, NULL);
}

static bool smtp_rcpt_skipped(const struct lc_smtp_session *s, size_t i)
{
  return (s->rcpt_flags[i] & LC_SMTP_RCPT_UTF8) && !s->utf8_txn;
}

/* Report recipients at the head of the queue that were not sent because
 * they need SMTPUTF8. Returns false when a callback ended the session. */
static bool smtp_resolve_skipped(struct lc_smtp_session *s)
{
  while (s->next_result < s->next_send &&
         smtp_rcpt_skipped(s, s->next_result)) {
    size_t index = s->next_result++;

    lc_smtp_report(s, index, LC_OK, LC_RCPT_REJECTED, NULL,
                   "SMTPUTF8 not offered by the server");
    if (s->state == LC_SMTP_DONE)
      return false;
  }
  return true;
}

/* Send as many RCPTs as the server's PIPELINING support and the write
 * queue allow. */
static void smtp_rcpt_fill(struct lc_smtp_session *s)
{
  while (s->next_send < s->batch_end) {
    const char *rcpt = s->rcpts[s->next_send];
    size_t len = strlen(rcpt) + sizeof("RCPT TO:<>\r\n") - 1;

    if (smtp_rcpt_skipped(s, s->next_send)) {
      s->next_send++;
      continue;
    }
    if ((s->inflight > 0 && !s->ext_pipelining) || !lc_smtp_io_room(s, len))
      return;
    s->next_send++;
    s->inflight++;
    smtp_send(s, "RCPT TO:<%s>\r\n", rcpt);
  }
}

/* Move the RCPT phase on: report skipped recipients, start the next
 * transaction or QUIT when the batch is answered, else send more. */
static void smtp_rcpt_advance(struct lc_smtp_session *s)
{
  smtp_rcpt_fill(s);
  if (!smtp_resolve_skipped(s))
    return;
  if (s->next_result < s->batch_end)
    return;
  if (s->next_result < s->nrcpts) {
    lc_smtp_set_state(s, LC_SMTP_RSET);
    smtp_send(s, "RSET\r\n");
    return;
  }
  lc_smtp_set_end(s, LC_SMTP_END_OK, NULL);
  smtp_send_quit(s);
}

static void smtp_rcpt_reply(struct lc_smtp_session *s,
                            const struct lc_reply *reply)
{
  enum lc_rcpt_class cls = lc_reply_classify(reply);
  size_t index;

  /* Unreachable with inflight 0: lc_smtp_on_input() drops replies that no
   * command is waiting for, and in RCPT only RCPTs are waiting. */
  if (s->inflight == 0 || !smtp_resolve_skipped(s))
    return;
  s->inflight--;
  if (reply->code == 421) {
    lc_smtp_set_end(s, LC_SMTP_END_RATE_LIMITED, reply);
    lc_smtp_finish(s);
    return;
  }
  if (cls == LC_RCPT_RATE_LIMITED) {
    /* 452 4.5.3: this recipient and the rest go to a new session. */
    lc_smtp_set_end(s, LC_SMTP_END_TOO_MANY_RCPTS, reply);
    smtp_send_quit(s);
    return;
  }
  index = s->next_result++;
  lc_smtp_report(s, index, LC_OK, cls, reply, NULL);
  if (s->state == LC_SMTP_DONE)
    return;
  lc_smtp_rearm(s);
  smtp_rcpt_advance(s);
}

static void smtp_rset_reply(struct lc_smtp_session *s,
                            const struct lc_reply *reply)
{
  if (reply->code / 100 != 2) {
    smtp_reject_all(s, reply);
    return;
  }
  smtp_send_mail(s);
}

static void smtp_on_reply(struct lc_smtp_session *s,
                          const struct lc_reply *reply)
{
  smtp_trace_reply(s, reply);
  switch (s->state) {
  case LC_SMTP_BANNER:
    smtp_banner_reply(s, reply);
    break;
  case LC_SMTP_EHLO:
  case LC_SMTP_EHLO_TLS:
    smtp_ehlo_reply(s, reply);
    break;
  case LC_SMTP_HELO:
    smtp_helo_reply(s, reply);
    break;
  case LC_SMTP_STARTTLS:
    smtp_starttls_reply(s, reply);
    break;
  case LC_SMTP_MAIL:
    smtp_mail_reply(s, reply);
    break;
  case LC_SMTP_RCPT:
    smtp_rcpt_reply(s, reply);
    break;
  case LC_SMTP_RSET:
    smtp_rset_reply(s, reply);
    break;
  case LC_SMTP_QUIT:
    /* Replies still due for pipelined RCPTs are of no interest now. */
    if (reply->code == 221)
      lc_smtp_finish(s);
    break;
  case LC_SMTP_CONNECT:
  case LC_SMTP_TLS_HANDSHAKE:
  case LC_SMTP_DONE:
    break;
  }
}

/* A reply that no command sent so far asks for. A server may send 421 at
 * any time before it closes (RFC 5321 3.8); anything else would be taken
 * as the answer to the next command, so the session stops. */
static void smtp_unsolicited(struct lc_smtp_session *s,
                             const struct lc_reply *reply)
{
  smtp_trace_reply(s, reply);
  if (reply->code == 421 && s->state != LC_SMTP_QUIT) {
    lc_smtp_set_end(s, LC_SMTP_END_RATE_LIMITED, reply);
    lc_smtp_finish(s);
    return;
  }
  smtp_fail(s, LC_SMTP_END_PROTOCOL_ERROR, LC_RCPT_PROTOCOL_ERROR, NULL,
            "reply without a command");
}

/* Format one command line, trace it and queue it. */
static void smtp_send(struct lc_smtp_session *s, const char *fmt, ...)
{
  char line[SMTP_LINE_MAX + 1];
  va_list ap;
  int len;

  va_start(ap, fmt);
  len = vsnprintf(line, sizeof(line), fmt, ap);
  va_end(ap);
  if (len < 2 || (size_t)len >= sizeof(line)) {
    /* Unreachable: options and addresses are length-checked on entry. */
    smtp_fail(s, LC_SMTP_END_INTERNAL, LC_RCPT_PROTOCOL_ERROR, NULL,
              "command too long");
    return;
  }
  if (s->opts.trace)
    lc_trace(">>> %s: %.*s", s->mx, len - 2, line);
  s->commands_sent++;
  lc_smtp_io_send(s, line, (size_t)len);
}

static void smtp_send_ehlo(struct lc_smtp_session *s, enum lc_smtp_state state)
{
  lc_smtp_set_state(s, state);
  smtp_send(s, "EHLO %s\r\n", s->opts.helo_name);
}

/* Start a mail transaction for the batch at the head of the queue. */
static void smtp_send_mail(struct lc_smtp_session *s)
{
  bool utf8 = false;
  size_t end = s->next_result + 1;

  while (end < s->nrcpts && !(s->rcpt_flags[end] & LC_SMTP_RCPT_BATCH))
    end++;
  for (size_t i = s->next_result; i < end; i++)
    utf8 = utf8 || (s->rcpt_flags[i] & LC_SMTP_RCPT_UTF8);
  s->batch_end = end;
  s->next_send = s->next_result;
  s->utf8_txn = utf8 && s->ext_smtputf8;
  lc_smtp_set_state(s, LC_SMTP_MAIL);
  smtp_send(s, "MAIL FROM:<%s>%s\r\n", s->opts.mail_from,
            s->utf8_txn ? " SMTPUTF8" : "");
}

static void smtp_send_quit(struct lc_smtp_session *s)
{
  lc_smtp_set_state(s, LC_SMTP_QUIT);
  smtp_send(s, "QUIT\r\n");
}

/* A 4xx or 5xx that refuses the whole session (see engine/smtp.h). */
static void smtp_reject_all(struct lc_smtp_session *s,
                            const struct lc_reply *reply)
{
  enum lc_rcpt_class cls = lc_reply_classify(reply);

  if (reply->code < 400) {
    smtp_fail(s, LC_SMTP_END_PROTOCOL_ERROR, LC_RCPT_PROTOCOL_ERROR, reply,
              NULL);
    return;
  }
  if (reply->code == 421 || cls == LC_RCPT_RATE_LIMITED) {
    lc_smtp_set_end(s, LC_SMTP_END_RATE_LIMITED, reply);
    if (reply->code == 421)
      lc_smtp_finish(s);
    else
      smtp_send_quit(s);
    return;
  }
  if (reply->code >= 500)
    cls = LC_RCPT_POLICY_REJECTED;
  else if (cls != LC_RCPT_GREYLISTED)
    cls = LC_RCPT_TEMPORARY;
  lc_smtp_set_end(s, LC_SMTP_END_REJECTED, reply);
  smtp_send_quit(s);
  lc_smtp_fail_rest(s, LC_OK, cls, reply, NULL);
}

/* End the session with CLS for every recipient still waiting. In QUIT the
 * work is over and the recipients left are "not asked", so only close. */
static void smtp_fail(struct lc_smtp_session *s, enum lc_smtp_end end,
                      enum lc_rcpt_class cls, const struct lc_reply *reply,
                      const char *message)
{
  if (s->state == LC_SMTP_QUIT) {
    lc_smtp_finish(s);
    return;
  }
  lc_debug("smtp %s: %s in state %s", s->mx, lc_smtp_end_name(end),
           lc_smtp_state_name(s->state));
  lc_smtp_set_end(s, end, reply);
  lc_smtp_finish(s);
  lc_smtp_fail_rest(s, LC_OK, cls, reply, message);
}
