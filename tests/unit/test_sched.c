/* Tests of the MX scheduler (engine/sched.h) with real SMTP sessions.
 *
 * Each test runs its own libuv loop with scripted SMTP servers listening
 * on 127.0.0.x, all on one port picked at start, because the scheduler
 * dials every host on the same port. A script sets what a server does:
 * 421 banners, greylisting, 452 after K RCPTs, dropped or silent
 * connections, slow replies. The server logs every connection and RCPT,
 * its peak concurrency and any DATA command. A host on an address without
 * a listener stands for a dead MX, because the connection is refused.
 *
 * A test ends when every probe has completed: the done callback of the
 * last one reads the statistics, shuts the scheduler down and closes the
 * servers. A watchdog does the same after a few seconds, so a stuck test
 * fails instead of hanging.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <netinet/in.h>
#include <uv.h>

#include "engine/bucket.h"
#include "engine/sched.h"
#include "engine/tls.h"

#define SRV_MAX 4
#define CONN_LOG_MAX 256
#define RCPT_LOG_MAX 1024
#define GREY_MAX 256
#define ADDR_TEXT_MAX 64
#define WATCHDOG_MS 10000
#define ALWAYS 100000u

/* What one server does; zero fields mean a plain accepting server. */
struct srv_script {
  unsigned busy_first;    /* connections that get a 421 banner */
  unsigned drop_first;    /* connections closed at their first RCPT */
  unsigned hang_first;    /* connections that never reply to a RCPT */
  unsigned rcpt_limit;    /* 452 4.5.3 after this many RCPTs */
  unsigned greylist_ms;   /* 450 4.7.1 until first seen this long ago */
  unsigned rcpt_delay_ms; /* delay before each RCPT reply */
  bool broken_tls;        /* offers STARTTLS, then hangs up on it */
};

struct rcpt_log {
  unsigned srv;  /* index into world.srv */
  unsigned conn; /* connection number on that server, from 1 */
  char rcpt[ADDR_TEXT_MAX];
};

struct world;

struct srv {
  uv_tcp_t tcp;
  struct world *world;
  unsigned index;
  bool listening;
  struct srv_script script;
  unsigned conns_total, conns_open, conns_peak;
  unsigned served_open, served_peak; /* connections given a 220 banner */
  unsigned data_seen;
  unsigned starttls_seen;
  uint64_t conn_ms[CONN_LOG_MAX]; /* uv_now() at each accept */
  char grey[GREY_MAX][ADDR_TEXT_MAX];
  uint64_t grey_ms[GREY_MAX];
  size_t ngrey;
  struct conn *conns; /* open connections */
};

struct conn {
  uv_tcp_t tcp;
  uv_timer_t timer;
  struct srv *srv;
  struct conn *next;
  unsigned id;
  unsigned rcpts;
  unsigned handles;
  bool closing;
  bool waiting; /* a delayed reply is pending: input waits */
  bool quit;    /* close once the last write is done */
  bool served;  /* got a 220 banner */
  char in[2048];
  size_t in_len;
  char pending[256];
};

struct tprobe {
  struct lc_probe probe;
  struct world *world;
  char rcpt[ADDR_TEXT_MAX];
  unsigned calls;
  unsigned order; /* completion order from 1 */
  enum lc_status status;
  enum lc_rcpt_class cls;
  int code;
  char enhanced[16];
  char message[256];
  char mx[ADDR_TEXT_MAX];
};

/* A route with up to three hosts of one address each. */
struct troute {
  struct lc_sched_route route;
  struct lc_sched_host hosts[3];
  struct sockaddr_storage addrs[3];
};

struct world {
  uv_loop_t loop;
  uv_timer_t watchdog;
  uv_timer_t stopper; /* optional: shuts down at a set time */
  uint16_t port;
  struct srv srv[SRV_MAX];
  unsigned nsrv;
  struct lc_sched *sched;
  struct lc_sched_stats stats;
  unsigned expect;
  unsigned done;
  bool finished;
  bool timed_out;
  unsigned open_total, open_peak; /* over all servers */
  struct rcpt_log rlog[RCPT_LOG_MAX];
  size_t nrlog;
  uint64_t start_ms;
  uint64_t end_ms;
  void (*on_done)(struct tprobe *tp); /* optional hook per completion */
};

static void conn_process(struct conn *c);

/* ---- scripted SMTP server ---- */

struct write_req {
  uv_write_t req;
  struct conn *conn;
  char data[];
};

static void conn_handle_closed_cb(uv_handle_t *handle)
{
  struct conn *c = handle->data;

  if (--c->handles == 0)
    free(c);
}

static void conn_close(struct conn *c)
{
  struct srv *srv = c->srv;
  struct conn **link = &srv->conns;

  if (c->closing)
    return;
  c->closing = true;
  while (*link != c)
    link = &(*link)->next;
  *link = c->next;
  srv->conns_open--;
  srv->world->open_total--;
  if (c->served)
    srv->served_open--;
  uv_close((uv_handle_t *)&c->tcp, conn_handle_closed_cb);
  uv_close((uv_handle_t *)&c->timer, conn_handle_closed_cb);
}

static void conn_write_cb(uv_write_t *req, int status)
{
  struct write_req *w = (struct write_req *)req;
  struct conn *c = w->conn;

  free(w);
  if (c->closing)
    return;
  if (status != 0 || (c->quit && c->tcp.write_queue_size == 0))
    conn_close(c);
}

static void conn_send(struct conn *c, const char *text)
{
  size_t len = strlen(text);
  struct write_req *w = malloc(sizeof(*w) + len);
  uv_buf_t buf;

  assert_non_null(w);
  memcpy(w->data, text, len);
  w->conn = c;
  buf = uv_buf_init(w->data, (unsigned)len);
  if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, conn_write_cb) != 0) {
    free(w);
    conn_close(c);
  }
}

static void conn_delay_cb(uv_timer_t *timer)
{
  struct conn *c = timer->data;

  c->waiting = false;
  conn_send(c, c->pending);
  conn_process(c);
}

static void conn_reply(struct conn *c, const char *text, unsigned delay_ms)
{
  if (delay_ms == 0) {
    conn_send(c, text);
    return;
  }
  snprintf(c->pending, sizeof(c->pending), "%s", text);
  c->waiting = true;
  uv_timer_start(&c->timer, conn_delay_cb, delay_ms, 0);
}

/* Return the milliseconds since SRV first saw RCPT, recording it now. */
static uint64_t srv_grey_age(struct srv *srv, const char *rcpt)
{
  uint64_t now = uv_now(&srv->world->loop);

  for (size_t i = 0; i < srv->ngrey; i++)
    if (strcmp(srv->grey[i], rcpt) == 0)
      return now - srv->grey_ms[i];
  assert_true(srv->ngrey < GREY_MAX);
  snprintf(srv->grey[srv->ngrey], ADDR_TEXT_MAX, "%s", rcpt);
  srv->grey_ms[srv->ngrey++] = now;
  return 0;
}

static void conn_rcpt(struct conn *c, const char *line)
{
  struct srv *srv = c->srv;
  struct world *w = srv->world;
  const struct srv_script *sc = &srv->script;
  const char *lt = strchr(line, '<');
  const char *gt = lt != NULL ? strchr(lt, '>') : NULL;
  char rcpt[ADDR_TEXT_MAX] = "";
  struct rcpt_log *log;

  if (lt != NULL && gt != NULL && (size_t)(gt - lt) < sizeof(rcpt))
    memcpy(rcpt, lt + 1, (size_t)(gt - lt - 1));
  c->rcpts++;
  assert_true(w->nrlog < RCPT_LOG_MAX);
  log = &w->rlog[w->nrlog++];
  log->srv = srv->index;
  log->conn = c->id;
  snprintf(log->rcpt, sizeof(log->rcpt), "%s", rcpt);
  if (c->id <= sc->drop_first) {
    conn_close(c);
    return;
  }
  if (c->id <= sc->hang_first) {
    c->waiting = true;
    return;
  }
  if (sc->rcpt_limit > 0 && c->rcpts > sc->rcpt_limit)
    conn_reply(c, "452 4.5.3 Too many recipients\r\n", sc->rcpt_delay_ms);
  else if (sc->greylist_ms > 0 && srv_grey_age(srv, rcpt) < sc->greylist_ms)
    conn_reply(c, "450 4.7.1 Greylisted, try again later\r\n",
               sc->rcpt_delay_ms);
  else if (strncmp(rcpt, "unknown", 7) == 0)
    conn_reply(c, "550 5.1.1 User unknown\r\n", sc->rcpt_delay_ms);
  else
    conn_reply(c, "250 2.1.5 OK\r\n", sc->rcpt_delay_ms);
}

static bool has_verb(const char *line, const char *verb)
{
  return strncasecmp(line, verb, strlen(verb)) == 0;
}

static void conn_command(struct conn *c, const char *line)
{
  if (has_verb(line, "EHLO")) {
    conn_send(c, c->srv->script.broken_tls ? "250-mx.test\r\n250 STARTTLS\r\n"
                                           : "250-mx.test\r\n250 8BITMIME\r\n");
  } else if (has_verb(line, "STARTTLS")) {
    /* The connection closes during the client's TLS handshake. */
    c->srv->starttls_seen++;
    c->quit = true;
    conn_send(c, "220 2.0.0 Ready to start TLS\r\n");
  } else if (has_verb(line, "HELO") || has_verb(line, "RSET") ||
             has_verb(line, "NOOP")) {
    conn_send(c, "250 OK\r\n");
  } else if (has_verb(line, "MAIL")) {
    conn_send(c, "250 2.1.0 OK\r\n");
  } else if (has_verb(line, "RCPT")) {
    conn_rcpt(c, line);
  } else if (has_verb(line, "DATA")) {
    c->srv->data_seen++;
    conn_send(c, "554 5.5.1 No DATA here\r\n");
  } else if (has_verb(line, "QUIT")) {
    c->quit = true;
    conn_send(c, "221 2.0.0 Bye\r\n");
  } else {
    conn_send(c, "500 5.5.2 Unknown command\r\n");
  }
}

/* Reply to complete lines until a reply is delayed or the connection
 * ends. */
static void conn_process(struct conn *c)
{
  while (!c->waiting && !c->closing && !c->quit) {
    char *nl = memchr(c->in, '\n', c->in_len);
    char line[2048];
    size_t len;

    if (nl == NULL)
      return;
    len = (size_t)(nl - c->in);
    memcpy(line, c->in, len);
    line[len > 0 && line[len - 1] == '\r' ? len - 1 : len] = '\0';
    c->in_len -= len + 1;
    memmove(c->in, nl + 1, c->in_len);
    conn_command(c, line);
  }
}

static void conn_alloc_cb(uv_handle_t *handle, size_t size, uv_buf_t *buf)
{
  struct conn *c = handle->data;

  (void)size;
  buf->base = c->in + c->in_len;
  buf->len = sizeof(c->in) - c->in_len;
}

static void conn_read_cb(uv_stream_t *stream, ssize_t nread,
                         const uv_buf_t *buf)
{
  struct conn *c = stream->data;

  (void)buf;
  if (c->closing)
    return;
  if (nread < 0 || c->in_len + (size_t)nread >= sizeof(c->in)) {
    conn_close(c);
    return;
  }
  c->in_len += (size_t)nread;
  conn_process(c);
}

static void srv_connection_cb(uv_stream_t *server, int status)
{
  struct srv *srv = server->data;
  struct world *w = srv->world;
  struct conn *c;

  assert_int_equal(status, 0);
  c = calloc(1, sizeof(*c));
  assert_non_null(c);
  uv_tcp_init(&w->loop, &c->tcp);
  uv_timer_init(&w->loop, &c->timer);
  c->tcp.data = c->timer.data = c;
  c->handles = 2;
  c->srv = srv;
  c->next = srv->conns;
  srv->conns = c;
  assert_int_equal(uv_accept(server, (uv_stream_t *)&c->tcp), 0);
  c->id = ++srv->conns_total;
  if (c->id <= CONN_LOG_MAX)
    srv->conn_ms[c->id - 1] = uv_now(&w->loop);
  if (++srv->conns_open > srv->conns_peak)
    srv->conns_peak = srv->conns_open;
  if (++w->open_total > w->open_peak)
    w->open_peak = w->open_total;
  uv_read_start((uv_stream_t *)&c->tcp, conn_alloc_cb, conn_read_cb);
  if (c->id <= srv->script.busy_first) {
    c->quit = true;
    conn_send(c, "421 4.7.0 Too many connections, try again later\r\n");
    return;
  }
  c->served = true;
  if (++srv->served_open > srv->served_peak)
    srv->served_peak = srv->served_open;
  conn_send(c, "220 mx.test ESMTP ready\r\n");
}

static void sockaddr_set(struct sockaddr_storage *ss, const char *ip,
                         uint16_t port)
{
  struct sockaddr_in *sin = (struct sockaddr_in *)ss;

  memset(ss, 0, sizeof(*ss));
  assert_int_equal(uv_ip4_addr(ip, port, sin), 0);
}

/* Listen on IP at the world's port; port 0 picks one and stores it. */
static int srv_listen(struct world *w, struct srv *srv, const char *ip)
{
  struct sockaddr_storage ss;
  int len = sizeof(ss);
  int rc;

  sockaddr_set(&ss, ip, w->port);
  uv_tcp_init(&w->loop, &srv->tcp);
  srv->tcp.data = srv;
  srv->listening = true;
  rc = uv_tcp_bind(&srv->tcp, (const struct sockaddr *)&ss, 0);
  if (rc == 0)
    rc = uv_listen((uv_stream_t *)&srv->tcp, 128, srv_connection_cb);
  if (rc == 0 && w->port == 0) {
    uv_tcp_getsockname(&srv->tcp, (struct sockaddr *)&ss, &len);
    w->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
  }
  return rc;
}

static void srv_close(struct srv *srv)
{
  while (srv->conns != NULL)
    conn_close(srv->conns);
  if (srv->listening && !uv_is_closing((uv_handle_t *)&srv->tcp))
    uv_close((uv_handle_t *)&srv->tcp, NULL);
}

/* ---- test world ---- */

static void world_finish(struct world *w)
{
  if (w->finished)
    return;
  w->finished = true;
  w->end_ms = uv_now(&w->loop);
  lc_sched_get_stats(w->sched, &w->stats);
  lc_sched_shutdown(w->sched);
  for (unsigned i = 0; i < w->nsrv; i++)
    srv_close(&w->srv[i]);
  uv_close((uv_handle_t *)&w->watchdog, NULL);
  uv_close((uv_handle_t *)&w->stopper, NULL);
}

static void watchdog_cb(uv_timer_t *timer)
{
  struct world *w = timer->data;

  w->timed_out = true;
  world_finish(w);
}

/* Start servers at 127.0.0.1 up to 127.0.0.NSRV with SCRIPTS, on one
 * free port. Addresses from 127.0.0.(NSRV+1) have no listener. */
static void world_init(struct world *w, unsigned nsrv,
                       const struct srv_script *scripts)
{
  memset(w, 0, sizeof(*w));
  assert_int_equal(uv_loop_init(&w->loop), 0);
  w->nsrv = nsrv;
  for (unsigned i = 0; i < nsrv; i++) {
    char ip[32];

    snprintf(ip, sizeof(ip), "127.0.0.%u", i + 1);
    w->srv[i].world = w;
    w->srv[i].index = i;
    w->srv[i].script = scripts[i];
    assert_int_equal(srv_listen(w, &w->srv[i], ip), 0);
  }
  uv_timer_init(&w->loop, &w->watchdog);
  uv_timer_init(&w->loop, &w->stopper);
  w->watchdog.data = w->stopper.data = w;
  uv_timer_start(&w->watchdog, watchdog_cb, WATCHDOG_MS, 0);
  w->start_ms = uv_now(&w->loop);
}

/* Options for fast tests: short timeouts and delays, loose rates. */
static void world_options(const struct world *w, struct lc_sched_options *o)
{
  memset(o, 0, sizeof(*o));
  o->smtp.helo_name = "prober.test";
  o->smtp.mail_from = "check@prober.test";
  o->smtp.port = w->port;
  o->smtp.connect_timeout_ms = 1000;
  o->smtp.command_timeout_ms = 2000;
  o->connects_per_sec = 1000;
  o->rcpts_per_min = 600000;
  o->greylist_retry_ms = 100;
  o->greylist_max_wait_ms = 1000;
  o->backoff_ms = 50;
  o->max_attempts = 4;
}

static void world_start(struct world *w, const struct lc_sched_options *o)
{
  char err[128];

  assert_int_equal(lc_sched_new(&w->loop, o, &w->sched, err, sizeof(err)),
                   LC_OK);
}

/* Run until every probe completed and every handle closed. */
static void world_run(struct world *w)
{
  uv_run(&w->loop, UV_RUN_DEFAULT);
  assert_false(w->timed_out);
  assert_true(w->finished);
  assert_int_equal(uv_loop_close(&w->loop), 0);
  for (unsigned i = 0; i < w->nsrv; i++)
    assert_int_equal(w->srv[i].data_seen, 0);
}

/* Set host I of R to NAME at 127.0.0.LAST on the world's port. */
static void route_host(struct troute *r, const struct world *w, size_t i,
                       const char *name, unsigned last)
{
  char ip[32];

  snprintf(ip, sizeof(ip), "127.0.0.%u", last);
  sockaddr_set(&r->addrs[i], ip, w->port);
  r->hosts[i].name = name;
  r->hosts[i].naddrs = 1;
  r->hosts[i].addrs = &r->addrs[i];
  r->route.hosts = r->hosts;
  if (i + 1 > r->route.nhosts)
    r->route.nhosts = i + 1;
}

static void probe_done_cb(struct lc_probe *probe,
                          const struct lc_smtp_result *res)
{
  struct tprobe *tp = probe->user;
  struct world *w = tp->world;

  tp->calls++;
  tp->order = ++w->done;
  tp->status = res->status;
  tp->cls = res->cls;
  tp->code = res->code;
  snprintf(tp->enhanced, sizeof(tp->enhanced), "%s", res->enhanced);
  snprintf(tp->message, sizeof(tp->message), "%s", res->message);
  snprintf(tp->mx, sizeof(tp->mx), "%s", res->mx != NULL ? res->mx : "");
  if (w->on_done != NULL)
    w->on_done(tp);
  if (w->done == w->expect)
    world_finish(w);
}

static void probe_set(struct tprobe *tp, struct world *w, const char *local,
                      const char *domain, const struct troute *r)
{
  memset(tp, 0, sizeof(*tp));
  tp->world = w;
  snprintf(tp->rcpt, sizeof(tp->rcpt), "%s@%s", local, domain);
  tp->probe.rcpt = tp->rcpt;
  tp->probe.domain = domain;
  tp->probe.route = &r->route;
  tp->probe.done = probe_done_cb;
  tp->probe.user = tp;
}

static void probe_submit(struct world *w, struct tprobe *tp)
{
  assert_int_equal(lc_sched_submit(w->sched, &tp->probe), LC_OK);
  w->expect++;
}

/* Submit N probes "userI@DOMAIN" on route R into TPS. */
static void submit_many(struct world *w, struct tprobe *tps, size_t n,
                        const char *domain, const struct troute *r)
{
  for (size_t i = 0; i < n; i++) {
    char local[32];

    snprintf(local, sizeof(local), "user%zu", i);
    probe_set(&tps[i], w, local, domain, r);
    probe_submit(w, &tps[i]);
  }
}

static void assert_all(const struct tprobe *tps, size_t n,
                       enum lc_rcpt_class cls, const char *mx)
{
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(tps[i].calls, 1);
    assert_int_equal(tps[i].status, LC_OK);
    assert_string_equal(lc_rcpt_class_name(tps[i].cls),
                        lc_rcpt_class_name(cls));
    if (mx != NULL)
      assert_string_equal(tps[i].mx, mx);
  }
}

/* ---- tests ---- */

static void bucket_refills_at_rate(void **state)
{
  struct lc_bucket b;

  (void)state;
  lc_bucket_init(&b, 2.0, 4, 1000);
  assert_int_equal(lc_bucket_available(&b, 1000), 4);
  assert_true(lc_bucket_take(&b, 4, 1000));
  assert_false(lc_bucket_take(&b, 1, 1000));
  assert_int_equal(lc_bucket_wait_ms(&b, 1, 1000), 500);
  assert_int_equal(lc_bucket_wait_ms(&b, 3, 1000), 1500);
  assert_int_equal(lc_bucket_wait_ms(&b, 9, 1000), 2000);
  assert_false(lc_bucket_take(&b, 1, 1499));
  assert_true(lc_bucket_take(&b, 1, 1500));
  assert_int_equal(lc_bucket_full_ms(&b, 1500), 2000);
  assert_int_equal(lc_bucket_available(&b, 100000), 4);
  assert_int_equal(lc_bucket_full_ms(&b, 100000), 0);
}

static void bucket_burst_at_least_one(void **state)
{
  struct lc_bucket b;

  (void)state;
  lc_bucket_init(&b, 1000.0, 0.25, 0);
  assert_true(lc_bucket_take(&b, 1, 0));
  assert_int_equal(lc_bucket_wait_ms(&b, 1, 0), 1);
  assert_false(lc_bucket_take(&b, 2, 5000));
}

static void options_rejected(void **state)
{
  struct lc_sched_options o;
  struct lc_sched *s = NULL;
  uv_loop_t loop;
  char err[128] = "";

  (void)state;
  assert_int_equal(uv_loop_init(&loop), 0);
  memset(&o, 0, sizeof(o));
  assert_int_equal(lc_sched_new(&loop, &o, &s, err, sizeof(err)),
                   LC_ERR_INVALID);
  assert_string_equal(err, "scheduler options: missing HELO name");
  o.smtp.helo_name = "prober test";
  assert_int_equal(lc_sched_new(&loop, &o, &s, err, sizeof(err)),
                   LC_ERR_INVALID);
  assert_string_equal(err, "scheduler options: invalid HELO name or MAIL FROM "
                           "address");
  o.smtp.helo_name = "prober.test";
  o.smtp.mail_from = "<check@prober.test>";
  assert_int_equal(lc_sched_new(&loop, &o, &s, err, sizeof(err)),
                   LC_ERR_INVALID);
  o.smtp.mail_from = NULL;
  o.rcpt_per_session = LC_SMTP_RCPT_MAX + 1;
  assert_int_equal(lc_sched_new(&loop, &o, &s, err, sizeof(err)), LC_ERR_LIMIT);
  o.rcpt_per_session = 0;
  o.connects_per_sec = -1;
  assert_int_equal(lc_sched_new(&loop, &o, &s, err, sizeof(err)),
                   LC_ERR_INVALID);
  assert_null(s);
  assert_int_equal(uv_loop_close(&loop), 0);
}

static void invalid_probe_rejected(void **state)
{
  static const struct srv_script script[1];
  struct lc_sched_options o;
  struct troute r = {0};
  struct world w;
  struct tprobe tp;

  (void)state;
  world_init(&w, 1, script);
  world_options(&w, &o);
  world_start(&w, &o);
  route_host(&r, &w, 0, "mx1.test", 1);
  probe_set(&tp, &w, "a b", "x.test", &r);
  assert_int_equal(lc_sched_submit(w.sched, &tp.probe), LC_ERR_INVALID);
  probe_set(&tp, &w, "ok", "x.test", &r);
  tp.probe.route = NULL;
  assert_int_equal(lc_sched_submit(w.sched, &tp.probe), LC_ERR_INVALID);
  probe_set(&tp, &w, "ok", "x.test", &r);
  tp.probe.done = NULL;
  assert_int_equal(lc_sched_submit(w.sched, &tp.probe), LC_ERR_INVALID);
  world_finish(&w);
  world_run(&w);
  assert_int_equal(tp.calls, 0);
  assert_int_equal(w.stats.submitted, 0);
}

static void per_key_connection_limit(void **state)
{
  static const struct srv_script script[1] = {{.rcpt_delay_ms = 20}};
  static struct tprobe tps[40];
  struct lc_sched_options o;
  struct troute r = {0};
  struct world w;

  (void)state;
  world_init(&w, 1, script);
  world_options(&w, &o);
  o.per_mx_connections = 3;
  o.rcpt_per_session = 2;
  world_start(&w, &o);
  route_host(&r, &w, 0, "mx1.test", 1);
  submit_many(&w, tps, 40, "a.test", &r);
  world_run(&w);
  assert_all(tps, 40, LC_RCPT_ACCEPTED, "mx1.test");
  assert_int_equal(w.srv[0].conns_peak, 3);
  assert_int_equal(w.stats.key_connections_peak, 3);
  assert_int_equal(w.srv[0].conns_total, 20);
  assert_int_equal(w.stats.sessions_started, 20);
  assert_int_equal(w.stats.rcpts_sent, 40);
}

static void global_connection_limit(void **state)
{
  static const struct srv_script script[2] = {{.rcpt_delay_ms = 20},
                                              {.rcpt_delay_ms = 20}};
  static struct tprobe tps[40];
  struct lc_sched_options o;
  struct troute r1 = {0}, r2 = {0};
  struct world w;

  (void)state;
  world_init(&w, 2, script);
  world_options(&w, &o);
  o.max_connections = 2;
  o.rcpt_per_session = 2;
  world_start(&w, &o);
  route_host(&r1, &w, 0, "mx1.test", 1);
  route_host(&r2, &w, 0, "mx2.test", 2);
  submit_many(&w, tps, 20, "a.test", &r1);
  submit_many(&w, tps + 20, 20, "b.test", &r2);
  world_run(&w);
  assert_all(tps, 20, LC_RCPT_ACCEPTED, "mx1.test");
  assert_all(tps + 20, 20, LC_RCPT_ACCEPTED, "mx2.test");
  assert_int_equal(w.open_peak, 2);
  assert_int_equal(w.stats.connections_peak, 2);
  assert_true(w.srv[0].conns_total >= 10);
  assert_true(w.srv[1].conns_total >= 10);
}

static void connect_rate_limit(void **state)
{
  static const struct srv_script script[1];
  static struct tprobe tps[24];
  struct lc_sched_options o;
  struct troute r = {0};
  struct world w;
  const struct srv *srv = &w.srv[0];

  (void)state;
  world_init(&w, 1, script);
  world_options(&w, &o);
  o.per_mx_connections = 4;
  o.connects_per_sec = 50; /* one every 20 ms after a burst of 4 */
  o.rcpt_per_session = 1;
  world_start(&w, &o);
  route_host(&r, &w, 0, "mx1.test", 1);
  submit_many(&w, tps, 24, "a.test", &r);
  world_run(&w);
  assert_all(tps, 24, LC_RCPT_ACCEPTED, "mx1.test");
  assert_int_equal(srv->conns_total, 24);
  /* Connection K (from 0) may start (K - 3) * 20 ms after the first;
   * 5 ms of slack covers the connect latency. */
  for (unsigned k = 4; k < 24; k++)
    assert_true(srv->conn_ms[k] + 5 >= srv->conn_ms[0] + (k - 3) * 20);
}

static void rcpt_rate_limit(void **state)
{
  static const struct srv_script script[1];
  static struct tprobe tps[25];
  struct lc_sched_options o;
  struct troute r = {0};
  struct world w;

  (void)state;
  world_init(&w, 1, script);
  world_options(&w, &o);
  o.per_mx_connections = 1;
  o.rcpt_per_session = 5; /* burst 5 RCPTs */
  o.rcpts_per_min = 6000; /* then one per 10 ms */
  world_start(&w, &o);
  route_host(&r, &w, 0, "mx1.test", 1);
  submit_many(&w, tps, 25, "a.test", &r);
  world_run(&w);
  assert_all(tps, 25, LC_RCPT_ACCEPTED, "mx1.test");
  assert_int_equal(w.stats.rcpts_sent, 25);
  assert_true(w.end_ms - w.start_ms >= 200);
}

static void backoff_after_421(void **state)
{
  static const struct srv_script script[1] = {{.busy_first = 1}};
  static struct tprobe tps[3];
  struct lc_sched_options o;
  struct troute r = {0};
  struct world w;

  (void)state;
  world_init(&w, 1, script);
  world_options(&w, &o);
  o.backoff_ms = 150;
  world_start(&w, &o);
  route_host(&r, &w, 0, "mx1.test", 1);
  submit_many(&w, tps, 3, "a.test", &r);
  world_run(&w);
  assert_all(tps, 3, LC_RCPT_ACCEPTED, "mx1.test");
  assert_int_equal(w.srv[0].conns_total, 2);
  assert_true(w.srv[0].conn_ms[1] - w.srv[0].conn_ms[0] >= 150);
  assert_int_equal(w.stats.backoffs, 1);
  assert_int_equal(w.stats.requeues, 3);
  assert_int_equal(w.stats.sessions_started, 2);
}

static void budget_halved_after_421(void **state)
{
  static const struct srv_script script[1] = {
      {.busy_first = 4, .rcpt_delay_ms = 40}};
  static struct tprobe tps[6];
  struct lc_sched_options o;
  struct troute r = {0};
  struct world w;

  (void)state;
  world_init(&w, 1, script);
  world_options(&w, &o);
  o.per_mx_connections = 4;
  o.rcpt_per_session = 1;
  o.backoff_ms = 200; /* budget 2 from 200 ms, 3 from 400 ms */
  world_start(&w, &o);
  route_host(&r, &w, 0, "mx1.test", 1);
  submit_many(&w, tps, 6, "a.test", &r);
  world_run(&w);
  assert_all(tps, 6, LC_RCPT_ACCEPTED, "mx1.test");
  /* Four sessions met 421 at once: one backoff, then two at a time. */
  assert_int_equal(w.srv[0].conns_peak, 4);
  assert_int_equal(w.stats.backoffs, 1);
  assert_int_equal(w.srv[0].served_peak, 2);
  assert_int_equal(w.srv[0].conns_total, 10);
}

static void rate_limit_gives_up(void **state)
{
  static const struct srv_script script[1] = {{.busy_first = ALWAYS}};
  static struct tprobe tps[2];
  struct lc_sched_options o;
  struct troute r = {0};
  struct world w;

  (void)state;
  world_init(&w, 1, script);
  world_options(&w, &o);
  o.max_attempts = 3;
  o.backoff_ms = 20;
  world_start(&w, &o);
  route_host(&r, &w, 0, "mx1.test", 1);
  submit_many(&w, tps, 2, "a.test", &r);
  world_run(&w);
  assert_all(tps, 2, LC_RCPT_RATE_LIMITED, "mx1.test");
  for (size_t i = 0; i < 2; i++) {
    assert_int_equal(tps[i].code, 421);
    assert_string_equal(tps[i].enhanced, "4.7.0");
  }
  assert_int_equal(w.srv[0].conns_total, 3);
  assert_int_equal(w.stats.backoffs, 3);
}

static void greylist_retried(void **state)
{
  static const struct srv_script script[1] = {{.greylist_ms = 50}};
  static struct tprobe tps[2];
  struct lc_sched_options o;
  struct troute r = {0};
  struct world w;

  (void)state;
  world_init(&w, 1, script);
  world_options(&w, &o);
  o.greylist_retry_ms = 100;
  world_start(&w, &o);
  route_host(&r, &w, 0, "mx1.test", 1);
  submit_many(&w, tps, 2, "a.test", &r);
  world_run(&w);
  assert_all(tps, 2, LC_RCPT_ACCEPTED, "mx1.test");
  assert_int_equal(tps[0].code, 250);
  assert_int_equal(w.stats.greylist_retries, 2);
  assert_int_equal(w.srv[0].conns_total, 2);
  assert_true(w.srv[0].conn_ms[1] - w.srv[0].conn_ms[0] >= 100);
}

static void greylist_max_wait(void **state)
{
  static const struct srv_script script[1] = {{.greylist_ms = ALWAYS}};
  static struct tprobe tps[2];
  struct lc_sched_options o;
  struct troute r = {0};
  struct world w;

  (void)state;
  world_init(&w, 1, script);
  world_options(&w, &o);
  o.greylist_retry_ms = 100;
  o.greylist_max_wait_ms = 250; /* retries at about 100 and 200 ms */
  world_start(&w, &o);
  route_host(&r, &w, 0, "mx1.test", 1);
  submit_many(&w, tps, 2, "a.test", &r);
  world_run(&w);
  assert_all(tps, 2, LC_RCPT_GREYLISTED, "mx1.test");
  for (size_t i = 0; i < 2; i++) {
    assert_int_equal(tps[i].code, 450);
    assert_string_equal(tps[i].enhanced, "4.7.1");
  }
  assert_int_equal(w.stats.greylist_retries, 4);
  assert_int_equal(w.srv[0].conns_total, 3);
}

static void too_many_rcpts_answers_all(void **state)
{
  static const struct srv_script script[1] = {{.rcpt_limit = 3}};
  static struct tprobe tps[10];
  struct lc_sched_options o;
  struct troute r = {0};
  struct world w;

  (void)state;
  world_init(&w, 1, script);
  world_options(&w, &o);
  o.rcpt_per_session = 10;
  world_start(&w, &o);
  route_host(&r, &w, 0, "mx1.test", 1);
  submit_many(&w, tps, 9, "a.test", &r);
  probe_set(&tps[9], &w, "unknown9", "a.test", &r);
  probe_submit(&w, &tps[9]);
  world_run(&w);
  assert_all(tps, 9, LC_RCPT_ACCEPTED, "mx1.test");
  assert_int_equal(tps[9].cls, LC_RCPT_MAILBOX_NOT_FOUND);
  assert_int_equal(tps[9].code, 550);
  assert_string_equal(tps[9].enhanced, "5.1.1");
  /* 3 answered and a 452, then sessions of 3, 3 and 1. */
  assert_int_equal(w.srv[0].conns_total, 4);
  assert_int_equal(w.stats.requeues, 7);
  assert_int_equal(w.stats.backoffs, 0);
}

static void dead_first_mx_falls_through(void **state)
{
  static const struct srv_script script[1];
  static struct tprobe tps[6];
  struct lc_sched_options o;
  struct troute r = {0};
  struct world w;

  (void)state;
  world_init(&w, 1, script);
  world_options(&w, &o);
  world_start(&w, &o);
  route_host(&r, &w, 0, "mx-dead.test", 9); /* nothing listens there */
  route_host(&r, &w, 1, "mx-live.test", 1);
  submit_many(&w, tps, 6, "a.test", &r);
  world_run(&w);
  assert_all(tps, 6, LC_RCPT_ACCEPTED, "mx-live.test");
  assert_int_equal(w.srv[0].conns_total, 1);
  assert_int_equal(w.stats.host_moves, 6);
  assert_int_equal(w.stats.sessions_started, 2);
}

/* A second wave submitted after the host failed skips it at once. */
static struct tprobe wave2[3];
static struct troute wave2_route;

static void submit_wave2(struct tprobe *tp)
{
  struct world *w = tp->world;

  if (tp->order != 1)
    return;
  for (size_t i = 0; i < 3; i++) {
    char local[16];

    snprintf(local, sizeof(local), "late%zu", i);
    probe_set(&wave2[i], w, local, "a.test", &wave2_route);
    probe_submit(w, &wave2[i]);
  }
}

static void dead_mx_remembered(void **state)
{
  static const struct srv_script script[1] = {{.rcpt_delay_ms = 50}};
  static struct tprobe tps[2];
  struct lc_sched_options o;
  struct troute *r = &wave2_route;
  struct world w;

  (void)state;
  world_init(&w, 1, script);
  world_options(&w, &o);
  world_start(&w, &o);
  memset(r, 0, sizeof(*r));
  route_host(r, &w, 0, "mx-dead.test", 9);
  route_host(r, &w, 1, "mx-live.test", 1);
  w.on_done = submit_wave2;
  submit_many(&w, tps, 2, "a.test", r);
  world_run(&w);
  assert_all(tps, 2, LC_RCPT_ACCEPTED, "mx-live.test");
  assert_all(wave2, 3, LC_RCPT_ACCEPTED, "mx-live.test");
  /* One failed session to the dead host, none after it was marked: the
   * second wave joins the running session to the live host. */
  assert_int_equal(w.stats.host_moves, 5);
  assert_int_equal(w.stats.sessions_started, 2);
  assert_int_equal(w.srv[0].conns_total, 1);
}

static void no_host_left_fails(void **state)
{
  static const struct srv_script script[1];
  static struct tprobe tps[3];
  struct lc_sched_options o;
  struct troute r = {0};
  struct world w;

  (void)state;
  world_init(&w, 1, script);
  world_options(&w, &o);
  world_start(&w, &o);
  route_host(&r, &w, 0, "mx-dead1.test", 9);
  route_host(&r, &w, 1, "mx-dead2.test", 10);
  submit_many(&w, tps, 3, "a.test", &r);
  world_run(&w);
  assert_all(tps, 3, LC_RCPT_CONNECTION_FAILED, "mx-dead2.test");
  assert_int_equal(tps[0].code, 0);
  assert_int_equal(w.srv[0].conns_total, 0);
  /* The first host once, the last one max_attempts times with a pause of
   * backoff_ms (50 ms) between; refusals do not make the pause grow. */
  assert_int_equal(w.stats.sessions_started, 5);
  assert_true(w.end_ms - w.start_ms >= 150);
  assert_true(w.end_ms - w.start_ms < 350);
}

/* Many MX names of one refusing address share one failure count, so they
 * give up together after max_attempts rounds instead of each name
 * starting its own count. */
static void names_of_one_dead_address(void **state)
{
  static const struct srv_script script[1];
  static struct troute routes[12];
  static char names[12][32], domains[12][32];
  static struct tprobe tps[24];
  struct lc_sched_options o;
  struct world w;

  (void)state;
  world_init(&w, 1, script);
  world_options(&w, &o);
  world_start(&w, &o);
  for (size_t i = 0; i < 12; i++) {
    snprintf(names[i], sizeof(names[i]), "mx%zu.dead.test", i);
    snprintf(domains[i], sizeof(domains[i]), "d%zu.test", i);
    memset(&routes[i], 0, sizeof(routes[i]));
    route_host(&routes[i], &w, 0, names[i], 9);
    routes[i].route.group = "127.0.0.9";
    submit_many(&w, tps + 2 * i, 2, domains[i], &routes[i]);
  }
  world_run(&w);
  for (size_t i = 0; i < 12; i++) {
    assert_all(tps + 2 * i, 2, LC_RCPT_CONNECTION_FAILED, names[i]);
    assert_int_equal(tps[2 * i].code, 0);
  }
  /* One round of at most per_mx_connections (4) sessions per counted
   * failure, and a 50 ms pause between rounds. */
  assert_true(w.stats.sessions_started >= 4);
  assert_true(w.stats.sessions_started <= 16);
  assert_true(w.end_ms - w.start_ms >= 150);
  assert_true(w.end_ms - w.start_ms < 600);
}

static void shared_mx_one_session(void **state)
{
  static const struct srv_script script[1];
  static struct tprobe tps[8];
  struct lc_sched_options o;
  struct troute ra = {0}, rb = {0};
  struct world w;

  (void)state;
  world_init(&w, 1, script);
  world_options(&w, &o);
  world_start(&w, &o);
  route_host(&ra, &w, 0, "mx.shared.test", 1);
  route_host(&rb, &w, 0, "MX.Shared.test", 1);
  submit_many(&w, tps, 4, "a.test", &ra);
  submit_many(&w, tps + 4, 4, "b.test", &rb);
  world_run(&w);
  assert_all(tps, 4, LC_RCPT_ACCEPTED, "mx.shared.test");
  assert_all(tps + 4, 4, LC_RCPT_ACCEPTED, "MX.Shared.test");
  assert_int_equal(w.srv[0].conns_total, 1);
  assert_int_equal(w.nrlog, 8);
  /* Round robin between the two domains inside the session. */
  assert_string_equal(w.rlog[0].rcpt, "user0@a.test");
  assert_string_equal(w.rlog[1].rcpt, "user0@b.test");
  assert_string_equal(w.rlog[2].rcpt, "user1@a.test");
}

/* Host names of two tenants that resolve to the same address lead to one
 * server: their domains share a session, and each row names its own MX. */
static void same_address_one_session(void **state)
{
  static const struct srv_script script[1];
  static struct tprobe tps[8];
  struct lc_sched_options o;
  struct troute ra = {0}, rb = {0};
  struct world w;

  (void)state;
  world_init(&w, 1, script);
  world_options(&w, &o);
  world_start(&w, &o);
  route_host(&ra, &w, 0, "tenant-a.mx.test", 1);
  route_host(&rb, &w, 0, "tenant-b.mx.test", 1);
  ra.route.group = rb.route.group = "provider";
  submit_many(&w, tps, 4, "a.test", &ra);
  submit_many(&w, tps + 4, 4, "b.test", &rb);
  world_run(&w);
  assert_all(tps, 4, LC_RCPT_ACCEPTED, "tenant-a.mx.test");
  assert_all(tps + 4, 4, LC_RCPT_ACCEPTED, "tenant-b.mx.test");
  assert_int_equal(w.srv[0].conns_total, 1);
  assert_int_equal(w.stats.sessions_started, 1);
  assert_int_equal(w.nrlog, 8);
  assert_string_equal(w.rlog[0].rcpt, "user0@a.test");
  assert_string_equal(w.rlog[1].rcpt, "user0@b.test");
}

/* Two names of one pool of two servers, whose addresses come in opposite
 * orders (as a resolver that rotates them gives): one budget key, and one
 * session for both domains. */
static void rotated_addresses_one_key(void **state)
{
  static const struct srv_script script[2];
  static struct tprobe tps[6];
  struct lc_sched_options o;
  struct troute ra = {0}, rb = {0};
  struct world w;

  (void)state;
  world_init(&w, 2, script);
  world_options(&w, &o);
  o.per_mx_connections = 1;
  world_start(&w, &o);
  route_host(&ra, &w, 0, "pool-a.mx.test", 1);
  route_host(&ra, &w, 1, "unused", 2);
  route_host(&rb, &w, 0, "pool-b.mx.test", 2);
  route_host(&rb, &w, 1, "unused", 1);
  /* Host 0 of each route dials both addresses, in its own order. */
  ra.route.nhosts = rb.route.nhosts = 1;
  ra.hosts[0].naddrs = rb.hosts[0].naddrs = 2;
  submit_many(&w, tps, 3, "a.test", &ra);
  submit_many(&w, tps + 3, 3, "b.test", &rb);
  world_run(&w);
  assert_all(tps, 3, LC_RCPT_ACCEPTED, "pool-a.mx.test");
  assert_all(tps + 3, 3, LC_RCPT_ACCEPTED, "pool-b.mx.test");
  assert_int_equal(w.stats.keys_peak, 1);
  assert_int_equal(w.open_peak, 1);
  assert_int_equal(w.stats.sessions_started, 1);
}

static void group_shares_budget(void **state)
{
  static const struct srv_script script[2] = {{.rcpt_delay_ms = 10},
                                              {.rcpt_delay_ms = 10}};
  static struct tprobe tps[12];
  struct lc_sched_options o;
  struct troute ra = {0}, rb = {0};
  struct world w;

  (void)state;
  world_init(&w, 2, script);
  world_options(&w, &o);
  o.per_mx_connections = 1;
  o.rcpt_per_session = 3;
  world_start(&w, &o);
  route_host(&ra, &w, 0, "tenant-a.mx.test", 1);
  route_host(&rb, &w, 0, "tenant-b.mx.test", 2);
  ra.route.group = rb.route.group = "provider";
  submit_many(&w, tps, 6, "a.test", &ra);
  submit_many(&w, tps + 6, 6, "b.test", &rb);
  world_run(&w);
  assert_all(tps, 6, LC_RCPT_ACCEPTED, "tenant-a.mx.test");
  assert_all(tps + 6, 6, LC_RCPT_ACCEPTED, "tenant-b.mx.test");
  /* One key for both hosts, each session on one host only. */
  assert_int_equal(w.open_peak, 1);
  assert_int_equal(w.stats.keys_peak, 1);
  assert_int_equal(w.srv[0].conns_total, 2);
  assert_int_equal(w.srv[1].conns_total, 2);
  for (size_t i = 0; i < w.nrlog; i++)
    assert_non_null(strstr(w.rlog[i].rcpt, w.rlog[i].srv ? "@b." : "@a."));
}

static void catch_all_probe_first(void **state)
{
  static const struct srv_script script[1];
  static struct tprobe tps[9];
  struct lc_sched_options o;
  struct troute r = {0};
  struct world w;

  (void)state;
  world_init(&w, 1, script);
  world_options(&w, &o);
  world_start(&w, &o);
  route_host(&r, &w, 0, "mx1.test", 1);
  submit_many(&w, tps, 5, "x.test", &r);
  submit_many(&w, tps + 5, 3, "y.test", &r);
  probe_set(&tps[8], &w, "zq7rk2m9xw4tb8vn3hc6", "y.test", &r);
  tps[8].probe.first = true;
  probe_submit(&w, &tps[8]);
  world_run(&w);
  assert_all(tps, 9, LC_RCPT_ACCEPTED, "mx1.test");
  assert_int_equal(w.srv[0].conns_total, 1);
  assert_int_equal(w.nrlog, 9);
  /* The y.test catch-all probe comes before every other y.test RCPT. */
  assert_string_equal(w.rlog[0].rcpt, "user0@x.test");
  assert_string_equal(w.rlog[1].rcpt, "zq7rk2m9xw4tb8vn3hc6@y.test");
  assert_string_equal(w.rlog[3].rcpt, "user0@y.test");
}

static void fairness_small_domains_early(void **state)
{
  static const struct srv_script script[1];
  static struct tprobe big[200], small[10][3];
  char *domains[10];
  struct lc_sched_options o;
  struct troute r = {0};
  struct world w;
  unsigned last_small = 0;

  (void)state;
  world_init(&w, 1, script);
  world_options(&w, &o);
  o.per_mx_connections = 1;
  o.rcpt_per_session = 10;
  world_start(&w, &o);
  route_host(&r, &w, 0, "mx1.test", 1);
  submit_many(&w, big, 200, "big.test", &r);
  for (size_t d = 0; d < 10; d++) {
    char domain[32];

    snprintf(domain, sizeof(domain), "small%zu.test", d);
    /* The domain string must live as long as the probes. */
    domains[d] = strdup(domain);
    assert_non_null(domains[d]);
    submit_many(&w, small[d], 3, domains[d], &r);
  }
  world_run(&w);
  assert_all(big, 200, LC_RCPT_ACCEPTED, "mx1.test");
  for (size_t d = 0; d < 10; d++) {
    assert_all(small[d], 3, LC_RCPT_ACCEPTED, "mx1.test");
    for (size_t i = 0; i < 3; i++)
      if (small[d][i].order > last_small)
        last_small = small[d][i].order;
    free(domains[d]);
  }
  /* 30 small-domain RCPTs plus about one big-domain RCPT per round of
   * eleven domains: all small ones are done within the first 40 of 230. */
  assert_true(last_small <= 40);
  assert_int_equal(w.srv[0].conns_total, 23);
}

/* Submitting from a done callback during shutdown is rejected. */
static struct lc_probe late_probe;
static enum lc_status late_status = LC_OK;

static void submit_during_shutdown(struct tprobe *tp)
{
  struct world *w = tp->world;

  if (tp->status != LC_ERR_CANCELED || late_status != LC_OK)
    return;
  late_probe = tp->probe;
  late_status = lc_sched_submit(w->sched, &late_probe);
}

static void stopper_cb(uv_timer_t *timer)
{
  world_finish(timer->data);
}

static void shutdown_completes_once(void **state)
{
  static const struct srv_script script[3] = {
      {.rcpt_delay_ms = 80}, {.greylist_ms = ALWAYS}, {.rcpt_delay_ms = 0}};
  static struct tprobe tps[60];
  struct lc_sched_options o;
  struct troute r1 = {0}, r2 = {0}, r3 = {0};
  struct world w;
  unsigned canceled = 0, answered = 0;

  (void)state;
  world_init(&w, 3, script);
  world_options(&w, &o);
  o.per_mx_connections = 1;
  o.rcpt_per_session = 5;
  o.greylist_retry_ms = 5000;
  o.greylist_max_wait_ms = 60000;
  world_start(&w, &o);
  route_host(&r1, &w, 0, "slow.test", 1);
  route_host(&r2, &w, 0, "grey.test", 2);
  route_host(&r3, &w, 0, "fast.test", 3);
  w.on_done = submit_during_shutdown;
  submit_many(&w, tps, 30, "slow.test", &r1);
  submit_many(&w, tps + 30, 10, "grey.test", &r2);
  submit_many(&w, tps + 40, 20, "fast.test", &r3);
  uv_timer_start(&w.stopper, stopper_cb, 300, 0);
  world_run(&w);
  for (size_t i = 0; i < 60; i++) {
    assert_int_equal(tps[i].calls, 1);
    if (tps[i].status == LC_ERR_CANCELED) {
      assert_int_equal(tps[i].cls, LC_RCPT_NOT_PROBED);
      canceled++;
    } else {
      assert_int_equal(tps[i].cls, LC_RCPT_ACCEPTED);
      answered++;
    }
  }
  /* Fast and some slow ones finished; the greylisted ones were waiting
   * and most slow ones were queued or in flight. */
  assert_true(answered >= 20);
  assert_true(canceled >= 20);
  for (size_t i = 30; i < 40; i++)
    assert_int_equal(tps[i].status, LC_ERR_CANCELED);
  assert_int_equal(late_status, LC_ERR_CANCELED);
  assert_int_equal(w.done, 60);
}

static void dropped_connection_retried(void **state)
{
  static const struct srv_script script[1] = {{.drop_first = 1}};
  static struct tprobe tps[3];
  struct lc_sched_options o;
  struct troute r = {0};
  struct world w;

  (void)state;
  world_init(&w, 1, script);
  world_options(&w, &o);
  world_start(&w, &o);
  route_host(&r, &w, 0, "mx1.test", 1);
  submit_many(&w, tps, 3, "a.test", &r);
  world_run(&w);
  assert_all(tps, 3, LC_RCPT_ACCEPTED, "mx1.test");
  assert_int_equal(w.srv[0].conns_total, 2);
  assert_int_equal(w.stats.requeues, 3);
}

static void drops_give_up(void **state)
{
  static const struct srv_script script[1] = {{.drop_first = ALWAYS}};
  static struct tprobe tps[2];
  struct lc_sched_options o;
  struct troute r = {0};
  struct world w;

  (void)state;
  world_init(&w, 1, script);
  world_options(&w, &o);
  o.max_attempts = 2;
  world_start(&w, &o);
  route_host(&r, &w, 0, "mx1.test", 1);
  submit_many(&w, tps, 2, "a.test", &r);
  world_run(&w);
  assert_all(tps, 2, LC_RCPT_DROPPED, "mx1.test");
  assert_int_equal(w.srv[0].conns_total, 2);
}

static void timeout_retried(void **state)
{
  static const struct srv_script script[1] = {{.hang_first = 1}};
  static struct tprobe tps[2];
  struct lc_sched_options o;
  struct troute r = {0};
  struct world w;

  (void)state;
  world_init(&w, 1, script);
  world_options(&w, &o);
  o.smtp.command_timeout_ms = 200;
  world_start(&w, &o);
  route_host(&r, &w, 0, "mx1.test", 1);
  submit_many(&w, tps, 2, "a.test", &r);
  world_run(&w);
  assert_all(tps, 2, LC_RCPT_ACCEPTED, "mx1.test");
  assert_int_equal(w.srv[0].conns_total, 2);
  assert_int_equal(w.stats.requeues, 2);
}

static void tls_failure_falls_back_to_plain(void **state)
{
  static const struct srv_script script[1] = {{.broken_tls = true}};
  static struct tprobe tps[3];
  struct lc_sched_options o;
  struct troute r = {0};
  struct world w;
  SSL_CTX *ctx = NULL;

  (void)state;
  assert_int_equal(lc_tls_client_ctx_new(&ctx), LC_OK);
  world_init(&w, 1, script);
  world_options(&w, &o);
  o.smtp.use_tls = true;
  o.smtp.ssl_ctx = ctx;
  world_start(&w, &o);
  route_host(&r, &w, 0, "mx1.test", 1);
  submit_many(&w, tps, 3, "a.test", &r);
  world_run(&w);
  SSL_CTX_free(ctx);
  assert_all(tps, 3, LC_RCPT_ACCEPTED, "mx1.test");
  assert_int_equal(w.srv[0].starttls_seen, 1);
  assert_int_equal(w.srv[0].conns_total, 2);
  assert_int_equal(w.stats.plain_fallbacks, 1);
  assert_int_equal(w.stats.requeues, 3);
}

static void idle_keys_freed(void **state)
{
  static const struct srv_script script[1];
  static struct tprobe tps[2];
  struct lc_sched_options o;
  struct troute r = {0};
  struct world w;

  (void)state;
  world_init(&w, 1, script);
  world_options(&w, &o);
  world_start(&w, &o);
  route_host(&r, &w, 0, "mx1.test", 1);
  submit_many(&w, tps, 2, "a.test", &r);
  /* The loop must end once every probe is done, without a shutdown,
   * because an idle key's timer does not keep it running. */
  w.expect = 1000;
  uv_timer_stop(&w.watchdog);
  uv_unref((uv_handle_t *)&w.srv[0].tcp);
  uv_run(&w.loop, UV_RUN_DEFAULT);
  assert_int_equal(w.done, 2);
  lc_sched_get_stats(w.sched, &w.stats);
  assert_true(w.stats.keys_open <= 1);
  assert_int_equal(w.stats.keys_peak, 1);
  assert_int_equal(w.stats.connections_open, 0);
  w.expect = w.done;
  world_finish(&w);
  world_run(&w);
  assert_all(tps, 2, LC_RCPT_ACCEPTED, "mx1.test");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(bucket_refills_at_rate),
      cmocka_unit_test(bucket_burst_at_least_one),
      cmocka_unit_test(options_rejected),
      cmocka_unit_test(invalid_probe_rejected),
      cmocka_unit_test(per_key_connection_limit),
      cmocka_unit_test(global_connection_limit),
      cmocka_unit_test(connect_rate_limit),
      cmocka_unit_test(rcpt_rate_limit),
      cmocka_unit_test(backoff_after_421),
      cmocka_unit_test(budget_halved_after_421),
      cmocka_unit_test(rate_limit_gives_up),
      cmocka_unit_test(greylist_retried),
      cmocka_unit_test(greylist_max_wait),
      cmocka_unit_test(too_many_rcpts_answers_all),
      cmocka_unit_test(dead_first_mx_falls_through),
      cmocka_unit_test(dead_mx_remembered),
      cmocka_unit_test(names_of_one_dead_address),
      cmocka_unit_test(no_host_left_fails),
      cmocka_unit_test(shared_mx_one_session),
      cmocka_unit_test(same_address_one_session),
      cmocka_unit_test(rotated_addresses_one_key),
      cmocka_unit_test(group_shares_budget),
      cmocka_unit_test(catch_all_probe_first),
      cmocka_unit_test(fairness_small_domains_early),
      cmocka_unit_test(shutdown_completes_once),
      cmocka_unit_test(dropped_connection_retried),
      cmocka_unit_test(drops_give_up),
      cmocka_unit_test(timeout_retried),
      cmocka_unit_test(tls_failure_falls_back_to_plain),
      cmocka_unit_test(idle_keys_freed),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
