/* The fingerprint set: lookups with and without recording, case folding,
 * and a full table that drops fingerprints and counts them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine/dedup.h"

static uint64_t hash_of(const char *text)
{
  return lc_hash_nocase(text, strlen(text));
}

/* A lookup records nothing; a recorded name is found in any case. */
static void has_does_not_record(void **state)
{
  struct lc_dedup *set = lc_dedup_new(4096);

  (void)state;
  assert_non_null(set);
  assert_false(lc_dedup_has_hash(set, hash_of("tidewater.test")));
  assert_false(lc_dedup_has_hash(set, hash_of("tidewater.test")));
  assert_int_equal(lc_dedup_count(set), 0);
  assert_false(lc_dedup_seen_hash(set, hash_of("tidewater.test")));
  assert_true(lc_dedup_has_hash(set, hash_of("tidewater.test")));
  assert_true(lc_dedup_has_hash(set, hash_of("TideWater.TEST")));
  assert_false(lc_dedup_has_hash(set, hash_of("tidewater.test.")));
  assert_true(lc_dedup_seen(set, "TIDEWATER.test", 14));
  assert_int_equal(lc_dedup_count(set), 1);
  lc_dedup_free(set);
}

/* The smallest table has 1,024 slots: 3,000 names fill it. Every name
 * kept is found, and kept plus dropped names add up to those recorded. */
static void full_table_drops(void **state)
{
  enum { N = 3000 };
  struct lc_dedup *set = lc_dedup_new(0);
  char name[32];
  uint64_t found = 0;

  (void)state;
  assert_non_null(set);
  for (int i = 0; i < N; i++) {
    snprintf(name, sizeof(name), "domain%d.test", i);
    assert_false(lc_dedup_seen_hash(set, hash_of(name)));
  }
  assert_true(lc_dedup_full(set));
  assert_int_equal(lc_dedup_count(set) + lc_dedup_dropped(set), N);
  assert_true(lc_dedup_count(set) <= 1024);
  assert_true(lc_dedup_count(set) > 900);
  for (int i = 0; i < N; i++) {
    snprintf(name, sizeof(name), "domain%d.test", i);
    found += lc_dedup_has_hash(set, hash_of(name));
  }
  assert_int_equal(found, lc_dedup_count(set));
  lc_dedup_free(set);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(has_does_not_record),
      cmocka_unit_test(full_table_drops),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
