/* SMTP probe session against a real Postfix.
 *
 * tests/world/postfix.sh starts a private Postfix instance on 127.0.0.1
 * (configuration in tests/postfix/), runs this program with the port in
 * LC_POSTFIX_PORT and stops Postfix again. Without that variable the
 * program runs no test and prints a TAP plan of zero with a SKIP reason,
 * so tests/run.sh counts it as neither passed nor failed. The shell script
 * is its only real runner.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/smtp.h"
#include "engine/tls.h"

#define SESSIONS 30
#define PER_SESSION 5

struct outcome {
  int calls;
  struct lc_smtp_result r;
};

struct probe {
  struct outcome out[LC_SMTP_RCPT_DEFAULT];
  struct lc_smtp_summary sum;
  int done_calls;
};

static uint16_t postfix_port;
static SSL_CTX *client_ctx;

static void rcpt_cb(struct lc_smtp_session *session, void *user, size_t index,
                    const struct lc_smtp_result *result)
{
  struct probe *p = user;

  (void)session;
  if (index < LC_SMTP_RCPT_DEFAULT) {
    p->out[index].calls++;
    p->out[index].r = *result;
  }
}

static void done_cb(struct lc_smtp_session *session, void *user,
                    const struct lc_smtp_summary *summary)
{
  struct probe *p = user;

  (void)session;
  p->done_calls++;
  p->sum = *summary;
}

static void options_init(struct lc_smtp_options *opts)
{
  memset(opts, 0, sizeof(*opts));
  opts->helo_name = "probe.listclean.test";
  opts->mail_from = "";
  opts->port = postfix_port;
  opts->connect_timeout_ms = 5000;
  opts->command_timeout_ms = 10000;
  opts->use_tls = true;
  opts->ssl_ctx = client_ctx;
}

/* Start one session on LOOP; the caller runs the loop. */
static void probe_start(uv_loop_t *loop, const struct lc_smtp_options *opts,
                        const char *const *rcpts, size_t n, struct probe *p)
{
  struct sockaddr_storage addr;
  struct lc_smtp_session *s = NULL;

  memset(&addr, 0, sizeof(addr));
  assert_int_equal(uv_ip4_addr("127.0.0.1", 0, (struct sockaddr_in *)&addr), 0);
  memset(p, 0, sizeof(*p));
  assert_int_equal(lc_smtp_session_new(loop, opts, "mx.known.test", &addr, 1,
                                       rcpts, n, rcpt_cb, done_cb, p, &s),
                   LC_OK);
}

static void check_rcpt(const struct probe *p, size_t i, enum lc_rcpt_class cls,
                       int code, const char *enhanced, const char *message)
{
  assert_int_equal(p->out[i].calls, 1);
  assert_int_equal(p->out[i].r.status, LC_OK);
  assert_int_equal(p->out[i].r.cls, cls);
  assert_int_equal(p->out[i].r.code, code);
  assert_string_equal(p->out[i].r.enhanced, enhanced);
  assert_string_equal(p->out[i].r.message, message);
}

static void run_probe(const struct lc_smtp_options *opts,
                      const char *const *rcpts, size_t n, struct probe *p)
{
  uv_loop_t loop;

  assert_int_equal(uv_loop_init(&loop), 0);
  probe_start(&loop, opts, rcpts, n, p);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&loop), 0);
  assert_int_equal(p->done_calls, 1);
}

static void test_postfix_answers(void **state)
{
  static const char *const rcpts[] = {"alice@known.test",
                                      "nobody@known.test",
                                      "x7q2kz9w4m1r8t5y3v6b@catchall.test",
                                      "grey@known.test",
                                      "full@known.test",
                                      "someone@elsewhere.test"};
  struct lc_smtp_options opts;
  struct probe p;

  (void)state;
  options_init(&opts);
  run_probe(&opts, rcpts, 6, &p);
  check_rcpt(&p, 0, LC_RCPT_ACCEPTED, 250, "2.1.5", "Ok");
  check_rcpt(&p, 1, LC_RCPT_MAILBOX_NOT_FOUND, 550, "5.1.1",
             "<nobody@known.test>: Recipient address rejected: User unknown "
             "in virtual mailbox table");
  check_rcpt(&p, 2, LC_RCPT_ACCEPTED, 250, "2.1.5", "Ok");
  check_rcpt(&p, 3, LC_RCPT_GREYLISTED, 450, "4.7.1",
             "<grey@known.test>: Recipient address rejected: Recipient "
             "greylisted, try again later");
  check_rcpt(&p, 4, LC_RCPT_MAILBOX_FULL, 552, "5.2.2",
             "<full@known.test>: Recipient address rejected: Mailbox full");
  check_rcpt(&p, 5, LC_RCPT_POLICY_REJECTED, 554, "5.7.1",
             "<someone@elsewhere.test>: Relay access denied");
  for (size_t i = 0; i < 6; i++) {
    assert_true(p.out[i].r.tls);
    assert_string_equal(p.out[i].r.mx, "mx.known.test");
  }
  assert_int_equal(p.sum.end, LC_SMTP_END_OK);
  assert_int_equal(p.sum.not_asked_count, 0);
  assert_true(p.sum.tls);
}

static void test_postfix_plain(void **state)
{
  static const char *const rcpts[] = {"alice@known.test", "nobody@known.test"};
  struct lc_smtp_options opts;
  struct probe p;

  (void)state;
  options_init(&opts);
  opts.use_tls = false;
  run_probe(&opts, rcpts, 2, &p);
  check_rcpt(&p, 0, LC_RCPT_ACCEPTED, 250, "2.1.5", "Ok");
  assert_int_equal(p.out[1].r.cls, LC_RCPT_MAILBOX_NOT_FOUND);
  assert_false(p.out[0].r.tls);
  assert_false(p.sum.tls);
  assert_int_equal(p.sum.end, LC_SMTP_END_OK);
}

static void test_postfix_smtputf8(void **state)
{
  /* Postfix offers SMTPUTF8; the catch-all domain accepts the name. */
  static const char *const rcpts[] = {"j\xc3\xbcrgen@catchall.test"};
  struct lc_smtp_options opts;
  struct probe p;

  (void)state;
  options_init(&opts);
  run_probe(&opts, rcpts, 1, &p);
  check_rcpt(&p, 0, LC_RCPT_ACCEPTED, 250, "2.1.5", "Ok");
}

static void test_postfix_concurrent(void **state)
{
  /* SESSIONS sessions at once on one loop, each with PER_SESSION
   * pipelined recipients, alternating known and unknown users. */
  static const char *const rcpts[PER_SESSION] = {
      "alice@known.test", "nobody1@known.test", "alice@known.test",
      "nobody2@known.test", "anyone@catchall.test"};
  static struct probe probes[SESSIONS];
  struct lc_smtp_options opts;
  uv_loop_t loop;

  (void)state;
  options_init(&opts);
  assert_int_equal(uv_loop_init(&loop), 0);
  for (size_t i = 0; i < SESSIONS; i++)
    probe_start(&loop, &opts, rcpts, PER_SESSION, &probes[i]);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&loop), 0);
  for (size_t i = 0; i < SESSIONS; i++) {
    const struct probe *p = &probes[i];

    assert_int_equal(p->done_calls, 1);
    assert_int_equal(p->sum.end, LC_SMTP_END_OK);
    for (size_t j = 0; j < PER_SESSION; j++) {
      assert_int_equal(p->out[j].calls, 1);
      assert_int_equal(p->out[j].r.cls, j % 2 == 0 ? LC_RCPT_ACCEPTED
                                                   : LC_RCPT_MAILBOX_NOT_FOUND);
    }
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_postfix_answers),
      cmocka_unit_test(test_postfix_plain),
      cmocka_unit_test(test_postfix_smtputf8),
      cmocka_unit_test(test_postfix_concurrent),
  };
  const char *port = getenv("LC_POSTFIX_PORT");
  int rc;

  if (port == NULL || atoi(port) <= 0 || atoi(port) > 65535) {
    printf("1..0 # SKIP LC_POSTFIX_PORT not set; tests/world/postfix.sh "
           "runs this test\n");
    return 0;
  }
  postfix_port = (uint16_t)atoi(port);
  signal(SIGPIPE, SIG_IGN);
  if (lc_tls_client_ctx_new(&client_ctx) != LC_OK)
    return 1;
  rc = cmocka_run_group_tests(tests, NULL, NULL);
  SSL_CTX_free(client_ctx);
  return rc;
}
