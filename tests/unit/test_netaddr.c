/* Tests of engine/netaddr: address classes, usability, HOST[:PORT]
 * parsing and formatting, each from a table of cases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "engine/netaddr.h"

struct class_case {
  const char *addr;
  enum lc_netaddr_class cls;
};

static const struct class_case class_cases[] = {
    /* public */
    {"8.8.8.8", LC_NETADDR_PUBLIC},
    {"1.1.1.1", LC_NETADDR_PUBLIC},
    {"172.15.255.255", LC_NETADDR_PUBLIC},
    {"172.32.0.0", LC_NETADDR_PUBLIC},
    {"100.63.255.255", LC_NETADDR_PUBLIC},
    {"100.128.0.0", LC_NETADDR_PUBLIC},
    {"192.0.3.1", LC_NETADDR_PUBLIC},
    {"223.255.255.255", LC_NETADDR_PUBLIC},
    {"2a00:1450:4001::1", LC_NETADDR_PUBLIC},
    {"2001:db9::1", LC_NETADDR_PUBLIC},
    {"::ffff:8.8.4.4", LC_NETADDR_PUBLIC},
    /* loopback */
    {"127.0.0.1", LC_NETADDR_LOOPBACK},
    {"127.255.255.254", LC_NETADDR_LOOPBACK},
    {"::1", LC_NETADDR_LOOPBACK},
    {"::ffff:127.0.0.2", LC_NETADDR_LOOPBACK},
    /* private */
    {"10.0.0.0", LC_NETADDR_PRIVATE},
    {"10.1.2.3", LC_NETADDR_PRIVATE},
    {"172.16.0.1", LC_NETADDR_PRIVATE},
    {"172.31.255.255", LC_NETADDR_PRIVATE},
    {"192.168.1.1", LC_NETADDR_PRIVATE},
    {"100.64.0.1", LC_NETADDR_PRIVATE},
    {"100.127.255.255", LC_NETADDR_PRIVATE},
    {"fc00::1", LC_NETADDR_PRIVATE},
    {"fdff:ffff::1", LC_NETADDR_PRIVATE},
    {"::ffff:10.9.8.7", LC_NETADDR_PRIVATE},
    /* link-local */
    {"169.254.0.1", LC_NETADDR_LINK_LOCAL},
    {"169.254.255.255", LC_NETADDR_LINK_LOCAL},
    {"fe80::1", LC_NETADDR_LINK_LOCAL},
    {"febf::1", LC_NETADDR_LINK_LOCAL},
    /* unroutable */
    {"0.0.0.0", LC_NETADDR_UNROUTABLE},
    {"0.1.2.3", LC_NETADDR_UNROUTABLE},
    {"240.0.0.1", LC_NETADDR_UNROUTABLE},
    {"255.255.255.255", LC_NETADDR_UNROUTABLE},
    {"224.0.0.1", LC_NETADDR_UNROUTABLE},
    {"239.255.255.255", LC_NETADDR_UNROUTABLE},
    {"192.0.2.1", LC_NETADDR_UNROUTABLE},
    {"198.51.100.7", LC_NETADDR_UNROUTABLE},
    {"203.0.113.200", LC_NETADDR_UNROUTABLE},
    {"198.18.0.1", LC_NETADDR_UNROUTABLE},
    {"::", LC_NETADDR_UNROUTABLE},
    {"ff02::1", LC_NETADDR_UNROUTABLE},
    {"2001:db8::1", LC_NETADDR_UNROUTABLE},
    {"2001:db8:ffff::", LC_NETADDR_UNROUTABLE},
};

static void test_classify_table(void **state)
{
  (void)state;
  for (size_t i = 0; i < sizeof(class_cases) / sizeof(class_cases[0]); i++) {
    struct sockaddr_storage addr;
    const struct class_case *c = &class_cases[i];
    assert_int_equal(lc_netaddr_parse(c->addr, 0, &addr), LC_OK);
    enum lc_netaddr_class got =
        lc_netaddr_classify((const struct sockaddr *)&addr);
    if (got != c->cls)
      print_error("%s: expected %s, got %s\n", c->addr,
                  lc_netaddr_class_name(c->cls), lc_netaddr_class_name(got));
    assert_int_equal(got, c->cls);
  }
}

static void test_classify_unknown_family(void **state)
{
  struct sockaddr_storage addr;

  (void)state;
  memset(&addr, 0, sizeof(addr));
  addr.ss_family = AF_UNIX;
  assert_int_equal(lc_netaddr_classify((const struct sockaddr *)&addr),
                   LC_NETADDR_UNROUTABLE);
}

static void test_usable_table(void **state)
{
  static const struct {
    enum lc_netaddr_class cls;
    bool strict, allow_private;
  } cases[] = {
      {LC_NETADDR_PUBLIC, true, true},
      {LC_NETADDR_LOOPBACK, false, true},
      {LC_NETADDR_PRIVATE, false, true},
      {LC_NETADDR_LINK_LOCAL, false, false},
      {LC_NETADDR_UNROUTABLE, false, false},
  };

  (void)state;
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    assert_int_equal(lc_netaddr_usable(cases[i].cls, false), cases[i].strict);
    assert_int_equal(lc_netaddr_usable(cases[i].cls, true),
                     cases[i].allow_private);
  }
}

static void test_class_names(void **state)
{
  (void)state;
  assert_string_equal(lc_netaddr_class_name(LC_NETADDR_PUBLIC), "public");
  assert_string_equal(lc_netaddr_class_name(LC_NETADDR_LINK_LOCAL),
                      "link-local");
  assert_string_equal(lc_netaddr_class_name(LC_NETADDR_UNROUTABLE),
                      "unroutable");
  assert_string_equal(lc_netaddr_class_name((enum lc_netaddr_class)99),
                      "unknown");
}

struct hostport_case {
  const char *text;
  bool valid;
  const char *formatted; /* lc_netaddr_format with port */
};

static const struct hostport_case hostport_cases[] = {
    {"127.0.0.1", true, "127.0.0.1:53"},
    {"127.0.0.1:5300", true, "127.0.0.1:5300"},
    {"[::1]:53", true, "[::1]:53"},
    {"[::1]", true, "[::1]:53"},
    {"::1", true, "[::1]:53"},
    {"2001:DB8::1", true, "[2001:db8::1]:53"},
    {"[2001:db8::1]:65535", true, "[2001:db8::1]:65535"},
    {"127.0.0.1:0", false, NULL},
    {"127.0.0.1:65536", false, NULL},
    {"127.0.0.1:", false, NULL},
    {"127.0.0.1:53x", false, NULL},
    {"127.0.0.1:-1", false, NULL},
    {"[127.0.0.1]:53", false, NULL},
    {"[::1", false, NULL},
    {"[::1]x", false, NULL},
    {"[]:53", false, NULL},
    {"localhost", false, NULL},
    {"localhost:53", false, NULL},
    {"ns.example.com", false, NULL},
    {"", false, NULL},
    {":53", false, NULL},
    {"1.2.3", false, NULL},
    {"256.1.1.1", false, NULL},
};

static void test_parse_hostport_table(void **state)
{
  (void)state;
  for (size_t i = 0; i < sizeof(hostport_cases) / sizeof(hostport_cases[0]);
       i++) {
    const struct hostport_case *c = &hostport_cases[i];
    struct sockaddr_storage addr;
    char text[LC_NETADDR_TEXT_MAX];
    enum lc_status status = lc_netaddr_parse_hostport(c->text, 53, &addr);
    if ((status == LC_OK) != c->valid)
      print_error("\"%s\": expected %s\n", c->text,
                  c->valid ? "valid" : "invalid");
    assert_int_equal(status == LC_OK, c->valid);
    if (!c->valid)
      continue;
    lc_netaddr_format((const struct sockaddr *)&addr, true, text, sizeof(text));
    assert_string_equal(text, c->formatted);
  }
}

static void test_parse_leaves_output_on_error(void **state)
{
  struct sockaddr_storage addr;

  (void)state;
  memset(&addr, 0xab, sizeof(addr));
  assert_int_equal(lc_netaddr_parse("not-an-address", 1, &addr),
                   LC_ERR_INVALID);
  assert_int_equal(((unsigned char *)&addr)[0], 0xab);
  assert_int_equal(lc_netaddr_parse_hostport("1.2.3.4:0", 1, &addr),
                   LC_ERR_INVALID);
  assert_int_equal(((unsigned char *)&addr)[0], 0xab);
}

static void test_format_without_port(void **state)
{
  struct sockaddr_storage addr;
  char text[LC_NETADDR_TEXT_MAX];

  (void)state;
  assert_int_equal(lc_netaddr_parse("10.1.2.3", 25, &addr), LC_OK);
  assert_string_equal(lc_netaddr_format((const struct sockaddr *)&addr, false,
                                        text, sizeof(text)),
                      "10.1.2.3");
  assert_int_equal(ntohs(((struct sockaddr_in *)&addr)->sin_port), 25);
  assert_int_equal(lc_netaddr_parse("fe80::1", 0, &addr), LC_OK);
  assert_string_equal(lc_netaddr_format((const struct sockaddr *)&addr, false,
                                        text, sizeof(text)),
                      "fe80::1");
  lc_netaddr_format((const struct sockaddr *)&addr, true, text, 6);
  assert_string_equal(text, "[fe80");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_classify_table),
      cmocka_unit_test(test_classify_unknown_family),
      cmocka_unit_test(test_usable_table),
      cmocka_unit_test(test_class_names),
      cmocka_unit_test(test_parse_hostport_table),
      cmocka_unit_test(test_parse_leaves_output_on_error),
      cmocka_unit_test(test_format_without_port),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
