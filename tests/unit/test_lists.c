/* Role, disposable, free and popular lists: built-in contents, lookups
 * and extension from a data directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/lists.h"
#include "engine/log.h"

static struct lc_lists *builtin;
static char err[512]; /* message of the last lc_lists_new */

static int load_builtin(void **state)
{
  (void)state;
  return lc_lists_new(NULL, &builtin, err, sizeof(err)) == LC_OK ? 0 : -1;
}

static int free_builtin(void **state)
{
  (void)state;
  lc_lists_free(builtin);
  return 0;
}

static bool is_role(const char *local)
{
  return lc_lists_is_role(builtin, local, strlen(local));
}

static bool is_disposable(const char *domain)
{
  return lc_lists_is_disposable(builtin, domain, strlen(domain));
}

static bool is_free(const char *domain)
{
  return lc_lists_is_free(builtin, domain, strlen(domain));
}

static bool is_known(const char *domain)
{
  return lc_lists_is_known(builtin, domain, strlen(domain));
}

static void builtin_counts(void **state)
{
  (void)state;
  assert_true(lc_lists_count(builtin, LC_LIST_ROLES) >= 100);
  assert_true(lc_lists_count(builtin, LC_LIST_DISPOSABLE) >= 250);
  assert_true(lc_lists_count(builtin, LC_LIST_FREE) >= 200);
  assert_true(lc_lists_count(builtin, LC_LIST_POPULAR) >= 100);
}

static void builtin_roles(void **state)
{
  static const char *const roles[] = {
      "info",       "sales", "support",    "admin",   "contact",  "office",
      "billing",    "hr",    "marketing",  "noreply", "no-reply", "webmaster",
      "postmaster", "abuse", "hostmaster", "careers", "help",     "privacy"};

  (void)state;
  for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
    if (!is_role(roles[i]))
      fail_msg("role '%s' is not listed", roles[i]);
  }
}

static void role_matching(void **state)
{
  (void)state;
  assert_true(is_role("INFO"));
  assert_true(is_role("Info"));
  assert_true(is_role("info+newsletter"));
  assert_true(is_role("Sales+EU"));
  assert_true(is_role("\"support\""));
  assert_true(is_role("no-reply"));
  assert_false(is_role("john"));
  assert_false(is_role("infos"));
  assert_false(is_role("john.info"));
  assert_false(is_role("+info"));
  assert_false(is_role(""));
  assert_false(is_role("info@"));
  assert_false(
      is_role("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
              "aaaaaaaaaaaaaaaaaaaa"));
}

static void builtin_disposable(void **state)
{
  static const char *const domains[] = {"mailinator.com",    "yopmail.com",
                                        "guerrillamail.com", "10minutemail.com",
                                        "trashmail.com",     "sharklasers.com"};

  (void)state;
  for (size_t i = 0; i < sizeof(domains) / sizeof(domains[0]); i++) {
    if (!is_disposable(domains[i]))
      fail_msg("disposable domain '%s' is not listed", domains[i]);
  }
}

static void disposable_subdomains(void **state)
{
  (void)state;
  assert_true(is_disposable("eu.mailinator.com"));
  assert_true(is_disposable("a.b.mailinator.com"));
  assert_true(is_disposable("x.cool.fr.nf"));
  assert_false(is_disposable("mailinator.com.example.org"));
  assert_false(is_disposable("notreallymailinator.com"));
  assert_false(is_disposable("mailinator.co"));
  assert_false(is_disposable("gmail.com"));
  assert_false(is_disposable("com"));
  assert_false(is_disposable("[192.0.2.1]"));
  assert_false(is_disposable(""));
}

static void builtin_free(void **state)
{
  static const char *const domains[] = {
      "gmail.com", "googlemail.com", "outlook.com", "hotmail.com",
      "live.com",  "yahoo.com",      "aol.com",     "gmx.de",
      "web.de",    "mail.ru",        "yandex.ru",   "icloud.com",
      "proton.me", "protonmail.com", "zoho.com",    "yahoo.co.uk"};

  (void)state;
  for (size_t i = 0; i < sizeof(domains) / sizeof(domains[0]); i++) {
    if (!is_free(domains[i]))
      fail_msg("free domain '%s' is not listed", domains[i]);
  }
}

static void free_matching(void **state)
{
  (void)state;
  assert_true(is_free("mail.gmail.com"));
  assert_false(is_free("acme-corp.com"));
  assert_false(is_free("co.uk"));
  assert_false(is_free("mailinator.com"));
  assert_false(is_free("gmail.co"));
}

static void known_domains(void **state)
{
  (void)state;
  assert_true(is_known("gmail.com"));
  assert_true(is_known("gmx.de"));
  assert_true(is_known("mail.ru"));
  assert_true(is_known("mailinator.com"));
  assert_true(is_known("eu.mailinator.com"));
  assert_true(is_known("naver.com"));
  assert_false(is_known("acme-corp.com"));
  assert_false(is_known("gmial.com"));
}

static void popular_order(void **state)
{
  size_t len;
  const char *first = lc_lists_entry(builtin, LC_LIST_POPULAR, 0, &len);

  (void)state;
  assert_string_equal(first, "gmail.com");
  assert_int_equal(len, 9);
  assert_string_equal(lc_list_name(LC_LIST_DISPOSABLE), "disposable");
  assert_string_equal(lc_list_name(LC_LIST_KINDS), "unknown");
}

/* Write TEXT to DIR/NAME. */
static void write_file(const char *dir, const char *name, const char *text)
{
  char path[512];
  FILE *fp;

  snprintf(path, sizeof(path), "%s/%s", dir, name);
  fp = fopen(path, "w");
  assert_non_null(fp);
  assert_int_equal(fputs(text, fp) >= 0, 1);
  assert_int_equal(fclose(fp), 0);
}

static void remove_tree(const char *dir)
{
  char cmd[600];

  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

static void extra_dir_entries(void **state)
{
  char dir[] = "/tmp/listclean-lists.XXXXXX";
  struct lc_lists *lists = NULL;
  enum lc_status status;

  (void)state;
  assert_non_null(mkdtemp(dir));
  write_file(dir, "roles.txt", "# team names\nCustomRole\n  desk  # help\n");
  write_file(dir, "disposable.txt",
             "MyTrash.Example\n"
             "b\xc3\xbc"
             "cher-trash.de\n"
             "not a domain\n\n");
  /* free.txt and popular.txt are missing, which is fine. */
  lc_log_set_level(LC_LOG_ERROR);
  status = lc_lists_new(dir, &lists, err, sizeof(err));
  lc_log_set_level(LC_LOG_WARN);
  assert_int_equal(status, LC_OK);
  assert_true(lc_lists_is_role(lists, "customrole", 10));
  assert_true(lc_lists_is_role(lists, "Desk+x", 6));
  assert_true(lc_lists_is_role(lists, "info", 4));
  assert_true(lc_lists_is_disposable(lists, "mytrash.example", 15));
  assert_true(lc_lists_is_disposable(lists, "x.mytrash.example", 17));
  assert_true(lc_lists_is_disposable(lists, "xn--bcher-trash-thb.de", 22));
  assert_true(lc_lists_is_disposable(lists, "mailinator.com", 14));
  assert_int_equal(lc_lists_count(lists, LC_LIST_DISPOSABLE),
                   lc_lists_count(builtin, LC_LIST_DISPOSABLE) + 2);
  lc_lists_free(lists);
  remove_tree(dir);
}

static void entry_above_registrable(void **state)
{
  char dir[] = "/tmp/listclean-lists.XXXXXX";
  struct lc_lists *lists = NULL;

  (void)state;
  assert_non_null(mkdtemp(dir));
  /* github.io is a public suffix: each user site is its own registrable
   * domain, so listing the suffix covers only the name itself. */
  write_file(dir, "disposable.txt", "github.io\n");
  assert_int_equal(lc_lists_new(dir, &lists, err, sizeof(err)), LC_OK);
  assert_true(lc_lists_is_disposable(lists, "github.io", 9));
  assert_false(lc_lists_is_disposable(lists, "someone.github.io", 17));
  lc_lists_free(lists);
  remove_tree(dir);
}

static void unreadable_file(void **state)
{
  char dir[] = "/tmp/listclean-lists.XXXXXX";
  char path[512], expected[600];
  struct lc_lists *lists = NULL;
  enum lc_status status;

  (void)state;
  assert_non_null(mkdtemp(dir));
  /* A directory where a list file should be cannot be read, even by root. */
  snprintf(path, sizeof(path), "%s/free.txt", dir);
  assert_int_equal(mkdir(path, 0700), 0);
  status = lc_lists_new(dir, &lists, err, sizeof(err));
  assert_int_equal(status, LC_ERR_IO);
  assert_null(lists);
  snprintf(expected, sizeof(expected), "cannot read %s: Is a directory", path);
  assert_string_equal(err, expected);
  remove_tree(dir);
}

static void missing_dir(void **state)
{
  struct lc_lists *lists = NULL;

  (void)state;
  assert_int_equal(
      lc_lists_new("/nonexistent/listclean-data", &lists, err, sizeof(err)),
      LC_ERR_IO);
  assert_null(lists);
  assert_string_equal(err,
                      "cannot open --data-dir /nonexistent/listclean-data: "
                      "No such file or directory");
}

int main(void)
{
  static const struct CMUnitTest tests[] = {
      cmocka_unit_test(builtin_counts),
      cmocka_unit_test(builtin_roles),
      cmocka_unit_test(role_matching),
      cmocka_unit_test(builtin_disposable),
      cmocka_unit_test(disposable_subdomains),
      cmocka_unit_test(builtin_free),
      cmocka_unit_test(free_matching),
      cmocka_unit_test(known_domains),
      cmocka_unit_test(popular_order),
      cmocka_unit_test(extra_dir_entries),
      cmocka_unit_test(entry_above_registrable),
      cmocka_unit_test(unreadable_file),
      cmocka_unit_test(missing_dir),
  };

  return cmocka_run_group_tests_name("lists", tests, load_builtin,
                                     free_builtin);
}
