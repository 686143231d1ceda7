/* Unit tests of the verdict decision table (engine/verdict.c against
 * docs/verdicts.md).
 *
 * Each case names the row it expects, and the verdict must report that row
 * as well as the status and reason. The loops at the end check the rules
 * that hold across rows: an unreliable identity never changes a verdict,
 * the identity rows only decide undecided outcomes, and a 4xx alone is
 * never undeliverable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/verdict.h"

struct verdict_case {
  const char *name;
  struct lc_addr_obs addr;
  struct lc_domain_obs domain;
  unsigned row;
  enum lc_verdict_status status;
  enum lc_reason reason;
};

/* The case table starts from defaults and overrides some fields, which is
 * what designated initializers are for here. */
#pragma GCC diagnostic ignored "-Woverride-init"

/* Observations of a checked address on a domain whose server validates:
 * the probe drew 550 5.1.1 and another recipient was accepted. */
#define ADDR(...)                                                              \
  {                                                                            \
    .smtp_checked = true, .rcpt = LC_RCPT_ACCEPTED, __VA_ARGS__                \
  }
#define DOMAIN(...)                                                            \
  {                                                                            \
    .dns = LC_DNS_OK, .catch_all = LC_TRI_FALSE,                               \
    .probe = LC_RCPT_MAILBOX_NOT_FOUND, .probe_code = 550,                     \
    .probe_enhanced = "5.1.1", .any_accepted = true, __VA_ARGS__               \
  }
/* A gateway that rejected the probe and accepted no real recipient. */
#define GATEWAY_NOT_VALIDATING DOMAIN(.gateway = true, .any_accepted = false)
#define CATCH_ALL                                                              \
  DOMAIN(.catch_all = LC_TRI_TRUE, .probe = LC_RCPT_ACCEPTED,                  \
         .probe_code = 250, .probe_enhanced = "2.1.5")

#define U LC_STATUS_UNKNOWN
#define D LC_STATUS_DELIVERABLE
#define X LC_STATUS_UNDELIVERABLE
#define R LC_STATUS_RISKY

static struct verdict_case cases[] = {
    {"row 1 csv error", ADDR(.csv_error = true, .empty = true, .invalid = true),
     DOMAIN(.dns = LC_DNS_NXDOMAIN), 1, U, LC_REASON_CSV_ERROR},
    {"row 2 empty address", ADDR(.empty = true, .invalid = true),
     DOMAIN(.dns = LC_DNS_NXDOMAIN), 2, X, LC_REASON_MISSING_ADDRESS},
    {"row 3 invalid syntax", ADDR(.invalid = true),
     DOMAIN(.dns = LC_DNS_NXDOMAIN), 3, X, LC_REASON_INVALID_SYNTAX},
    {"row 4 nxdomain", ADDR(.disposable = true), DOMAIN(.dns = LC_DNS_NXDOMAIN),
     4, X, LC_REASON_NO_DOMAIN},
    {"row 5 null mx", ADDR(), DOMAIN(.dns = LC_DNS_NULL_MX), 5, X,
     LC_REASON_NO_MAIL_SERVER},
    {"row 6 no mail server", ADDR(), DOMAIN(.dns = LC_DNS_NO_MAIL_SERVER), 6, X,
     LC_REASON_NO_MAIL_SERVER},
    {"row 7 dns error", ADDR(), DOMAIN(.dns = LC_DNS_ERROR), 7, U,
     LC_REASON_DNS_ERROR},
    {"row 8 unreachable mx", ADDR(), DOMAIN(.dns = LC_DNS_UNREACHABLE), 8, R,
     LC_REASON_UNREACHABLE_MX},
    {"row 9 unchecked disposable",
     ADDR(.smtp_checked = false, .rcpt = LC_RCPT_NOT_PROBED, .disposable = true,
          .role = true),
     DOMAIN(), 9, R, LC_REASON_DISPOSABLE},
    {"row 9 unprobed disposable",
     ADDR(.rcpt = LC_RCPT_NOT_PROBED, .disposable = true), DOMAIN(), 9, R,
     LC_REASON_DISPOSABLE},
    {"row 10 unchecked role",
     ADDR(.smtp_checked = false, .rcpt = LC_RCPT_NOT_PROBED, .role = true),
     DOMAIN(), 10, R, LC_REASON_ROLE_ACCOUNT},
    {"row 11 unchecked role ok",
     ADDR(.smtp_checked = false, .rcpt = LC_RCPT_NOT_PROBED, .role = true,
          .role_ok = true),
     DOMAIN(), 11, U, LC_REASON_NOT_CHECKED},
    {"row 11 not checked",
     ADDR(.smtp_checked = false, .rcpt = LC_RCPT_NOT_PROBED,
          .identity = LC_IDENTITY_EXISTS),
     DOMAIN(.dns = LC_DNS_IMPLICIT_MX), 11, U, LC_REASON_NOT_CHECKED},
    {"row 11 checked but not probed",
     ADDR(.rcpt = LC_RCPT_NOT_PROBED, .identity = LC_IDENTITY_ABSENT), DOMAIN(),
     11, U, LC_REASON_NOT_CHECKED},

    {"row 12 accepted disposable", ADDR(.disposable = true, .role = true),
     DOMAIN(), 12, R, LC_REASON_DISPOSABLE},
    {"row 12 before catch-all rows",
     ADDR(.disposable = true, .identity = LC_IDENTITY_EXISTS), CATCH_ALL, 12, R,
     LC_REASON_DISPOSABLE},
    {"row 13 accepted role", ADDR(.role = true), DOMAIN(), 13, R,
     LC_REASON_ROLE_ACCOUNT},
    {"row 13 before catch-all rows",
     ADDR(.role = true, .identity = LC_IDENTITY_ABSENT), CATCH_ALL, 13, R,
     LC_REASON_ROLE_ACCOUNT},
    {"row 14 catch-all identity exists", ADDR(.identity = LC_IDENTITY_EXISTS),
     CATCH_ALL, 14, D, LC_REASON_IDENTITY_CONFIRMED},
    {"row 15 catch-all identity absent", ADDR(.identity = LC_IDENTITY_ABSENT),
     CATCH_ALL, 15, X, LC_REASON_IDENTITY_ABSENT},
    {"row 16 catch-all", ADDR(), CATCH_ALL, 16, R, LC_REASON_ACCEPT_ALL},
    {"row 16 catch-all role ok", ADDR(.role = true, .role_ok = true), CATCH_ALL,
     16, R, LC_REASON_ACCEPT_ALL},
    {"row 16 catch-all unreliable identity",
     ADDR(.identity = LC_IDENTITY_UNRELIABLE), CATCH_ALL, 16, R,
     LC_REASON_ACCEPT_ALL},
    {"row 16 probe accepted flag unset", ADDR(),
     DOMAIN(.catch_all = LC_TRI_UNSET, .probe = LC_RCPT_ACCEPTED,
            .probe_code = 250),
     16, R, LC_REASON_ACCEPT_ALL},
    {"row 17 accepted", ADDR(), DOMAIN(), 17, D, LC_REASON_ACCEPTED},
    {"row 17 accepted role ok", ADDR(.role = true, .role_ok = true), DOMAIN(),
     17, D, LC_REASON_ACCEPTED},
    {"row 17 ignores identity absent", ADDR(.identity = LC_IDENTITY_ABSENT),
     DOMAIN(), 17, D, LC_REASON_ACCEPTED},
    {"row 17 catch-all unknown", ADDR(),
     DOMAIN(.catch_all = LC_TRI_UNSET, .probe = LC_RCPT_TIMEOUT,
            .probe_code = 0),
     17, D, LC_REASON_ACCEPTED},

    {"row 18 not found", ADDR(.rcpt = LC_RCPT_MAILBOX_NOT_FOUND), DOMAIN(), 18,
     X, LC_REASON_MAILBOX_NOT_FOUND},
    {"row 18 ignores identity exists",
     ADDR(.rcpt = LC_RCPT_MAILBOX_NOT_FOUND, .identity = LC_IDENTITY_EXISTS),
     DOMAIN(.any_accepted = false), 18, X, LC_REASON_MAILBOX_NOT_FOUND},
    {"row 18 before disposable",
     ADDR(.rcpt = LC_RCPT_MAILBOX_NOT_FOUND, .disposable = true), DOMAIN(), 18,
     X, LC_REASON_MAILBOX_NOT_FOUND},
    {"row 19 gateway validates", ADDR(.rcpt = LC_RCPT_MAILBOX_NOT_FOUND),
     DOMAIN(.gateway = true), 19, X, LC_REASON_MAILBOX_NOT_FOUND},
    {"row 20 disabled", ADDR(.rcpt = LC_RCPT_MAILBOX_DISABLED), DOMAIN(), 20, X,
     LC_REASON_MAILBOX_DISABLED},
    {"row 20 disabled gateway validates",
     ADDR(.rcpt = LC_RCPT_MAILBOX_DISABLED), DOMAIN(.gateway = true), 20, X,
     LC_REASON_MAILBOX_DISABLED},
    {"row 21 same code as probe",
     ADDR(.rcpt = LC_RCPT_REJECTED, .rcpt_code = 550),
     DOMAIN(.probe = LC_RCPT_REJECTED, .probe_enhanced = ""), 21, X,
     LC_REASON_MAILBOX_NOT_FOUND},
    {"row 21 gateway same code",
     ADDR(.rcpt = LC_RCPT_REJECTED, .rcpt_code = 550, .rcpt_enhanced = "5.0.0"),
     DOMAIN(.gateway = true, .probe = LC_RCPT_REJECTED,
            .probe_enhanced = "5.0.0"),
     21, X, LC_REASON_MAILBOX_NOT_FOUND},
    {"row 22 full", ADDR(.rcpt = LC_RCPT_MAILBOX_FULL, .rcpt_code = 552),
     DOMAIN(), 22, R, LC_REASON_MAILBOX_FULL},
    {"row 22 ignores identity absent",
     ADDR(.rcpt = LC_RCPT_MAILBOX_FULL, .rcpt_code = 452,
          .identity = LC_IDENTITY_ABSENT),
     GATEWAY_NOT_VALIDATING, 22, R, LC_REASON_MAILBOX_FULL},

    {"row 23 greylisted identity exists",
     ADDR(.rcpt = LC_RCPT_GREYLISTED, .rcpt_code = 451,
          .identity = LC_IDENTITY_EXISTS),
     DOMAIN(), 23, D, LC_REASON_IDENTITY_CONFIRMED},
    {"row 23 gateway rejection identity exists",
     ADDR(.rcpt = LC_RCPT_MAILBOX_NOT_FOUND, .identity = LC_IDENTITY_EXISTS),
     GATEWAY_NOT_VALIDATING, 23, D, LC_REASON_IDENTITY_CONFIRMED},
    {"row 23 blocked identity exists",
     ADDR(.rcpt = LC_RCPT_POLICY_REJECTED, .identity = LC_IDENTITY_EXISTS),
     DOMAIN(), 23, D, LC_REASON_IDENTITY_CONFIRMED},
    {"row 24 timeout identity absent",
     ADDR(.rcpt = LC_RCPT_TIMEOUT, .identity = LC_IDENTITY_ABSENT), DOMAIN(),
     24, X, LC_REASON_IDENTITY_ABSENT},
    {"row 24 4xx identity absent",
     ADDR(.rcpt = LC_RCPT_TEMPORARY, .rcpt_code = 450,
          .identity = LC_IDENTITY_ABSENT),
     DOMAIN(), 24, X, LC_REASON_IDENTITY_ABSENT},
    {"row 24 gateway disabled identity absent",
     ADDR(.rcpt = LC_RCPT_MAILBOX_DISABLED, .identity = LC_IDENTITY_ABSENT),
     GATEWAY_NOT_VALIDATING, 24, X, LC_REASON_IDENTITY_ABSENT},

    {"row 25 gateway not found", ADDR(.rcpt = LC_RCPT_MAILBOX_NOT_FOUND),
     GATEWAY_NOT_VALIDATING, 25, U, LC_REASON_GATEWAY_REJECTED},
    {"row 25 gateway probe deferred", ADDR(.rcpt = LC_RCPT_MAILBOX_NOT_FOUND),
     DOMAIN(.gateway = true, .probe = LC_RCPT_GREYLISTED, .probe_code = 451),
     25, U, LC_REASON_GATEWAY_REJECTED},
    {"row 25 gateway disabled", ADDR(.rcpt = LC_RCPT_MAILBOX_DISABLED),
     GATEWAY_NOT_VALIDATING, 25, U, LC_REASON_GATEWAY_REJECTED},
    {"row 25 gateway rejected",
     ADDR(.rcpt = LC_RCPT_REJECTED, .rcpt_code = 550), GATEWAY_NOT_VALIDATING,
     25, U, LC_REASON_GATEWAY_REJECTED},
    {"row 25 unreliable identity",
     ADDR(.rcpt = LC_RCPT_MAILBOX_NOT_FOUND,
          .identity = LC_IDENTITY_UNRELIABLE),
     GATEWAY_NOT_VALIDATING, 25, U, LC_REASON_GATEWAY_REJECTED},
    {"row 26 policy", ADDR(.rcpt = LC_RCPT_POLICY_REJECTED, .rcpt_code = 554),
     DOMAIN(), 26, U, LC_REASON_BLOCKED},
    {"row 26 policy at gateway", ADDR(.rcpt = LC_RCPT_POLICY_REJECTED),
     GATEWAY_NOT_VALIDATING, 26, U, LC_REASON_BLOCKED},
    {"row 26 rejected other code",
     ADDR(.rcpt = LC_RCPT_REJECTED, .rcpt_code = 551), DOMAIN(), 26, U,
     LC_REASON_BLOCKED},
    {"row 26 rejected other enhanced",
     ADDR(.rcpt = LC_RCPT_REJECTED, .rcpt_code = 550, .rcpt_enhanced = "5.0.0"),
     DOMAIN(.probe = LC_RCPT_REJECTED, .probe_enhanced = ""), 26, U,
     LC_REASON_BLOCKED},
    {"row 26 rejected not validating",
     ADDR(.rcpt = LC_RCPT_REJECTED, .rcpt_code = 550),
     DOMAIN(.probe = LC_RCPT_REJECTED, .probe_enhanced = "",
            .any_accepted = false),
     26, U, LC_REASON_BLOCKED},
    {"row 27 greylisted", ADDR(.rcpt = LC_RCPT_GREYLISTED, .rcpt_code = 450),
     DOMAIN(), 27, U, LC_REASON_GREYLISTED},
    {"row 27 temporary", ADDR(.rcpt = LC_RCPT_TEMPORARY, .rcpt_code = 451),
     DOMAIN(), 27, U, LC_REASON_GREYLISTED},
    {"row 28 rate limited",
     ADDR(.rcpt = LC_RCPT_RATE_LIMITED, .rcpt_code = 421), DOMAIN(), 28, U,
     LC_REASON_RATE_LIMITED},
    {"row 29 timeout", ADDR(.rcpt = LC_RCPT_TIMEOUT), DOMAIN(), 29, U,
     LC_REASON_TIMEOUT},
    {"row 30 dropped", ADDR(.rcpt = LC_RCPT_DROPPED), DOMAIN(), 30, U,
     LC_REASON_CONNECTION_FAILED},
    {"row 30 connection failed", ADDR(.rcpt = LC_RCPT_CONNECTION_FAILED),
     DOMAIN(), 30, U, LC_REASON_CONNECTION_FAILED},
    {"row 31 tls failed", ADDR(.rcpt = LC_RCPT_TLS_FAILED), DOMAIN(), 31, U,
     LC_REASON_TLS_FAILED},
    {"row 32 protocol error", ADDR(.rcpt = LC_RCPT_PROTOCOL_ERROR), DOMAIN(),
     32, U, LC_REASON_PROTOCOL_ERROR},
    {"row 0 rcpt out of range", ADDR(.rcpt = (enum lc_rcpt_class)99), DOMAIN(),
     0, U, LC_REASON_NOT_CHECKED},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define ROWS 32

static void test_verdict_case(void **state)
{
  const struct verdict_case *c = *state;
  struct lc_verdict verdict = lc_verdict_decide(&c->addr, &c->domain);

  assert_int_equal(verdict.row, c->row);
  assert_string_equal(lc_status_name(verdict.status),
                      lc_status_name(c->status));
  assert_string_equal(lc_reason_name(verdict.reason),
                      lc_reason_name(c->reason));
}

/* Every row of the table has at least one case. */
static void test_every_row_covered(void **state)
{
  bool seen[ROWS + 1] = {false};

  (void)state;
  for (size_t i = 0; i < COUNT(cases); i++)
    seen[cases[i].row] = true;
  for (unsigned row = 1; row <= ROWS; row++) {
    if (!seen[row])
      print_error("row %u has no case\n", row);
    assert_true(seen[row]);
  }
}

static const enum lc_rcpt_class all_classes[] = {
    LC_RCPT_NOT_PROBED,        LC_RCPT_ACCEPTED,     LC_RCPT_MAILBOX_NOT_FOUND,
    LC_RCPT_MAILBOX_DISABLED,  LC_RCPT_MAILBOX_FULL, LC_RCPT_REJECTED,
    LC_RCPT_POLICY_REJECTED,   LC_RCPT_GREYLISTED,   LC_RCPT_RATE_LIMITED,
    LC_RCPT_TEMPORARY,         LC_RCPT_TIMEOUT,      LC_RCPT_DROPPED,
    LC_RCPT_CONNECTION_FAILED, LC_RCPT_TLS_FAILED,   LC_RCPT_PROTOCOL_ERROR,
};

/* Calls CHECK for many combinations of SMTP outcome, domain facts and
 * address flags. Identity is left NOT_CHECKED for CHECK to vary. */
static void for_each_observation(void (*check)(struct lc_addr_obs *,
                                               const struct lc_domain_obs *))
{
  static const int codes[] = {0, 250, 450, 550, 554};
  static const enum lc_tristate catch_all[] = {LC_TRI_UNSET, LC_TRI_FALSE,
                                               LC_TRI_TRUE};

  for (size_t c = 0; c < COUNT(all_classes); c++)
    for (size_t p = 0; p < COUNT(all_classes); p++)
      for (size_t code = 0; code < COUNT(codes); code++)
        for (unsigned bits = 0; bits < 32; bits++) {
          struct lc_addr_obs addr = {.smtp_checked = true};
          struct lc_domain_obs domain = {.dns = LC_DNS_OK};

          addr.rcpt = all_classes[c];
          addr.rcpt_code = codes[code];
          addr.disposable = bits & 1;
          addr.role = bits & 2;
          domain.gateway = bits & 4;
          domain.any_accepted = bits & 8;
          domain.catch_all = catch_all[(bits >> 4) + (code % 2)];
          domain.probe = all_classes[p];
          domain.probe_code = codes[(code + bits) % COUNT(codes)];
          check(&addr, &domain);
        }
}

static void check_unreliable(struct lc_addr_obs *addr,
                             const struct lc_domain_obs *domain)
{
  struct lc_verdict plain, unreliable;

  addr->identity = LC_IDENTITY_NOT_CHECKED;
  plain = lc_verdict_decide(addr, domain);
  addr->identity = LC_IDENTITY_UNRELIABLE;
  unreliable = lc_verdict_decide(addr, domain);
  assert_int_equal(unreliable.row, plain.row);
  assert_int_equal(unreliable.status, plain.status);
  assert_int_equal(unreliable.reason, plain.reason);
}

static void test_unreliable_identity_ignored(void **state)
{
  (void)state;
  for_each_observation(check_unreliable);
}

/* An identity result changes a verdict only from row 23 on, or on a
 * catch-all domain (rows 14 and 15). */
static void check_identity_rows(struct lc_addr_obs *addr,
                                const struct lc_domain_obs *domain)
{
  static const enum lc_identity answers[] = {LC_IDENTITY_EXISTS,
                                             LC_IDENTITY_ABSENT};
  struct lc_verdict plain, with;

  addr->identity = LC_IDENTITY_NOT_CHECKED;
  plain = lc_verdict_decide(addr, domain);
  for (size_t i = 0; i < COUNT(answers); i++) {
    addr->identity = answers[i];
    with = lc_verdict_decide(addr, domain);
    if (plain.row == 16 || plain.row >= 25 || plain.row == 0) {
      assert_true(with.row == 14 || with.row == 15 || with.row == 23 ||
                  with.row == 24);
      continue;
    }
    assert_int_equal(with.row, plain.row);
    assert_int_equal(with.reason, plain.reason);
  }
}

static void test_identity_only_when_undecided(void **state)
{
  (void)state;
  for_each_observation(check_identity_rows);
}

/* Deferrals alone never give undeliverable. With a trusted absent identity
 * the reason names the identity check, never the mailbox. */
static void check_4xx(struct lc_addr_obs *addr,
                      const struct lc_domain_obs *domain)
{
  static const enum lc_identity identities[] = {
      LC_IDENTITY_NOT_CHECKED, LC_IDENTITY_EXISTS, LC_IDENTITY_ABSENT,
      LC_IDENTITY_UNRELIABLE};

  if (addr->rcpt != LC_RCPT_GREYLISTED && addr->rcpt != LC_RCPT_TEMPORARY &&
      addr->rcpt != LC_RCPT_RATE_LIMITED && addr->rcpt != LC_RCPT_MAILBOX_FULL)
    return;
  addr->rcpt_code = 450;
  for (size_t i = 0; i < COUNT(identities); i++) {
    struct lc_verdict verdict;

    addr->identity = identities[i];
    verdict = lc_verdict_decide(addr, domain);
    if (verdict.status == LC_STATUS_UNDELIVERABLE) {
      assert_int_equal(addr->identity, LC_IDENTITY_ABSENT);
      assert_int_equal(verdict.reason, LC_REASON_IDENTITY_ABSENT);
    }
    assert_int_not_equal(verdict.reason, LC_REASON_MAILBOX_NOT_FOUND);
    assert_int_not_equal(verdict.reason, LC_REASON_MAILBOX_DISABLED);
  }
}

static void test_4xx_never_undeliverable(void **state)
{
  (void)state;
  for_each_observation(check_4xx);
}

static void test_domain_validates(void **state)
{
  struct {
    int probe_code;
    bool any_accepted;
    bool validates;
  } cases_[] = {
      {550, true, true},   {500, true, true},  {599, true, true},
      {550, false, false}, {450, true, false}, {250, true, false},
      {0, true, false},    {600, true, false},
  };

  (void)state;
  for (size_t i = 0; i < COUNT(cases_); i++) {
    struct lc_domain_obs domain = {.probe_code = cases_[i].probe_code,
                                   .any_accepted = cases_[i].any_accepted};

    assert_int_equal(lc_verdict_domain_validates(&domain), cases_[i].validates);
  }
}

static void test_reason_names(void **state)
{
  static const struct {
    enum lc_reason reason;
    const char *name;
    enum lc_verdict_status status;
  } names[] = {
      {LC_REASON_ACCEPTED, "accepted", D},
      {LC_REASON_IDENTITY_CONFIRMED, "identity_confirmed", D},
      {LC_REASON_INVALID_SYNTAX, "invalid_syntax", X},
      {LC_REASON_MISSING_ADDRESS, "missing_address", X},
      {LC_REASON_NO_DOMAIN, "no_domain", X},
      {LC_REASON_NO_MAIL_SERVER, "no_mail_server", X},
      {LC_REASON_MAILBOX_NOT_FOUND, "mailbox_not_found", X},
      {LC_REASON_MAILBOX_DISABLED, "mailbox_disabled", X},
      {LC_REASON_IDENTITY_ABSENT, "identity_absent", X},
      {LC_REASON_ACCEPT_ALL, "accept_all", R},
      {LC_REASON_DISPOSABLE, "disposable", R},
      {LC_REASON_ROLE_ACCOUNT, "role_account", R},
      {LC_REASON_MAILBOX_FULL, "mailbox_full", R},
      {LC_REASON_UNREACHABLE_MX, "unreachable_mx", R},
      {LC_REASON_GATEWAY_REJECTED, "gateway_rejected", U},
      {LC_REASON_GREYLISTED, "greylisted", U},
      {LC_REASON_BLOCKED, "blocked", U},
      {LC_REASON_RATE_LIMITED, "rate_limited", U},
      {LC_REASON_TIMEOUT, "timeout", U},
      {LC_REASON_CONNECTION_FAILED, "connection_failed", U},
      {LC_REASON_DNS_ERROR, "dns_error", U},
      {LC_REASON_TLS_FAILED, "tls_failed", U},
      {LC_REASON_PROTOCOL_ERROR, "protocol_error", U},
      {LC_REASON_CSV_ERROR, "csv_error", U},
      {LC_REASON_NOT_CHECKED, "not_checked", U},
  };

  (void)state;
  assert_int_equal(COUNT(names), LC_REASON_COUNT);
  for (size_t i = 0; i < COUNT(names); i++) {
    assert_string_equal(lc_reason_name(names[i].reason), names[i].name);
    assert_int_equal(lc_reason_status(names[i].reason), names[i].status);
  }
  assert_string_equal(lc_reason_name(LC_REASON_COUNT), "invalid");
  assert_int_equal(lc_reason_status(LC_REASON_COUNT), U);
}

static void test_other_names(void **state)
{
  (void)state;
  assert_string_equal(lc_status_name(D), "deliverable");
  assert_string_equal(lc_status_name(X), "undeliverable");
  assert_string_equal(lc_status_name(R), "risky");
  assert_string_equal(lc_status_name(U), "unknown");
  assert_string_equal(lc_status_name((enum lc_verdict_status)9), "invalid");
  assert_string_equal(lc_identity_name(LC_IDENTITY_NOT_CHECKED), "not_checked");
  assert_string_equal(lc_identity_name(LC_IDENTITY_EXISTS), "exists");
  assert_string_equal(lc_identity_name(LC_IDENTITY_ABSENT), "absent");
  assert_string_equal(lc_identity_name(LC_IDENTITY_UNRELIABLE), "unreliable");
  assert_string_equal(lc_identity_name((enum lc_identity)9), "invalid");
  assert_string_equal(lc_rcpt_class_name(LC_RCPT_NOT_PROBED), "not_probed");
  assert_string_equal(lc_rcpt_class_name(LC_RCPT_POLICY_REJECTED),
                      "policy_rejected");
  assert_string_equal(lc_rcpt_class_name(LC_RCPT_PROTOCOL_ERROR),
                      "protocol_error");
  assert_string_equal(lc_rcpt_class_name((enum lc_rcpt_class)99), "invalid");
  for (size_t i = 0; i < COUNT(all_classes); i++)
    assert_string_not_equal(lc_rcpt_class_name(all_classes[i]), "invalid");
}

int main(void)
{
  static const struct CMUnitTest fixed[] = {
      cmocka_unit_test(test_every_row_covered),
      cmocka_unit_test(test_unreliable_identity_ignored),
      cmocka_unit_test(test_identity_only_when_undecided),
      cmocka_unit_test(test_4xx_never_undeliverable),
      cmocka_unit_test(test_domain_validates),
      cmocka_unit_test(test_reason_names),
      cmocka_unit_test(test_other_names),
  };
  struct CMUnitTest tests[COUNT(cases) + COUNT(fixed)];
  int failed;

  for (size_t i = 0; i < COUNT(cases); i++) {
    struct CMUnitTest t = {cases[i].name, test_verdict_case, NULL, NULL,
                           &cases[i]};

    tests[i] = t;
  }
  memcpy(tests + COUNT(cases), fixed, sizeof(fixed));
  failed = _cmocka_run_group_tests("verdict", tests,
                                   COUNT(cases) + COUNT(fixed), NULL, NULL);
  return failed == 0 ? 0 : 1;
}
