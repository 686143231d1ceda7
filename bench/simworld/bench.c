/* `simworld bench`: SMTP load client measuring the server's replies/s.
 *
 * Each connection greets with EHLO, then repeats rounds of "RSET, MAIL
 * FROM, N times RCPT TO" sent in one write (pipelining) and waits for the
 * N + 2 replies before the next round. The run stops after --seconds;
 * the target must be a loopback address.
 */
#include "bench/simworld/bench.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BENCH_BUFFER (64 * 1024)
#define ROUND_MAX (32 * 1024)

struct bench {
  uv_loop_t *loop;
  struct sockaddr_in addr;
  const char *rcpt;
  unsigned pipeline;
  unsigned seconds;
  uint64_t replies;
  uint64_t errors;
  bool stopping;
  uv_timer_t timer;
  char round[ROUND_MAX];
  size_t round_len;
};

struct bench_conn {
  uv_tcp_t tcp;
  uv_connect_t connect;
  uv_write_t write;
  struct bench *bench;
  unsigned expected; /* replies still due in this round */
  bool greeted;
  size_t len;
  char buf[BENCH_BUFFER];
};

static void send_round(struct bench_conn *conn);

static void alloc_cb(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
  struct bench_conn *conn = handle->data;
  (void)suggested;
  *buf = uv_buf_init(conn->buf + conn->len,
                     (unsigned)(sizeof(conn->buf) - conn->len));
}

static void close_cb(uv_handle_t *handle)
{
  free(handle->data);
}

static void write_cb(uv_write_t *req, int status)
{
  (void)req;
  (void)status;
}

static void send_text(struct bench_conn *conn, const char *text, size_t len,
                      unsigned replies)
{
  uv_buf_t buf = uv_buf_init((char *)(uintptr_t)text, (unsigned)len);
  conn->expected = replies;
  uv_write(&conn->write, (uv_stream_t *)&conn->tcp, &buf, 1, write_cb);
}

static void send_round(struct bench_conn *conn)
{
  struct bench *bench = conn->bench;
  if (bench->stopping) {
    uv_close((uv_handle_t *)&conn->tcp, close_cb);
    return;
  }
  send_text(conn, bench->round, bench->round_len, bench->pipeline + 2);
}

/* Count complete reply lines ("NNN " ends a reply) in the buffer. */
static void count_replies(struct bench_conn *conn)
{
  char *start = conn->buf;
  char *end = conn->buf + conn->len;
  char *newline;
  while ((newline = memchr(start, '\n', (size_t)(end - start))) != NULL) {
    if (newline - start >= 4 && start[3] == ' ') {
      conn->bench->replies++;
      if (start[0] != '2')
        conn->bench->errors++;
      if (conn->expected > 0)
        conn->expected--;
    }
    start = newline + 1;
  }
  conn->len = (size_t)(end - start);
  memmove(conn->buf, start, conn->len);
}

static void read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
  struct bench_conn *conn = stream->data;
  (void)buf;
  if (nread < 0) {
    if (!uv_is_closing((uv_handle_t *)stream))
      uv_close((uv_handle_t *)stream, close_cb);
    return;
  }
  conn->len += (size_t)nread;
  count_replies(conn);
  if (conn->expected > 0)
    return;
  if (!conn->greeted) {
    conn->greeted = true;
    static const char ehlo[] = "EHLO bench.simworld.test\r\n";
    send_text(conn, ehlo, sizeof(ehlo) - 1, 1);
    return;
  }
  send_round(conn);
}

static void connect_cb(uv_connect_t *req, int status)
{
  struct bench_conn *conn = req->data;
  if (status < 0) {
    fprintf(stderr, "simworld: bench connect failed: %s\n",
            uv_strerror(status));
    conn->bench->errors++;
    uv_close((uv_handle_t *)&conn->tcp, close_cb);
    return;
  }
  conn->expected = 1; /* banner */
  uv_read_start((uv_stream_t *)&conn->tcp, alloc_cb, read_cb);
}

static void stop_cb(uv_timer_t *timer)
{
  struct bench *bench = timer->data;
  bench->stopping = true;
  uv_close((uv_handle_t *)timer, NULL);
}

static bool start_conn(struct bench *bench)
{
  struct bench_conn *conn = calloc(1, sizeof(*conn));
  if (conn == NULL)
    return false;
  conn->bench = bench;
  uv_tcp_init(bench->loop, &conn->tcp);
  conn->tcp.data = conn;
  conn->connect.data = conn;
  return uv_tcp_connect(&conn->connect, &conn->tcp,
                        (const struct sockaddr *)&bench->addr, connect_cb) == 0;
}

static bool build_round(struct bench *bench)
{
  int n = snprintf(bench->round, sizeof(bench->round),
                   "RSET\r\nMAIL FROM:<bench@simworld.test>\r\n");
  bench->round_len = (size_t)n;
  for (unsigned i = 0; i < bench->pipeline; i++) {
    n = snprintf(bench->round + bench->round_len,
                 sizeof(bench->round) - bench->round_len, "RCPT TO:<%s>\r\n",
                 bench->rcpt);
    if ((size_t)n >= sizeof(bench->round) - bench->round_len)
      return false;
    bench->round_len += (size_t)n;
  }
  return true;
}

static void bench_usage(FILE *out)
{
  fprintf(out,
          "usage: simworld bench --smtp ADDR:PORT --rcpt ADDRESS [options]\n"
          "  --connections N   parallel connections (default 32)\n"
          "  --pipeline N      RCPTs per pipelined round (default 20)\n"
          "  --seconds S       run time (default 5, at most 600)\n"
          "ADDR must be in 127.0.0.0/8.\n");
}

static bool parse_target(const char *arg, struct sockaddr_in *addr)
{
  char host[64];
  const char *colon = strrchr(arg, ':');
  if (colon == NULL || (size_t)(colon - arg) >= sizeof(host))
    return false;
  memcpy(host, arg, (size_t)(colon - arg));
  host[colon - arg] = '\0';
  if (uv_ip4_addr(host, atoi(colon + 1), addr) != 0)
    return false;
  return (ntohl(addr->sin_addr.s_addr) >> 24) == 127;
}

int sim_bench_main(int argc, char **argv)
{
  static const struct option options[] = {
      {"smtp", required_argument, NULL, 's'},
      {"rcpt", required_argument, NULL, 'r'},
      {"connections", required_argument, NULL, 'c'},
      {"pipeline", required_argument, NULL, 'p'},
      {"seconds", required_argument, NULL, 't'},
      {NULL, 0, NULL, 0}};
  static struct bench bench = {.pipeline = 20, .seconds = 5};
  unsigned connections = 32;
  bool target = false;
  int opt;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
    if (opt == 's')
      target = parse_target(optarg, &bench.addr);
    else if (opt == 'r')
      bench.rcpt = optarg;
    else if (opt == 'c')
      connections = (unsigned)atoi(optarg);
    else if (opt == 'p')
      bench.pipeline = (unsigned)atoi(optarg);
    else if (opt == 't')
      bench.seconds = (unsigned)atoi(optarg);
    else
      target = false;
  }
  if (!target || bench.rcpt == NULL || connections == 0 ||
      connections > 10000 || bench.seconds == 0 || bench.seconds > 600 ||
      bench.pipeline == 0 || !build_round(&bench)) {
    bench_usage(stderr);
    return 2;
  }
  bench.loop = uv_default_loop();
  for (unsigned i = 0; i < connections; i++) {
    if (!start_conn(&bench))
      return 1;
  }
  uv_timer_init(bench.loop, &bench.timer);
  bench.timer.data = &bench;
  uv_timer_start(&bench.timer, stop_cb, bench.seconds * 1000ull, 0);
  uint64_t start = uv_hrtime();
  uv_run(bench.loop, UV_RUN_DEFAULT);
  double elapsed = (double)(uv_hrtime() - start) / 1e9;
  printf("replies=%llu non_2xx=%llu seconds=%.2f replies_per_s=%.0f\n",
         (unsigned long long)bench.replies, (unsigned long long)bench.errors,
         elapsed, (double)bench.replies / elapsed);
  return 0;
}
