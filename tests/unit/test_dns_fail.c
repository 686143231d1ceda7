/* Tests of engine/dns for server failures: SERVFAIL, REFUSED, NOTIMP,
 * timeouts, refused connections, malformed answers, CNAME chains that the
 * server leaves open, and cancellation of questions waiting to be retried.
 *
 * A small DNS responder runs on the test's own libuv loop on 127.0.0.1
 * and answers from the table in respond(); it counts the questions it
 * gets per name so that the tests can check retries. The timeout case
 * uses a bound UDP socket that never reads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/unit/dns_fixture.h"

#define WAIT_MS 10000
#define RCODE_NOERROR 0
#define RCODE_SERVFAIL 2
#define RCODE_NXDOMAIN 3
#define RCODE_NOTIMP 4
#define RCODE_REFUSED 5
#define COUNTED_NAMES_MAX 32

struct counted_name {
  char name[LC_DNS_NAME_MAX + 1];
  int count;
};

struct responder {
  uv_udp_t udp;
  uint16_t port;
  struct counted_name names[COUNTED_NAMES_MAX];
};

/* Answer being built: header and question copied from the query, then
 * answer records whose owner is the question name. */
struct answer {
  unsigned char buf[1024];
  size_t len;
  unsigned ancount;
};

static int count_name(struct responder *resp, const char *name)
{
  for (int i = 0; i < COUNTED_NAMES_MAX; i++) {
    struct counted_name *slot = &resp->names[i];
    if (slot->name[0] == '\0')
      snprintf(slot->name, sizeof(slot->name), "%s", name);
    if (strcmp(slot->name, name) == 0)
      return ++slot->count;
  }
  return 0;
}

/* Questions the responder got for NAME (any type). */
static int name_count(const struct responder *resp, const char *name)
{
  for (int i = 0; i < COUNTED_NAMES_MAX; i++) {
    if (strcmp(resp->names[i].name, name) == 0)
      return resp->names[i].count;
  }
  return 0;
}

static void answer_rr(struct answer *a, unsigned type,
                      const unsigned char *rdata, size_t rdlength)
{
  dns_put16(a->buf, &a->len, 0xc00c); /* pointer to the question name */
  dns_put16(a->buf, &a->len, type);
  dns_put16(a->buf, &a->len, 1);
  dns_put16(a->buf, &a->len, 0);
  dns_put16(a->buf, &a->len, 60);
  dns_put16(a->buf, &a->len, (unsigned)rdlength);
  memcpy(a->buf + a->len, rdata, rdlength);
  a->len += rdlength;
  a->ancount++;
}

static void answer_cname(struct answer *a, const char *target)
{
  unsigned char rdata[300];
  size_t len = 0;

  dns_put_name(rdata, &len, target);
  answer_rr(a, 5, rdata, len);
}

static void answer_mx(struct answer *a, unsigned preference, const char *target)
{
  unsigned char rdata[300];
  size_t len = 0;

  dns_put16(rdata, &len, preference);
  dns_put_name(rdata, &len, target);
  answer_rr(a, 15, rdata, len);
}

static void answer_addr(struct answer *a, const char *text)
{
  unsigned char rdata[16];

  if (inet_pton(AF_INET, text, rdata) == 1)
    answer_rr(a, 1, rdata, 4);
  else if (inet_pton(AF_INET6, text, rdata) == 1)
    answer_rr(a, 28, rdata, 16);
}

/* Fill A with the answer to NAME/TYPE; COUNT is how many questions for
 * NAME arrived so far, this one included. Returns the rcode. */
static int respond(struct answer *a, const char *name, unsigned type, int count)
{
  size_t len = strlen(name);

  if (len >= 13 && strcmp(name + len - 13, "servfail.test") == 0)
    return RCODE_SERVFAIL;
  if (strcmp(name, "refused.test") == 0)
    return RCODE_REFUSED;
  if (strcmp(name, "notimp.test") == 0)
    return RCODE_NOTIMP;
  if (strcmp(name, "flaky.test") == 0 && count == 1)
    return RCODE_SERVFAIL;
  if (strcmp(name, "flaky.test") == 0 && type == 15)
    answer_mx(a, 10, "mx.flaky.test");
  else if (strcmp(name, "mx.flaky.test") == 0 && type == 1)
    answer_addr(a, "127.0.0.31");
  else if (strcmp(name, "chain.test") == 0)
    answer_cname(a, "far.other");
  else if (strcmp(name, "far.other") == 0 && type == 15)
    answer_mx(a, 5, "mx.far.other");
  else if (strcmp(name, "mx.far.other") == 0 && type == 1)
    answer_addr(a, "127.0.0.32");
  else if (strcmp(name, "loop1.test") == 0)
    answer_cname(a, "loop2.test");
  else if (strcmp(name, "loop2.test") == 0)
    answer_cname(a, "loop1.test");
  else if (strcmp(name, "badmx.test") == 0 && type == 15)
    answer_mx(a, 10, "mx.servfail.test");
  else if (strcmp(name, "halfbad.test") == 0 && type == 15) {
    answer_mx(a, 10, "mx.servfail.test");
    answer_mx(a, 20, "mx.flaky.test");
  } else if (strcmp(name, "v4fail.test") == 0 && type == 15)
    answer_mx(a, 10, "mx.v4fail.test");
  else if (strcmp(name, "mx.v4fail.test") == 0 && type == 1)
    return RCODE_SERVFAIL;
  else if (strcmp(name, "mx.v4fail.test") == 0 && type == 28)
    answer_addr(a, "::1");
  else if (strncmp(name, "nx.", 3) == 0)
    return RCODE_NXDOMAIN;
  /* every other name exists without records of the type (NODATA) */
  return RCODE_NOERROR;
}

/* Read the question of QUERY (QLEN bytes): name, type, and the offset
 * just past it. Returns false for a malformed query. */
static bool parse_question(const unsigned char *query, size_t qlen, char *name,
                           unsigned *type, size_t *end)
{
  size_t pos = 12, out = 0;

  while (pos < qlen && query[pos] != 0) {
    size_t label = query[pos++];
    if (label > 63 || pos + label > qlen || out + label + 2 > 254)
      return false;
    if (out > 0)
      name[out++] = '.';
    memcpy(name + out, query + pos, label);
    out += label;
    pos += label;
  }
  name[out] = '\0';
  if (pos + 5 > qlen)
    return false;
  *type = ((unsigned)query[pos + 1] << 8) | query[pos + 2];
  *end = pos + 5;
  return true;
}

static void resp_alloc_cb(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
  static char storage[4096];

  (void)handle;
  (void)suggested;
  buf->base = storage;
  buf->len = sizeof(storage);
}

static void resp_recv_cb(uv_udp_t *udp, ssize_t nread, const uv_buf_t *buf,
                         const struct sockaddr *addr, unsigned flags)
{
  struct responder *resp = udp->data;
  const unsigned char *query = (const unsigned char *)buf->base;
  char name[LC_DNS_NAME_MAX + 1];
  struct answer a;
  unsigned type;
  size_t end;

  (void)flags;
  if (nread < 12 || addr == NULL ||
      !parse_question(query, (size_t)nread, name, &type, &end))
    return;
  memset(&a, 0, sizeof(a));
  memcpy(a.buf, query, end);
  a.len = end;
  int rcode = respond(&a, name, type, count_name(resp, name));
  a.buf[2] = (unsigned char)(0x84 | (query[2] & 0x01)); /* QR AA RD */
  a.buf[3] = (unsigned char)rcode;
  a.buf[6] = (unsigned char)(a.ancount >> 8);
  a.buf[7] = (unsigned char)a.ancount;
  if (strcmp(name, "garbage.test") == 0) {
    /* claims one answer record but carries three bytes of it */
    a.buf[7] = 1;
    a.buf[a.len++] = 0xc0;
    a.buf[a.len++] = 0x0c;
    a.buf[a.len++] = 0x00;
  }
  uv_buf_t out = uv_buf_init((char *)a.buf, (unsigned)a.len);
  uv_udp_try_send(udp, &out, 1, addr);
}

static void responder_start(uv_loop_t *loop, struct responder *resp)
{
  struct sockaddr_in sin;
  int namelen = sizeof(sin);

  memset(resp, 0, sizeof(*resp));
  uv_ip4_addr("127.0.0.1", 0, &sin);
  assert_int_equal(uv_udp_init(loop, &resp->udp), 0);
  resp->udp.data = resp;
  assert_int_equal(uv_udp_bind(&resp->udp, (const struct sockaddr *)&sin, 0),
                   0);
  assert_int_equal(
      uv_udp_getsockname(&resp->udp, (struct sockaddr *)&sin, &namelen), 0);
  resp->port = ntohs(sin.sin_port);
  assert_int_equal(uv_udp_recv_start(&resp->udp, resp_alloc_cb, resp_recv_cb),
                   0);
}

static void responder_stop(struct responder *resp)
{
  uv_close((uv_handle_t *)&resp->udp, NULL);
}

/* A UDP socket on 127.0.0.1 that never reads: questions to it time out.
 * Returns the fd and sets *PORT. */
static int silent_socket(uint16_t *port)
{
  struct sockaddr_in sin;
  socklen_t sl = sizeof(sin);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);

  memset(&sin, 0, sizeof(sin));
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
  *port = ntohs(sin.sin_port);
  return fd;
}

struct fixture {
  uv_loop_t loop;
  struct responder resp;
  struct lc_dns_resolver *resolver;
  struct lc_dns_options options;
  char server_text[2][32];
  const char *servers[2];
};

/* Start the loop and the responder; the resolver asks the responder
 * unless the test changes servers before fixture_resolver(). */
static void fixture_start(struct fixture *f)
{
  rec_total = 0;
  memset(f, 0, sizeof(*f));
  assert_int_equal(uv_loop_init(&f->loop), 0);
  responder_start(&f->loop, &f->resp);
  snprintf(f->server_text[0], sizeof(f->server_text[0]), "127.0.0.1:%u",
           f->resp.port);
  f->servers[0] = f->server_text[0];
  lc_dns_options_init(&f->options);
  f->options.servers = f->servers;
  f->options.nservers = 1;
  f->options.timeout_ms = 2000;
  f->options.tries = 3;
  f->options.backoff_ms = 10;
  f->options.allow_private = true;
}

static void fixture_resolver(struct fixture *f)
{
  char msg[256];
  enum lc_status status = lc_dns_resolver_new(&f->loop, &f->options,
                                              &f->resolver, msg, sizeof(msg));

  if (status != LC_OK)
    print_error("resolver: %s\n", msg);
  assert_int_equal(status, LC_OK);
}

static void fixture_stop(struct fixture *f)
{
  lc_dns_resolver_free(f->resolver);
  responder_stop(&f->resp);
  assert_int_equal(finish_loop(&f->loop), 0);
}

static void lookup_one(struct fixture *f, const char *domain,
                       struct rec_result *rec)
{
  int before = rec_total;

  memset(rec, 0, sizeof(*rec));
  assert_int_equal(lc_dns_lookup(f->resolver, domain, rec_cb, rec), LC_OK);
  assert_true(run_until(&f->loop, before + 1, WAIT_MS));
  assert_int_equal(rec->calls, 1);
}

static void check_error(const struct rec_result *rec, const char *fmt,
                        unsigned port)
{
  char expected[256];

  snprintf(expected, sizeof(expected), fmt, port);
  assert_string_equal(lc_dns_outcome_name(rec->outcome),
                      lc_dns_outcome_name(LC_DNS_ERROR));
  assert_string_equal(rec->error, expected);
  assert_int_equal(rec->nhosts, 0);
}

static void test_servfail_retried(void **state)
{
  struct fixture f;
  struct rec_result rec;
  struct lc_dns_stats stats;

  (void)state;
  fixture_start(&f);
  fixture_resolver(&f);
  lookup_one(&f, "servfail.test", &rec);
  check_error(&rec, "SERVFAIL from 127.0.0.1:%u after 3 tries", f.resp.port);
  assert_int_equal(name_count(&f.resp, "servfail.test"), 3);
  lc_dns_get_stats(f.resolver, &stats);
  assert_int_equal(stats.mx_queries, 3);
  assert_int_equal(stats.retries, 2);
  assert_int_equal(stats.answers, 3);
  assert_int_equal(stats.timeouts, 0);
  fixture_stop(&f);
}

static void test_refused_retried(void **state)
{
  struct fixture f;
  struct rec_result rec;

  (void)state;
  fixture_start(&f);
  f.options.tries = 2;
  fixture_resolver(&f);
  lookup_one(&f, "refused.test", &rec);
  check_error(&rec, "REFUSED from 127.0.0.1:%u after 2 tries", f.resp.port);
  assert_int_equal(name_count(&f.resp, "refused.test"), 2);
  fixture_stop(&f);
}

static void test_notimp_not_retried(void **state)
{
  struct fixture f;
  struct rec_result rec;

  (void)state;
  fixture_start(&f);
  fixture_resolver(&f);
  lookup_one(&f, "notimp.test", &rec);
  check_error(&rec, "NOTIMP from 127.0.0.1:%u after 1 try", f.resp.port);
  assert_int_equal(name_count(&f.resp, "notimp.test"), 1);
  fixture_stop(&f);
}

static void test_servfail_then_answer(void **state)
{
  struct fixture f;
  struct rec_result rec;
  struct lc_dns_stats stats;

  (void)state;
  fixture_start(&f);
  fixture_resolver(&f);
  lookup_one(&f, "flaky.test", &rec);
  assert_string_equal(lc_dns_outcome_name(rec.outcome), "ok");
  assert_int_equal(rec.nhosts, 1);
  assert_string_equal(rec.hosts[0], "mx.flaky.test");
  assert_string_equal(rec.addrs[0], "127.0.0.31");
  assert_int_equal(name_count(&f.resp, "flaky.test"), 2);
  lc_dns_get_stats(f.resolver, &stats);
  assert_int_equal(stats.retries, 1);
  fixture_stop(&f);
}

static void test_timeout(void **state)
{
  struct fixture f;
  struct rec_result rec;
  struct lc_dns_stats stats;
  uint16_t port;
  int fd = silent_socket(&port);

  (void)state;
  fixture_start(&f);
  snprintf(f.server_text[0], sizeof(f.server_text[0]), "127.0.0.1:%u", port);
  f.options.timeout_ms = 100;
  f.options.tries = 2;
  fixture_resolver(&f);
  uint64_t start = uv_now(&f.loop);
  lookup_one(&f, "slow.test", &rec);
  uv_update_time(&f.loop);
  check_error(&rec, "timed out waiting for 127.0.0.1:%u after 2 tries", port);
  assert_true(uv_now(&f.loop) - start >= 200);
  lc_dns_get_stats(f.resolver, &stats);
  assert_int_equal(stats.timeouts, 2);
  assert_int_equal(stats.answers, 0);
  assert_int_equal(stats.mx_queries, 2);
  fixture_stop(&f);
  close(fd);
}

static void test_connection_refused(void **state)
{
  struct fixture f;
  struct rec_result rec;
  uint16_t port = free_port();

  (void)state;
  fixture_start(&f);
  snprintf(f.server_text[0], sizeof(f.server_text[0]), "127.0.0.1:%u", port);
  f.options.tries = 2;
  fixture_resolver(&f);
  lookup_one(&f, "any.test", &rec);
  check_error(&rec, "connection refused by 127.0.0.1:%u after 2 tries", port);
  fixture_stop(&f);
}

/* With a dead first server, c-ares moves on to the second one inside one
 * try; failures name both servers. */
static void test_two_servers(void **state)
{
  struct fixture f;
  struct rec_result rec;
  uint16_t dead = free_port();
  char expected[128];

  (void)state;
  fixture_start(&f);
  snprintf(f.server_text[1], sizeof(f.server_text[1]), "127.0.0.1:%u",
           f.resp.port);
  snprintf(f.server_text[0], sizeof(f.server_text[0]), "127.0.0.1:%u", dead);
  f.servers[1] = f.server_text[1];
  f.options.nservers = 2;
  f.options.tries = 2;
  fixture_resolver(&f);
  lookup_one(&f, "chain.test", &rec);
  assert_string_equal(lc_dns_outcome_name(rec.outcome), "ok");
  assert_string_equal(rec.hosts[0], "mx.far.other");
  lookup_one(&f, "servfail.test", &rec);
  snprintf(expected, sizeof(expected),
           "SERVFAIL from 127.0.0.1:%u, 127.0.0.1:%u after 2 tries", dead,
           f.resp.port);
  assert_string_equal(rec.error, expected);
  fixture_stop(&f);
}

static void test_cname_asked_again(void **state)
{
  struct fixture f;
  struct rec_result rec;
  struct lc_dns_stats stats;

  (void)state;
  fixture_start(&f);
  fixture_resolver(&f);
  lookup_one(&f, "chain.test", &rec);
  assert_string_equal(lc_dns_outcome_name(rec.outcome), "ok");
  assert_string_equal(rec.domain, "chain.test");
  assert_int_equal(rec.nhosts, 1);
  assert_string_equal(rec.hosts[0], "mx.far.other");
  assert_int_equal(rec.prefs[0], 5);
  assert_string_equal(rec.addrs[0], "127.0.0.32");
  assert_int_equal(name_count(&f.resp, "chain.test"), 1);
  assert_int_equal(name_count(&f.resp, "far.other"), 1);
  lc_dns_get_stats(f.resolver, &stats);
  assert_int_equal(stats.mx_queries, 2);
  fixture_stop(&f);
}

static void test_cname_loop(void **state)
{
  struct fixture f;
  struct rec_result rec;
  struct lc_dns_stats stats;

  (void)state;
  fixture_start(&f);
  fixture_resolver(&f);
  lookup_one(&f, "loop1.test", &rec);
  assert_string_equal(lc_dns_outcome_name(rec.outcome), "error");
  assert_string_equal(rec.error, "CNAME chain of loop1.test longer than 8");
  lc_dns_get_stats(f.resolver, &stats);
  assert_int_equal(stats.mx_queries, 9);
  fixture_stop(&f);
}

static void test_mx_host_servfail(void **state)
{
  struct fixture f;
  struct rec_result rec;

  (void)state;
  fixture_start(&f);
  f.options.tries = 2;
  fixture_resolver(&f);
  lookup_one(&f, "badmx.test", &rec);
  check_error(&rec,
              "MX host mx.servfail.test: SERVFAIL from 127.0.0.1:%u after 2 "
              "tries",
              f.resp.port);
  /* A and AAAA, two tries each */
  assert_int_equal(name_count(&f.resp, "mx.servfail.test"), 4);

  /* a failing host is dropped when another one resolves */
  lookup_one(&f, "halfbad.test", &rec);
  assert_string_equal(lc_dns_outcome_name(rec.outcome), "ok");
  assert_int_equal(rec.nhosts, 1);
  assert_string_equal(rec.hosts[0], "mx.flaky.test");
  /* one family failing still leaves the other */
  lookup_one(&f, "v4fail.test", &rec);
  assert_string_equal(lc_dns_outcome_name(rec.outcome), "ok");
  assert_int_equal(rec.nhosts, 1);
  assert_string_equal(rec.addrs[0], "::1");
  fixture_stop(&f);
}

static void test_malformed_answer(void **state)
{
  struct fixture f;
  struct rec_result rec;

  (void)state;
  fixture_start(&f);
  fixture_resolver(&f);
  lookup_one(&f, "garbage.test", &rec);
  assert_string_equal(lc_dns_outcome_name(rec.outcome), "error");
  assert_string_equal(rec.error, "malformed MX answer for garbage.test");
  fixture_stop(&f);
}

static void test_nxdomain_from_responder(void **state)
{
  struct fixture f;
  struct rec_result rec;

  (void)state;
  fixture_start(&f);
  fixture_resolver(&f);
  lookup_one(&f, "nx.test", &rec);
  assert_string_equal(lc_dns_outcome_name(rec.outcome), "nxdomain");
  assert_int_equal(name_count(&f.resp, "nx.test"), 1);
  fixture_stop(&f);
}

/* Questions waiting for their next try and questions waiting for an
 * answer are both canceled by lc_dns_resolver_free, and their timers are
 * closed so that the loop ends. */
static void test_free_during_backoff(void **state)
{
  struct fixture f;
  struct rec_result in_backoff, waiting;

  (void)state;
  fixture_start(&f);
  f.options.backoff_ms = 60000;
  fixture_resolver(&f);
  memset(&in_backoff, 0, sizeof(in_backoff));
  memset(&waiting, 0, sizeof(waiting));
  assert_int_equal(
      lc_dns_lookup(f.resolver, "servfail.test", rec_cb, &in_backoff), LC_OK);
  /* wait for the first SERVFAIL, which starts the 60 s pause */
  for (int i = 0; i < 200 && name_count(&f.resp, "servfail.test") == 0; i++)
    uv_run(&f.loop, UV_RUN_ONCE);
  uv_run(&f.loop, UV_RUN_NOWAIT);
  assert_int_equal(name_count(&f.resp, "servfail.test"), 1);
  assert_int_equal(lc_dns_lookup(f.resolver, "chain.test", rec_cb, &waiting),
                   LC_OK);
  assert_int_equal(rec_total, 0);
  lc_dns_resolver_free(f.resolver);
  assert_int_equal(in_backoff.calls, 1);
  assert_string_equal(in_backoff.error, "canceled");
  assert_int_equal(waiting.calls, 1);
  assert_string_equal(waiting.error, "canceled");
  responder_stop(&f.resp);
  assert_int_equal(finish_loop(&f.loop), 0);
  assert_int_equal(rec_total, 2);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_servfail_retried),
      cmocka_unit_test(test_refused_retried),
      cmocka_unit_test(test_notimp_not_retried),
      cmocka_unit_test(test_servfail_then_answer),
      cmocka_unit_test(test_timeout),
      cmocka_unit_test(test_connection_refused),
      cmocka_unit_test(test_two_servers),
      cmocka_unit_test(test_cname_asked_again),
      cmocka_unit_test(test_cname_loop),
      cmocka_unit_test(test_mx_host_servfail),
      cmocka_unit_test(test_malformed_answer),
      cmocka_unit_test(test_nxdomain_from_responder),
      cmocka_unit_test(test_free_during_backoff),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
