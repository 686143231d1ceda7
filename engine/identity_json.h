/* Parsers and encoders for the two Microsoft Entra ID responses that the
 * identity check reads, kept apart from the network code so that they can
 * be tested and fuzzed on bytes alone.
 *
 * Realm lookup, GET /getuserrealm.srf?login=ADDRESS&json=1, returns an
 * object whose "NameSpaceType" is "Managed" (accounts live in Entra ID),
 * "Federated" (another identity provider decides; its sign-in page is in
 * "AuthURL") or "Unknown" (no tenant for the domain).
 *
 * Account check, POST /common/GetCredentialType with {"Username":ADDRESS},
 * returns an object whose "IfExistsResult" is 0, 5 or 6 when the account
 * exists, 1 when it does not, and other values when the service does not
 * say. "ThrottleStatus" above 0 means the answer was withheld because of
 * request rate, whatever IfExistsResult shows.
 *
 * Every parser takes untrusted bytes: any JSON, any length, any types.
 */
#ifndef LC_IDENTITY_JSON_H
#define LC_IDENTITY_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/status.h"

/* Maximum size of an identity provider name, NUL included. */
#define LC_IDENTITY_IDP_MAX 64

enum lc_identity_namespace {
  LC_IDENTITY_NS_UNKNOWN,
  LC_IDENTITY_NS_MANAGED,
  LC_IDENTITY_NS_FEDERATED
};

struct lc_identity_realm {
  enum lc_identity_namespace ns;
  /* Federated only: the identity provider named from AuthURL, e.g.
   * "okta", "adfs" or the host name of the sign-in page; "unknown" when
   * AuthURL is missing or not a URL. */
  char idp[LC_IDENTITY_IDP_MAX];
};

enum lc_identity_account {
  LC_IDENTITY_ACCOUNT_EXISTS,
  LC_IDENTITY_ACCOUNT_ABSENT,
  LC_IDENTITY_ACCOUNT_UNDECIDED, /* IfExistsResult of another value */
  LC_IDENTITY_ACCOUNT_THROTTLED  /* ThrottleStatus > 0 */
};

struct lc_identity_credential {
  enum lc_identity_account account;
  long long if_exists; /* IfExistsResult as sent; -1 when throttled and
                          missing */
  long long throttle;  /* ThrottleStatus, 0 when missing */
};

/* Parse a realm answer of LEN bytes at BODY (no NUL needed). On LC_OK
 * fills *OUT. On LC_ERR_FORMAT writes what is wrong to ERR (SIZE bytes):
 * "malformed JSON", "answer is not a JSON object", "missing
 * NameSpaceType", "NameSpaceType is not a string" or "unexpected
 * NameSpaceType". NameSpaceType is matched without regard to case. */
enum lc_status lc_identity_parse_realm(const char *body, size_t len,
                                       struct lc_identity_realm *out, char *err,
                                       size_t size);

/* Parse an account-check answer of LEN bytes at BODY. On LC_OK fills
 * *OUT. On LC_ERR_FORMAT writes what is wrong to ERR: "malformed JSON",
 * "answer is not a JSON object", "ThrottleStatus is not an integer",
 * "missing IfExistsResult" or "IfExistsResult is not an integer". A
 * throttled answer needs no IfExistsResult. */
enum lc_status lc_identity_parse_credential(const char *body, size_t len,
                                            struct lc_identity_credential *out,
                                            char *err, size_t size);

/* Name the identity provider behind the sign-in page AUTH_URL (NULL
 * allowed) in BUF (SIZE bytes, at least 8): "okta", "adfs", "ping",
 * "onelogin", "duo", "google", otherwise the lower-cased host name, and
 * "unknown" when there is no host. */
void lc_identity_idp_name(const char *auth_url, char *buf, size_t size);

/* Percent-encode IN for a URL query value: every byte but A-Z a-z 0-9
 * and "-._~" becomes %XX. Returns LC_ERR_LIMIT when the result and its
 * NUL do not fit in SIZE bytes (BUF then contains ""). */
enum lc_status lc_identity_url_encode(const char *in, char *buf, size_t size);

/* Report whether TEXT is valid UTF-8, which every string in a JSON
 * request body must be. */
bool lc_identity_utf8_valid(const char *text);

/* Return the account-check request body {"Username":ADDRESS} as a new
 * string the caller frees, or NULL when ADDRESS is not valid UTF-8 or
 * memory ran out. */
char *lc_identity_credential_body(const char *address);

#endif
