/* Unit tests of the Entra ID answer parsers and request encoders
 * (engine/identity_json.c): table-driven, on bytes alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/identity_json.h"

struct realm_case {
  const char *body;
  enum lc_status status;
  enum lc_identity_namespace ns;
  const char *idp; /* federated only */
  const char *err; /* when status is not LC_OK */
};

static const struct realm_case realm_cases[] = {
    {"{\"NameSpaceType\":\"Managed\",\"State\":4}", LC_OK,
     LC_IDENTITY_NS_MANAGED, NULL, NULL},
    {"{\"NameSpaceType\":\"managed\"}", LC_OK, LC_IDENTITY_NS_MANAGED, NULL,
     NULL},
    {"{\"NameSpaceType\":\"Unknown\",\"Login\":\"a@b.test\"}", LC_OK,
     LC_IDENTITY_NS_UNKNOWN, NULL, NULL},
    {"{\"NameSpaceType\":\"Federated\",\"AuthURL\":"
     "\"https://corp.okta.com/app/office365/sso/wsfed/passive\"}",
     LC_OK, LC_IDENTITY_NS_FEDERATED, "okta", NULL},
    {"{\"NameSpaceType\":\"Federated\",\"AuthURL\":"
     "\"https://sts.corp.test/adfs/ls/?username=a%40corp.test\"}",
     LC_OK, LC_IDENTITY_NS_FEDERATED, "adfs", NULL},
    {"{\"NameSpaceType\":\"Federated\",\"AuthURL\":"
     "\"https://Login.Example.TEST:8443/sso\"}",
     LC_OK, LC_IDENTITY_NS_FEDERATED, "login.example.test", NULL},
    {"{\"NameSpaceType\":\"Federated\"}", LC_OK, LC_IDENTITY_NS_FEDERATED,
     "unknown", NULL},
    {"{\"NameSpaceType\":\"Federated\",\"AuthURL\":17}", LC_OK,
     LC_IDENTITY_NS_FEDERATED, "unknown", NULL},
    {"{\"State\":4}", LC_ERR_FORMAT, 0, NULL, "missing NameSpaceType"},
    {"{\"NameSpaceType\":1}", LC_ERR_FORMAT, 0, NULL,
     "NameSpaceType is not a string"},
    {"{\"NameSpaceType\":null}", LC_ERR_FORMAT, 0, NULL,
     "NameSpaceType is not a string"},
    {"{\"NameSpaceType\":\"Hybrid\"}", LC_ERR_FORMAT, 0, NULL,
     "unexpected NameSpaceType"},
    {"[\"Managed\"]", LC_ERR_FORMAT, 0, NULL, "answer is not a JSON object"},
    {"\"Managed\"", LC_ERR_FORMAT, 0, NULL, "answer is not a JSON object"},
    {"", LC_ERR_FORMAT, 0, NULL, "malformed JSON"},
    {"{", LC_ERR_FORMAT, 0, NULL, "malformed JSON"},
    {"<html>error</html>", LC_ERR_FORMAT, 0, NULL, "malformed JSON"},
    {"{\"NameSpaceType\":\"Managed\"} x", LC_ERR_FORMAT, 0, NULL,
     "malformed JSON"},
    {"{\"NameSpaceType\":\"Managed\",\"NameSpaceType\":\"Unknown\"}",
     LC_ERR_FORMAT, 0, NULL, "malformed JSON"},
    {"{\"NameSpaceType\":\"Man\\u0000aged\"}", LC_ERR_FORMAT, 0, NULL,
     "malformed JSON"},
};

static void test_parse_realm_table(void **state)
{
  (void)state;
  for (size_t i = 0; i < sizeof(realm_cases) / sizeof(realm_cases[0]); i++) {
    const struct realm_case *tc = &realm_cases[i];
    struct lc_identity_realm realm = {.ns = LC_IDENTITY_NS_UNKNOWN};
    char err[128] = "";
    enum lc_status status;

    print_message("# realm case %zu: %s\n", i, tc->body);
    status = lc_identity_parse_realm(tc->body, strlen(tc->body), &realm, err,
                                     sizeof(err));
    assert_int_equal(status, tc->status);
    if (tc->status != LC_OK) {
      assert_string_equal(err, tc->err);
      continue;
    }
    assert_int_equal(realm.ns, tc->ns);
    if (tc->idp != NULL)
      assert_string_equal(realm.idp, tc->idp);
  }
}

/* The length argument, not a NUL, ends the input. */
static void test_parse_realm_length(void **state)
{
  const char body[] = "{\"NameSpaceType\":\"Managed\"}GARBAGE";
  struct lc_identity_realm realm;
  char err[64];

  (void)state;
  assert_int_equal(lc_identity_parse_realm(body, 27, &realm, err, sizeof(err)),
                   LC_OK);
  assert_int_equal(realm.ns, LC_IDENTITY_NS_MANAGED);
  assert_int_equal(lc_identity_parse_realm(body, 20, &realm, err, sizeof(err)),
                   LC_ERR_FORMAT);
}

/* Deep nesting is rejected by the parser's depth limit, not the stack. */
static void test_parse_realm_deep(void **state)
{
  size_t depth = 100000;
  char *body = malloc(2 * depth);
  struct lc_identity_realm realm;
  char err[64];

  (void)state;
  assert_non_null(body);
  memset(body, '[', depth);
  memset(body + depth, ']', depth);
  assert_int_equal(
      lc_identity_parse_realm(body, 2 * depth, &realm, err, sizeof(err)),
      LC_ERR_FORMAT);
  assert_string_equal(err, "malformed JSON");
  free(body);
}

struct credential_case {
  const char *body;
  enum lc_status status;
  enum lc_identity_account account;
  long long if_exists;
  long long throttle;
  const char *err;
};

static const struct credential_case credential_cases[] = {
    {"{\"IfExistsResult\":0,\"ThrottleStatus\":0}", LC_OK,
     LC_IDENTITY_ACCOUNT_EXISTS, 0, 0, NULL},
    {"{\"IfExistsResult\":5}", LC_OK, LC_IDENTITY_ACCOUNT_EXISTS, 5, 0, NULL},
    {"{\"IfExistsResult\":6}", LC_OK, LC_IDENTITY_ACCOUNT_EXISTS, 6, 0, NULL},
    {"{\"IfExistsResult\":1,\"ThrottleStatus\":0}", LC_OK,
     LC_IDENTITY_ACCOUNT_ABSENT, 1, 0, NULL},
    {"{\"IfExistsResult\":2}", LC_OK, LC_IDENTITY_ACCOUNT_UNDECIDED, 2, 0,
     NULL},
    {"{\"IfExistsResult\":4}", LC_OK, LC_IDENTITY_ACCOUNT_UNDECIDED, 4, 0,
     NULL},
    {"{\"IfExistsResult\":-1}", LC_OK, LC_IDENTITY_ACCOUNT_UNDECIDED, -1, 0,
     NULL},
    {"{\"IfExistsResult\":9223372036854775807}", LC_OK,
     LC_IDENTITY_ACCOUNT_UNDECIDED, 9223372036854775807LL, 0, NULL},
    {"{\"IfExistsResult\":0,\"ThrottleStatus\":1}", LC_OK,
     LC_IDENTITY_ACCOUNT_THROTTLED, 0, 1, NULL},
    {"{\"ThrottleStatus\":2}", LC_OK, LC_IDENTITY_ACCOUNT_THROTTLED, -1, 2,
     NULL},
    {"{\"IfExistsResult\":1,\"ThrottleStatus\":-5}", LC_OK,
     LC_IDENTITY_ACCOUNT_ABSENT, 1, -5, NULL},
    {"{\"IfExistsResult\":99999999999999999999}", LC_ERR_FORMAT, 0, 0, 0,
     "malformed JSON"},
    {"{\"IfExistsResult\":1e400}", LC_ERR_FORMAT, 0, 0, 0, "malformed JSON"},
    {"{\"IfExistsResult\":1.0}", LC_ERR_FORMAT, 0, 0, 0,
     "IfExistsResult is not an integer"},
    {"{\"IfExistsResult\":\"0\"}", LC_ERR_FORMAT, 0, 0, 0,
     "IfExistsResult is not an integer"},
    {"{\"IfExistsResult\":true}", LC_ERR_FORMAT, 0, 0, 0,
     "IfExistsResult is not an integer"},
    {"{\"Username\":\"a@b.test\"}", LC_ERR_FORMAT, 0, 0, 0,
     "missing IfExistsResult"},
    {"{\"IfExistsResult\":0,\"ThrottleStatus\":\"1\"}", LC_ERR_FORMAT, 0, 0, 0,
     "ThrottleStatus is not an integer"},
    {"{\"IfExistsResult\":0,\"ThrottleStatus\":null}", LC_ERR_FORMAT, 0, 0, 0,
     "ThrottleStatus is not an integer"},
    {"[0]", LC_ERR_FORMAT, 0, 0, 0, "answer is not a JSON object"},
    {"null", LC_ERR_FORMAT, 0, 0, 0, "answer is not a JSON object"},
    {"{\"IfExistsResult\":0", LC_ERR_FORMAT, 0, 0, 0, "malformed JSON"},
    {"\xef\xbb\xbf{\"IfExistsResult\":0}", LC_ERR_FORMAT, 0, 0, 0,
     "malformed JSON"},
    {"{\"IfExistsResult\":0,\"x\":\"\xff\"}", LC_ERR_FORMAT, 0, 0, 0,
     "malformed JSON"},
};

static void test_parse_credential_table(void **state)
{
  (void)state;
  for (size_t i = 0; i < sizeof(credential_cases) / sizeof(credential_cases[0]);
       i++) {
    const struct credential_case *tc = &credential_cases[i];
    struct lc_identity_credential cred = {.if_exists = 12345};
    char err[128] = "";
    enum lc_status status;

    print_message("# credential case %zu: %s\n", i, tc->body);
    status = lc_identity_parse_credential(tc->body, strlen(tc->body), &cred,
                                          err, sizeof(err));
    assert_int_equal(status, tc->status);
    if (tc->status != LC_OK) {
      assert_string_equal(err, tc->err);
      assert_int_equal(cred.if_exists, 12345); /* output left alone */
      continue;
    }
    assert_int_equal(cred.account, tc->account);
    assert_true(cred.if_exists == tc->if_exists);
    assert_true(cred.throttle == tc->throttle);
  }
}

static void test_idp_names(void **state)
{
  static const struct {
    const char *url;
    const char *name;
  } cases[] = {
      {"https://corp.okta.com/app/x", "okta"},
      {"https://okta.com/", "okta"},
      {"https://corp.oktapreview.com/sso", "okta"},
      {"https://notokta.com/", "notokta.com"},
      {"https://sts.corp.test/adfs/ls/", "adfs"},
      {"https://sts.corp.test/ADFS/ls/", "adfs"},
      {"https://sts.corp.test/sso/adfs/", "sts.corp.test"},
      {"https://auth.pingone.com/x", "ping"},
      {"https://sso.corp.pingidentity.com/x", "ping"},
      {"https://corp.onelogin.com/trust/saml2", "onelogin"},
      {"https://sso-1.duosecurity.com/saml2", "duo"},
      {"https://accounts.google.com/o/saml2", "google"},
      {"https://user:pw@idp.corp.test:8443/login", "idp.corp.test"},
      {"https://idp.corp.test?x=1", "idp.corp.test"},
      {"https://", "unknown"},
      {"https:///adfs/ls", "unknown"},
      {"idp.corp.test/adfs/ls", "unknown"},
      {"https://bad host.test/", "unknown"},
      {"https://h\xc3\xa9.test/", "unknown"},
      {"", "unknown"},
      {NULL, "unknown"},
  };

  (void)state;
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char name[LC_IDENTITY_IDP_MAX];

    lc_identity_idp_name(cases[i].url, name, sizeof(name));
    print_message("# idp %s -> %s\n", cases[i].url ? cases[i].url : "(null)",
                  name);
    assert_string_equal(name, cases[i].name);
  }
}

/* A host longer than the buffer is cut, never overflowed. */
static void test_idp_name_long_host(void **state)
{
  char url[400] = "https://";
  char name[16];

  (void)state;
  memset(url + 8, 'a', 300);
  url[308] = '\0';
  lc_identity_idp_name(url, name, sizeof(name));
  assert_string_equal(name, "unknown"); /* host too long to keep */
  memcpy(url + 8, "a.b.c.d.e.f.g.h.i.j/", 21);
  lc_identity_idp_name(url, name, sizeof(name));
  assert_string_equal(name, "a.b.c.d.e.f.g.h");
}

static void test_url_encode(void **state)
{
  char buf[64];

  (void)state;
  assert_int_equal(lc_identity_url_encode("a.b-c_d~e@x.test", buf, sizeof(buf)),
                   LC_OK);
  assert_string_equal(buf, "a.b-c_d~e%40x.test");
  assert_int_equal(lc_identity_url_encode("a+b c&d=e/f?#%", buf, sizeof(buf)),
                   LC_OK);
  assert_string_equal(buf, "a%2Bb%20c%26d%3De%2Ff%3F%23%25");
  assert_int_equal(lc_identity_url_encode("\xc3\xa9@x", buf, sizeof(buf)),
                   LC_OK);
  assert_string_equal(buf, "%C3%A9%40x");
  assert_int_equal(lc_identity_url_encode("", buf, sizeof(buf)), LC_OK);
  assert_string_equal(buf, "");
}

static void test_url_encode_limit(void **state)
{
  char buf[6];

  (void)state;
  assert_int_equal(lc_identity_url_encode("abcde", buf, sizeof(buf)), LC_OK);
  assert_string_equal(buf, "abcde");
  assert_int_equal(lc_identity_url_encode("abcdef", buf, sizeof(buf)),
                   LC_ERR_LIMIT);
  assert_string_equal(buf, "");
  assert_int_equal(lc_identity_url_encode("abc@", buf, sizeof(buf)),
                   LC_ERR_LIMIT);
  assert_string_equal(buf, "");
  assert_int_equal(lc_identity_url_encode("ab@", buf, sizeof(buf)), LC_OK);
  assert_string_equal(buf, "ab%40");
}

static void test_utf8_valid(void **state)
{
  (void)state;
  assert_true(lc_identity_utf8_valid("alice@corp.test"));
  assert_true(lc_identity_utf8_valid("j\xc3\xb6rg@corp.test"));
  assert_true(lc_identity_utf8_valid(""));
  assert_false(lc_identity_utf8_valid("\xff@corp.test"));
  assert_false(lc_identity_utf8_valid("\xc3@corp.test"));     /* cut short */
  assert_false(lc_identity_utf8_valid("\xc0\xaf@corp.test")); /* overlong */
}

static void test_credential_body(void **state)
{
  char *body;

  (void)state;
  body = lc_identity_credential_body("alice@corp.test");
  assert_non_null(body);
  assert_string_equal(body, "{\"Username\":\"alice@corp.test\"}");
  free(body);
  body = lc_identity_credential_body("\"a\\b\"@corp.test");
  assert_non_null(body);
  assert_string_equal(body, "{\"Username\":\"\\\"a\\\\b\\\"@corp.test\"}");
  free(body);
  body = lc_identity_credential_body("j\xc3\xb6rg@corp.test");
  assert_non_null(body);
  assert_string_equal(body, "{\"Username\":\"j\xc3\xb6rg@corp.test\"}");
  free(body);
  assert_null(lc_identity_credential_body("\xff@corp.test"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_realm_table),
      cmocka_unit_test(test_parse_realm_length),
      cmocka_unit_test(test_parse_realm_deep),
      cmocka_unit_test(test_parse_credential_table),
      cmocka_unit_test(test_idp_names),
      cmocka_unit_test(test_idp_name_long_host),
      cmocka_unit_test(test_url_encode),
      cmocka_unit_test(test_url_encode_limit),
      cmocka_unit_test(test_utf8_valid),
      cmocka_unit_test(test_credential_body),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
