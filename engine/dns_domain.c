/* Mail route of one domain: MX question, then the addresses of its hosts,
 * then the result handed to every lookup of the domain.
 *
 * States: MX (question in flight) -> HOSTS (waiting for the host entries
 * of the MX targets) -> DONE. An MX question answered with NODATA goes to
 * IMPLICIT instead: the domain itself is the only host (RFC 5321 section
 * 5.1). A single MX with preference 0 and target "." is a null MX (RFC
 * 7505). MX targets without any address are dropped, and so are
 * addresses that the options make unusable (engine/netaddr.h).
 */
#include "engine/dns_int.h"

#include <ctype.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/log.h"
#include "engine/netaddr.h"

static const char *const state_names[] = {"mx", "implicit", "hosts", "done"};

static void mx_cb(void *arg, enum lc_dnsq_result result,
                  const unsigned char *abuf, int alen, const char *error);
static void build_result(struct lc_dns_domain *domain);

static void set_state(struct lc_dns_domain *domain,
                      enum lc_dns_domain_state state)
{
  lc_trace("dns: domain %s: %s -> %s", domain->entry.name,
           state_names[domain->state], state_names[state]);
  domain->state = state;
}

/* Store OUTCOME (and ERROR for LC_DNS_ERROR), then deliver. */
static void finish(struct lc_dns_domain *domain, enum lc_dns_outcome outcome,
                   const char *error)
{
  struct lc_dns_resolver *resolver = domain->entry.resolver;

  domain->result.outcome = outcome;
  if (error != NULL && error[0] != '\0') {
    size_t size = strlen(error) + 1;
    domain->error = malloc(size);
    if (domain->error != NULL) {
      memcpy(domain->error, error, size);
      lc_dns_entry_account(resolver, &domain->entry, (long)size);
      domain->result.error = domain->error;
    } else {
      domain->result.error = "out of memory";
    }
  }
  if (outcome == LC_DNS_ERROR)
    lc_log_warn_counted("dns_error", "dns: lookup of %s failed: %s",
                        domain->entry.name, domain->result.error);
  else
    lc_debug("dns: %s: %s", domain->entry.name, lc_dns_outcome_name(outcome));
  set_state(domain, LC_DOMAIN_DONE);
  lc_dns_entry_touch(resolver, &domain->entry);
  lc_dns_deliver_waiters(resolver, domain);
}

struct lc_dns_domain *lc_dns_domain_new(struct lc_dns_resolver *resolver,
                                        const char *name)
{
  struct lc_dns_domain *domain;

  domain = lc_dns_entry_new(resolver, &resolver->domains, LC_DNS_ENTRY_DOMAIN,
                            sizeof(*domain), name);
  if (domain == NULL)
    return NULL;
  domain->state = LC_DOMAIN_MX;
  domain->result.domain = domain->entry.name;
  domain->result.outcome = LC_DNS_NOT_CHECKED;
  domain->result.error = "";
  if (lc_dnsq_start(resolver, name, LC_DNS_TYPE_MX, false, mx_cb, domain) !=
      LC_OK)
    finish(domain, LC_DNS_ERROR, "out of memory");
  return domain;
}

/* Add an MX target (lower-cased, without final dot) unless it is empty or
 * already listed; a duplicate keeps the lower preference. */
static void add_mx(struct lc_dns_domain *domain, const char *host,
                   unsigned preference)
{
  size_t len = strlen(host);
  char *name;

  if (len > 0 && host[len - 1] == '.')
    len--;
  if (len == 0 || len > LC_DNS_NAME_MAX)
    return;
  for (size_t i = 0; i < domain->nmx; i++) {
    struct lc_dns_mx *mx = &domain->mx[i];
    if (strncasecmp(mx->name, host, len) == 0 && mx->name[len] == '\0') {
      if (preference < mx->preference)
        mx->preference = preference;
      return;
    }
  }
  name = malloc(len + 1);
  if (name == NULL)
    return;
  for (size_t i = 0; i < len; i++)
    name[i] = (char)tolower((unsigned char)host[i]);
  name[len] = '\0';
  domain->mx[domain->nmx].name = name;
  domain->mx[domain->nmx].preference = preference;
  domain->mx[domain->nmx].host = NULL;
  domain->nmx++;
  lc_dns_entry_account(domain->entry.resolver, &domain->entry, (long)(len + 1));
}

static int mx_compare(const void *a, const void *b)
{
  const struct lc_dns_mx *x = a;
  const struct lc_dns_mx *y = b;

  if (x->preference != y->preference)
    return x->preference < y->preference ? -1 : 1;
  return strcmp(x->name, y->name);
}

/* Allocate room for CAPACITY targets. Returns false on failure. */
static bool alloc_mx(struct lc_dns_domain *domain, size_t capacity)
{
  domain->mx = calloc(capacity, sizeof(*domain->mx));
  if (domain->mx == NULL)
    return false;
  domain->mx_capacity = capacity;
  lc_dns_entry_account(domain->entry.resolver, &domain->entry,
                       (long)(capacity * sizeof(*domain->mx)));
  return true;
}

static void free_mx(struct lc_dns_domain *domain)
{
  long bytes = (long)(domain->mx_capacity * sizeof(*domain->mx));

  if (domain->mx == NULL)
    return;
  for (size_t i = 0; i < domain->nmx; i++) {
    bytes += (long)strlen(domain->mx[i].name) + 1;
    free(domain->mx[i].name);
  }
  free(domain->mx);
  domain->mx = NULL;
  domain->nmx = domain->mx_capacity = 0;
  lc_dns_entry_account(domain->entry.resolver, &domain->entry, -bytes);
}

/* Copy the targets of LIST into domain->mx, sorted by preference and
 * name. Returns false on allocation failure. */
static bool collect_mx(struct lc_dns_domain *domain,
                       const struct ares_mx_reply *list)
{
  size_t count = 0;

  for (const struct ares_mx_reply *mx = list; mx != NULL; mx = mx->next)
    count++;
  if (!alloc_mx(domain, count < LC_DNS_MX_MAX ? count : LC_DNS_MX_MAX))
    return false;
  for (const struct ares_mx_reply *mx = list; mx != NULL; mx = mx->next) {
    if (domain->nmx < domain->mx_capacity) {
      add_mx(domain, mx->host, mx->priority);
      continue;
    }
    /* Past LC_DNS_MX_MAX targets, a record replaces the worst kept one
     * only when its preference is strictly lower. */
    qsort(domain->mx, domain->nmx, sizeof(*domain->mx), mx_compare);
    struct lc_dns_mx *worst = &domain->mx[domain->nmx - 1];
    if (mx->priority < worst->preference) {
      lc_dns_entry_account(domain->entry.resolver, &domain->entry,
                           -(long)(strlen(worst->name) + 1));
      free(worst->name);
      domain->nmx--;
      add_mx(domain, mx->host, mx->priority);
    }
  }
  qsort(domain->mx, domain->nmx, sizeof(*domain->mx), mx_compare);
  return true;
}

static bool is_null_mx(const struct ares_mx_reply *list)
{
  return list != NULL && list->next == NULL && list->priority == 0 &&
         (list->host[0] == '\0' || strcmp(list->host, ".") == 0);
}

/* Take a reference on the host entry of each target and wait for those
 * still resolving. The extra pending count keeps a host that finishes
 * during the loop from building the result early. */
static void attach_hosts(struct lc_dns_domain *domain)
{
  struct lc_dns_resolver *resolver = domain->entry.resolver;

  domain->pending = 1;
  for (size_t i = 0; i < domain->nmx; i++) {
    struct lc_dns_hostent *host = lc_dns_host_get(resolver, domain->mx[i].name);
    domain->mx[i].host = host;
    if (host == NULL || host->state == LC_HOSTENT_DONE)
      continue;
    if (lc_dns_host_wait(host, domain) == LC_OK) {
      domain->pending++;
    } else {
      host->entry.refs--;
      domain->mx[i].host = NULL;
    }
  }
  lc_dns_domain_host_done(domain);
}

static void handle_mx_answer(struct lc_dns_domain *domain,
                             const unsigned char *abuf, int alen)
{
  struct ares_mx_reply *list = NULL;
  char error[128];
  int rc = ares_parse_mx_reply(abuf, alen, &list);

  if (rc != ARES_SUCCESS) {
    snprintf(error, sizeof(error), "malformed MX answer: %s",
             ares_strerror(rc));
    finish(domain, LC_DNS_ERROR, error);
  } else if (is_null_mx(list)) {
    finish(domain, LC_DNS_NULL_MX, NULL);
  } else if (!collect_mx(domain, list)) {
    finish(domain, LC_DNS_ERROR, "out of memory");
  } else if (domain->nmx == 0) {
    free_mx(domain);
    finish(domain, LC_DNS_NO_MAIL_SERVER, NULL);
  } else {
    set_state(domain, LC_DOMAIN_HOSTS);
    attach_hosts(domain);
  }
  ares_free_data(list);
}

static void start_implicit(struct lc_dns_domain *domain)
{
  domain->result.implicit = true;
  if (!alloc_mx(domain, 1)) {
    finish(domain, LC_DNS_ERROR, "out of memory");
    return;
  }
  add_mx(domain, domain->entry.name, 0);
  set_state(domain, LC_DOMAIN_IMPLICIT);
  attach_hosts(domain);
}

static void mx_cb(void *arg, enum lc_dnsq_result result,
                  const unsigned char *abuf, int alen, const char *error)
{
  struct lc_dns_domain *domain = arg;

  switch (result) {
  case LC_DNSQ_ANSWER:
    handle_mx_answer(domain, abuf, alen);
    break;
  case LC_DNSQ_NODATA:
    start_implicit(domain);
    break;
  case LC_DNSQ_NXDOMAIN:
    finish(domain, LC_DNS_NXDOMAIN, NULL);
    break;
  case LC_DNSQ_FAILED:
    finish(domain, LC_DNS_ERROR, error);
    break;
  }
}

void lc_dns_domain_host_done(struct lc_dns_domain *domain)
{
  if (--domain->pending == 0)
    build_result(domain);
}

/* Counts over the MX hosts of a domain whose host entries are done. */
struct route_summary {
  size_t hosts;                   /* hosts with at least one usable address */
  size_t addrs;                   /* usable addresses of those hosts */
  size_t name_bytes;              /* their names with NUL */
  bool any_address;               /* some host had an address, usable or not */
  const struct lc_dns_mx *failed; /* first host whose lookup failed */
};

static bool address_usable(const struct lc_dns_resolver *resolver,
                           const struct sockaddr_storage *addr)
{
  enum lc_netaddr_class cls =
      lc_netaddr_classify((const struct sockaddr *)addr);

  return lc_netaddr_usable(cls, resolver->allow_private);
}

static size_t count_usable(const struct lc_dns_resolver *resolver,
                           const struct lc_dns_hostent *host)
{
  size_t count = 0;

  for (size_t i = 0; i < host->nv4; i++)
    count += address_usable(resolver, &host->v4[i]);
  for (size_t i = 0; i < host->nv6; i++)
    count += address_usable(resolver, &host->v6[i]);
  return count;
}

static void summarize(const struct lc_dns_domain *domain,
                      struct route_summary *summary)
{
  const struct lc_dns_resolver *resolver = domain->entry.resolver;

  memset(summary, 0, sizeof(*summary));
  for (size_t i = 0; i < domain->nmx; i++) {
    const struct lc_dns_mx *mx = &domain->mx[i];
    if (mx->host == NULL || mx->host->status == LC_HOST_ERROR) {
      if (summary->failed == NULL)
        summary->failed = mx;
      continue;
    }
    if (mx->host->status != LC_HOST_RESOLVED)
      continue;
    summary->any_address = true;
    size_t usable = count_usable(resolver, mx->host);
    if (usable == 0)
      continue;
    summary->hosts++;
    summary->addrs += usable;
    summary->name_bytes += strlen(mx->name) + 1;
  }
}

static uint64_t splitmix64(uint64_t *state)
{
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* Shuffle each run of equal preference in ORDER (indices into
 * domain->mx, sorted by preference). The PRNG is seeded from the option
 * seed and the domain name, so a domain gets the same order in every run
 * with the same seed, whatever order the lookups finish in. */
static void shuffle_equal(const struct lc_dns_domain *domain, size_t *order,
                          size_t count)
{
  uint64_t state = domain->entry.resolver->seed ^ domain->entry.hash;
  size_t start = 0;

  while (start < count) {
    unsigned preference = domain->mx[order[start]].preference;
    size_t end = start + 1;
    while (end < count && domain->mx[order[end]].preference == preference)
      end++;
    for (size_t k = end - start - 1; k > 0; k--) {
      size_t j = (size_t)(splitmix64(&state) % (k + 1));
      size_t tmp = order[start + k];
      order[start + k] = order[start + j];
      order[start + j] = tmp;
    }
    start = end;
  }
}

static size_t copy_usable(const struct lc_dns_resolver *resolver,
                          const struct lc_dns_hostent *host,
                          struct sockaddr_storage *out)
{
  size_t count = 0;

  for (size_t i = 0; i < host->nv4; i++) {
    if (address_usable(resolver, &host->v4[i]))
      out[count++] = host->v4[i];
  }
  for (size_t i = 0; i < host->nv6; i++) {
    if (address_usable(resolver, &host->v6[i]))
      out[count++] = host->v6[i];
  }
  return count;
}

/* Lay out the usable hosts, their addresses and names in one block and
 * point domain->result at it. Returns false on allocation failure. */
static bool fill_hosts(struct lc_dns_domain *domain,
                       const struct route_summary *summary)
{
  const struct lc_dns_resolver *resolver = domain->entry.resolver;
  size_t align = alignof(struct sockaddr_storage);
  size_t addrs_at =
      (summary->hosts * sizeof(struct lc_dns_host) + align - 1) / align * align;
  size_t names_at = addrs_at + summary->addrs * sizeof(struct sockaddr_storage);
  size_t order[LC_DNS_MX_MAX];
  size_t count = 0;
  char *blob = malloc(names_at + summary->name_bytes);

  if (blob == NULL)
    return false;
  for (size_t i = 0; i < domain->nmx; i++) {
    const struct lc_dns_hostent *host = domain->mx[i].host;
    if (host != NULL && host->status == LC_HOST_RESOLVED &&
        count_usable(resolver, host) > 0)
      order[count++] = i;
  }
  shuffle_equal(domain, order, count);

  struct lc_dns_host *hosts = (struct lc_dns_host *)blob;
  struct sockaddr_storage *addrs = (struct sockaddr_storage *)(blob + addrs_at);
  char *names = blob + names_at;
  for (size_t k = 0; k < count; k++) {
    const struct lc_dns_mx *mx = &domain->mx[order[k]];
    size_t name_size = strlen(mx->name) + 1;
    memcpy(names, mx->name, name_size);
    hosts[k].name = names;
    hosts[k].preference = mx->preference;
    hosts[k].addrs = addrs;
    hosts[k].naddrs = copy_usable(resolver, mx->host, addrs);
    names += name_size;
    addrs += hosts[k].naddrs;
  }
  domain->blob = blob;
  domain->result.hosts = hosts;
  domain->result.nhosts = count;
  lc_dns_entry_account(domain->entry.resolver, &domain->entry,
                       (long)(names_at + summary->name_bytes));
  return true;
}

static void release_hosts(struct lc_dns_domain *domain)
{
  for (size_t i = 0; i < domain->nmx; i++) {
    if (domain->mx[i].host != NULL)
      domain->mx[i].host->entry.refs--;
    domain->mx[i].host = NULL;
  }
}

static void build_result(struct lc_dns_domain *domain)
{
  struct route_summary summary;
  enum lc_dns_outcome outcome = LC_DNS_NO_MAIL_SERVER;
  char error[LC_DNS_NAME_MAX + 256];

  error[0] = '\0';
  summarize(domain, &summary);
  if (summary.hosts > 0 && fill_hosts(domain, &summary)) {
    outcome = domain->result.implicit ? LC_DNS_IMPLICIT_MX : LC_DNS_OK;
  } else if (summary.hosts > 0) {
    outcome = LC_DNS_ERROR;
    snprintf(error, sizeof(error), "out of memory");
  } else if (summary.failed != NULL) {
    const struct lc_dns_mx *mx = summary.failed;
    const char *why = mx->host != NULL && mx->host->error != NULL
                          ? mx->host->error
                          : "out of memory";
    outcome = LC_DNS_ERROR;
    if (domain->result.implicit)
      snprintf(error, sizeof(error), "%s", why);
    else
      snprintf(error, sizeof(error), "MX host %s: %s", mx->name, why);
  } else if (summary.any_address) {
    outcome = LC_DNS_UNREACHABLE;
  }
  release_hosts(domain);
  free_mx(domain);
  finish(domain, outcome, error);
}

void lc_dns_domain_free(struct lc_dns_resolver *resolver,
                        struct lc_dns_domain *domain)
{
  (void)resolver;
  for (size_t i = 0; domain->mx != NULL && i < domain->nmx; i++)
    free(domain->mx[i].name);
  free(domain->mx);
  while (domain->waiters != NULL) {
    struct lc_dns_waiter *next = domain->waiters->next;
    free(domain->waiters);
    domain->waiters = next;
  }
  free(domain->blob);
  free(domain->error);
  free(domain);
}
