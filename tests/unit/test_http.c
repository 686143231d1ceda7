/* Tests of the Retry-After parser of the HTTPS client
 * (lc_http_parse_retry_after in engine/http_request.c): delay-seconds,
 * the three HTTP-date forms of RFC 9110, blanks, the upper bound and
 * values that must be rejected. The identity tests cover the header as
 * it arrives from a server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/http.h"

/* Sun, 06 Nov 1994 08:49:37 GMT, the example date of RFC 9110. */
#define RFC_DATE ((time_t)784111777)

struct retry_case {
  const char *value;
  time_t now;
  enum lc_status status;
  int64_t seconds; /* when LC_OK */
};

static void check_cases(const struct retry_case *cases, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    int64_t seconds = 1234;
    enum lc_status status =
        lc_http_parse_retry_after(cases[i].value, cases[i].now, &seconds);

    print_message("# '%s' -> %s %lld\n", cases[i].value, lc_strerror(status),
                  (long long)seconds);
    assert_int_equal(status, cases[i].status);
    if (cases[i].status == LC_OK)
      assert_int_equal(seconds, cases[i].seconds);
    else
      assert_int_equal(seconds, 1234);
  }
}

static void test_retry_after_seconds(void **state)
{
  static const struct retry_case cases[] = {
      {"0", 0, LC_OK, 0},
      {"1", 0, LC_OK, 1},
      {"120", RFC_DATE, LC_OK, 120},
      {"00042", 0, LC_OK, 42},
      {" 7", 0, LC_OK, 7},
      {"7 \t", 0, LC_OK, 7},
      {"\t 300 ", 0, LC_OK, 300},
      {"2147483646", 0, LC_OK, 2147483646},
      {"2147483647", 0, LC_OK, LC_HTTP_RETRY_AFTER_LIMIT},
      {"2147483648", 0, LC_OK, LC_HTTP_RETRY_AFTER_LIMIT},
      {"99999999999999999999999999", 0, LC_OK, LC_HTTP_RETRY_AFTER_LIMIT},
  };

  (void)state;
  check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_retry_after_dates(void **state)
{
  static const struct retry_case cases[] = {
      /* IMF-fixdate, RFC 850 and asctime forms of the same instant. */
      {"Sun, 06 Nov 1994 08:49:37 GMT", RFC_DATE - 120, LC_OK, 120},
      {"Sunday, 06-Nov-94 08:49:37 GMT", RFC_DATE - 120, LC_OK, 120},
      {"Sun Nov  6 08:49:37 1994", RFC_DATE - 120, LC_OK, 120},
      {" Sun, 06 Nov 1994 08:49:37 GMT ", RFC_DATE - 1, LC_OK, 1},
      /* Now or in the past: no wait. */
      {"Sun, 06 Nov 1994 08:49:37 GMT", RFC_DATE, LC_OK, 0},
      {"Sun, 06 Nov 1994 08:49:37 GMT", RFC_DATE + 3600, LC_OK, 0},
      {"Fri, 31 Dec 9999 23:59:59 GMT", RFC_DATE, LC_OK,
       LC_HTTP_RETRY_AFTER_LIMIT},
  };

  (void)state;
  check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_retry_after_invalid(void **state)
{
  static const struct retry_case cases[] = {
      {"", 0, LC_ERR_FORMAT, 0},
      {"   ", 0, LC_ERR_FORMAT, 0},
      {"-5", 0, LC_ERR_FORMAT, 0},
      {"+5", 0, LC_ERR_FORMAT, 0},
      {"5s", 0, LC_ERR_FORMAT, 0},
      {"1.5", 0, LC_ERR_FORMAT, 0},
      {"5 6", 0, LC_ERR_FORMAT, 0},
      {"0x10", 0, LC_ERR_FORMAT, 0},
      {"soon", 0, LC_ERR_FORMAT, 0},
      {"Monday", 0, LC_ERR_FORMAT, 0},
      {"Wed, 32 Nov 1994 08:49:37 GMT", 0, LC_ERR_FORMAT, 0},
      {"\"120\"", 0, LC_ERR_FORMAT, 0},
      /* 64 digits: longer than any value the parser reads. */
      {"0000000000000000000000000000000000000000000000000000000000000001", 0,
       LC_ERR_FORMAT, 0},
  };

  (void)state;
  check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_retry_after_seconds),
      cmocka_unit_test(test_retry_after_dates),
      cmocka_unit_test(test_retry_after_invalid),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
