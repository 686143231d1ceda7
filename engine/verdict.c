/* The verdict decision table of docs/verdicts.md, and the column names of
 * the verdict vocabulary.
 *
 * lc_verdict_decide() walks the rows in the order of the document. Address
 * and DNS come first (rows 1 to 11), then accepted RCPTs (12 to 17) and
 * rejections that name the mailbox (18 to 22). The undecided outcomes come
 * last: a trusted identity result decides them (23, 24) before the SMTP
 * outcome does (25 to 32). Each verdict records the row that produced it, so
 * tests and logs can name the rule.
 */
#include "engine/verdict.h"

#include <string.h>

static bool decide_address(const struct lc_addr_obs *addr,
                           const struct lc_domain_obs *domain,
                           struct lc_verdict *verdict);
static bool decide_accepted(const struct lc_addr_obs *addr,
                            const struct lc_domain_obs *domain,
                            struct lc_verdict *verdict);
static bool decide_mailbox(const struct lc_addr_obs *addr,
                           const struct lc_domain_obs *domain,
                           struct lc_verdict *verdict);
static bool decide_identity(const struct lc_addr_obs *addr,
                            struct lc_verdict *verdict);
static struct lc_verdict decide_outcome(const struct lc_addr_obs *addr,
                                        const struct lc_domain_obs *domain);

static const struct {
  const char *name;
  enum lc_verdict_status status;
} reason_table[LC_REASON_COUNT] = {
    [LC_REASON_ACCEPTED] = {"accepted", LC_STATUS_DELIVERABLE},
    [LC_REASON_IDENTITY_CONFIRMED] = {"identity_confirmed",
                                      LC_STATUS_DELIVERABLE},
    [LC_REASON_INVALID_SYNTAX] = {"invalid_syntax", LC_STATUS_UNDELIVERABLE},
    [LC_REASON_MISSING_ADDRESS] = {"missing_address", LC_STATUS_UNDELIVERABLE},
    [LC_REASON_NO_DOMAIN] = {"no_domain", LC_STATUS_UNDELIVERABLE},
    [LC_REASON_NO_MAIL_SERVER] = {"no_mail_server", LC_STATUS_UNDELIVERABLE},
    [LC_REASON_MAILBOX_NOT_FOUND] = {"mailbox_not_found",
                                     LC_STATUS_UNDELIVERABLE},
    [LC_REASON_MAILBOX_DISABLED] = {"mailbox_disabled",
                                    LC_STATUS_UNDELIVERABLE},
    [LC_REASON_IDENTITY_ABSENT] = {"identity_absent", LC_STATUS_UNDELIVERABLE},
    [LC_REASON_ACCEPT_ALL] = {"accept_all", LC_STATUS_RISKY},
    [LC_REASON_DISPOSABLE] = {"disposable", LC_STATUS_RISKY},
    [LC_REASON_ROLE_ACCOUNT] = {"role_account", LC_STATUS_RISKY},
    [LC_REASON_MAILBOX_FULL] = {"mailbox_full", LC_STATUS_RISKY},
    [LC_REASON_UNREACHABLE_MX] = {"unreachable_mx", LC_STATUS_RISKY},
    [LC_REASON_GATEWAY_REJECTED] = {"gateway_rejected", LC_STATUS_UNKNOWN},
    [LC_REASON_GREYLISTED] = {"greylisted", LC_STATUS_UNKNOWN},
    [LC_REASON_BLOCKED] = {"blocked", LC_STATUS_UNKNOWN},
    [LC_REASON_RATE_LIMITED] = {"rate_limited", LC_STATUS_UNKNOWN},
    [LC_REASON_TIMEOUT] = {"timeout", LC_STATUS_UNKNOWN},
    [LC_REASON_CONNECTION_FAILED] = {"connection_failed", LC_STATUS_UNKNOWN},
    [LC_REASON_DNS_ERROR] = {"dns_error", LC_STATUS_UNKNOWN},
    [LC_REASON_TLS_FAILED] = {"tls_failed", LC_STATUS_UNKNOWN},
    [LC_REASON_PROTOCOL_ERROR] = {"protocol_error", LC_STATUS_UNKNOWN},
    [LC_REASON_CSV_ERROR] = {"csv_error", LC_STATUS_UNKNOWN},
    [LC_REASON_NOT_CHECKED] = {"not_checked", LC_STATUS_UNKNOWN},
};

/* Builds the verdict of ROW. Every reason belongs to one status, so the
 * reason alone fixes the status column. */
static struct lc_verdict verdict_of(unsigned row, enum lc_reason reason)
{
  struct lc_verdict verdict = {lc_reason_status(reason), reason, row};

  return verdict;
}

struct lc_verdict lc_verdict_decide(const struct lc_addr_obs *addr,
                                    const struct lc_domain_obs *domain)
{
  struct lc_verdict verdict;

  if (decide_address(addr, domain, &verdict) ||
      decide_accepted(addr, domain, &verdict) ||
      decide_mailbox(addr, domain, &verdict) || decide_identity(addr, &verdict))
    return verdict;
  return decide_outcome(addr, domain);
}

bool lc_verdict_domain_validates(const struct lc_domain_obs *domain)
{
  return domain->probe_code >= 500 && domain->probe_code <= 599 &&
         domain->any_accepted;
}

/* Rows 1 to 11: the record, the address, DNS, and addresses without an
 * RCPT answer. */
static bool decide_address(const struct lc_addr_obs *addr,
                           const struct lc_domain_obs *domain,
                           struct lc_verdict *verdict)
{
  if (addr->csv_error)
    *verdict = verdict_of(1, LC_REASON_CSV_ERROR);
  else if (addr->empty)
    *verdict = verdict_of(2, LC_REASON_MISSING_ADDRESS);
  else if (addr->invalid)
    *verdict = verdict_of(3, LC_REASON_INVALID_SYNTAX);
  else if (domain->dns == LC_DNS_NXDOMAIN)
    *verdict = verdict_of(4, LC_REASON_NO_DOMAIN);
  else if (domain->dns == LC_DNS_NULL_MX)
    *verdict = verdict_of(5, LC_REASON_NO_MAIL_SERVER);
  else if (domain->dns == LC_DNS_NO_MAIL_SERVER)
    *verdict = verdict_of(6, LC_REASON_NO_MAIL_SERVER);
  else if (domain->dns == LC_DNS_ERROR)
    *verdict = verdict_of(7, LC_REASON_DNS_ERROR);
  else if (domain->dns == LC_DNS_UNREACHABLE)
    *verdict = verdict_of(8, LC_REASON_UNREACHABLE_MX);
  else if (addr->smtp_checked && addr->rcpt != LC_RCPT_NOT_PROBED)
    return false;
  else if (addr->disposable)
    *verdict = verdict_of(9, LC_REASON_DISPOSABLE);
  else if (addr->role && !addr->role_ok)
    *verdict = verdict_of(10, LC_REASON_ROLE_ACCOUNT);
  else
    *verdict = verdict_of(11, LC_REASON_NOT_CHECKED);
  return true;
}

/* Rows 12 to 17: the RCPT was accepted. */
static bool decide_accepted(const struct lc_addr_obs *addr,
                            const struct lc_domain_obs *domain,
                            struct lc_verdict *verdict)
{
  /* Either field shows a catch-all. If they disagree, the accepted RCPT
   * proves less, so the safer reading wins. */
  bool catch_all =
      domain->catch_all == LC_TRI_TRUE || domain->probe == LC_RCPT_ACCEPTED;

  if (addr->rcpt != LC_RCPT_ACCEPTED)
    return false;
  if (addr->disposable)
    *verdict = verdict_of(12, LC_REASON_DISPOSABLE);
  else if (addr->role && !addr->role_ok)
    *verdict = verdict_of(13, LC_REASON_ROLE_ACCOUNT);
  else if (catch_all && addr->identity == LC_IDENTITY_EXISTS)
    *verdict = verdict_of(14, LC_REASON_IDENTITY_CONFIRMED);
  else if (catch_all && addr->identity == LC_IDENTITY_ABSENT)
    *verdict = verdict_of(15, LC_REASON_IDENTITY_ABSENT);
  else if (catch_all)
    *verdict = verdict_of(16, LC_REASON_ACCEPT_ALL);
  else
    *verdict = verdict_of(17, LC_REASON_ACCEPTED);
  return true;
}

/* Whether the address got the same basic and enhanced code as the random
 * probe of its domain. */
static bool same_code_as_probe(const struct lc_addr_obs *addr,
                               const struct lc_domain_obs *domain)
{
  return addr->rcpt_code == domain->probe_code &&
         strncmp(addr->rcpt_enhanced, domain->probe_enhanced,
                 sizeof(addr->rcpt_enhanced)) == 0;
}

/* Rows 18 to 22: rejections that are evidence about the mailbox. */
static bool decide_mailbox(const struct lc_addr_obs *addr,
                           const struct lc_domain_obs *domain,
                           struct lc_verdict *verdict)
{
  bool validates = lc_verdict_domain_validates(domain);

  if (addr->rcpt == LC_RCPT_MAILBOX_NOT_FOUND && !domain->gateway)
    *verdict = verdict_of(18, LC_REASON_MAILBOX_NOT_FOUND);
  else if (addr->rcpt == LC_RCPT_MAILBOX_NOT_FOUND && validates)
    *verdict = verdict_of(19, LC_REASON_MAILBOX_NOT_FOUND);
  else if (addr->rcpt == LC_RCPT_MAILBOX_DISABLED &&
           (!domain->gateway || validates))
    *verdict = verdict_of(20, LC_REASON_MAILBOX_DISABLED);
  else if (addr->rcpt == LC_RCPT_REJECTED && validates &&
           same_code_as_probe(addr, domain))
    *verdict = verdict_of(21, LC_REASON_MAILBOX_NOT_FOUND);
  else if (addr->rcpt == LC_RCPT_MAILBOX_FULL)
    *verdict = verdict_of(22, LC_REASON_MAILBOX_FULL);
  else
    return false;
  return true;
}

/* Rows 23 and 24. Every outcome that reaches them left the mailbox's
 * existence open. An unreliable or missing identity result falls
 * through. */
static bool decide_identity(const struct lc_addr_obs *addr,
                            struct lc_verdict *verdict)
{
  if (addr->identity == LC_IDENTITY_EXISTS)
    *verdict = verdict_of(23, LC_REASON_IDENTITY_CONFIRMED);
  else if (addr->identity == LC_IDENTITY_ABSENT)
    *verdict = verdict_of(24, LC_REASON_IDENTITY_ABSENT);
  else
    return false;
  return true;
}

/* Rows 25 to 32: the SMTP outcome alone, all of them unknown. */
static struct lc_verdict decide_outcome(const struct lc_addr_obs *addr,
                                        const struct lc_domain_obs *domain)
{
  switch (addr->rcpt) {
  case LC_RCPT_MAILBOX_NOT_FOUND:
  case LC_RCPT_MAILBOX_DISABLED:
    /* Only a gateway that does not validate gets here (rows 18 to 20). */
    return verdict_of(25, LC_REASON_GATEWAY_REJECTED);
  case LC_RCPT_REJECTED:
    if (domain->gateway && !lc_verdict_domain_validates(domain))
      return verdict_of(25, LC_REASON_GATEWAY_REJECTED);
    return verdict_of(26, LC_REASON_BLOCKED);
  case LC_RCPT_POLICY_REJECTED:
    return verdict_of(26, LC_REASON_BLOCKED);
  case LC_RCPT_GREYLISTED:
  case LC_RCPT_TEMPORARY:
    return verdict_of(27, LC_REASON_GREYLISTED);
  case LC_RCPT_RATE_LIMITED:
    return verdict_of(28, LC_REASON_RATE_LIMITED);
  case LC_RCPT_TIMEOUT:
    return verdict_of(29, LC_REASON_TIMEOUT);
  case LC_RCPT_DROPPED:
  case LC_RCPT_CONNECTION_FAILED:
    return verdict_of(30, LC_REASON_CONNECTION_FAILED);
  case LC_RCPT_TLS_FAILED:
    return verdict_of(31, LC_REASON_TLS_FAILED);
  case LC_RCPT_PROTOCOL_ERROR:
    return verdict_of(32, LC_REASON_PROTOCOL_ERROR);
  case LC_RCPT_NOT_PROBED:
  case LC_RCPT_ACCEPTED:
  case LC_RCPT_MAILBOX_FULL:
    break; /* decided by rows 11, 17 and 22 */
  }
  /* An rcpt value outside the enum. */
  return verdict_of(0, LC_REASON_NOT_CHECKED);
}

const char *lc_status_name(enum lc_verdict_status status)
{
  switch (status) {
  case LC_STATUS_DELIVERABLE:
    return "deliverable";
  case LC_STATUS_UNDELIVERABLE:
    return "undeliverable";
  case LC_STATUS_RISKY:
    return "risky";
  case LC_STATUS_UNKNOWN:
    return "unknown";
  }
  return "invalid";
}

const char *lc_reason_name(enum lc_reason reason)
{
  if ((unsigned)reason >= LC_REASON_COUNT)
    return "invalid";
  return reason_table[reason].name;
}

enum lc_verdict_status lc_reason_status(enum lc_reason reason)
{
  if ((unsigned)reason >= LC_REASON_COUNT)
    return LC_STATUS_UNKNOWN;
  return reason_table[reason].status;
}

/* "not_checked" is for logs: the identity column stays empty then. */
const char *lc_identity_name(enum lc_identity identity)
{
  switch (identity) {
  case LC_IDENTITY_NOT_CHECKED:
    return "not_checked";
  case LC_IDENTITY_EXISTS:
    return "exists";
  case LC_IDENTITY_ABSENT:
    return "absent";
  case LC_IDENTITY_UNRELIABLE:
    return "unreliable";
  }
  return "invalid";
}

const char *lc_rcpt_class_name(enum lc_rcpt_class rcpt_class)
{
  static const char *const names[] = {
      [LC_RCPT_NOT_PROBED] = "not_probed",
      [LC_RCPT_ACCEPTED] = "accepted",
      [LC_RCPT_MAILBOX_NOT_FOUND] = "mailbox_not_found",
      [LC_RCPT_MAILBOX_DISABLED] = "mailbox_disabled",
      [LC_RCPT_MAILBOX_FULL] = "mailbox_full",
      [LC_RCPT_REJECTED] = "rejected",
      [LC_RCPT_POLICY_REJECTED] = "policy_rejected",
      [LC_RCPT_GREYLISTED] = "greylisted",
      [LC_RCPT_RATE_LIMITED] = "rate_limited",
      [LC_RCPT_TEMPORARY] = "temporary",
      [LC_RCPT_TIMEOUT] = "timeout",
      [LC_RCPT_DROPPED] = "dropped",
      [LC_RCPT_CONNECTION_FAILED] = "connection_failed",
      [LC_RCPT_TLS_FAILED] = "tls_failed",
      [LC_RCPT_PROTOCOL_ERROR] = "protocol_error",
  };

  if ((unsigned)rcpt_class >= sizeof(names) / sizeof(names[0]))
    return "invalid";
  return names[rcpt_class];
}
