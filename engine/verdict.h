/* Verdict vocabulary and the decision function.
 *
 * Every module that records what it observed (address parser, DNS, SMTP,
 * identity) writes into the observation structs below, and lc_verdict_decide()
 * turns them into the status and reason columns. The decision is a pure
 * function; docs/verdicts.md lists its rows.
 */
#ifndef LC_VERDICT_H
#define LC_VERDICT_H

#include <stdbool.h>

enum lc_verdict_status {
  LC_STATUS_DELIVERABLE,
  LC_STATUS_UNDELIVERABLE,
  LC_STATUS_RISKY,
  LC_STATUS_UNKNOWN
};

enum lc_reason {
  /* deliverable */
  LC_REASON_ACCEPTED,
  LC_REASON_IDENTITY_CONFIRMED,
  /* undeliverable */
  LC_REASON_INVALID_SYNTAX,
  LC_REASON_MISSING_ADDRESS,
  LC_REASON_NO_DOMAIN,
  LC_REASON_NO_MAIL_SERVER,
  LC_REASON_MAILBOX_NOT_FOUND,
  LC_REASON_MAILBOX_DISABLED,
  LC_REASON_IDENTITY_ABSENT,
  /* risky */
  LC_REASON_ACCEPT_ALL,
  LC_REASON_DISPOSABLE,
  LC_REASON_ROLE_ACCOUNT,
  LC_REASON_MAILBOX_FULL,
  LC_REASON_UNREACHABLE_MX,
  /* unknown */
  LC_REASON_GATEWAY_REJECTED,
  LC_REASON_GREYLISTED,
  LC_REASON_BLOCKED,
  LC_REASON_RATE_LIMITED,
  LC_REASON_TIMEOUT,
  LC_REASON_CONNECTION_FAILED,
  LC_REASON_DNS_ERROR,
  LC_REASON_TLS_FAILED,
  LC_REASON_PROTOCOL_ERROR,
  LC_REASON_CSV_ERROR,
  LC_REASON_NOT_CHECKED,
  LC_REASON_COUNT
};

/* Outcome of the mail-route lookup of one domain. */
enum lc_dns_outcome {
  LC_DNS_NOT_CHECKED,
  LC_DNS_OK,          /* MX records with at least one usable address */
  LC_DNS_IMPLICIT_MX, /* no MX, but A/AAAA on the domain (RFC 5321 5.1) */
  LC_DNS_NXDOMAIN,
  LC_DNS_NULL_MX,        /* RFC 7505: single MX "." with preference 0 */
  LC_DNS_NO_MAIL_SERVER, /* no MX and no A/AAAA, or no MX target resolves */
  LC_DNS_UNREACHABLE,    /* every MX address is loopback/private/unroutable */
  LC_DNS_ERROR           /* SERVFAIL, REFUSED or timeout after retries */
};

/* Class of one RCPT reply (or of the failure that prevented one). */
enum lc_rcpt_class {
  LC_RCPT_NOT_PROBED,
  LC_RCPT_ACCEPTED,
  LC_RCPT_MAILBOX_NOT_FOUND, /* 5.1.1, 5.1.10, "user unknown", ... */
  LC_RCPT_MAILBOX_DISABLED,  /* 5.2.1, "account disabled" */
  LC_RCPT_MAILBOX_FULL,      /* 552, 452 4.2.2 */
  LC_RCPT_REJECTED,          /* other 5xx that names no cause */
  LC_RCPT_POLICY_REJECTED,   /* 5.7.x, blocklist, PTR, 554 banner */
  LC_RCPT_GREYLISTED,        /* 450/451 4.7.1 and greylist texts */
  LC_RCPT_RATE_LIMITED,      /* 421, 452 4.5.3, "too many ..." */
  LC_RCPT_TEMPORARY,         /* any other 4xx */
  LC_RCPT_TIMEOUT,
  LC_RCPT_DROPPED,           /* connection closed before the reply */
  LC_RCPT_CONNECTION_FAILED, /* no MX address accepted a connection */
  LC_RCPT_TLS_FAILED,
  LC_RCPT_PROTOCOL_ERROR
};

enum lc_tristate { LC_TRI_UNSET, LC_TRI_FALSE, LC_TRI_TRUE };

/* Result of the identity provider for one account. */
enum lc_identity {
  LC_IDENTITY_NOT_CHECKED,
  LC_IDENTITY_EXISTS,
  LC_IDENTITY_ABSENT,
  LC_IDENTITY_UNRELIABLE /* tenant federated, or canary reported existing */
};

/* Facts about one address. */
struct lc_addr_obs {
  bool csv_error;    /* the record was malformed */
  bool empty;        /* no address in the field */
  bool invalid;      /* syntax check failed */
  bool disposable;   /* registrable domain is a disposable provider */
  bool role;         /* local part is a role name (info, sales, ...) */
  bool role_ok;      /* user asked to keep accepted role accounts */
  bool smtp_checked; /* SMTP checks were requested for this run */
  enum lc_rcpt_class rcpt;
  int rcpt_code;          /* basic reply code, 0 when none */
  char rcpt_enhanced[16]; /* "5.1.1" or empty */
  enum lc_identity identity;
};

/* Facts about the domain of the address, shared by all its rows. */
struct lc_domain_obs {
  enum lc_dns_outcome dns;
  bool gateway;               /* the MX used is a security gateway */
  enum lc_tristate catch_all; /* random local part accepted? */
  enum lc_rcpt_class probe;   /* class of the random-probe answer */
  int probe_code;
  char probe_enhanced[16];
  bool any_accepted; /* some real recipient of the domain was accepted */
};

struct lc_verdict {
  enum lc_verdict_status status;
  enum lc_reason reason;
  unsigned row; /* row of docs/verdicts.md that decided, 0 for none */
};

/* Decide the verdict of one address from its observations and those of its
 * domain. Pure: same inputs, same result. Never fails. */
struct lc_verdict lc_verdict_decide(const struct lc_addr_obs *addr,
                                    const struct lc_domain_obs *domain);

/* Report whether the domain's server is shown to validate recipients: the
 * random probe was rejected while a real recipient was accepted. */
bool lc_verdict_domain_validates(const struct lc_domain_obs *domain);

/* Column text of a status ("deliverable", ...) and of a reason
 * ("mailbox_not_found", ...). Never NULL. */
const char *lc_status_name(enum lc_verdict_status status);
const char *lc_reason_name(enum lc_reason reason);
/* Status that a reason belongs to. */
enum lc_verdict_status lc_reason_status(enum lc_reason reason);
const char *lc_identity_name(enum lc_identity identity);
const char *lc_rcpt_class_name(enum lc_rcpt_class rcpt_class);

#endif
