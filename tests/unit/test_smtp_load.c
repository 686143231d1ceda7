/* Many SMTP probe sessions at once on one libuv loop.
 *
 * A small SMTP responder runs on the same loop on 127.0.0.1. It offers
 * PIPELINING in its EHLO reply, accepts MAIL, rejects RCPT with 550 5.1.1
 * for local parts that start with "no", accepts every other RCPT and
 * replies 221 to QUIT. SESSIONS sessions with RCPTS recipients each start
 * together; every recipient must get exactly its class, and the loop must end
 * with no handle left. The run time and peak RSS are printed as TAP comments.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "engine/smtp.h"

#define SESSIONS 1000
#define RCPTS 5
#define LINE_MAX_BYTES 512

struct responder_conn {
  uv_tcp_t tcp;
  char line[LINE_MAX_BYTES];
  size_t len;
  char rbuf[1024];
};

struct load {
  uv_tcp_t listener;
  unsigned sessions_done;
  unsigned wrong;     /* results with an unexpected class */
  unsigned callbacks; /* recipient callbacks, all sessions */
  unsigned ends_ok;   /* sessions that ended with LC_SMTP_END_OK */
};

static const char *const rcpts[RCPTS] = {"alice@load.test", "nobody@load.test",
                                         "bob@load.test", "nosuch@load.test",
                                         "carol@load.test"};

static void conn_close_cb(uv_handle_t *handle)
{
  free(handle->data);
}

static void conn_send(struct responder_conn *c, const char *text)
{
  uv_buf_t buf = uv_buf_init((char *)(uintptr_t)text, (unsigned)strlen(text));

  /* Replies are a few bytes on loopback; a short write means the test
   * itself is broken, and the client then times out and fails it. */
  uv_try_write((uv_stream_t *)&c->tcp, &buf, 1);
}

static void conn_line(struct responder_conn *c)
{
  if (strncmp(c->line, "EHLO", 4) == 0)
    conn_send(c, "250-load.test\r\n250 PIPELINING\r\n");
  else if (strncmp(c->line, "MAIL", 4) == 0)
    conn_send(c, "250 2.1.0 Ok\r\n");
  else if (strncmp(c->line, "RCPT TO:<no", 11) == 0)
    conn_send(c, "550 5.1.1 User unknown\r\n");
  else if (strncmp(c->line, "RCPT", 4) == 0)
    conn_send(c, "250 2.1.5 Ok\r\n");
  else if (strncmp(c->line, "QUIT", 4) == 0)
    conn_send(c, "221 2.0.0 Bye\r\n");
  else
    conn_send(c, "500 5.5.2 Error: command not recognized\r\n");
}

static void conn_alloc_cb(uv_handle_t *handle, size_t size, uv_buf_t *buf)
{
  struct responder_conn *c = handle->data;

  (void)size;
  *buf = uv_buf_init(c->rbuf, sizeof(c->rbuf));
}

static void conn_read_cb(uv_stream_t *stream, ssize_t nread,
                         const uv_buf_t *buf)
{
  struct responder_conn *c = stream->data;

  if (nread < 0) {
    uv_close((uv_handle_t *)stream, conn_close_cb);
    return;
  }
  for (ssize_t i = 0; i < nread; i++) {
    if (buf->base[i] != '\n') {
      if (c->len < sizeof(c->line) - 1)
        c->line[c->len++] = buf->base[i];
      continue;
    }
    c->line[c->len] = '\0';
    conn_line(c);
    c->len = 0;
  }
}

static void listener_cb(uv_stream_t *server, int status)
{
  struct responder_conn *c;

  if (status != 0)
    return;
  c = calloc(1, sizeof(*c));
  assert_non_null(c);
  uv_tcp_init(server->loop, &c->tcp);
  c->tcp.data = c;
  if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
    uv_close((uv_handle_t *)&c->tcp, conn_close_cb);
    return;
  }
  conn_send(c, "220 load.test ESMTP\r\n");
  uv_read_start((uv_stream_t *)&c->tcp, conn_alloc_cb, conn_read_cb);
}

static void rcpt_cb(struct lc_smtp_session *session, void *user, size_t index,
                    const struct lc_smtp_result *result)
{
  struct load *l = user;
  enum lc_rcpt_class want = strncmp(rcpts[index], "no", 2) == 0
                                ? LC_RCPT_MAILBOX_NOT_FOUND
                                : LC_RCPT_ACCEPTED;

  (void)session;
  l->callbacks++;
  if (result->cls != want)
    l->wrong++;
}

static void done_cb(struct lc_smtp_session *session, void *user,
                    const struct lc_smtp_summary *summary)
{
  struct load *l = user;

  (void)session;
  if (summary->end == LC_SMTP_END_OK && summary->not_asked_count == 0)
    l->ends_ok++;
  if (++l->sessions_done == SESSIONS)
    uv_close((uv_handle_t *)&l->listener, NULL);
}

static void test_thousand_sessions(void **state)
{
  struct lc_smtp_options opts;
  struct sockaddr_storage addr;
  struct sockaddr_in bound;
  int bound_len = sizeof(bound);
  struct load l;
  struct rusage usage;
  uv_loop_t loop;
  uint64_t start;

  (void)state;
  memset(&l, 0, sizeof(l));
  memset(&opts, 0, sizeof(opts));
  memset(&addr, 0, sizeof(addr));
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(uv_tcp_init(&loop, &l.listener), 0);
  uv_ip4_addr("127.0.0.1", 0, (struct sockaddr_in *)&addr);
  assert_int_equal(uv_tcp_bind(&l.listener, (const struct sockaddr *)&addr, 0),
                   0);
  assert_int_equal(uv_listen((uv_stream_t *)&l.listener, 2048, listener_cb), 0);
  uv_tcp_getsockname(&l.listener, (struct sockaddr *)&bound, &bound_len);
  opts.helo_name = "probe.test";
  opts.port = ntohs(bound.sin_port);
  opts.connect_timeout_ms = 10000;
  opts.command_timeout_ms = 10000;
  start = uv_hrtime();
  for (unsigned i = 0; i < SESSIONS; i++) {
    struct lc_smtp_session *s;

    assert_int_equal(lc_smtp_session_new(&loop, &opts, "load.test", &addr, 1,
                                         rcpts, RCPTS, rcpt_cb, done_cb, &l,
                                         &s),
                     LC_OK);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  printf("# %u sessions x %u recipients: %.0f ms\n", SESSIONS, RCPTS,
         (double)(uv_hrtime() - start) / 1e6);
  getrusage(RUSAGE_SELF, &usage);
  printf("# peak RSS of the process (client and responder): %ld KB\n",
         usage.ru_maxrss);
  assert_int_equal(uv_loop_close(&loop), 0);
  assert_int_equal(l.sessions_done, SESSIONS);
  assert_int_equal(l.ends_ok, SESSIONS);
  assert_int_equal(l.callbacks, SESSIONS * RCPTS);
  assert_int_equal(l.wrong, 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_thousand_sessions),
  };

  signal(SIGPIPE, SIG_IGN);
  return cmocka_run_group_tests(tests, NULL, NULL);
}
