/* SMTP probe session against scripted servers on 127.0.0.1.
 *
 * Each case is a server script (tests/unit/smtp_script.h) and the exact
 * per-recipient results, summary and command transcript it must produce.
 * Timeouts are scaled down (hundreds of milliseconds) so the suite stays
 * fast; the trickle case still sends slower than the reply timeout.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "engine/log.h"
#include "engine/smtp.h"
#include "engine/smtp_session.h"
#include "engine/tls.h"
#include "tests/unit/smtp_script.h"

#define MAX_RCPTS 32

struct outcome {
  int calls;
  struct lc_smtp_result r;
  char mx[LC_SMTP_HOST_MAX];
  char addr[64];
};

struct probe {
  struct lc_smtp_options opts;
  const char *rcpts[MAX_RCPTS];
  size_t nrcpts;
  const char *mx; /* MX host name, "mx.test" */
  const char *ips[4];
  size_t nips;
  struct outcome out[MAX_RCPTS];
  struct lc_smtp_summary sum;
  char sum_addr[64];
  int done_calls;
  long cancel_at; /* cancel from this recipient's callback */
  long add_at;    /* add recipients from this one's callback */
  const char *add[MAX_RCPTS];
  size_t nadd;
  size_t add_first;
  enum lc_status add_status;
  uint64_t elapsed_ms;
};

static SSL_CTX *server_ctx;
static SSL_CTX *client_ctx;

static const char *const four[] = {"alice@example.test", "bob@example.test",
                                   "carol@example.test", "dave@example.test"};

#define BANNER                                                                 \
  {                                                                            \
    OP_SEND, "220 mx.test ESMTP\r\n", 0                                        \
  }
#define EHLO_PLAIN                                                             \
  {OP_EXPECT, "EHLO probe.test", 0},                                           \
  {                                                                            \
    OP_SEND, "250-mx.test\r\n250 SIZE\r\n", 0                                  \
  }
#define EHLO_PIPELINING                                                        \
  {OP_EXPECT, "EHLO probe.test", 0},                                           \
  {                                                                            \
    OP_SEND, "250-mx.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n", 0            \
  }
#define MAIL_OK                                                                \
  {OP_EXPECT, "MAIL FROM:<probe@probe.test>", 0},                              \
  {                                                                            \
    OP_SEND, "250 2.1.0 Ok\r\n", 0                                             \
  }
#define RCPT(who, reply)                                                       \
  {OP_EXPECT, "RCPT TO:<" who ">", 0},                                         \
  {                                                                            \
    OP_SEND, reply, 0                                                          \
  }
#define QUIT_OK                                                                \
  {OP_EXPECT, "QUIT", 0},                                                      \
  {                                                                            \
    OP_SEND, "221 2.0.0 Bye\r\n", 0                                            \
  }
#define END                                                                    \
  {                                                                            \
    OP_END, NULL, 0                                                            \
  }

static void probe_init(struct probe *p, const char *const *rcpts, size_t n)
{
  memset(p, 0, sizeof(*p));
  p->opts.helo_name = "probe.test";
  p->opts.mail_from = "probe@probe.test";
  p->opts.connect_timeout_ms = 2000;
  p->opts.command_timeout_ms = 2000;
  p->opts.trace = true;
  p->opts.ssl_ctx = client_ctx;
  p->opts.use_tls = true;
  for (size_t i = 0; i < n; i++)
    p->rcpts[i] = rcpts[i];
  p->nrcpts = n;
  p->mx = "mx.test";
  p->ips[0] = "127.0.0.1";
  p->nips = 1;
  p->cancel_at = -1;
  p->add_at = -1;
}

static void format_addr(const struct sockaddr_storage *addr, char *buf,
                        size_t size)
{
  snprintf(buf, size, "none");
  if (addr != NULL)
    uv_ip_name((const struct sockaddr *)addr, buf, size);
}

static void rcpt_cb(struct lc_smtp_session *session, void *user, size_t index,
                    const struct lc_smtp_result *result)
{
  struct probe *p = user;
  struct outcome *o = &p->out[index < MAX_RCPTS ? index : 0];

  o->calls++;
  o->r = *result;
  snprintf(o->mx, sizeof(o->mx), "%s", result->mx);
  format_addr(result->addr, o->addr, sizeof(o->addr));
  if ((long)index == p->cancel_at)
    lc_smtp_session_cancel(session);
  if ((long)index == p->add_at)
    p->add_status =
        lc_smtp_session_add_recipients(session, p->add, p->nadd, &p->add_first);
}

static void done_cb(struct lc_smtp_session *session, void *user,
                    const struct lc_smtp_summary *summary)
{
  struct probe *p = user;

  (void)session;
  p->done_calls++;
  p->sum = *summary;
  format_addr(summary->addr, p->sum_addr, sizeof(p->sum_addr));
}

/* Run one session to completion against PORT. */
static void probe_run(struct probe *p, uint16_t port)
{
  struct sockaddr_storage addrs[4];
  struct lc_smtp_session *s = NULL;
  uv_loop_t loop;
  uint64_t start;

  memset(addrs, 0, sizeof(addrs));
  for (size_t i = 0; i < p->nips; i++)
    assert_int_equal(uv_ip4_addr(p->ips[i], 0, (struct sockaddr_in *)&addrs[i]),
                     0);
  p->opts.port = port;
  assert_int_equal(uv_loop_init(&loop), 0);
  start = uv_hrtime();
  assert_int_equal(lc_smtp_session_new(&loop, &p->opts, p->mx, addrs, p->nips,
                                       p->rcpts, p->nrcpts, rcpt_cb, done_cb, p,
                                       &s),
                   LC_OK);
  assert_non_null(s);
  assert_int_equal(p->done_calls, 0); /* never from inside new() */
  uv_run(&loop, UV_RUN_DEFAULT);
  p->elapsed_ms = (uv_hrtime() - start) / 1000000;
  assert_int_equal(uv_loop_close(&loop), 0);
  assert_int_equal(p->done_calls, 1);
}

/* Every recipient got one callback, or none and is in the not-asked
 * tail, never both and never neither. */
static void check_exactly_once(const struct probe *p, size_t total)
{
  assert_int_equal(p->sum.recipient_count, total);
  assert_int_equal(p->sum.not_asked_first + p->sum.not_asked_count, total);
  for (size_t i = 0; i < total; i++)
    assert_int_equal(p->out[i].calls, i < p->sum.not_asked_first ? 1 : 0);
}

static void check_rcpt(const struct probe *p, size_t i, enum lc_rcpt_class cls,
                       int code, const char *enhanced, const char *message)
{
  const struct outcome *o = &p->out[i];

  assert_int_equal(o->calls, 1);
  assert_int_equal(o->r.status, LC_OK);
  assert_int_equal(o->r.cls, cls);
  assert_int_equal(o->r.code, code);
  assert_string_equal(o->r.enhanced, enhanced);
  assert_string_equal(o->r.message, message);
  assert_string_equal(o->mx, "mx.test");
}

static void check_summary(const struct probe *p, enum lc_smtp_end end,
                          size_t not_asked_first, size_t total)
{
  assert_string_equal(lc_smtp_end_name(p->sum.end), lc_smtp_end_name(end));
  assert_int_equal(p->sum.not_asked_first, not_asked_first);
  check_exactly_once(p, total);
}

/* Start SCRIPT, probe it with P and wait for the server to finish. */
static void run_script(struct probe *p, const struct script_step *script,
                       struct script_server *srv)
{
  assert_true(script_start(srv, script, server_ctx));
  probe_run(p, srv->port);
  script_join(srv);
  if (srv->mismatches > 0)
    fail_msg("server script: %s", srv->mismatch);
}

static void test_happy_path(void **state)
{
  static const struct script_step script[] = {
      BANNER,
      EHLO_PLAIN,
      MAIL_OK,
      RCPT("alice@example.test", "250 2.1.5 Ok\r\n"),
      RCPT("bob@example.test", "550 5.1.1 <bob@example.test>: Recipient "
                               "address rejected: User unknown\r\n"),
      RCPT("carol@example.test", "552 5.2.2 Mailbox full\r\n"),
      RCPT("dave@example.test", "450 4.7.1 Greylisted, try again later\r\n"),
      QUIT_OK,
      END};
  struct script_server srv;
  struct probe p;

  (void)state;
  lc_log_set_level(LC_LOG_TRACE);
  probe_init(&p, four, 4);
  run_script(&p, script, &srv);
  lc_log_set_level(LC_LOG_WARN);
  check_rcpt(&p, 0, LC_RCPT_ACCEPTED, 250, "2.1.5", "Ok");
  check_rcpt(&p, 1, LC_RCPT_MAILBOX_NOT_FOUND, 550, "5.1.1",
             "<bob@example.test>: Recipient address rejected: User unknown");
  check_rcpt(&p, 2, LC_RCPT_MAILBOX_FULL, 552, "5.2.2", "Mailbox full");
  check_rcpt(&p, 3, LC_RCPT_GREYLISTED, 450, "4.7.1",
             "Greylisted, try again later");
  assert_string_equal(p.out[0].addr, "127.0.0.1");
  assert_false(p.out[0].r.tls);
  check_summary(&p, LC_SMTP_END_OK, 4, 4);
  assert_false(p.sum.tls);
  assert_string_equal(p.sum_addr, "127.0.0.1");
  assert_string_equal(srv.transcript, "EHLO probe.test\n"
                                      "MAIL FROM:<probe@probe.test>\n"
                                      "RCPT TO:<alice@example.test>\n"
                                      "RCPT TO:<bob@example.test>\n"
                                      "RCPT TO:<carol@example.test>\n"
                                      "RCPT TO:<dave@example.test>\n"
                                      "QUIT\n");
}

static void test_pipelining(void **state)
{
  /* The server reads all three RCPTs before it answers any: a client
   * that waits for each reply would time out here. */
  static const struct script_step script[] = {
      BANNER,
      EHLO_PIPELINING,
      MAIL_OK,
      {OP_EXPECT, "RCPT TO:<alice@example.test>", 0},
      {OP_EXPECT, "RCPT TO:<bob@example.test>", 0},
      {OP_EXPECT, "RCPT TO:<carol@example.test>", 0},
      {OP_SEND,
       "250 2.1.5 Ok\r\n550 5.1.1 User unknown\r\n250 2.1.5 Recipient ok\r\n",
       0},
      QUIT_OK,
      END};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 3);
  run_script(&p, script, &srv);
  check_rcpt(&p, 0, LC_RCPT_ACCEPTED, 250, "2.1.5", "Ok");
  check_rcpt(&p, 1, LC_RCPT_MAILBOX_NOT_FOUND, 550, "5.1.1", "User unknown");
  check_rcpt(&p, 2, LC_RCPT_ACCEPTED, 250, "2.1.5", "Recipient ok");
  check_summary(&p, LC_SMTP_END_OK, 3, 3);
}

static void test_helo_fallback(void **state)
{
  static const struct script_step script[] = {
      BANNER,
      {OP_EXPECT, "EHLO probe.test", 0},
      {OP_SEND, "502 5.5.2 Error: command not recognized\r\n", 0},
      {OP_EXPECT, "HELO probe.test", 0},
      {OP_SEND, "250 mx.test\r\n", 0},
      MAIL_OK,
      RCPT("alice@example.test", "250 Ok\r\n"),
      QUIT_OK,
      END};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 1);
  run_script(&p, script, &srv);
  check_rcpt(&p, 0, LC_RCPT_ACCEPTED, 250, "", "Ok");
  check_summary(&p, LC_SMTP_END_OK, 1, 1);
  assert_string_equal(srv.transcript, "EHLO probe.test\nHELO probe.test\n"
                                      "MAIL FROM:<probe@probe.test>\n"
                                      "RCPT TO:<alice@example.test>\nQUIT\n");
}

static void test_banner_554(void **state)
{
  static const struct script_step script[] = {
      {OP_SEND,
       "554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked "
       "using zen.spamhaus.org\r\n",
       0},
      QUIT_OK,
      END};
  static const char *const text =
      "Service unavailable; Client host [127.0.0.1] blocked using "
      "zen.spamhaus.org";
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 3);
  run_script(&p, script, &srv);
  for (size_t i = 0; i < 3; i++)
    check_rcpt(&p, i, LC_RCPT_POLICY_REJECTED, 554, "5.7.1", text);
  check_summary(&p, LC_SMTP_END_REJECTED, 3, 3);
  assert_int_equal(p.sum.code, 554);
  assert_string_equal(p.sum.message, text);
  assert_string_equal(srv.transcript, "QUIT\n");
}

static void test_banner_554_plain_text(void **state)
{
  /* A 554 banner without a cause is still a refusal of the prober. */
  static const struct script_step script[] = {
      {OP_SEND, "554 mx.test\r\n", 0}, QUIT_OK, END};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 2);
  run_script(&p, script, &srv);
  check_rcpt(&p, 0, LC_RCPT_POLICY_REJECTED, 554, "", "mx.test");
  check_rcpt(&p, 1, LC_RCPT_POLICY_REJECTED, 554, "", "mx.test");
  check_summary(&p, LC_SMTP_END_REJECTED, 2, 2);
}

static void test_mail_from_rejected(void **state)
{
  /* A sender refusal says nothing about the recipients, even when its
   * text would read as "user unknown". */
  static const struct script_step script[] = {
      BANNER,
      EHLO_PLAIN,
      {OP_EXPECT, "MAIL FROM:<probe@probe.test>", 0},
      {OP_SEND, "550 5.1.0 <probe@probe.test>: User unknown\r\n", 0},
      QUIT_OK,
      END};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 2);
  run_script(&p, script, &srv);
  check_rcpt(&p, 0, LC_RCPT_POLICY_REJECTED, 550, "5.1.0",
             "<probe@probe.test>: User unknown");
  check_rcpt(&p, 1, LC_RCPT_POLICY_REJECTED, 550, "5.1.0",
             "<probe@probe.test>: User unknown");
  check_summary(&p, LC_SMTP_END_REJECTED, 2, 2);
}

static void test_mail_from_greylisted(void **state)
{
  static const struct script_step script[] = {
      BANNER,
      EHLO_PLAIN,
      {OP_EXPECT, "MAIL FROM:", 0},
      {OP_SEND, "451 4.7.1 Greylisted, please try again in 300 seconds\r\n", 0},
      QUIT_OK,
      END};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 2);
  p.opts.mail_from = NULL; /* null reverse path */
  run_script(&p, script, &srv);
  check_rcpt(&p, 0, LC_RCPT_GREYLISTED, 451, "4.7.1",
             "Greylisted, please try again in 300 seconds");
  check_rcpt(&p, 1, LC_RCPT_GREYLISTED, 451, "4.7.1",
             "Greylisted, please try again in 300 seconds");
  check_summary(&p, LC_SMTP_END_REJECTED, 2, 2);
  assert_string_equal(srv.transcript, "EHLO probe.test\nMAIL FROM:<>\nQUIT\n");
}

static void test_421_during_rcpt(void **state)
{
  static const struct script_step script[] = {
      BANNER,
      EHLO_PLAIN,
      MAIL_OK,
      RCPT("alice@example.test", "250 2.1.5 Ok\r\n"),
      RCPT("bob@example.test", "421 4.7.0 mx.test Error: too many errors\r\n"),
      {OP_CLOSE, NULL, 0}};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 4);
  run_script(&p, script, &srv);
  check_rcpt(&p, 0, LC_RCPT_ACCEPTED, 250, "2.1.5", "Ok");
  check_summary(&p, LC_SMTP_END_RATE_LIMITED, 1, 4);
  assert_int_equal(p.sum.not_asked_count, 3);
  assert_int_equal(p.sum.code, 421);
  assert_string_equal(p.sum.enhanced, "4.7.0");
  assert_string_equal(p.sum.message, "mx.test Error: too many errors");
}

static void test_421_banner(void **state)
{
  static const struct script_step script[] = {
      {OP_SEND, "421 4.3.2 Service shutting down\r\n", 0}, {OP_CLOSE, NULL, 0}};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 3);
  run_script(&p, script, &srv);
  check_summary(&p, LC_SMTP_END_RATE_LIMITED, 0, 3);
  assert_int_equal(p.sum.not_asked_count, 3);
}

static void test_452_too_many(void **state)
{
  static const struct script_step script[] = {
      BANNER,
      EHLO_PLAIN,
      MAIL_OK,
      RCPT("alice@example.test", "250 2.1.5 Ok\r\n"),
      RCPT("bob@example.test", "250 2.1.5 Ok\r\n"),
      RCPT("carol@example.test", "452 4.5.3 Error: too many recipients\r\n"),
      QUIT_OK,
      END};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 4);
  run_script(&p, script, &srv);
  check_rcpt(&p, 0, LC_RCPT_ACCEPTED, 250, "2.1.5", "Ok");
  check_rcpt(&p, 1, LC_RCPT_ACCEPTED, 250, "2.1.5", "Ok");
  check_summary(&p, LC_SMTP_END_TOO_MANY_RCPTS, 2, 4);
  assert_int_equal(p.sum.code, 452);
  assert_string_equal(p.sum.enhanced, "4.5.3");
}

static void test_452_pipelined(void **state)
{
  /* Replies after the 452 are read and ignored; the rest go back. */
  static const struct script_step script[] = {
      BANNER,
      EHLO_PIPELINING,
      MAIL_OK,
      {OP_EXPECT, "RCPT TO:<alice@example.test>", 0},
      {OP_EXPECT, "RCPT TO:<bob@example.test>", 0},
      {OP_EXPECT, "RCPT TO:<carol@example.test>", 0},
      {OP_EXPECT, "RCPT TO:<dave@example.test>", 0},
      {OP_SEND,
       "250 2.1.5 Ok\r\n452 4.5.3 Too many recipients\r\n"
       "452 4.5.3 Too many recipients\r\n452 4.5.3 Too many recipients\r\n",
       0},
      QUIT_OK,
      END};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 4);
  run_script(&p, script, &srv);
  check_rcpt(&p, 0, LC_RCPT_ACCEPTED, 250, "2.1.5", "Ok");
  check_summary(&p, LC_SMTP_END_TOO_MANY_RCPTS, 1, 4);
}

static void test_close_after_5xx(void **state)
{
  static const struct script_step script[] = {
      BANNER,
      EHLO_PLAIN,
      MAIL_OK,
      RCPT("alice@example.test", "550 5.1.1 Mailbox does not exist\r\n"),
      {OP_CLOSE, NULL, 0}};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 3);
  run_script(&p, script, &srv);
  check_rcpt(&p, 0, LC_RCPT_MAILBOX_NOT_FOUND, 550, "5.1.1",
             "Mailbox does not exist");
  check_summary(&p, LC_SMTP_END_DROPPED, 1, 3);
}

static void test_close_before_banner(void **state)
{
  static const struct script_step script[] = {{OP_CLOSE, NULL, 0}};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 2);
  run_script(&p, script, &srv);
  check_rcpt(&p, 0, LC_RCPT_DROPPED, 0, "",
             "connection closed before the banner");
  check_rcpt(&p, 1, LC_RCPT_DROPPED, 0, "",
             "connection closed before the banner");
  check_summary(&p, LC_SMTP_END_DROPPED, 2, 2);
}

static void test_close_instead_of_221(void **state)
{
  static const struct script_step script[] = {
      BANNER,
      EHLO_PLAIN,
      MAIL_OK,
      RCPT("alice@example.test", "250 Ok\r\n"),
      {OP_EXPECT, "QUIT", 0},
      {OP_CLOSE, NULL, 0}};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 1);
  run_script(&p, script, &srv);
  check_rcpt(&p, 0, LC_RCPT_ACCEPTED, 250, "", "Ok");
  check_summary(&p, LC_SMTP_END_OK, 1, 1);
}

static void test_quit_reply_not_awaited_long(void **state)
{
  static const struct script_step script[] = {
      BANNER,
      EHLO_PLAIN,
      MAIL_OK,
      RCPT("alice@example.test", "250 Ok\r\n"),
      {OP_EXPECT, "QUIT", 0},
      {OP_SILENT, NULL, 5000},
      END};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 1);
  p.opts.quit_timeout_ms = 200;
  run_script(&p, script, &srv);
  check_rcpt(&p, 0, LC_RCPT_ACCEPTED, 250, "", "Ok");
  check_summary(&p, LC_SMTP_END_OK, 1, 1);
  assert_in_range(p.elapsed_ms, 190, 1000);
}

static void test_lf_only(void **state)
{
  static const struct script_step script[] = {
      {OP_SEND, "220 mx.test ESMTP\n", 0},
      {OP_EXPECT, "EHLO probe.test", 0},
      {OP_SEND, "250-mx.test\n250 PIPELINING\n", 0},
      {OP_EXPECT, "MAIL FROM:", 0},
      {OP_SEND, "250 Ok\n", 0},
      {OP_EXPECT, "RCPT TO:<alice@example.test>", 0},
      {OP_EXPECT, "RCPT TO:<bob@example.test>", 0},
      {OP_SEND, "250 Ok\n550 5.1.1 no such user\n", 0},
      {OP_EXPECT, "QUIT", 0},
      {OP_SEND, "221 Bye\n", 0},
      END};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 2);
  run_script(&p, script, &srv);
  check_rcpt(&p, 0, LC_RCPT_ACCEPTED, 250, "", "Ok");
  check_rcpt(&p, 1, LC_RCPT_MAILBOX_NOT_FOUND, 550, "5.1.1", "no such user");
  check_summary(&p, LC_SMTP_END_OK, 2, 2);
}

static void test_multi_line(void **state)
{
  static const struct script_step script[] = {
      {OP_SEND, "220-mx.test ESMTP\r\n220-no UCE\r\n220 welcome\r\n", 0},
      EHLO_PLAIN,
      MAIL_OK,
      RCPT("alice@example.test",
           "550-5.1.1 The email account that you tried to reach does not "
           "exist.\r\n550-5.1.1 Please try double-checking the recipient's "
           "email\r\n550 5.1.1 address for typos.\r\n"),
      QUIT_OK,
      END};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 1);
  run_script(&p, script, &srv);
  check_rcpt(&p, 0, LC_RCPT_MAILBOX_NOT_FOUND, 550, "5.1.1",
             "The email account that you tried to reach does not exist.");
  check_summary(&p, LC_SMTP_END_OK, 1, 1);
}

static void test_silent_server(void **state)
{
  static const struct script_step script[] = {{OP_SILENT, NULL, 5000}, END};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 2);
  p.opts.command_timeout_ms = 300;
  run_script(&p, script, &srv);
  check_rcpt(&p, 0, LC_RCPT_TIMEOUT, 0, "", "timed out in state BANNER");
  check_rcpt(&p, 1, LC_RCPT_TIMEOUT, 0, "", "timed out in state BANNER");
  check_summary(&p, LC_SMTP_END_TIMEOUT, 2, 2);
  assert_in_range(p.elapsed_ms, 290, 1500);
}

static void test_silent_after_rcpt(void **state)
{
  static const struct script_step script[] = {
      BANNER,
      EHLO_PLAIN,
      MAIL_OK,
      RCPT("alice@example.test", "250 2.1.5 Ok\r\n"),
      {OP_EXPECT, "RCPT TO:<bob@example.test>", 0},
      {OP_SILENT, NULL, 5000},
      END};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 3);
  p.opts.command_timeout_ms = 300;
  run_script(&p, script, &srv);
  check_rcpt(&p, 0, LC_RCPT_ACCEPTED, 250, "2.1.5", "Ok");
  check_rcpt(&p, 1, LC_RCPT_TIMEOUT, 0, "", "timed out in state RCPT");
  check_rcpt(&p, 2, LC_RCPT_TIMEOUT, 0, "", "timed out in state RCPT");
  check_summary(&p, LC_SMTP_END_TIMEOUT, 3, 3);
}

static void test_trickle_times_out(void **state)
{
  /* 25 bytes at one per 100 ms take 2.5 s; the reply timeout is 600 ms
   * and must not restart with each byte. */
  static const struct script_step script[] = {
      {OP_TRICKLE, "220 mx.test ESMTP ready\r\n", 100}, END};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 1);
  p.opts.command_timeout_ms = 600;
  run_script(&p, script, &srv);
  check_rcpt(&p, 0, LC_RCPT_TIMEOUT, 0, "", "timed out in state BANNER");
  check_summary(&p, LC_SMTP_END_TIMEOUT, 1, 1);
  assert_in_range(p.elapsed_ms, 590, 1200);
}

static void test_refused_then_next(void **state)
{
  /* The server listens on 127.0.0.1 only, so 127.0.0.2 refuses. */
  static const struct script_step script[] = {
      BANNER,  EHLO_PLAIN, MAIL_OK, RCPT("alice@example.test", "250 Ok\r\n"),
      QUIT_OK, END};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 1);
  p.ips[0] = "127.0.0.2";
  p.ips[1] = "127.0.0.1";
  p.nips = 2;
  run_script(&p, script, &srv);
  check_rcpt(&p, 0, LC_RCPT_ACCEPTED, 250, "", "Ok");
  assert_string_equal(p.out[0].addr, "127.0.0.1");
  check_summary(&p, LC_SMTP_END_OK, 1, 1);
}

static void test_all_refused(void **state)
{
  struct probe p;
  uint16_t port = 0;
  int fd = script_listen("127.0.0.1", &port, 1);

  (void)state;
  assert_true(fd >= 0);
  close(fd); /* nothing listens on PORT any more */
  probe_init(&p, four, 2);
  p.ips[1] = "127.0.0.2";
  p.nips = 2;
  probe_run(&p, port);
  check_rcpt(&p, 0, LC_RCPT_CONNECTION_FAILED, 0, "",
             "connection failed: connection refused");
  check_rcpt(&p, 1, LC_RCPT_CONNECTION_FAILED, 0, "",
             "connection failed: connection refused");
  assert_string_equal(p.out[0].addr, "none");
  check_summary(&p, LC_SMTP_END_CONNECT_FAILED, 2, 2);
  assert_string_equal(p.sum_addr, "127.0.0.2");
}

static void test_connect_timeout_then_next(void **state)
{
  /* A listener whose accept queue is full drops new SYNs, so a connect
   * to it hangs like one to a silent host. */
  static const struct script_step script[] = {
      BANNER,  EHLO_PLAIN, MAIL_OK, RCPT("alice@example.test", "250 Ok\r\n"),
      QUIT_OK, END};
  struct sockaddr_in sin = {.sin_family = AF_INET};
  struct script_server srv;
  struct probe p;
  int full, filler;

  (void)state;
  assert_true(script_start(&srv, script, server_ctx));
  full = script_listen("127.0.0.3", &srv.port, 0);
  assert_true(full >= 0);
  sin.sin_port = htons(srv.port);
  inet_pton(AF_INET, "127.0.0.3", &sin.sin_addr);
  filler = socket(AF_INET, SOCK_STREAM, 0);
  assert_int_equal(connect(filler, (struct sockaddr *)&sin, sizeof(sin)), 0);
  probe_init(&p, four, 1);
  p.opts.connect_timeout_ms = 300;
  p.ips[0] = "127.0.0.3";
  p.ips[1] = "127.0.0.1";
  p.nips = 2;
  probe_run(&p, srv.port);
  script_join(&srv);
  close(filler);
  close(full);
  assert_int_equal(srv.mismatches, 0);
  check_rcpt(&p, 0, LC_RCPT_ACCEPTED, 250, "", "Ok");
  assert_string_equal(p.out[0].addr, "127.0.0.1");
  check_summary(&p, LC_SMTP_END_OK, 1, 1);
  assert_true(p.elapsed_ms >= 290);
}

static void test_starttls(void **state)
{
  static const struct script_step script[] = {
      BANNER,
      {OP_EXPECT, "EHLO probe.test", 0},
      {OP_SEND, "250-mx.test\r\n250-STARTTLS\r\n250 8BITMIME\r\n", 0},
      {OP_EXPECT, "STARTTLS", 0},
      {OP_SEND, "220 2.0.0 Ready to start TLS\r\n", 0},
      {OP_STARTTLS, NULL, 0},
      EHLO_PIPELINING,
      MAIL_OK,
      {OP_EXPECT, "RCPT TO:<alice@example.test>", 0},
      {OP_EXPECT, "RCPT TO:<bob@example.test>", 0},
      {OP_SEND, "250 2.1.5 Ok\r\n550 5.1.1 User unknown\r\n", 0},
      QUIT_OK,
      END};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 2);
  run_script(&p, script, &srv);
  assert_true(srv.tls_ok);
  assert_string_equal(srv.sni, "mx.test");
  check_rcpt(&p, 0, LC_RCPT_ACCEPTED, 250, "2.1.5", "Ok");
  check_rcpt(&p, 1, LC_RCPT_MAILBOX_NOT_FOUND, 550, "5.1.1", "User unknown");
  assert_true(p.out[0].r.tls);
  assert_true(p.out[1].r.tls);
  check_summary(&p, LC_SMTP_END_OK, 2, 2);
  assert_true(p.sum.tls);
}

static void test_starttls_sni_without_dot(void **state)
{
  static const struct script_step script[] = {
      BANNER,
      {OP_EXPECT, "EHLO probe.test", 0},
      {OP_SEND, "250-mx.test\r\n250 STARTTLS\r\n", 0},
      {OP_EXPECT, "STARTTLS", 0},
      {OP_SEND, "220 2.0.0 Ready to start TLS\r\n", 0},
      {OP_STARTTLS, NULL, 0},
      EHLO_PLAIN,
      MAIL_OK,
      RCPT("alice@example.test", "250 2.1.5 Ok\r\n"),
      QUIT_OK,
      END};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 1);
  p.mx = "mx.test.";
  run_script(&p, script, &srv);
  assert_string_equal(srv.sni, "mx.test");
  assert_string_equal(p.out[0].mx, "mx.test.");
  assert_int_equal(p.out[0].r.cls, LC_RCPT_ACCEPTED);
  assert_true(p.out[0].r.tls);
}

static void test_starttls_not_used_when_off(void **state)
{
  static const struct script_step script[] = {
      BANNER,
      {OP_EXPECT, "EHLO probe.test", 0},
      {OP_SEND, "250-mx.test\r\n250 STARTTLS\r\n", 0},
      MAIL_OK,
      RCPT("alice@example.test", "250 Ok\r\n"),
      QUIT_OK,
      END};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 1);
  p.opts.use_tls = false;
  run_script(&p, script, &srv);
  check_rcpt(&p, 0, LC_RCPT_ACCEPTED, 250, "", "Ok");
  assert_false(p.out[0].r.tls);
  check_summary(&p, LC_SMTP_END_OK, 1, 1);
}

static void test_530_upgrades(void **state)
{
  static const struct script_step script[] = {
      BANNER,
      {OP_EXPECT, "EHLO probe.test", 0},
      {OP_SEND, "250-mx.test\r\n250 STARTTLS\r\n", 0},
      {OP_EXPECT, "MAIL FROM:<probe@probe.test>", 0},
      {OP_SEND, "530 5.7.0 Must issue a STARTTLS command first\r\n", 0},
      {OP_EXPECT, "STARTTLS", 0},
      {OP_SEND, "220 2.0.0 Ready to start TLS\r\n", 0},
      {OP_STARTTLS, NULL, 0},
      EHLO_PLAIN,
      MAIL_OK,
      RCPT("alice@example.test", "250 2.1.5 Ok\r\n"),
      QUIT_OK,
      END};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 1);
  p.opts.use_tls = false; /* the plain retry of an earlier failure */
  run_script(&p, script, &srv);
  check_rcpt(&p, 0, LC_RCPT_ACCEPTED, 250, "2.1.5", "Ok");
  assert_true(p.out[0].r.tls);
  check_summary(&p, LC_SMTP_END_OK, 1, 1);
}

static void test_530_without_starttls(void **state)
{
  static const struct script_step script[] = {
      BANNER,
      EHLO_PLAIN,
      {OP_EXPECT, "MAIL FROM:<probe@probe.test>", 0},
      {OP_SEND, "530 5.7.0 Must issue a STARTTLS command first\r\n", 0},
      END};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 2);
  run_script(&p, script, &srv);
  check_rcpt(&p, 0, LC_RCPT_TLS_FAILED, 530, "5.7.0",
             "Must issue a STARTTLS command first");
  check_rcpt(&p, 1, LC_RCPT_TLS_FAILED, 530, "5.7.0",
             "Must issue a STARTTLS command first");
  check_summary(&p, LC_SMTP_END_TLS_FAILED, 2, 2);
  assert_false(p.sum.plain_retry);
}

static void test_tls_handshake_fails(void **state)
{
  /* The server answers the ClientHello with bytes that are not TLS. */
  static const struct script_step script[] = {
      BANNER,
      {OP_EXPECT, "EHLO probe.test", 0},
      {OP_SEND, "250-mx.test\r\n250 STARTTLS\r\n", 0},
      {OP_EXPECT, "STARTTLS", 0},
      {OP_SEND, "220 2.0.0 Ready to start TLS\r\n", 0},
      {OP_SEND, "this is not a TLS record at all\r\n", 100},
      END};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 2);
  run_script(&p, script, &srv);
  check_summary(&p, LC_SMTP_END_TLS_FAILED, 0, 2);
  assert_true(p.sum.plain_retry);
  assert_false(p.sum.tls);
}

static void test_starttls_injection(void **state)
{
  /* Bytes behind the 220 could come from an attacker on the path. */
  static const struct script_step script[] = {
      BANNER,
      {OP_EXPECT, "EHLO probe.test", 0},
      {OP_SEND, "250-mx.test\r\n250 STARTTLS\r\n", 0},
      {OP_EXPECT, "STARTTLS", 0},
      {OP_SEND, "220 2.0.0 Ready to start TLS\r\n250 2.1.5 injected\r\n", 0},
      END};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 1);
  run_script(&p, script, &srv);
  check_rcpt(&p, 0, LC_RCPT_PROTOCOL_ERROR, 0, "",
             "data after the STARTTLS reply");
  check_summary(&p, LC_SMTP_END_PROTOCOL_ERROR, 1, 1);
}

static void test_reply_without_command(void **state)
{
  /* Two replies to one RCPT: the second has no command to belong to. */
  static const struct script_step script[] = {
      BANNER,
      EHLO_PLAIN,
      MAIL_OK,
      RCPT("alice@example.test", "250 2.1.5 Ok\r\n"),
      RCPT("bob@example.test", "250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"),
      END};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 3);
  run_script(&p, script, &srv);
  check_rcpt(&p, 0, LC_RCPT_ACCEPTED, 250, "2.1.5", "Ok");
  check_rcpt(&p, 1, LC_RCPT_ACCEPTED, 250, "2.1.5", "Ok");
  check_rcpt(&p, 2, LC_RCPT_PROTOCOL_ERROR, 0, "", "reply without a command");
  check_summary(&p, LC_SMTP_END_PROTOCOL_ERROR, 3, 3);
}

static void test_unsolicited_421(void **state)
{
  /* A 421 that follows the EHLO reply in the same segment answers no
   * command: the server is closing. */
  static const struct script_step script[] = {
      BANNER,
      {OP_EXPECT, "EHLO probe.test", 0},
      {OP_SEND, "250 mx.test\r\n421 4.4.2 mx.test Error: timeout\r\n", 0},
      {OP_CLOSE, NULL, 0}};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 2);
  run_script(&p, script, &srv);
  check_summary(&p, LC_SMTP_END_RATE_LIMITED, 0, 2);
  assert_int_equal(p.sum.code, 421);
  assert_string_equal(p.sum.message, "mx.test Error: timeout");
}

static void test_garbage_reply(void **state)
{
  static const struct script_step script[] = {
      {OP_SEND, "HTTP/1.1 400 Bad Request\r\n\r\n", 0}, END};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 2);
  run_script(&p, script, &srv);
  check_rcpt(&p, 0, LC_RCPT_PROTOCOL_ERROR, 0, "", "malformed reply");
  check_rcpt(&p, 1, LC_RCPT_PROTOCOL_ERROR, 0, "", "malformed reply");
  check_summary(&p, LC_SMTP_END_PROTOCOL_ERROR, 2, 2);
}

static void test_megabyte_line(void **state)
{
  static const struct script_step script[] = {
      BANNER,
      EHLO_PLAIN,
      MAIL_OK,
      {OP_EXPECT, "RCPT TO:<alice@example.test>", 0},
      {OP_FLOOD, NULL, 1024},
      END};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 1);
  run_script(&p, script, &srv);
  check_rcpt(&p, 0, LC_RCPT_PROTOCOL_ERROR, 0, "", "malformed reply");
  check_summary(&p, LC_SMTP_END_PROTOCOL_ERROR, 1, 1);
}

static void test_smtputf8_not_offered(void **state)
{
  static const char *const rcpts[] = {
      "alice@example.test", "j\xc3\xbcrgen@example.test", "bob@example.test"};
  static const struct script_step script[] = {
      BANNER,
      EHLO_PLAIN,
      MAIL_OK,
      RCPT("alice@example.test", "250 Ok\r\n"),
      RCPT("bob@example.test", "250 Ok\r\n"),
      QUIT_OK,
      END};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, rcpts, 3);
  run_script(&p, script, &srv);
  check_rcpt(&p, 0, LC_RCPT_ACCEPTED, 250, "", "Ok");
  check_rcpt(&p, 1, LC_RCPT_REJECTED, 0, "",
             "SMTPUTF8 not offered by the server");
  check_rcpt(&p, 2, LC_RCPT_ACCEPTED, 250, "", "Ok");
  check_summary(&p, LC_SMTP_END_OK, 3, 3);
}

static void test_smtputf8_offered(void **state)
{
  static const char *const rcpts[] = {"j\xc3\xbcrgen@example.test"};
  static const struct script_step script[] = {
      BANNER,
      {OP_EXPECT, "EHLO probe.test", 0},
      {OP_SEND, "250-mx.test\r\n250 SMTPUTF8\r\n", 0},
      {OP_EXPECT, "MAIL FROM:<probe@probe.test> SMTPUTF8", 0},
      {OP_SEND, "250 Ok\r\n", 0},
      RCPT("j\xc3\xbcrgen@example.test", "250 Ok\r\n"),
      QUIT_OK,
      END};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, rcpts, 1);
  run_script(&p, script, &srv);
  check_rcpt(&p, 0, LC_RCPT_ACCEPTED, 250, "", "Ok");
  check_summary(&p, LC_SMTP_END_OK, 1, 1);
}

static void test_cancel_from_callback(void **state)
{
  static const struct script_step script[] = {
      BANNER, EHLO_PLAIN, MAIL_OK, RCPT("alice@example.test", "250 Ok\r\n"),
      END};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 3);
  p.cancel_at = 0;
  run_script(&p, script, &srv);
  check_rcpt(&p, 0, LC_RCPT_ACCEPTED, 250, "", "Ok");
  for (size_t i = 1; i < 3; i++) {
    assert_int_equal(p.out[i].calls, 1);
    assert_int_equal(p.out[i].r.status, LC_ERR_CANCELED);
    assert_int_equal(p.out[i].r.cls, LC_RCPT_NOT_PROBED);
  }
  check_summary(&p, LC_SMTP_END_CANCELED, 3, 3);
}

/* Recipients added while the transaction is open join it: no RSET, no
 * second MAIL FROM. */
static void test_add_recipients(void **state)
{
  static const struct script_step script[] = {
      BANNER,
      EHLO_PLAIN,
      MAIL_OK,
      RCPT("alice@example.test", "250 Ok\r\n"),
      RCPT("bob@example.test", "550 5.1.1 User unknown\r\n"),
      RCPT("carol@example.test", "250 Ok\r\n"),
      QUIT_OK,
      END};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 1);
  p.add_at = 0;
  p.add[0] = four[1];
  p.add[1] = four[2];
  p.nadd = 2;
  run_script(&p, script, &srv);
  assert_int_equal(p.add_status, LC_OK);
  assert_int_equal(p.add_first, 1);
  check_rcpt(&p, 0, LC_RCPT_ACCEPTED, 250, "", "Ok");
  check_rcpt(&p, 1, LC_RCPT_MAILBOX_NOT_FOUND, 550, "5.1.1", "User unknown");
  check_rcpt(&p, 2, LC_RCPT_ACCEPTED, 250, "", "Ok");
  check_summary(&p, LC_SMTP_END_OK, 3, 3);
}

/* A recipient that needs SMTPUTF8 cannot join a transaction opened
 * without it: the session starts a new one for it. */
static void test_add_utf8_new_transaction(void **state)
{
  static const char *const utf8[] = {"j\xc3\xbcrgen@example.test"};
  static const struct script_step script[] = {
      BANNER,
      {OP_EXPECT, "EHLO probe.test", 0},
      {OP_SEND, "250-mx.test\r\n250 SMTPUTF8\r\n", 0},
      MAIL_OK,
      RCPT("alice@example.test", "250 Ok\r\n"),
      {OP_EXPECT, "RSET", 0},
      {OP_SEND, "250 2.0.0 Ok\r\n", 0},
      {OP_EXPECT, "MAIL FROM:<probe@probe.test> SMTPUTF8", 0},
      {OP_SEND, "250 Ok\r\n", 0},
      RCPT("j\xc3\xbcrgen@example.test", "250 Ok\r\n"),
      QUIT_OK,
      END};
  struct script_server srv;
  struct probe p;

  (void)state;
  probe_init(&p, four, 1);
  p.add_at = 0;
  p.add[0] = utf8[0];
  p.nadd = 1;
  run_script(&p, script, &srv);
  assert_int_equal(p.add_status, LC_OK);
  assert_int_equal(p.add_first, 1);
  check_rcpt(&p, 0, LC_RCPT_ACCEPTED, 250, "", "Ok");
  check_rcpt(&p, 1, LC_RCPT_ACCEPTED, 250, "", "Ok");
  check_summary(&p, LC_SMTP_END_OK, 2, 2);
}

static void test_invalid_arguments(void **state)
{
  static const char *const crlf[] = {"a@b.test\r\nDATA"};
  static const char *const many[LC_SMTP_RCPT_DEFAULT + 1] = {
      "a@b.test", "a@b.test", "a@b.test", "a@b.test", "a@b.test", "a@b.test",
      "a@b.test", "a@b.test", "a@b.test", "a@b.test", "a@b.test", "a@b.test",
      "a@b.test", "a@b.test", "a@b.test", "a@b.test", "a@b.test", "a@b.test",
      "a@b.test", "a@b.test", "a@b.test"};
  struct sockaddr_storage addr;
  struct lc_smtp_session *s = NULL;
  struct probe p;
  uv_loop_t loop;

  (void)state;
  probe_init(&p, four, 1);
  memset(&addr, 0, sizeof(addr));
  uv_ip4_addr("127.0.0.1", 25, (struct sockaddr_in *)&addr);
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(lc_smtp_session_new(&loop, &p.opts, "mx.test", &addr, 1,
                                       crlf, 1, rcpt_cb, done_cb, &p, &s),
                   LC_ERR_INVALID);
  assert_int_equal(lc_smtp_session_new(&loop, &p.opts, "mx.test", &addr, 1,
                                       many, LC_SMTP_RCPT_DEFAULT + 1, rcpt_cb,
                                       done_cb, &p, &s),
                   LC_ERR_LIMIT);
  p.opts.helo_name = "";
  assert_int_equal(lc_smtp_session_new(&loop, &p.opts, "mx.test", &addr, 1,
                                       four, 1, rcpt_cb, done_cb, &p, &s),
                   LC_ERR_INVALID);
  assert_null(s);
  assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_session_size(void **state)
{
  (void)state;
  /* The per-session memory without TLS: struct plus one address and 20
   * recipient slots. */
  size_t size = sizeof(struct lc_smtp_session) +
                sizeof(struct sockaddr_storage) +
                LC_SMTP_RCPT_DEFAULT * (sizeof(char *) + 1);

  printf("# session size without TLS: %zu bytes\n", size);
  assert_true(size <= 6 * 1024);
}

static int group_setup(void **state)
{
  (void)state;
  signal(SIGPIPE, SIG_IGN);
  server_ctx = script_tls_ctx_new();
  if (server_ctx == NULL || lc_tls_client_ctx_new(&client_ctx) != LC_OK)
    return -1;
  return 0;
}

static int group_teardown(void **state)
{
  (void)state;
  SSL_CTX_free(server_ctx);
  SSL_CTX_free(client_ctx);
  return 0;
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_happy_path),
      cmocka_unit_test(test_pipelining),
      cmocka_unit_test(test_helo_fallback),
      cmocka_unit_test(test_banner_554),
      cmocka_unit_test(test_banner_554_plain_text),
      cmocka_unit_test(test_mail_from_rejected),
      cmocka_unit_test(test_mail_from_greylisted),
      cmocka_unit_test(test_421_during_rcpt),
      cmocka_unit_test(test_421_banner),
      cmocka_unit_test(test_452_too_many),
      cmocka_unit_test(test_452_pipelined),
      cmocka_unit_test(test_close_after_5xx),
      cmocka_unit_test(test_close_before_banner),
      cmocka_unit_test(test_close_instead_of_221),
      cmocka_unit_test(test_quit_reply_not_awaited_long),
      cmocka_unit_test(test_lf_only),
      cmocka_unit_test(test_multi_line),
      cmocka_unit_test(test_silent_server),
      cmocka_unit_test(test_silent_after_rcpt),
      cmocka_unit_test(test_trickle_times_out),
      cmocka_unit_test(test_refused_then_next),
      cmocka_unit_test(test_all_refused),
      cmocka_unit_test(test_connect_timeout_then_next),
      cmocka_unit_test(test_starttls),
      cmocka_unit_test(test_starttls_sni_without_dot),
      cmocka_unit_test(test_starttls_not_used_when_off),
      cmocka_unit_test(test_530_upgrades),
      cmocka_unit_test(test_530_without_starttls),
      cmocka_unit_test(test_tls_handshake_fails),
      cmocka_unit_test(test_starttls_injection),
      cmocka_unit_test(test_reply_without_command),
      cmocka_unit_test(test_unsolicited_421),
      cmocka_unit_test(test_garbage_reply),
      cmocka_unit_test(test_megabyte_line),
      cmocka_unit_test(test_smtputf8_not_offered),
      cmocka_unit_test(test_smtputf8_offered),
      cmocka_unit_test(test_cancel_from_callback),
      cmocka_unit_test(test_add_recipients),
      cmocka_unit_test(test_add_utf8_new_transaction),
      cmocka_unit_test(test_invalid_arguments),
      cmocka_unit_test(test_session_size),
  };

  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
