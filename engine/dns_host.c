/* Addresses of one MX host name: an A and an AAAA question in parallel.
 *
 * Host entries are cached per name for the run and shared by every domain
 * whose MX points to the name (large providers serve many domains from a
 * few host names). Domains that look the name up while the questions are
 * in flight are notified when they finish. The entry keeps every address it
 * got; whether an address is usable depends on the resolver options and is
 * decided by the domain when it builds its result.
 */
#include "engine/dns_int.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "engine/log.h"

static const char *const state_names[] = {"resolving", "done"};

static void a_cb(void *arg, enum lc_dnsq_result result,
                 const unsigned char *abuf, int alen, const char *error);
static void aaaa_cb(void *arg, enum lc_dnsq_result result,
                    const unsigned char *abuf, int alen, const char *error);

static void set_state(struct lc_dns_hostent *host,
                      enum lc_dns_hostent_state state)
{
  lc_trace("dns: host %s: %s -> %s", host->entry.name, state_names[host->state],
           state_names[state]);
  host->state = state;
}

static void record_error(struct lc_dns_resolver *resolver,
                         struct lc_dns_hostent *host, const char *error)
{
  size_t size = strlen(error) + 1;

  if (host->error != NULL)
    return;
  host->error = malloc(size);
  if (host->error == NULL)
    return;
  memcpy(host->error, error, size);
  lc_dns_entry_account(resolver, &host->entry, (long)size);
}

static void finish(struct lc_dns_resolver *resolver,
                   struct lc_dns_hostent *host)
{
  struct lc_dns_hostwait *waiter = host->waiters;

  if (host->nv4 + host->nv6 > 0)
    host->status = LC_HOST_RESOLVED;
  else if (host->error != NULL)
    host->status = LC_HOST_ERROR;
  else
    host->status = LC_HOST_NO_ADDRESS;
  set_state(host, LC_HOSTENT_DONE);
  lc_dns_entry_touch(resolver, &host->entry);
  /* A waiting domain may finish and drop its reference; hold one so the
   * entry outlives this loop. */
  host->waiters = NULL;
  host->entry.refs++;
  while (waiter != NULL) {
    struct lc_dns_hostwait *next = waiter->next;
    struct lc_dns_domain *domain = waiter->domain;
    free(waiter);
    lc_dns_domain_host_done(domain);
    waiter = next;
  }
  host->entry.refs--;
}

/* Store the addresses of an A (FAMILY AF_INET) or AAAA answer. */
static void store_addresses(struct lc_dns_resolver *resolver,
                            struct lc_dns_hostent *host, int family,
                            const unsigned char *abuf, int alen)
{
  struct ares_addrttl v4[LC_DNS_ADDRS_MAX];
  struct ares_addr6ttl v6[LC_DNS_ADDRS_MAX];
  struct sockaddr_storage *addrs;
  int count = LC_DNS_ADDRS_MAX;
  int rc;

  if (family == AF_INET)
    rc = ares_parse_a_reply(abuf, alen, NULL, v4, &count);
  else
    rc = ares_parse_aaaa_reply(abuf, alen, NULL, v6, &count);
  if (rc == ARES_ENODATA || (rc == ARES_SUCCESS && count == 0))
    return;
  if (rc != ARES_SUCCESS) {
    record_error(resolver, host, ares_strerror(rc));
    return;
  }
  addrs = calloc((size_t)count, sizeof(*addrs));
  if (addrs == NULL) {
    record_error(resolver, host, "out of memory");
    return;
  }
  for (int i = 0; i < count; i++) {
    if (family == AF_INET) {
      struct sockaddr_in *sin = (struct sockaddr_in *)&addrs[i];
      sin->sin_family = AF_INET;
      memcpy(&sin->sin_addr, &v4[i].ipaddr, sizeof(sin->sin_addr));
    } else {
      struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&addrs[i];
      sin6->sin6_family = AF_INET6;
      memcpy(&sin6->sin6_addr, &v6[i].ip6addr, sizeof(sin6->sin6_addr));
    }
  }
  if (family == AF_INET) {
    host->v4 = addrs;
    host->nv4 = (size_t)count;
  } else {
    host->v6 = addrs;
    host->nv6 = (size_t)count;
  }
  lc_dns_entry_account(resolver, &host->entry,
                       (long)((size_t)count * sizeof(*addrs)));
}

static void answer(struct lc_dns_hostent *host, int family,
                   enum lc_dnsq_result result, const unsigned char *abuf,
                   int alen, const char *error)
{
  struct lc_dns_resolver *resolver = host->entry.resolver;

  if (result == LC_DNSQ_ANSWER)
    store_addresses(resolver, host, family, abuf, alen);
  else if (result == LC_DNSQ_FAILED)
    record_error(resolver, host, error);
  if (--host->pending == 0)
    finish(resolver, host);
}

static void a_cb(void *arg, enum lc_dnsq_result result,
                 const unsigned char *abuf, int alen, const char *error)
{
  answer(arg, AF_INET, result, abuf, alen, error);
}

static void aaaa_cb(void *arg, enum lc_dnsq_result result,
                    const unsigned char *abuf, int alen, const char *error)
{
  answer(arg, AF_INET6, result, abuf, alen, error);
}

static void start(struct lc_dns_hostent *host, int type, lc_dnsq_cb cb)
{
  struct lc_dns_resolver *resolver = host->entry.resolver;

  if (lc_dnsq_start(resolver, host->entry.name, type, true, cb, host) != LC_OK)
    cb(host, LC_DNSQ_FAILED, NULL, 0, "out of memory");
}

struct lc_dns_hostent *lc_dns_host_get(struct lc_dns_resolver *resolver,
                                       const char *name)
{
  struct lc_dns_entry *entry = lc_dns_map_find(&resolver->hosts, name);
  struct lc_dns_hostent *host;

  if (entry != NULL) {
    host = (struct lc_dns_hostent *)entry;
    if (host->state == LC_HOSTENT_DONE) {
      resolver->stats.host_cache_hits++;
      lc_dns_entry_touch(resolver, entry);
    }
    entry->refs++;
    return host;
  }
  host = lc_dns_entry_new(resolver, &resolver->hosts, LC_DNS_ENTRY_HOST,
                          sizeof(*host), name);
  if (host == NULL)
    return NULL;
  host->entry.refs++;
  host->state = LC_HOSTENT_RESOLVING;
  host->status = LC_HOST_PENDING;
  host->pending = 2;
  start(host, LC_DNS_TYPE_A, a_cb);
  start(host, LC_DNS_TYPE_AAAA, aaaa_cb);
  return host;
}

enum lc_status lc_dns_host_wait(struct lc_dns_hostent *host,
                                struct lc_dns_domain *domain)
{
  struct lc_dns_hostwait *waiter = calloc(1, sizeof(*waiter));

  if (waiter == NULL)
    return LC_ERR_NOMEM;
  waiter->domain = domain;
  waiter->next = host->waiters;
  host->waiters = waiter;
  return LC_OK;
}

void lc_dns_host_free(struct lc_dns_resolver *resolver,
                      struct lc_dns_hostent *host)
{
  (void)resolver;
  while (host->waiters != NULL) {
    struct lc_dns_hostwait *next = host->waiters->next;
    free(host->waiters);
    host->waiters = next;
  }
  free(host->v4);
  free(host->v6);
  free(host->error);
  free(host);
}
