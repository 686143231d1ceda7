/* Resolver lifetime, options, lc_dns_lookup() and result delivery.
 *
 * Results reach the callers through a FIFO drained by a uv_idle_t, both
 * for cache hits and for lookups that finish in a c-ares callback. So a
 * callback never runs inside lc_dns_lookup() or inside c-ares, and it may
 * start lookups or free the resolver. Freeing cancels everything at once
 * and releases memory from the last close callback.
 */
#include "engine/dns_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/log.h"
#include "engine/netaddr.h"

#define DEFAULT_DNS_PORT 53

static const char *const outcome_names[] = {
    "not_checked",    "ok",          "implicit_mx", "nxdomain", "null_mx",
    "no_mail_server", "unreachable", "error"};

static void idle_cb(uv_idle_t *handle);
static void idle_close_cb(uv_handle_t *handle);

void lc_dns_options_init(struct lc_dns_options *options)
{
  memset(options, 0, sizeof(*options));
  options->timeout_ms = 5000;
  options->tries = 3;
  options->backoff_ms = 250;
  options->concurrency = 256;
  options->max_entries = 200000;
  options->max_bytes = (size_t)256 << 20;
}

static enum lc_status invalid(char *msg, size_t size, const char *what,
                              unsigned long value, const char *range)
{
  if (size > 0)
    snprintf(msg, size, "invalid %s %lu: expected %s", what, value, range);
  return LC_ERR_INVALID;
}

enum lc_status lc_dns_options_check(const struct lc_dns_options *options,
                                    char *msg, size_t size)
{
  struct sockaddr_storage addr;

  for (size_t i = 0; i < options->nservers; i++) {
    const char *server = options->servers[i];
    if (server == NULL ||
        lc_netaddr_parse_hostport(server, DEFAULT_DNS_PORT, &addr) != LC_OK) {
      if (size > 0)
        snprintf(msg, size,
                 "invalid DNS server \"%s\": expected an IP address with "
                 "an optional port, such as 127.0.0.1:53 or [::1]:53",
                 server ? server : "(null)");
      return LC_ERR_INVALID;
    }
  }
  if (options->timeout_ms < 1 || options->timeout_ms > 600000)
    return invalid(msg, size, "DNS timeout (ms)", options->timeout_ms,
                   "1 to 600000");
  if (options->tries < 1 || options->tries > 20)
    return invalid(msg, size, "DNS tries", options->tries, "1 to 20");
  if (options->backoff_ms > 60000)
    return invalid(msg, size, "DNS backoff (ms)", options->backoff_ms,
                   "0 to 60000");
  if (options->concurrency < 1 || options->concurrency > 65536)
    return invalid(msg, size, "DNS concurrency", options->concurrency,
                   "1 to 65536");
  if (options->max_entries < 1)
    return invalid(msg, size, "DNS cache entries", options->max_entries,
                   "at least 1");
  if (options->max_bytes < 4096)
    return invalid(msg, size, "DNS cache bytes", options->max_bytes,
                   "at least 4096");
  return LC_OK;
}

/* Join the servers as "a,b" for c-ares (*CSV) and "a, b" for messages
 * (*TEXT). Both are "" without servers. Options must be checked. */
static enum lc_status join_servers(const struct lc_dns_options *options,
                                   char **csv, char **text)
{
  size_t size = options->nservers * (LC_NETADDR_TEXT_MAX + 2) + 1;
  struct sockaddr_storage addr;
  char one[LC_NETADDR_TEXT_MAX];

  *csv = calloc(1, size);
  *text = calloc(1, size);
  if (*csv == NULL || *text == NULL)
    return LC_ERR_NOMEM;
  for (size_t i = 0; i < options->nservers; i++) {
    lc_netaddr_parse_hostport(options->servers[i], DEFAULT_DNS_PORT, &addr);
    lc_netaddr_format((const struct sockaddr *)&addr, true, one, sizeof(one));
    if (i > 0) {
      strcat(*csv, ",");
      strcat(*text, ", ");
    }
    strcat(*csv, one);
    strcat(*text, one);
  }
  return LC_OK;
}

static void copy_options(struct lc_dns_resolver *resolver,
                         const struct lc_dns_options *options)
{
  resolver->timeout_ms = options->timeout_ms;
  resolver->tries = options->tries;
  resolver->backoff_ms = options->backoff_ms;
  resolver->concurrency = options->concurrency;
  resolver->allow_private = options->allow_private;
  resolver->max_entries = options->max_entries;
  resolver->max_bytes = options->max_bytes;
  resolver->seed = options->seed;
}

enum lc_status lc_dns_resolver_new(uv_loop_t *loop,
                                   const struct lc_dns_options *options,
                                   struct lc_dns_resolver **out, char *msg,
                                   size_t size)
{
  struct lc_dns_resolver *resolver = NULL;
  char *csv = NULL;
  bool library = false;
  enum lc_status status;

  if (size > 0)
    msg[0] = '\0';
  status = lc_dns_options_check(options, msg, size);
  if (status != LC_OK)
    goto done;
  status = LC_ERR_NOMEM;
  resolver = calloc(1, sizeof(*resolver));
  if (resolver == NULL)
    goto done;
  resolver->loop = loop;
  copy_options(resolver, options);
  if (join_servers(options, &csv, &resolver->servers_text) != LC_OK)
    goto done;
  status = LC_ERR_DNS;
  if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
    snprintf(msg, size, "DNS resolver setup failed: c-ares did not start");
    goto done;
  }
  library = true;
  status = lc_dns_ares_start(resolver, csv, msg, size);
  if (status != LC_OK)
    goto done;
  if (resolver->servers_text[0] == '\0')
    lc_dns_ares_servers_text(resolver);
  uv_idle_init(loop, &resolver->idle);
  resolver->idle.data = resolver;
  resolver->open_handles++;
  *out = resolver;
done:
  free(csv);
  if (status == LC_ERR_NOMEM && size > 0 && msg[0] == '\0')
    snprintf(msg, size, "out of memory");
  if (status != LC_OK && resolver != NULL) {
    if (library)
      ares_library_cleanup();
    free(resolver->servers_text);
    free(resolver);
  }
  return status;
}

static void ready_push(struct lc_dns_resolver *resolver,
                       struct lc_dns_waiter *waiter)
{
  waiter->next = NULL;
  if (resolver->ready_tail != NULL)
    resolver->ready_tail->next = waiter;
  else
    resolver->ready_head = waiter;
  resolver->ready_tail = waiter;
  uv_idle_start(&resolver->idle, idle_cb);
}

void lc_dns_deliver_waiters(struct lc_dns_resolver *resolver,
                            struct lc_dns_domain *domain)
{
  struct lc_dns_waiter *waiter = domain->waiters;

  domain->waiters = domain->waiters_tail = NULL;
  while (waiter != NULL) {
    struct lc_dns_waiter *next = waiter->next;
    ready_push(resolver, waiter);
    waiter = next;
  }
}

/* Copy DOMAIN without its final dot and in lower case into OUT, checking
 * the lengths of the name and of each label and the characters (letters,
 * digits, '-' and '_'). */
static bool normalize_name(const char *domain, char *out)
{
  size_t len = strlen(domain);
  size_t label = 0;

  if (len > 0 && domain[len - 1] == '.')
    len--;
  if (len == 0 || len > LC_DNS_NAME_MAX)
    return false;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)domain[i];
    if (c == '.') {
      if (label == 0)
        return false;
      label = 0;
    } else if (isalnum(c) || c == '-' || c == '_') {
      if (++label > 63)
        return false;
    } else {
      return false;
    }
    out[i] = (char)tolower(c);
  }
  out[len] = '\0';
  return label > 0;
}

enum lc_status lc_dns_lookup(struct lc_dns_resolver *resolver,
                             const char *domain, lc_dns_cb cb, void *arg)
{
  char name[LC_DNS_NAME_MAX + 1];
  struct lc_dns_entry *entry;
  struct lc_dns_domain *found;
  struct lc_dns_waiter *waiter;

  if (resolver->closing)
    return LC_ERR_CANCELED;
  if (!normalize_name(domain, name))
    return LC_ERR_INVALID;
  waiter = calloc(1, sizeof(*waiter));
  if (waiter == NULL)
    return LC_ERR_NOMEM;
  entry = lc_dns_map_find(&resolver->domains, name);
  found = (struct lc_dns_domain *)entry;
  if (found != NULL && found->state == LC_DOMAIN_DONE) {
    resolver->stats.cache_hits++;
    lc_dns_entry_touch(resolver, entry);
  } else if (found != NULL) {
    resolver->stats.joined++;
  } else {
    found = lc_dns_domain_new(resolver, name);
    if (found == NULL) {
      free(waiter);
      return LC_ERR_NOMEM;
    }
  }
  resolver->stats.lookups++;
  waiter->domain = found;
  waiter->cb = cb;
  waiter->arg = arg;
  found->entry.refs++;
  if (found->state == LC_DOMAIN_DONE) {
    ready_push(resolver, waiter);
  } else if (found->waiters_tail != NULL) {
    found->waiters_tail->next = waiter;
    found->waiters_tail = waiter;
  } else {
    found->waiters = found->waiters_tail = waiter;
  }
  lc_dns_table_trim(resolver);
  return LC_OK;
}

static void idle_cb(uv_idle_t *handle)
{
  struct lc_dns_resolver *resolver = handle->data;
  /* Deliver only what is queued now. Callbacks that queue more wait for
   * the next loop iteration, so I/O is not starved. */
  struct lc_dns_waiter *last = resolver->ready_tail;
  bool more = true;

  while (more && !resolver->closing && resolver->ready_head != NULL) {
    struct lc_dns_waiter *waiter = resolver->ready_head;
    struct lc_dns_domain *domain = waiter->domain;
    more = waiter != last;
    resolver->ready_head = waiter->next;
    if (resolver->ready_head == NULL)
      resolver->ready_tail = NULL;
    waiter->cb(waiter->arg, &domain->result);
    domain->entry.refs--;
    free(waiter);
  }
  if (resolver->closing)
    return;
  if (resolver->ready_head == NULL)
    uv_idle_stop(handle);
  lc_dns_table_trim(resolver);
}

static void cancel_waiter(struct lc_dns_waiter *waiter)
{
  struct lc_dns_result result;

  memset(&result, 0, sizeof(result));
  result.domain = waiter->domain->entry.name;
  result.outcome = LC_DNS_ERROR;
  result.error = "canceled";
  waiter->cb(waiter->arg, &result);
  free(waiter);
}

/* Call every waiting and queued callback with "canceled". The callbacks
 * cannot change the table: lookups are rejected and trimming stops while
 * the resolver is closing. */
static void cancel_all(struct lc_dns_resolver *resolver)
{
  struct lc_dns_map *map = &resolver->domains;

  for (size_t i = 0; i < map->nbuckets; i++) {
    for (struct lc_dns_entry *e = map->buckets[i]; e; e = e->hash_next) {
      struct lc_dns_domain *domain = (struct lc_dns_domain *)e;
      struct lc_dns_waiter *waiter = domain->waiters;
      domain->waiters = domain->waiters_tail = NULL;
      while (waiter != NULL) {
        struct lc_dns_waiter *next = waiter->next;
        cancel_waiter(waiter);
        waiter = next;
      }
    }
  }
  while (resolver->ready_head != NULL) {
    struct lc_dns_waiter *waiter = resolver->ready_head;
    resolver->ready_head = waiter->next;
    cancel_waiter(waiter);
  }
  resolver->ready_tail = NULL;
}

void lc_dns_resolver_free(struct lc_dns_resolver *resolver)
{
  if (resolver == NULL || resolver->closing)
    return;
  resolver->closing = true;
  lc_dns_ares_stop(resolver);
  lc_dnsq_teardown(resolver);
  cancel_all(resolver);
  uv_idle_stop(&resolver->idle);
  uv_close((uv_handle_t *)&resolver->idle, idle_close_cb);
}

static void idle_close_cb(uv_handle_t *handle)
{
  lc_dns_handle_closed(handle->data);
}

void lc_dns_handle_closed(struct lc_dns_resolver *resolver)
{
  if (--resolver->open_handles > 0 || !resolver->closing)
    return;
  lc_dns_table_free(resolver);
  free(resolver->servers_text);
  ares_library_cleanup();
  free(resolver);
}

void lc_dns_get_stats(const struct lc_dns_resolver *resolver,
                      struct lc_dns_stats *stats)
{
  *stats = resolver->stats;
}

const char *lc_dns_outcome_name(enum lc_dns_outcome outcome)
{
  if ((unsigned)outcome >= sizeof(outcome_names) / sizeof(outcome_names[0]))
    return "unknown";
  return outcome_names[outcome];
}
