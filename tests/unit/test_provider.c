/* Unit tests of provider detection (engine/provider.c, data/providers.txt).
 *
 * Realistic MX names are in the table. In addition, every entry of the
 * built-in data file is turned into a host name that must match it. Two
 * look-alike names must not match: the name with an attacker's domain
 * appended, and the name glued to a prefix ("evil-pphosted.com").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/data.h"
#include "engine/provider.h"

struct host_case {
  const char *host;
  const char *provider; /* NULL: no match */
  bool gateway;
};

static const struct host_case host_cases[] = {
    {"contoso-com.mail.protection.outlook.com", "microsoft", false},
    {"CONTOSO-COM.Mail.Protection.Outlook.COM.", "microsoft", false},
    {"contoso-com.a-v1.mx.microsoft", "microsoft", false},
    {"hotmail-com.olc.protection.outlook.com", "microsoft", false},
    {"mail.protection.outlook.com", NULL, false},
    {"smtp.google.com", "google", false},
    {"aspmx.l.google.com", "google", false},
    {"alt1.aspmx.l.google.com", "google", false},
    {"alt4.aspmx.l.google.com", "google", false},
    {"alt0.aspmx.l.google.com", NULL, false},
    {"alt5.aspmx.l.google.com", NULL, false},
    {"alt12.aspmx.l.google.com", NULL, false},
    {"aspmx2.googlemail.com", "google", false},
    {"aspmx5.googlemail.com", "google", false},
    {"aspmx1.googlemail.com", NULL, false},
    {"aspmx6.googlemail.com", NULL, false},
    {"gmail-smtp-in.l.google.com", "google", false},
    {"alt3.gmail-smtp-in.l.google.com", "google", false},
    {"mta5.am0.yahoodns.net", "yahoo", false},
    {"eu-smtp-inbound-1.mimecast.com", "mimecast", true},
    {"za-smtp-inbound-1.mimecast.co.za", "mimecast", true},
    {"mx0a-00123401.pphosted.com", "proofpoint", true},
    {"evil-pphosted.com.attacker.net", NULL, false},
    {"evilpphosted.com", NULL, false},
    {"pphosted.com", NULL, false},
    {"mx.pphosted.com.evil", NULL, false},
    {"d123.ess.barracudanetworks.com", "barracuda", true},
    {"mx1.hc123-45.iphmx.com", "cisco", true},
    {"example-com.in.tmes.trendmicro.eu", "trendmicro", true},
    {"mx-01-us-west-2.prod.hydra.sophos.com", "sophos", true},
    {"cluster1.eu.messagelabs.com", "broadcom", true},
    {"mx01.hornetsecurity.com", "hornetsecurity", true},
    {"mx1.antispamcloud.com", "spamexperts", true},
    {"mx.zoho.com", "zoho", false},
    {"mx2.zoho.eu", "zoho", false},
    {"mx3.zoho.com.au", "zoho", false},
    {"mail.zoho.com", NULL, false},
    {"mx.zoho.com.evil.net", NULL, false},
    {"in1-smtp.messagingengine.com", "fastmail", false},
    {"mail.protonmail.ch", "proton", false},
    {"mx01.mail.icloud.com", "icloud", false},
    {"mx.yandex.ru", "yandex", false},
    {"mx.yandex.ru.evil.com", NULL, false},
    {"mxs.mail.ru", "mailru", false},
    {"mx00.gmx.net", "gmx", false},
    {"mx-ha03.web.de", "gmx", false},
    {"mail.example.org", NULL, false},
    /* Not host names. */
    {"", NULL, false},
    {".", NULL, false},
    {"a..b.pphosted.com", NULL, false},
    {".x.pphosted.com", NULL, false},
    {"x.pphosted.com ", NULL, false},
    {"x_y.pphosted.com", NULL, false},
    {"x*.pphosted.com", NULL, false},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void expect_match(const char *host, const char *provider, bool gateway)
{
  bool got_gateway = !gateway; /* must be overwritten on a match */
  const char *got = lc_provider_match(host, &got_gateway);

  if (provider == NULL) {
    if (got != NULL)
      print_error("host \"%s\" matched %s\n", host, got);
    assert_null(got);
    assert_int_equal(got_gateway, !gateway); /* left alone */
    return;
  }
  if (got == NULL || strcmp(got, provider) != 0)
    print_error("host \"%s\": expected %s, got %s\n", host, provider,
                got != NULL ? got : "no match");
  assert_non_null(got);
  assert_string_equal(got, provider);
  assert_int_equal(got_gateway, gateway);
}

static int unload_fixture(void **state)
{
  (void)state;
  lc_provider_unload();
  return 0;
}

static void test_host_table(void **state)
{
  (void)state;
  for (size_t i = 0; i < COUNT(host_cases); i++)
    expect_match(host_cases[i].host, host_cases[i].provider,
                 host_cases[i].gateway);
}

/* Writes a host name that PATTERN matches: "a1.b2." for a leading "*.",
 * "x" for any other "*", the first member for a set. */
static void host_for_pattern(const char *pattern, char *host, size_t size)
{
  size_t out = 0;

  if (strncmp(pattern, "*.", 2) == 0) {
    out = (size_t)snprintf(host, size, "a1.b2.");
    pattern += 2;
  }
  for (; *pattern != '\0' && out + 1 < size; pattern++) {
    if (*pattern == '*') {
      host[out++] = 'x';
    } else if (*pattern == '[') {
      host[out++] = pattern[1];
      pattern = strchr(pattern, ']');
    } else {
      host[out++] = *pattern;
    }
  }
  host[out] = '\0';
}

static void test_every_builtin_pattern(void **state)
{
  size_t len = 0, entries = 0;
  const char *text = lc_data_builtin("providers", &len);
  char *copy, *line, *save = NULL;

  (void)state;
  assert_non_null(text);
  copy = strdup(text);
  assert_non_null(copy);
  for (line = strtok_r(copy, "\n", &save); line != NULL;
       line = strtok_r(NULL, "\n", &save)) {
    char name[32], gateway[4], pattern[254], host[300], lookalike[400];
    const char *suffix;

    if (line[0] == '#' ||
        sscanf(line, "%31s %3s %253s", name, gateway, pattern) != 3)
      continue;
    entries++;
    host_for_pattern(pattern, host, sizeof(host));
    expect_match(host, name, strcmp(gateway, "yes") == 0);

    snprintf(lookalike, sizeof(lookalike), "%s.attacker.net", host);
    expect_match(lookalike, NULL, false);
    suffix = strncmp(host, "a1.b2.", 6) == 0 ? host + 6 : host;
    snprintf(lookalike, sizeof(lookalike), "evil-%s", suffix);
    expect_match(lookalike, NULL, false);
  }
  free(copy);
  assert_int_equal(entries, 37);
}

/* Writes TEXT to a new temporary file and returns its path (static). */
static const char *write_temp(const char *text)
{
  static char path[64];
  int fd;
  FILE *file;

  snprintf(path, sizeof(path), "/tmp/listclean-provider.XXXXXX");
  fd = mkstemp(path);
  assert_true(fd >= 0);
  file = fdopen(fd, "w");
  assert_non_null(file);
  assert_int_equal(fputs(text, file) >= 0, 1);
  assert_int_equal(fclose(file), 0);
  return path;
}

static void test_user_file_extends(void **state)
{
  const char *path = write_temp("# local gateways\r\n"
                                "\n"
                                "  acme   yes  *.mx.acme-filter.example  # x\n"
                                "custom no *.PPHOSTED.com\r\n"
                                "sets no mx[a-c0-2].sets.example\n");

  (void)state;
  assert_int_equal(lc_provider_load(path), LC_OK);
  unlink(path);
  expect_match("eu1.mx.acme-filter.example", "acme", true);
  expect_match("mx0a-1.pphosted.com", "custom", false);
  expect_match("aspmx.l.google.com", "google", false);
  expect_match("mxb.sets.example", "sets", false);
  expect_match("mx2.sets.example", "sets", false);
  expect_match("mxd.sets.example", NULL, false);
  expect_match("mx3.sets.example", NULL, false);
  lc_provider_unload();
  expect_match("mx0a-1.pphosted.com", "proofpoint", true);
  expect_match("eu1.mx.acme-filter.example", NULL, false);
}

static void test_user_file_invalid(void **state)
{
  static const char *const bad[] = {
      "acme maybe *.x.example\n",
      "acme yes\n",
      "acme yes a.example b.example\n",
      "Acme yes x.example\n",
      "acme yes *..x.example\n",
      "acme yes x.example.\n",
      "acme yes .x.example\n",
      "acme yes [4-1].x.example\n",
      "acme yes [].x.example\n",
      "acme yes x[1-4.example\n",
      "acme yes x_y.example\n",
      "a23456789012345678901234567890123 yes x.example\n",
      "good no ok.example\nacme yes x/y.example\n",
  };

  (void)state;
  for (size_t i = 0; i < COUNT(bad); i++) {
    const char *path = write_temp(bad[i]);

    assert_int_equal(lc_provider_load(path), LC_ERR_FORMAT);
    unlink(path);
  }
  /* Nothing of a rejected file is added. */
  expect_match("ok.example", NULL, false);
  expect_match("mx0a-1.pphosted.com", "proofpoint", true);
}

static void test_user_file_missing(void **state)
{
  (void)state;
  assert_int_equal(lc_provider_load("/nonexistent/listclean/providers.txt"),
                   LC_ERR_NOTFOUND);
  expect_match("aspmx.l.google.com", "google", false);
}

static void test_gateway_pointer_optional(void **state)
{
  (void)state;
  assert_string_equal(lc_provider_match("x.pphosted.com", NULL), "proofpoint");
  assert_null(lc_provider_match("x.example", NULL));
}

static void test_host_too_long(void **state)
{
  char host[300];

  (void)state;
  memset(host, 'a', sizeof(host));
  memcpy(host + sizeof(host) - 15, ".pphosted.com", 14);
  assert_null(lc_provider_match(host, NULL));
  /* 253 characters is the limit of a host name in text form. */
  memcpy(host + 253 - 13, ".pphosted.com", 14);
  for (size_t i = 60; i < 253 - 13; i += 61)
    host[i] = '.';
  assert_int_equal(strlen(host), 253);
  assert_string_equal(lc_provider_match(host, NULL), "proofpoint");
  memmove(host + 1, host, 254);
  assert_int_equal(strlen(host), 254);
  assert_null(lc_provider_match(host, NULL));
}

int main(void)
{
  static const struct CMUnitTest tests[] = {
      cmocka_unit_test_teardown(test_host_table, unload_fixture),
      cmocka_unit_test_teardown(test_every_builtin_pattern, unload_fixture),
      cmocka_unit_test_teardown(test_user_file_extends, unload_fixture),
      cmocka_unit_test_teardown(test_user_file_invalid, unload_fixture),
      cmocka_unit_test_teardown(test_user_file_missing, unload_fixture),
      cmocka_unit_test_teardown(test_gateway_pointer_optional, unload_fixture),
      cmocka_unit_test_teardown(test_host_too_long, unload_fixture),
  };

  return cmocka_run_group_tests_name("provider", tests, NULL, NULL) == 0 ? 0
                                                                         : 1;
}
