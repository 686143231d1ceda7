/* Identity evidence from Microsoft Entra ID, over HTTPS on the libuv loop.
 *
 * lc_identity_lookup() checks whether an address is an account of an Entra
 * ID tenant. Each domain is examined once (single-flight, cached for the
 * life of the client):
 *
 *   1. Realm lookup, GET {base}/getuserrealm.srf?login=ADDRESS&json=1.
 *      "Unknown": no tenant, every address of the domain is NOT_CHECKED.
 *      "Federated": another identity provider decides, so the service's
 *      account answers prove nothing: UNRELIABLE, detail names the
 *      provider. "Managed": go on with a canary.
 *   2. Canary, POST {base}/common/GetCredentialType for a random local
 *      part of LC_IDENTITY_CANARY_LEN characters on the domain. Reported
 *      as existing: the tenant claims every name, UNRELIABLE. Reported as
 *      absent: the domain is trusted.
 *   3. Each address of a trusted domain gets its own account check:
 *      EXISTS or ABSENT, or NOT_CHECKED when the service does not say.
 *
 * Throttled answers (ThrottleStatus > 0, HTTP 429 or HTTP 503) are
 * discarded and the request is sent again, at most max_retries times, then
 * the answer is NOT_CHECKED. A resend waits retry_delay_ms, doubled for
 * each earlier resend of the same request, or what the
 * answer's Retry-After header requests when it has one (seconds or an
 * HTTP-date, shorter or longer than retry_delay_ms), but at most
 * LC_IDENTITY_RETRY_AFTER_MAX_MS or retry_delay_ms, whichever is longer.
 * Every failure (connection, TLS or certificate, timeout, an HTTP status
 * other than 200, 429 and 503, malformed JSON) gives NOT_CHECKED with a
 * detail naming it, never EXISTS or ABSENT, and is logged at warn level
 * once per domain with the host and the error.
 *
 * All requests to the identity host share one pacing: at most `rate`
 * requests start per second and at most `max_inflight` run at once. The
 * rest wait in FIFO order. Account answers are not cached, because a
 * caller checks each address once.
 */
#ifndef LC_IDENTITY_H
#define LC_IDENTITY_H

#include <stdint.h>

#include <uv.h>

#include "engine/status.h"
#include "engine/verdict.h"

#define LC_IDENTITY_BASE_URL "https://login.microsoftonline.com"
/* Characters of the canary's random local part. */
#define LC_IDENTITY_CANARY_LEN 24
/* Maximum size of a detail text, NUL included. */
#define LC_IDENTITY_DETAIL_MAX 192
/* Maximum length of an address (RFC 5321 path limit, 254, rounded up for
 * addresses with a quoted local part). */
#define LC_IDENTITY_ADDRESS_MAX 320
/* Maximum wait a Retry-After header sets before a resend, unless
 * retry_delay_ms is longer: 5 minutes. A longer request from the server
 * is cut to this, so that the server cannot hold a row for hours. */
#define LC_IDENTITY_RETRY_AFTER_MAX_MS 300000

struct lc_identity_client;

/* Settings of a client. lc_identity_options_init() fills in the defaults;
 * the strings are copied or read by lc_identity_new(). */
struct lc_identity_options {
  const char *base_url;    /* https:// URL, default LC_IDENTITY_BASE_URL */
  const char *ca_file;     /* extra trusted CAs (PEM), default NULL; the
                              system CA bundle still applies (engine/http.h) */
  double rate;             /* requests started per second, 0.01..10000,
                              default 5 */
  unsigned max_inflight;   /* requests running at once, and idle
                              connections kept, 1..256, default 4 */
  unsigned timeout_ms;     /* per request, 1..600000, default 15000 */
  unsigned max_retries;    /* resends of a throttled request, 0..100,
                              default 3 */
  unsigned retry_delay_ms; /* wait before a resend when the throttled
                              answer has no Retry-After header,
                              0..3600000, default 2000 */
};

struct lc_identity_stats {
  uint64_t lookups;          /* lookups accepted */
  uint64_t requests;         /* HTTP requests started, resends included */
  uint64_t realm_requests;   /* of which realm lookups */
  uint64_t canary_requests;  /* of which canary account checks */
  uint64_t account_requests; /* of which checks of real addresses */
  uint64_t throttled;        /* throttled answers discarded */
  uint64_t retry_after;      /* of which with a Retry-After header that
                                set the wait */
  uint64_t retry_wait_ms;    /* waits before resends, summed */
  uint64_t errors;           /* requests that failed (transport, TLS,
                                timeout, HTTP status, malformed answer) */
  uint64_t cache_hits;       /* lookups that found their domain already
                                known or being examined */
  uint64_t connects;         /* new connections to the identity host */
};

/* Called exactly once per accepted lookup, from the loop (or from
 * lc_identity_free), never from inside lc_identity_lookup(). DETAIL says
 * why, e.g. "IfExistsResult 1", "federated (okta)", "canary exists",
 * "realm lookup failed: timed out after 15000 ms" or "canceled"; it is
 * valid during the call only. The callback may start lookups and may call
 * lc_identity_free(). */
typedef void (*lc_identity_cb)(void *arg, enum lc_identity identity,
                               const char *detail);

/* Fill OPTS with the defaults. */
void lc_identity_options_init(struct lc_identity_options *opts);

/* Create a client on LOOP with OPTS (NULL: the defaults). On LC_OK stores
 * it in *OUT. Otherwise returns LC_ERR_INVALID (an option out of range,
 * base_url not https), LC_ERR_NOTFOUND or LC_ERR_FORMAT (ca_file),
 * LC_ERR_NOMEM or LC_ERR_INTERNAL, and writes a message to ERR (SIZE
 * bytes). */
enum lc_status lc_identity_new(uv_loop_t *loop,
                               const struct lc_identity_options *opts,
                               struct lc_identity_client **out, char *err,
                               size_t size);

/* Look up ADDRESS (copied; "local@domain", at most LC_IDENTITY_ADDRESS_MAX
 * bytes, no control characters or spaces, valid UTF-8). Returns LC_OK when
 * CB will be called with ARG, LC_ERR_INVALID for an address it cannot
 * check, LC_ERR_CANCELED once lc_identity_free() was called, or
 * LC_ERR_NOMEM; CB is never called then. */
enum lc_status lc_identity_lookup(struct lc_identity_client *client,
                                  const char *address, lc_identity_cb cb,
                                  void *arg);

/* Copy the counters of CLIENT into *OUT. */
void lc_identity_get_stats(const struct lc_identity_client *client,
                           struct lc_identity_stats *out);

/* Complete every pending lookup (LC_IDENTITY_NOT_CHECKED, "canceled", or
 * its answer when that had arrived) before returning, cancel the requests
 * and close the libuv handles. The memory is freed from the close
 * callbacks, so run the loop afterwards. Accepts NULL. CLIENT must not be
 * used afterwards. */
void lc_identity_free(struct lc_identity_client *client);

#endif
