/* Typo suggestions: one TAP line per table row, plus address-level and
 * buffer-size checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/address.h"
#include "engine/lists.h"
#include "engine/typo.h"

struct typo_case {
  const char *domain;
  const char *suggestion; /* NULL: no suggestion expected */
};

static const struct typo_case cases[] = {
    /* Distance within the name, same public suffix */
    {"gmial.com", "gmail.com"},
    {"hotmial.com", "hotmail.com"},
    {"gmal.com", "gmail.com"},
    {"gmaol.com", "gmail.com"},
    {"gmaill.com", "gmail.com"},
    {"yaho.com", "yahoo.com"},
    {"yahooo.com", "yahoo.com"},
    {"hotnail.com", "hotmail.com"},
    {"outlok.com", "outlook.com"},
    {"outllok.com", "outlook.com"},
    {"icloud.cm", "icloud.com"},
    {"hmail.com", "gmail.com"},
    {"googlemial.com", "googlemail.com"},
    {"protonmial.com", "protonmail.com"},
    {"yahooo.co.uk", "yahoo.co.uk"},
    {"hotmail.co.k", NULL},
    {"btinternt.com", "btinternet.com"},
    {"comcats.net", "comcast.net"},
    /* Mistyped top-level domains */
    {"gmail.con", "gmail.com"},
    {"outlook.cmo", "outlook.com"},
    {"yahoo.co", "yahoo.com"},
    {"gmail.cm", "gmail.com"},
    {"gmail.comm", "gmail.com"},
    {"aol.con", "aol.com"},
    {"hotmail.co", "hotmail.com"},
    {"comcast.nte", "comcast.net"},
    {"hotmial.con", "hotmail.com"},
    {"mailinator.con", "mailinator.com"},
    /* Known real domains are never changed */
    {"gmail.com", NULL},
    {"gmx.de", NULL},
    {"mail.ru", NULL},
    {"email.com", NULL},
    {"cloud.com", NULL},
    {"ymail.com", NULL},
    {"yahoo.co.jp", NULL},
    {"eu.mailinator.com", NULL},
    {"mail.gmail.com", NULL},
    /* Unrelated domains */
    {"acme-corp.com", NULL},
    {"example.com", NULL},
    {"never.com", NULL},
    {"love.com", NULL},
    {"mad.com", NULL},
    {"gmail.de", NULL},
    {"hotmail.co.th", NULL},
    {"example.cm", NULL},
    {"example.co", NULL},
    {"acme.con", NULL},
    {"xn--bcher-kva.de", NULL},
    {"[192.0.2.1]", NULL},
    {"com", NULL},
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static struct lc_lists *lists;
static char err[256];
static struct lc_typo *typo;

static int setup(void **state)
{
  (void)state;
  if (lc_lists_new(NULL, &lists, err, sizeof(err)) != LC_OK)
    return -1;
  return lc_typo_new(lists, &typo) == LC_OK ? 0 : -1;
}

static int teardown(void **state)
{
  (void)state;
  lc_typo_free(typo);
  lc_lists_free(lists);
  return 0;
}

static void run_case(void **state)
{
  const struct typo_case *c = *state;
  char out[LC_ADDR_DOMAIN_MAX + 1] = "untouched";
  bool found;

  found = lc_typo_suggest_domain(typo, c->domain, strlen(c->domain), out,
                                 sizeof(out));
  if (c->suggestion == NULL) {
    if (found)
      fail_msg("%s: unexpected suggestion %s", c->domain, out);
    assert_string_equal(out, "untouched");
    return;
  }
  if (!found)
    fail_msg("%s: no suggestion, expected %s", c->domain, c->suggestion);
  assert_string_equal(out, c->suggestion);
}

static void address_suggestion(void **state)
{
  static const char field[] = "John Doe <John.Doe+x@GMIAL.COM>";
  char out[LC_ADDR_PATH_MAX + 1];
  struct lc_address addr;

  (void)state;
  assert_int_equal(lc_address_parse(field, strlen(field), &addr), LC_ADDR_OK);
  assert_true(lc_typo_suggest(typo, &addr, out, sizeof(out)));
  assert_string_equal(out, "John.Doe+x@gmail.com");
}

static void address_without_suggestion(void **state)
{
  char out[LC_ADDR_PATH_MAX + 1];
  struct lc_address addr;

  (void)state;
  lc_address_parse("a@gmail.com", 11, &addr);
  assert_false(lc_typo_suggest(typo, &addr, out, sizeof(out)));
  lc_address_parse("a@[192.0.2.1]", 13, &addr);
  assert_false(lc_typo_suggest(typo, &addr, out, sizeof(out)));
  lc_address_parse("not an address", 14, &addr);
  assert_false(lc_typo_suggest(typo, &addr, out, sizeof(out)));
}

static void small_buffers(void **state)
{
  char out[16];
  struct lc_address addr;

  (void)state;
  assert_false(lc_typo_suggest_domain(typo, "gmial.com", 9, out, 9));
  assert_true(lc_typo_suggest_domain(typo, "gmial.com", 9, out, 10));
  assert_string_equal(out, "gmail.com");
  lc_address_parse("abcdefg@gmial.com", 17, &addr);
  assert_false(lc_typo_suggest(typo, &addr, out, sizeof(out)));
}

static const struct CMUnitTest fixed_tests[] = {
    cmocka_unit_test(address_suggestion),
    cmocka_unit_test(address_without_suggestion),
    cmocka_unit_test(small_buffers),
};

int main(void)
{
  size_t n_fixed = sizeof(fixed_tests) / sizeof(fixed_tests[0]);
  struct CMUnitTest *tests = calloc(N_CASES + n_fixed, sizeof(*tests));
  int failed;

  if (tests == NULL)
    return 1;
  for (size_t i = 0; i < N_CASES; i++) {
    tests[i].name = cases[i].domain;
    tests[i].test_func = run_case;
    tests[i].initial_state = (void *)(uintptr_t)&cases[i];
  }
  memcpy(tests + N_CASES, fixed_tests, sizeof(fixed_tests));
  failed = _cmocka_run_group_tests("typo", tests, N_CASES + n_fixed, setup,
                                   teardown);
  free(tests);
  return failed;
}
