/* Asynchronous mail-route lookups on the libuv loop (c-ares).
 *
 * lc_dns_lookup() finds where mail for a domain goes: its MX hosts in
 * preference order, each with its usable IPv4 and IPv6 addresses, or the
 * reason why there is none (NXDOMAIN, null MX, no mail server, only
 * unreachable addresses, DNS error). Every domain and every MX host name
 * is resolved once per run: results are cached in a table bounded by entry
 * count and bytes, and concurrent lookups of one name share one query
 * (single-flight). A global cap bounds the DNS queries in flight; the rest
 * wait in FIFO order. SERVFAIL, REFUSED and timeouts are retried with
 * exponential backoff.
 *
 * Everything runs on the caller's loop and thread. Callbacks are always
 * called from the loop, never from inside lc_dns_lookup(), and exactly once
 * per accepted lookup, also when the resolver is freed.
 */
#ifndef LC_DNS_H
#define LC_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "engine/status.h"
#include "engine/verdict.h"

/* Longest domain name in presentation form without the final dot. */
#define LC_DNS_NAME_MAX 253

struct lc_dns_options {
  /* DNS servers as "HOST[:PORT]": "127.0.0.1", "127.0.0.1:5300",
   * "[::1]:53" or a bare IPv6 literal. HOST must be an IP literal. None
   * (nservers 0) means the servers of /etc/resolv.conf. The strings are
   * copied by lc_dns_resolver_new(). */
  const char *const *servers;
  size_t nservers;
  unsigned timeout_ms;  /* wait for one answer, 1..600000 */
  unsigned tries;       /* sends per query before giving up, 1..20 */
  unsigned backoff_ms;  /* pause before the second try, doubled before
                           each later one; 0..60000 */
  unsigned concurrency; /* DNS queries in flight, 1..65536 */
  bool allow_private;   /* loopback and private MX addresses are usable */
  size_t max_entries;   /* cached domains plus host names, >= 1 */
  size_t max_bytes;     /* memory of the cache, >= 4096 */
  uint64_t seed;        /* shuffle of MX hosts with equal preference */
};

/* One MX host with its usable addresses (port 0). */
struct lc_dns_host {
  const char *name; /* lower case, no final dot */
  unsigned preference;
  size_t naddrs;                        /* >= 1 */
  const struct sockaddr_storage *addrs; /* IPv4 first, then IPv6 */
};

/* Result of one domain lookup. It belongs to the resolver's table and is
 * valid only for the duration of the callback: copy what you keep. */
struct lc_dns_result {
  const char *domain; /* as looked up: lower case, no final dot */
  enum lc_dns_outcome outcome;
  /* The domain has no MX records, so its own A/AAAA records were looked
   * up; set for every outcome reached that way. */
  bool implicit;
  /* Usable hosts in the order to try them: ascending preference, equal
   * preferences shuffled by the seeded PRNG. Empty unless the outcome is
   * LC_DNS_OK or LC_DNS_IMPLICIT_MX. */
  size_t nhosts;
  const struct lc_dns_host *hosts;
  /* For LC_DNS_ERROR: what failed, e.g. "SERVFAIL from 127.0.0.1:5300
   * after 3 tries" or "canceled". Empty for other outcomes. */
  const char *error;
};

struct lc_dns_stats {
  uint64_t queries_sent;    /* every send, retries included */
  uint64_t mx_queries;      /* sends of MX queries */
  uint64_t a_queries;       /* sends of A queries */
  uint64_t aaaa_queries;    /* sends of AAAA queries */
  uint64_t answers;         /* sends that got an answer (any rcode) */
  uint64_t timeouts;        /* per-server timeouts reported by c-ares */
  uint64_t retries;         /* sends repeated after an error */
  uint64_t lookups;         /* accepted lc_dns_lookup() calls */
  uint64_t cache_hits;      /* lookups of a domain already resolved */
  uint64_t joined;          /* lookups that joined one in flight */
  uint64_t host_cache_hits; /* MX host names found already resolved */
  uint64_t evictions;       /* cache entries dropped to stay in bounds */
  size_t in_flight;         /* queries sent and not yet answered */
  size_t peak_in_flight;
  size_t queued;      /* queries waiting for a slot */
  size_t entries;     /* domains plus host names in the table */
  size_t table_bytes; /* memory of the table */
  size_t peak_table_bytes;
};

struct lc_dns_resolver;

/* Called once per lookup. RESULT is valid only during the call. The
 * callback may start new lookups and may free the resolver. */
typedef void (*lc_dns_cb)(void *arg, const struct lc_dns_result *result);

/* Fill OPTIONS with the defaults: system servers, 5000 ms timeout, 3
 * tries, 250 ms backoff, 256 queries in flight, private MX addresses not
 * usable, 200000 entries, 256 MiB, seed 0. */
void lc_dns_options_init(struct lc_dns_options *options);

/* Check OPTIONS. Returns LC_OK, or LC_ERR_INVALID with a message naming the
 * bad value in MSG (SIZE bytes, may be 0). */
enum lc_status lc_dns_options_check(const struct lc_dns_options *options,
                                    char *msg, size_t size);

/* Create a resolver on LOOP. Returns LC_OK and sets *OUT, or
 * LC_ERR_INVALID (bad option), LC_ERR_DNS (c-ares failed to start, e.g.
 * an unreadable /etc/resolv.conf) or LC_ERR_NOMEM, with a message in MSG.
 * The resolver keeps no reference to OPTIONS. */
enum lc_status lc_dns_resolver_new(uv_loop_t *loop,
                                   const struct lc_dns_options *options,
                                   struct lc_dns_resolver **out, char *msg,
                                   size_t size);

/* Complete every pending lookup with LC_DNS_ERROR "canceled" (the
 * callbacks run before this returns), stop all queries and close the
 * handles. Memory is released from close callbacks, so the loop must run
 * once more. RESOLVER may be NULL. Calling lc_dns_lookup() from a
 * "canceled" callback returns LC_ERR_CANCELED. */
void lc_dns_resolver_free(struct lc_dns_resolver *resolver);

/* Look up the mail route of DOMAIN (an A-label name, any case, with or
 * without final dot) and call CB(ARG, result) later from the loop.
 * Returns LC_OK when CB will be called exactly once; LC_ERR_INVALID for a
 * malformed name, LC_ERR_NOMEM, or LC_ERR_CANCELED while the resolver is
 * being freed; CB is never called then. */
enum lc_status lc_dns_lookup(struct lc_dns_resolver *resolver,
                             const char *domain, lc_dns_cb cb, void *arg);

/* Copy the counters into *STATS. */
void lc_dns_get_stats(const struct lc_dns_resolver *resolver,
                      struct lc_dns_stats *stats);

/* Name of an outcome ("ok", "implicit_mx", "nxdomain", ...). Never NULL. */
const char *lc_dns_outcome_name(enum lc_dns_outcome outcome);

#endif
