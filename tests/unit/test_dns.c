/* Tests of engine/dns against a real DNS server: NSD on 127.0.0.1, serving
 * the zone lc.test built below, started by the group setup and stopped by
 * the group teardown (and by PR_SET_PDEATHSIG if the test dies).
 *
 * Every address in the zone is loopback, private or unroutable. The
 * resolver only reads the records; nothing connects to them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/unit/dns_fixture.h"

#define ZONE "lc.test"
#define WAIT_MS 10000
/* Domains whose MX host needs TCP for its addresses. */
#define TCP_DOMAINS 30

static const char zone_head[] =
    "$ORIGIN lc.test.\n"
    "$TTL 300\n"
    "@ IN SOA ns.lc.test. hostmaster.lc.test. 1 3600 600 86400 300\n"
    "@ IN NS ns\n"
    "ns IN A 127.0.0.1\n"
    /* two hosts with equal preference and a backup */
    "normal IN MX 10 mx-a\n"
    "normal IN MX 10 mx-b\n"
    "normal IN MX 20 backup\n"
    "mx-a IN A 127.0.0.11\n"
    "mx-b IN A 127.0.0.12\n"
    "mx-b IN AAAA ::1\n"
    "backup IN A 127.0.0.13\n"
    /* RFC 7505 null MX */
    "nullmx IN MX 0 .\n"
    /* MX target that is a CNAME */
    "cname IN MX 10 alias\n"
    "alias IN CNAME mx-a\n"
    /* the domain itself is a CNAME */
    "domcname IN CNAME normal\n"
    /* no MX: implicit MX from A, or from AAAA */
    "implicit IN A 127.0.0.21\n"
    "implicit6 IN AAAA ::1\n"
    /* MX target without records */
    "missing IN MX 10 nothere\n"
    "partial IN MX 10 nothere\n"
    "partial IN MX 20 mx-a\n"
    /* private and unroutable MX addresses */
    "private IN MX 10 mx-private\n"
    "mx-private IN A 10.1.2.3\n"
    "unroutable IN MX 10 mx-zero\n"
    "mx-zero IN A 0.0.0.1\n"
    "mixed IN MX 10 mx-zero\n"
    "mixed IN MX 20 mx-mixed\n"
    "mx-mixed IN A 0.0.0.2\n"
    "mx-mixed IN A 127.0.0.14\n"
    "mx-mixed IN AAAA fe80::1\n"
    /* neither MX nor address */
    "nomail IN TXT \"no mail here\"\n"
    /* IPv6-only MX host */
    "v6only IN MX 10 mx-v6\n"
    "mx-v6 IN AAAA ::1\n"
    /* MX host with an A RRset over 512 bytes: truncated over UDP */
    "big IN MX 10 bighost\n";

static struct nsd_server nsd;
static char server[32];
static char zone_text[98304];

/* Append the generated records: bighost with 40 A records, bigmx with
 * 30 MX records (over 512 bytes too), each to its own host, hugemx with
 * 70 MX records, listed from the highest preference down, and the domains
 * tcp0 to tcp29, each with its own MX host of 40 A records. */
static void build_zone(void)
{
  size_t len;

  snprintf(zone_text, sizeof(zone_text), "%s", zone_head);
  for (int i = 1; i <= 40; i++) {
    len = strlen(zone_text);
    snprintf(zone_text + len, sizeof(zone_text) - len,
             "bighost IN A 127.0.1.%d\n", i);
  }
  for (int i = 1; i <= 30; i++) {
    len = strlen(zone_text);
    snprintf(zone_text + len, sizeof(zone_text) - len,
             "bigmx IN MX %d pool-%02d-with-a-longer-name\n"
             "pool-%02d-with-a-longer-name IN A 127.0.2.%d\n",
             100 - i, i, i, i);
  }
  for (int i = 70; i >= 1; i--) {
    len = strlen(zone_text);
    snprintf(zone_text + len, sizeof(zone_text) - len,
             "hugemx IN MX %d h-%02d\nh-%02d IN A 127.0.3.%d\n", i, i, i, i);
  }
  for (int d = 0; d < TCP_DOMAINS; d++) {
    len = strlen(zone_text);
    snprintf(zone_text + len, sizeof(zone_text) - len,
             "tcp%d IN MX 10 tcphost%d\n", d, d);
    for (int i = 1; i <= 40; i++) {
      len = strlen(zone_text);
      snprintf(zone_text + len, sizeof(zone_text) - len,
               "tcphost%d IN A 127.0.4.%d\n", d, i);
    }
  }
}

static int group_setup(void **state)
{
  (void)state;
  build_zone();
  if (nsd_start(&nsd, ZONE, zone_text) != 0)
    return -1;
  snprintf(server, sizeof(server), "127.0.0.1:%u", nsd.port);
  return 0;
}

static int group_teardown(void **state)
{
  (void)state;
  nsd_stop(&nsd);
  return 0;
}

/* One loop and resolver per test. */
struct fixture {
  uv_loop_t loop;
  struct lc_dns_resolver *resolver;
  struct lc_dns_options options;
  const char *servers[1];
};

static void fixture_options(struct fixture *f)
{
  lc_dns_options_init(&f->options);
  f->servers[0] = server;
  f->options.servers = f->servers;
  f->options.nservers = 1;
  f->options.timeout_ms = 2000;
  f->options.tries = 2;
  f->options.backoff_ms = 20;
  f->options.allow_private = true;
  f->options.seed = 1;
}

static void fixture_start(struct fixture *f)
{
  char msg[256];

  rec_total = 0;
  assert_int_equal(uv_loop_init(&f->loop), 0);
  enum lc_status status = lc_dns_resolver_new(&f->loop, &f->options,
                                              &f->resolver, msg, sizeof(msg));
  if (status != LC_OK)
    print_error("resolver: %s\n", msg);
  assert_int_equal(status, LC_OK);
}

static void fixture_stop(struct fixture *f)
{
  lc_dns_resolver_free(f->resolver);
  assert_int_equal(finish_loop(&f->loop), 0);
}

/* Look up DOMAIN with a fresh resolver and wait for its result. */
static void lookup_one(struct fixture *f, const char *domain,
                       struct rec_result *rec)
{
  memset(rec, 0, sizeof(*rec));
  int before = rec_total;
  assert_int_equal(lc_dns_lookup(f->resolver, domain, rec_cb, rec), LC_OK);
  assert_true(run_until(&f->loop, before + 1, WAIT_MS));
  assert_int_equal(rec->calls, 1);
}

static void check_outcome(const struct rec_result *rec,
                          enum lc_dns_outcome expected)
{
  assert_string_equal(lc_dns_outcome_name(rec->outcome),
                      lc_dns_outcome_name(expected));
}

static void test_normal_mx_order(void **state)
{
  struct fixture f;
  struct rec_result rec;

  (void)state;
  fixture_options(&f);
  fixture_start(&f);
  lookup_one(&f, "normal.lc.test", &rec);
  check_outcome(&rec, LC_DNS_OK);
  assert_false(rec.implicit);
  assert_string_equal(rec.error, "");
  assert_string_equal(rec.domain, "normal.lc.test");
  assert_int_equal(rec.nhosts, 3);
  /* seed 1 puts mx-b first; see test_shuffle_seeds */
  assert_string_equal(rec.hosts[0], "mx-b.lc.test");
  assert_string_equal(rec.hosts[1], "mx-a.lc.test");
  assert_string_equal(rec.hosts[2], "backup.lc.test");
  assert_int_equal(rec.prefs[0], 10);
  assert_int_equal(rec.prefs[1], 10);
  assert_int_equal(rec.prefs[2], 20);
  assert_string_equal(rec.addrs[0], "127.0.0.12,::1");
  assert_string_equal(rec.addrs[1], "127.0.0.11");
  assert_string_equal(rec.addrs[2], "127.0.0.13");
  assert_false(rec.port_nonzero);
  fixture_stop(&f);
}

/* The order of mx-a and mx-b for seeds 0..7: deterministic per seed, and
 * both orders occur. */
static void test_shuffle_seeds(void **state)
{
  static const char expected[] = "abbaaaab";
  char got[9] = "";

  (void)state;
  for (unsigned seed = 0; seed < 8; seed++) {
    struct fixture f;
    struct rec_result rec;
    fixture_options(&f);
    f.options.seed = seed;
    fixture_start(&f);
    lookup_one(&f, "normal.lc.test", &rec);
    assert_int_equal(rec.nhosts, 3);
    got[seed] = rec.hosts[0][3]; /* 'a' or 'b' from "mx-a"/"mx-b" */
    assert_string_equal(rec.hosts[2], "backup.lc.test");
    fixture_stop(&f);
  }
  got[8] = '\0';
  print_message("# first host per seed 0..7: %s\n", got);
  assert_string_equal(got, expected);
}

static void test_null_mx(void **state)
{
  struct fixture f;
  struct rec_result rec;

  (void)state;
  fixture_options(&f);
  fixture_start(&f);
  lookup_one(&f, "nullmx.lc.test", &rec);
  check_outcome(&rec, LC_DNS_NULL_MX);
  assert_int_equal(rec.nhosts, 0);
  assert_string_equal(rec.error, "");
  fixture_stop(&f);
}

static void test_mx_to_cname(void **state)
{
  struct fixture f;
  struct rec_result rec;

  (void)state;
  fixture_options(&f);
  fixture_start(&f);
  lookup_one(&f, "cname.lc.test", &rec);
  check_outcome(&rec, LC_DNS_OK);
  assert_int_equal(rec.nhosts, 1);
  assert_string_equal(rec.hosts[0], "alias.lc.test");
  assert_string_equal(rec.addrs[0], "127.0.0.11");
  fixture_stop(&f);
}

static void test_domain_cname(void **state)
{
  struct fixture f;
  struct rec_result rec;

  (void)state;
  fixture_options(&f);
  fixture_start(&f);
  lookup_one(&f, "domcname.lc.test", &rec);
  check_outcome(&rec, LC_DNS_OK);
  assert_string_equal(rec.domain, "domcname.lc.test");
  assert_int_equal(rec.nhosts, 3);
  assert_string_equal(rec.hosts[2], "backup.lc.test");
  fixture_stop(&f);
}

static void test_implicit_mx(void **state)
{
  struct fixture f;
  struct rec_result rec;

  (void)state;
  fixture_options(&f);
  fixture_start(&f);
  lookup_one(&f, "implicit.lc.test", &rec);
  check_outcome(&rec, LC_DNS_IMPLICIT_MX);
  assert_true(rec.implicit);
  assert_int_equal(rec.nhosts, 1);
  assert_string_equal(rec.hosts[0], "implicit.lc.test");
  assert_int_equal(rec.prefs[0], 0);
  assert_string_equal(rec.addrs[0], "127.0.0.21");

  lookup_one(&f, "implicit6.lc.test", &rec);
  check_outcome(&rec, LC_DNS_IMPLICIT_MX);
  assert_true(rec.implicit);
  assert_int_equal(rec.nhosts, 1);
  assert_string_equal(rec.addrs[0], "::1");
  fixture_stop(&f);
}

static void test_no_mail_server(void **state)
{
  struct fixture f;
  struct rec_result rec;

  (void)state;
  fixture_options(&f);
  fixture_start(&f);
  lookup_one(&f, "missing.lc.test", &rec);
  check_outcome(&rec, LC_DNS_NO_MAIL_SERVER);
  assert_false(rec.implicit);
  assert_int_equal(rec.nhosts, 0);

  lookup_one(&f, "nomail.lc.test", &rec);
  check_outcome(&rec, LC_DNS_NO_MAIL_SERVER);
  assert_true(rec.implicit);
  assert_int_equal(rec.nhosts, 0);
  fixture_stop(&f);
}

static void test_unresolvable_target_dropped(void **state)
{
  struct fixture f;
  struct rec_result rec;

  (void)state;
  fixture_options(&f);
  fixture_start(&f);
  lookup_one(&f, "partial.lc.test", &rec);
  check_outcome(&rec, LC_DNS_OK);
  assert_int_equal(rec.nhosts, 1);
  assert_string_equal(rec.hosts[0], "mx-a.lc.test");
  assert_int_equal(rec.prefs[0], 20);
  fixture_stop(&f);
}

static void test_nxdomain(void **state)
{
  struct fixture f;
  struct rec_result rec;

  (void)state;
  fixture_options(&f);
  fixture_start(&f);
  lookup_one(&f, "nosuch.lc.test", &rec);
  check_outcome(&rec, LC_DNS_NXDOMAIN);
  assert_int_equal(rec.nhosts, 0);
  fixture_stop(&f);
}

/* NSD answers REFUSED for a zone it does not serve. */
static void test_refused_outside_zone(void **state)
{
  struct fixture f;
  struct rec_result rec;
  struct lc_dns_stats stats;
  char expected[128];

  (void)state;
  fixture_options(&f);
  f.options.tries = 3;
  fixture_start(&f);
  lookup_one(&f, "example.invalid", &rec);
  check_outcome(&rec, LC_DNS_ERROR);
  snprintf(expected, sizeof(expected), "REFUSED from %s after 3 tries", server);
  assert_string_equal(rec.error, expected);
  lc_dns_get_stats(f.resolver, &stats);
  assert_int_equal(stats.mx_queries, 3);
  assert_int_equal(stats.retries, 2);
  assert_int_equal(stats.answers, 3);
  fixture_stop(&f);
}

static void test_private_unreachable(void **state)
{
  struct fixture f;
  struct rec_result rec;

  (void)state;
  fixture_options(&f);
  f.options.allow_private = false;
  fixture_start(&f);
  lookup_one(&f, "private.lc.test", &rec);
  check_outcome(&rec, LC_DNS_UNREACHABLE);
  assert_int_equal(rec.nhosts, 0);
  /* loopback only */
  lookup_one(&f, "normal.lc.test", &rec);
  check_outcome(&rec, LC_DNS_UNREACHABLE);
  lookup_one(&f, "implicit.lc.test", &rec);
  check_outcome(&rec, LC_DNS_UNREACHABLE);
  assert_true(rec.implicit);
  lookup_one(&f, "v6only.lc.test", &rec);
  check_outcome(&rec, LC_DNS_UNREACHABLE);
  fixture_stop(&f);
}

static void test_private_allowed(void **state)
{
  struct fixture f;
  struct rec_result rec;

  (void)state;
  fixture_options(&f);
  fixture_start(&f);
  lookup_one(&f, "private.lc.test", &rec);
  check_outcome(&rec, LC_DNS_OK);
  assert_int_equal(rec.nhosts, 1);
  assert_string_equal(rec.addrs[0], "10.1.2.3");
  fixture_stop(&f);
}

static void test_unroutable_never_usable(void **state)
{
  struct fixture f;
  struct rec_result rec;

  (void)state;
  fixture_options(&f);
  fixture_start(&f);
  lookup_one(&f, "unroutable.lc.test", &rec);
  check_outcome(&rec, LC_DNS_UNREACHABLE);
  assert_int_equal(rec.nhosts, 0);
  /* mx-zero (0.0.0.1) is dropped; of mx-mixed only 127.0.0.14 is kept,
   * 0.0.0.2 and fe80::1 are not */
  lookup_one(&f, "mixed.lc.test", &rec);
  check_outcome(&rec, LC_DNS_OK);
  assert_int_equal(rec.nhosts, 1);
  assert_string_equal(rec.hosts[0], "mx-mixed.lc.test");
  assert_string_equal(rec.addrs[0], "127.0.0.14");
  fixture_stop(&f);
}

static void test_v6_only_host(void **state)
{
  struct fixture f;
  struct rec_result rec;

  (void)state;
  fixture_options(&f);
  fixture_start(&f);
  lookup_one(&f, "v6only.lc.test", &rec);
  check_outcome(&rec, LC_DNS_OK);
  assert_int_equal(rec.nhosts, 1);
  assert_string_equal(rec.hosts[0], "mx-v6.lc.test");
  assert_string_equal(rec.addrs[0], "::1");
  fixture_stop(&f);
}

/* bighost has 40 A records (over 512 bytes): the UDP answer is truncated
 * and c-ares asks again over TCP. */
static void test_truncated_answer_over_tcp(void **state)
{
  struct fixture f;
  struct rec_result rec;
  char expected[REC_ADDRS_TEXT] = "";

  (void)state;
  fixture_options(&f);
  fixture_start(&f);
  lookup_one(&f, "big.lc.test", &rec);
  check_outcome(&rec, LC_DNS_OK);
  assert_int_equal(rec.nhosts, 1);
  for (int i = 1; i <= 40; i++) {
    size_t len = strlen(expected);
    snprintf(expected + len, sizeof(expected) - len, "%s127.0.1.%d",
             i > 1 ? "," : "", i);
  }
  assert_string_equal(rec.addrs[0], expected);
  fixture_stop(&f);
}

/* Sleep in every loop pass, as a loop busy with thousands of SMTP
 * sessions takes time for each pass. */
static void busy_pass_cb(uv_prepare_t *handle)
{
  (void)handle;
  usleep(20000);
}

/* Answers over TCP that arrive back to back are all read at once, not one
 * per loop pass: 30 lookups over one TCP connection end within a 1 s
 * timeout although each loop pass takes 20 ms. */
static void test_tcp_answers_back_to_back(void **state)
{
  struct rec_result recs[TCP_DOMAINS];
  struct fixture f;
  uv_prepare_t busy;
  char name[32];

  (void)state;
  fixture_options(&f);
  f.options.timeout_ms = 1000;
  f.options.tries = 1;
  fixture_start(&f);
  uv_prepare_init(&f.loop, &busy);
  uv_prepare_start(&busy, busy_pass_cb);
  memset(recs, 0, sizeof(recs));
  for (int d = 0; d < TCP_DOMAINS; d++) {
    snprintf(name, sizeof(name), "tcp%d.lc.test", d);
    assert_int_equal(lc_dns_lookup(f.resolver, name, rec_cb, &recs[d]), LC_OK);
  }
  assert_true(run_until(&f.loop, TCP_DOMAINS, WAIT_MS));
  for (int d = 0; d < TCP_DOMAINS; d++) {
    assert_int_equal(recs[d].calls, 1);
    check_outcome(&recs[d], LC_DNS_OK);
    assert_int_equal(recs[d].nhosts, 1);
  }
  uv_close((uv_handle_t *)&busy, NULL);
  fixture_stop(&f);
}

static void test_large_mx_rrset(void **state)
{
  struct fixture f;
  struct rec_result rec;

  (void)state;
  fixture_options(&f);
  fixture_start(&f);
  lookup_one(&f, "bigmx.lc.test", &rec);
  check_outcome(&rec, LC_DNS_OK);
  assert_int_equal(rec.nhosts, 30);
  for (int i = 0; i < 30; i++) {
    char name[64], addr[32];
    /* pool-30 has preference 70, the lowest */
    snprintf(name, sizeof(name), "pool-%02d-with-a-longer-name.lc.test",
             30 - i);
    snprintf(addr, sizeof(addr), "127.0.2.%d", 30 - i);
    assert_string_equal(rec.hosts[i], name);
    assert_int_equal(rec.prefs[i], 70 + i);
    assert_string_equal(rec.addrs[i], addr);
  }
  fixture_stop(&f);
}

/* Only the LC_DNS_MX_MAX (64) records with the lowest preferences are
 * used, whatever their order in the answer. */
static void test_mx_count_capped(void **state)
{
  struct fixture f;
  struct rec_result rec;

  (void)state;
  fixture_options(&f);
  fixture_start(&f);
  lookup_one(&f, "hugemx.lc.test", &rec);
  check_outcome(&rec, LC_DNS_OK);
  assert_int_equal(rec.nhosts, 64);
  for (int i = 0; i < 64; i++) {
    char name[64];
    snprintf(name, sizeof(name), "h-%02d.lc.test", i + 1);
    assert_string_equal(rec.hosts[i], name);
    assert_int_equal(rec.prefs[i], i + 1);
  }
  fixture_stop(&f);
}

static void test_single_flight(void **state)
{
  struct fixture f;
  static struct rec_result recs[100];
  struct rec_result again;
  struct lc_dns_stats stats;

  (void)state;
  fixture_options(&f);
  fixture_start(&f);
  memset(recs, 0, sizeof(recs));
  for (int i = 0; i < 100; i++)
    assert_int_equal(
        lc_dns_lookup(f.resolver, "Normal.LC.test.", rec_cb, &recs[i]), LC_OK);
  /* callbacks never run inside lc_dns_lookup */
  assert_int_equal(rec_total, 0);
  assert_true(run_until(&f.loop, 100, WAIT_MS));
  for (int i = 0; i < 100; i++) {
    assert_int_equal(recs[i].calls, 1);
    check_outcome(&recs[i], LC_DNS_OK);
    assert_string_equal(recs[i].hosts[0], "mx-b.lc.test");
  }
  lc_dns_get_stats(f.resolver, &stats);
  assert_int_equal(stats.mx_queries, 1);
  assert_int_equal(stats.a_queries, 3);
  assert_int_equal(stats.aaaa_queries, 3);
  assert_int_equal(stats.queries_sent, 7);
  assert_int_equal(stats.answers, 7);
  assert_int_equal(stats.lookups, 100);
  assert_int_equal(stats.joined, 99);
  assert_int_equal(stats.cache_hits, 0);
  assert_int_equal(stats.in_flight, 0);

  /* a finished domain is served from the cache, still asynchronously */
  lookup_one(&f, "normal.lc.test", &again);
  check_outcome(&again, LC_DNS_OK);
  lc_dns_get_stats(f.resolver, &stats);
  assert_int_equal(stats.cache_hits, 1);
  assert_int_equal(stats.queries_sent, 7);

  /* partial.lc.test shares mx-a: its addresses come from the cache */
  lookup_one(&f, "partial.lc.test", &again);
  lc_dns_get_stats(f.resolver, &stats);
  assert_int_equal(stats.host_cache_hits, 1);
  assert_int_equal(stats.mx_queries, 2);
  assert_int_equal(stats.a_queries, 4); /* nothere.lc.test only */
  fixture_stop(&f);
}

static void test_concurrency_cap(void **state)
{
  static const char *const domains[] = {"normal.lc.test",  "nullmx.lc.test",
                                        "cname.lc.test",   "implicit.lc.test",
                                        "missing.lc.test", "nosuch.lc.test",
                                        "private.lc.test", "unroutable.lc.test",
                                        "v6only.lc.test",  "big.lc.test"};
  static const enum lc_dns_outcome outcomes[] = {
      LC_DNS_OK,          LC_DNS_NULL_MX,        LC_DNS_OK,
      LC_DNS_IMPLICIT_MX, LC_DNS_NO_MAIL_SERVER, LC_DNS_NXDOMAIN,
      LC_DNS_OK,          LC_DNS_UNREACHABLE,    LC_DNS_OK,
      LC_DNS_OK};
  struct rec_result recs[10];
  struct fixture f;
  struct lc_dns_stats stats;

  (void)state;
  fixture_options(&f);
  f.options.concurrency = 2;
  fixture_start(&f);
  memset(recs, 0, sizeof(recs));
  for (int i = 0; i < 10; i++)
    assert_int_equal(lc_dns_lookup(f.resolver, domains[i], rec_cb, &recs[i]),
                     LC_OK);
  lc_dns_get_stats(f.resolver, &stats);
  assert_int_equal(stats.in_flight, 2);
  assert_int_equal(stats.queued, 8);
  assert_true(run_until(&f.loop, 10, WAIT_MS));
  for (int i = 0; i < 10; i++) {
    assert_int_equal(recs[i].calls, 1);
    check_outcome(&recs[i], outcomes[i]);
  }
  lc_dns_get_stats(f.resolver, &stats);
  assert_int_equal(stats.peak_in_flight, 2);
  assert_int_equal(stats.in_flight, 0);
  assert_int_equal(stats.queued, 0);
  fixture_stop(&f);
}

/* With room for two entries, older finished entries are evicted least
 * recently used first, and an evicted domain is asked again. */
static void test_eviction_by_entries(void **state)
{
  struct fixture f;
  struct rec_result rec;
  struct lc_dns_stats stats;

  (void)state;
  fixture_options(&f);
  f.options.max_entries = 2;
  fixture_start(&f);
  lookup_one(&f, "implicit.lc.test", &rec); /* domain + host */
  lc_dns_get_stats(f.resolver, &stats);
  assert_int_equal(stats.entries, 2);
  assert_int_equal(stats.evictions, 0);
  lookup_one(&f, "nosuch.lc.test", &rec);
  lc_dns_get_stats(f.resolver, &stats);
  assert_int_equal(stats.entries, 2);
  assert_int_equal(stats.evictions, 1); /* host implicit.lc.test */
  lookup_one(&f, "nullmx.lc.test", &rec);
  lc_dns_get_stats(f.resolver, &stats);
  assert_int_equal(stats.evictions, 2); /* domain implicit.lc.test */
  assert_int_equal(stats.mx_queries, 3);
  lookup_one(&f, "nosuch.lc.test", &rec); /* still cached */
  check_outcome(&rec, LC_DNS_NXDOMAIN);
  lc_dns_get_stats(f.resolver, &stats);
  assert_int_equal(stats.cache_hits, 1);
  lookup_one(&f, "implicit.lc.test", &rec);
  check_outcome(&rec, LC_DNS_IMPLICIT_MX);
  lc_dns_get_stats(f.resolver, &stats);
  assert_int_equal(stats.mx_queries, 4);
  assert_true(stats.entries <= 2);
  fixture_stop(&f);
}

static void test_eviction_by_bytes(void **state)
{
  struct fixture f;
  struct rec_result rec;
  struct lc_dns_stats stats;

  (void)state;
  fixture_options(&f);
  f.options.max_bytes = 8192;
  fixture_start(&f);
  lookup_one(&f, "bigmx.lc.test", &rec);
  check_outcome(&rec, LC_DNS_OK);
  assert_int_equal(rec.nhosts, 30);
  lc_dns_get_stats(f.resolver, &stats);
  assert_true(stats.peak_table_bytes > 8192);
  assert_true(stats.table_bytes <= 8192);
  assert_true(stats.evictions > 0);
  fixture_stop(&f);
}

static void count_canceled_cb(void *arg, const struct lc_dns_result *result)
{
  struct rec_result *rec = arg;

  rec_cb(arg, result);
  assert_string_equal(rec->error, "canceled");
  assert_int_equal(rec->outcome, LC_DNS_ERROR);
}

/* Lookups in flight and a cache hit waiting for delivery all get
 * "canceled" from lc_dns_resolver_free, once, and the loop then ends with
 * every handle closed. */
static void test_free_cancels_once(void **state)
{
  static const char *const domains[] = {"normal.lc.test", "bigmx.lc.test",
                                        "normal.lc.test", "nosuch.lc.test"};
  struct rec_result recs[5];
  struct fixture f;

  (void)state;
  fixture_options(&f);
  fixture_start(&f);
  memset(recs, 0, sizeof(recs));
  lookup_one(&f, "nullmx.lc.test", &recs[4]);
  recs[4].calls = 0;
  rec_total = 0;
  assert_int_equal(
      lc_dns_lookup(f.resolver, "nullmx.lc.test", count_canceled_cb, &recs[4]),
      LC_OK);
  for (int i = 0; i < 4; i++)
    assert_int_equal(
        lc_dns_lookup(f.resolver, domains[i], count_canceled_cb, &recs[i]),
        LC_OK);
  assert_int_equal(rec_total, 0);
  lc_dns_resolver_free(f.resolver);
  assert_int_equal(rec_total, 5);
  for (int i = 0; i < 5; i++)
    assert_int_equal(recs[i].calls, 1);
  assert_string_equal(recs[1].domain, "bigmx.lc.test");
  assert_int_equal(finish_loop(&f.loop), 0);
  assert_int_equal(rec_total, 5);
}

static struct lc_dns_resolver *free_in_callback_resolver;

static void free_in_callback_cb(void *arg, const struct lc_dns_result *result)
{
  rec_cb(arg, result);
  lc_dns_resolver_free(free_in_callback_resolver);
  /* the result stays readable until the callback returns */
  assert_string_equal(result->domain, "nullmx.lc.test");
  assert_int_equal(
      lc_dns_lookup(free_in_callback_resolver, "lc.test", rec_cb, arg),
      LC_ERR_CANCELED);
}

static void test_free_inside_callback(void **state)
{
  struct rec_result first, second;
  struct fixture f;

  (void)state;
  fixture_options(&f);
  fixture_start(&f);
  free_in_callback_resolver = f.resolver;
  memset(&first, 0, sizeof(first));
  memset(&second, 0, sizeof(second));
  assert_int_equal(
      lc_dns_lookup(f.resolver, "nullmx.lc.test", free_in_callback_cb, &first),
      LC_OK);
  assert_int_equal(lc_dns_lookup(f.resolver, "bigmx.lc.test", rec_cb, &second),
                   LC_OK);
  assert_true(run_until(&f.loop, 2, WAIT_MS));
  check_outcome(&first, LC_DNS_NULL_MX);
  assert_int_equal(second.calls, 1);
  check_outcome(&second, LC_DNS_ERROR);
  assert_string_equal(second.error, "canceled");
  assert_int_equal(finish_loop(&f.loop), 0);
}

static void test_invalid_names(void **state)
{
  static const char *const names[] = {
      "",
      ".",
      "a..b",
      ".lc.test",
      "bad name",
      "x@lc.test",
      "lc.test..",
      "tab\tlc.test",
      "\xc3\xa9.lc.test",
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test"};
  struct fixture f;
  struct rec_result rec;
  struct lc_dns_stats stats;

  (void)state;
  fixture_options(&f);
  fixture_start(&f);
  memset(&rec, 0, sizeof(rec));
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    if (lc_dns_lookup(f.resolver, names[i], rec_cb, &rec) != LC_ERR_INVALID)
      print_error("name \"%s\" was accepted\n", names[i]);
    assert_int_equal(lc_dns_lookup(f.resolver, names[i], rec_cb, &rec),
                     LC_ERR_INVALID);
  }
  lc_dns_get_stats(f.resolver, &stats);
  assert_int_equal(stats.lookups, 0);
  assert_int_equal(stats.queries_sent, 0);
  fixture_stop(&f);
  assert_int_equal(rec.calls, 0);
}

static void check_option_error(const struct lc_dns_options *options,
                               const char *expected)
{
  char msg[256];

  assert_int_equal(lc_dns_options_check(options, msg, sizeof(msg)),
                   LC_ERR_INVALID);
  assert_string_equal(msg, expected);
}

static void test_options_check(void **state)
{
  struct lc_dns_options options;
  const char *bad_server[] = {"127.0.0.1:53", "127.0.0.1:99999"};
  const char *good_servers[] = {"127.0.0.1", "[::1]:5300", "::1"};
  char msg[256];

  (void)state;
  lc_dns_options_init(&options);
  assert_int_equal(lc_dns_options_check(&options, msg, sizeof(msg)), LC_OK);
  options.servers = good_servers;
  options.nservers = 3;
  assert_int_equal(lc_dns_options_check(&options, msg, sizeof(msg)), LC_OK);
  options.servers = bad_server;
  options.nservers = 2;
  check_option_error(&options,
                     "invalid DNS server \"127.0.0.1:99999\": expected an IP "
                     "address with an optional port, such as 127.0.0.1:53 or "
                     "[::1]:53");
  lc_dns_options_init(&options);
  options.tries = 0;
  check_option_error(&options, "invalid DNS tries 0: expected 1 to 20");
  lc_dns_options_init(&options);
  options.timeout_ms = 0;
  check_option_error(&options,
                     "invalid DNS timeout (ms) 0: expected 1 to 600000");
  lc_dns_options_init(&options);
  options.concurrency = 0;
  check_option_error(&options,
                     "invalid DNS concurrency 0: expected 1 to 65536");
  lc_dns_options_init(&options);
  options.max_entries = 0;
  check_option_error(&options,
                     "invalid DNS cache entries 0: expected at least 1");
  lc_dns_options_init(&options);
  options.max_bytes = 100;
  check_option_error(&options,
                     "invalid DNS cache bytes 100: expected at least 4096");
  lc_dns_options_init(&options);
  options.backoff_ms = 60001;
  check_option_error(&options,
                     "invalid DNS backoff (ms) 60001: expected 0 to 60000");
}

static void test_resolver_new_rejects_options(void **state)
{
  struct lc_dns_options options;
  struct lc_dns_resolver *resolver = NULL;
  const char *servers[] = {"ns.example"};
  uv_loop_t loop;
  char msg[256];

  (void)state;
  assert_int_equal(uv_loop_init(&loop), 0);
  lc_dns_options_init(&options);
  options.servers = servers;
  options.nservers = 1;
  assert_int_equal(
      lc_dns_resolver_new(&loop, &options, &resolver, msg, sizeof(msg)),
      LC_ERR_INVALID);
  assert_null(resolver);
  assert_non_null(strstr(msg, "\"ns.example\""));
  assert_int_equal(finish_loop(&loop), 0);
}

/* Without servers the resolver reads /etc/resolv.conf. No lookup is made,
 * so nothing is sent to those servers. */
static void test_system_servers_start(void **state)
{
  struct lc_dns_options options;
  struct lc_dns_resolver *resolver = NULL;
  uv_loop_t loop;
  char msg[256];

  (void)state;
  assert_int_equal(uv_loop_init(&loop), 0);
  lc_dns_options_init(&options);
  enum lc_status status =
      lc_dns_resolver_new(&loop, &options, &resolver, msg, sizeof(msg));
  if (status != LC_OK)
    print_error("resolver: %s\n", msg);
  assert_int_equal(status, LC_OK);
  lc_dns_resolver_free(resolver);
  assert_int_equal(finish_loop(&loop), 0);
}

static void test_outcome_names(void **state)
{
  (void)state;
  assert_string_equal(lc_dns_outcome_name(LC_DNS_OK), "ok");
  assert_string_equal(lc_dns_outcome_name(LC_DNS_IMPLICIT_MX), "implicit_mx");
  assert_string_equal(lc_dns_outcome_name(LC_DNS_NO_MAIL_SERVER),
                      "no_mail_server");
  assert_string_equal(lc_dns_outcome_name(LC_DNS_ERROR), "error");
  assert_string_equal(lc_dns_outcome_name((enum lc_dns_outcome)42), "unknown");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_normal_mx_order),
      cmocka_unit_test(test_shuffle_seeds),
      cmocka_unit_test(test_null_mx),
      cmocka_unit_test(test_mx_to_cname),
      cmocka_unit_test(test_domain_cname),
      cmocka_unit_test(test_implicit_mx),
      cmocka_unit_test(test_no_mail_server),
      cmocka_unit_test(test_unresolvable_target_dropped),
      cmocka_unit_test(test_nxdomain),
      cmocka_unit_test(test_refused_outside_zone),
      cmocka_unit_test(test_private_unreachable),
      cmocka_unit_test(test_private_allowed),
      cmocka_unit_test(test_unroutable_never_usable),
      cmocka_unit_test(test_v6_only_host),
      cmocka_unit_test(test_truncated_answer_over_tcp),
      cmocka_unit_test(test_tcp_answers_back_to_back),
      cmocka_unit_test(test_large_mx_rrset),
      cmocka_unit_test(test_mx_count_capped),
      cmocka_unit_test(test_single_flight),
      cmocka_unit_test(test_concurrency_cap),
      cmocka_unit_test(test_eviction_by_entries),
      cmocka_unit_test(test_eviction_by_bytes),
      cmocka_unit_test(test_free_cancels_once),
      cmocka_unit_test(test_free_inside_callback),
      cmocka_unit_test(test_invalid_names),
      cmocka_unit_test(test_options_check),
      cmocka_unit_test(test_resolver_new_rejects_options),
      cmocka_unit_test(test_system_servers_start),
      cmocka_unit_test(test_outcome_names),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
