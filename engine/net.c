/* Network checks: the domain table, DNS lookups, the catch-all probe and
 * the SMTP probes of rows. Verdicts are made in net_decide.c. */
#include "engine/net_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/dedup.h"
#include "engine/identity.h"
#include "engine/limits.h"
#include "engine/log.h"
#include "engine/netaddr.h"
#include "engine/provider.h"
#include "engine/tls.h"

/* Local part length of the catch-all probe (at least 20 is the rule). */
#define NET_PROBE_LOCAL_LEN 24

static void net_probe_done_cb(struct lc_probe *probe,
                              const struct lc_smtp_result *result);
static void net_catch_all_done_cb(struct lc_probe *probe,
                                  const struct lc_smtp_result *result);

static uint64_t net_random(struct lc_net *net)
{
  /* splitmix64 step */
  uint64_t z = (net->rng += 0x9e3779b97f4a7c15ull);

  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static enum lc_status net_setup_names(struct lc_net *net, char *err,
                                      size_t err_size)
{
  const struct lc_job_options *o = net->opt;

  if (o->helo_name != NULL) {
    snprintf(net->helo, sizeof(net->helo), "%s", o->helo_name);
  } else if (gethostname(net->helo, sizeof(net->helo) - 1) != 0) {
    snprintf(net->helo, sizeof(net->helo), "localhost");
  }
  int n;
  if (o->mail_from != NULL)
    n = snprintf(net->mail_from, sizeof(net->mail_from), "%s", o->mail_from);
  else
    n = snprintf(net->mail_from, sizeof(net->mail_from), "verify@%s",
                 net->helo);
  if (n < 0 || (size_t)n >= sizeof(net->mail_from)) {
    snprintf(err, err_size,
             "invalid --from or --helo: the address is longer than %d "
             "characters",
             LC_SMTP_PATH_MAX);
    return LC_ERR_INVALID;
  }
  if (strchr(net->mail_from, '@') == NULL && net->mail_from[0] != '\0') {
    snprintf(err, err_size,
             "invalid --from %s: give an address such as verify@%s",
             net->mail_from, net->helo);
    return LC_ERR_INVALID;
  }
  return LC_OK;
}

static enum lc_status net_setup_dns(struct lc_net *net, char *err,
                                    size_t err_size)
{
  const struct lc_job_options *o = net->opt;
  struct lc_dns_options d;

  lc_dns_options_init(&d);
  d.servers = o->dns_servers;
  d.nservers = o->ndns_servers;
  if (o->dns_timeout_ms)
    d.timeout_ms = o->dns_timeout_ms;
  if (o->dns_tries)
    d.tries = o->dns_tries;
  if (o->dns_concurrency)
    d.concurrency = o->dns_concurrency;
  d.allow_private = o->allow_private_mx;
  d.seed = net->rng;
  return lc_dns_resolver_new(net->loop, &d, &net->resolver, err, err_size);
}

static enum lc_status net_setup_sched(struct lc_net *net, char *err,
                                      size_t err_size)
{
  const struct lc_job_options *o = net->opt;
  struct lc_sched_options s;

  memset(&s, 0, sizeof(s));
  if (!o->no_starttls && lc_tls_client_ctx_new(&net->ssl_ctx) != LC_OK) {
    snprintf(err, err_size, "cannot create the TLS client context");
    return LC_ERR_TLS;
  }
  s.smtp.helo_name = net->helo;
  s.smtp.mail_from = net->mail_from;
  s.smtp.port = (uint16_t)(o->smtp_port ? o->smtp_port : 25);
  s.smtp.connect_timeout_ms = o->connect_timeout_ms;
  s.smtp.command_timeout_ms = o->command_timeout_ms;
  s.smtp.use_tls = !o->no_starttls;
  s.smtp.ssl_ctx = net->ssl_ctx;
  s.smtp.trace = lc_log_enabled(LC_LOG_TRACE);
  s.max_connections = lc_limits_smtp_connections(o->max_connections);
  s.per_mx_connections = o->per_mx_connections;
  s.connects_per_sec = o->connects_per_sec;
  s.rcpts_per_min = o->rcpts_per_min;
  s.rcpt_per_session = o->rcpt_per_session;
  s.greylist_retry_ms = o->greylist_retry_ms;
  s.greylist_max_wait_ms = o->greylist_max_wait_ms;
  s.backoff_ms = o->backoff_ms;
  return lc_sched_new(net->loop, &s, &net->sched, err, err_size);
}

static enum lc_status net_setup_identity(struct lc_net *net, char *err,
                                         size_t err_size)
{
  const struct lc_job_options *o = net->opt;
  struct lc_identity_options i;

  lc_identity_options_init(&i);
  if (o->identity_url != NULL)
    i.base_url = o->identity_url;
  i.ca_file = o->ca_file;
  if (o->identity_rate > 0)
    i.rate = o->identity_rate;
  if (o->identity_retry_ms > 0)
    i.retry_delay_ms = o->identity_retry_ms;
  return lc_identity_new(net->loop, &i, &net->identity, err, err_size);
}

enum lc_status lc_net_new(uv_loop_t *loop, const struct lc_job_options *opt,
                          struct lc_net **out, char *err, size_t err_size)
{
  struct lc_net *net = calloc(1, sizeof(*net));
  enum lc_status status = LC_ERR_NOMEM;

  if (net == NULL) {
    snprintf(err, err_size, "out of memory for the network checks");
    return status;
  }
  net->loop = loop;
  net->opt = opt;
  net->rng =
      opt->seed ? opt->seed : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
  net->table_size = 1024;
  uv_timer_init(loop, &net->park_timer);
  net->park_timer.data = net;
  net->table = calloc(net->table_size, sizeof(*net->table));
  net->seen = lc_net_seen_new();
  if (net->table == NULL || net->seen == NULL)
    goto fail;
  status = net_setup_names(net, err, err_size);
  if (status == LC_OK)
    status = net_setup_dns(net, err, err_size);
  if (status == LC_OK && (opt->checks & LC_CHECK_SMTP))
    status = net_setup_sched(net, err, err_size);
  if (status == LC_OK && (opt->checks & LC_CHECK_IDENTITY))
    status = net_setup_identity(net, err, err_size);
  if (status != LC_OK)
    goto fail;
  *out = net;
  return LC_OK;
fail:
  if (status == LC_ERR_NOMEM)
    snprintf(err, err_size, "out of memory for the network checks");
  lc_net_shutdown(net);
  return status;
}

/* Domain table --------------------------------------------------------- */

static void net_lru_unlink(struct lc_net *net, struct net_domain *d)
{
  if (d->lru_prev != NULL)
    d->lru_prev->lru_next = d->lru_next;
  else if (net->lru_head == d)
    net->lru_head = d->lru_next;
  if (d->lru_next != NULL)
    d->lru_next->lru_prev = d->lru_prev;
  else if (net->lru_tail == d)
    net->lru_tail = d->lru_prev;
  d->lru_prev = d->lru_next = NULL;
}

static void net_domain_free(struct net_domain *d)
{
  free(d->name);
  free(d->hosts);
  free(d->addrs);
  free(d->names);
  free(d);
}

static void net_table_remove(struct lc_net *net, struct net_domain *d)
{
  struct net_domain **pp = &net->table[d->hash & (net->table_size - 1)];

  while (*pp != d)
    pp = &(*pp)->hash_next;
  *pp = d->hash_next;
  net->ndomains--;
}

/* Drop idle domains, oldest first, while the table is over its bound. */
static void net_evict(struct lc_net *net)
{
  size_t max = net->opt->max_domains ? net->opt->max_domains : 200000;

  while (!net->hold_evictions && net->ndomains > max && net->lru_head != NULL) {
    struct net_domain *d = net->lru_head;
    net_lru_unlink(net, d);
    net_table_remove(net, d);
    net_domain_free(d);
  }
}

static void net_table_grow(struct lc_net *net)
{
  size_t size = net->table_size * 2;
  struct net_domain **table = calloc(size, sizeof(*table));

  if (table == NULL)
    return; /* longer chains, still correct */
  for (size_t i = 0; i < net->table_size; i++) {
    struct net_domain *d = net->table[i], *next;
    for (; d != NULL; d = next) {
      next = d->hash_next;
      d->hash_next = table[d->hash & (size - 1)];
      table[d->hash & (size - 1)] = d;
    }
  }
  free(net->table);
  net->table = table;
  net->table_size = size;
}

static struct net_domain *net_domain_get(struct lc_net *net, const char *name)
{
  uint64_t hash = lc_hash_nocase(name, strlen(name));
  struct net_domain *d = net->table[hash & (net->table_size - 1)];

  for (; d != NULL; d = d->hash_next) {
    if (d->hash == hash && strcmp(d->name, name) == 0) {
      if (d->refs++ == 0)
        net_lru_unlink(net, d);
      return d;
    }
  }
  d = calloc(1, sizeof(*d));
  if (d == NULL || (d->name = strdup(name)) == NULL) {
    free(d);
    return NULL;
  }
  d->hash = hash;
  d->refs = 1;
  d->any_accepted =
      net->accepted != NULL && lc_dedup_has_hash(net->accepted, hash);
  if (net->ndomains + 1 > net->table_size)
    net_table_grow(net);
  d->hash_next = net->table[hash & (net->table_size - 1)];
  net->table[hash & (net->table_size - 1)] = d;
  net->ndomains++;
  return d;
}

void lc_net_domain_release(struct lc_net *net, struct net_domain *d)
{
  if (--d->refs > 0 || (d->probe_started && !d->probe_done))
    return;
  /* Idle: append to the LRU list; the table may now be over its bound. */
  d->lru_prev = net->lru_tail;
  if (net->lru_tail != NULL)
    net->lru_tail->lru_next = d;
  else
    net->lru_head = d;
  net->lru_tail = d;
  net_evict(net);
}

/* DNS ------------------------------------------------------------------ */

/* Copy the usable hosts of RESULT into D's route. */
static enum lc_status net_copy_route(struct net_domain *d,
                                     const struct lc_dns_result *result)
{
  size_t naddrs = 0, names_len = 0, a = 0, off = 0;

  for (size_t i = 0; i < result->nhosts; i++) {
    naddrs += result->hosts[i].naddrs;
    names_len += strlen(result->hosts[i].name) + 1;
  }
  d->hosts = calloc(result->nhosts ? result->nhosts : 1, sizeof(*d->hosts));
  d->addrs = calloc(naddrs ? naddrs : 1, sizeof(*d->addrs));
  d->names = malloc(names_len ? names_len : 1);
  if (d->hosts == NULL || d->addrs == NULL || d->names == NULL)
    return LC_ERR_NOMEM;
  for (size_t i = 0; i < result->nhosts; i++) {
    const struct lc_dns_host *h = &result->hosts[i];
    size_t len = strlen(h->name) + 1;
    memcpy(d->names + off, h->name, len);
    memcpy(d->addrs + a, h->addrs, h->naddrs * sizeof(*d->addrs));
    d->hosts[i].name = d->names + off;
    d->hosts[i].addrs = d->addrs + a;
    d->hosts[i].naddrs = h->naddrs;
    off += len;
    a += h->naddrs;
  }
  d->route.nhosts = result->nhosts;
  d->route.hosts = d->hosts;
  return LC_OK;
}

static void net_start_smtp(struct net_addr *addr);

/* The big shared clusters share one politeness budget per provider.
 * Other hosts get one per address from the scheduler, so that names that
 * lead to one server (CNAMEs, vanity names) share it. */
static void net_set_group(struct net_domain *d)
{
  static const char *const clusters[] = {"microsoft", "google", "yahoo"};

  for (size_t i = 0; d->provider != NULL && i < 3; i++) {
    if (strcmp(d->provider, clusters[i]) == 0) {
      snprintf(d->group, sizeof(d->group), "%s", clusters[i]);
      d->route.group = d->group;
      return;
    }
  }
}

struct net_addr *lc_net_reverse(struct net_addr *list)
{
  struct net_addr *out = NULL, *next;

  for (; list != NULL; list = next) {
    next = list->next;
    list->next = out;
    out = list;
  }
  return out;
}

static void net_dns_cb(void *arg, const struct lc_dns_result *result)
{
  struct net_domain *d = arg;
  /* Rows wait on a stack. They go on in input order, so the first rows of
   * a big domain are probed first and can be written first. */
  struct net_addr *waiters = lc_net_reverse(d->dns_waiters), *next;

  d->dns_done = true;
  d->dns = result->outcome;
  snprintf(d->dns_error, sizeof(d->dns_error), "%s",
           result->error ? result->error : "");
  if ((d->dns == LC_DNS_OK || d->dns == LC_DNS_IMPLICIT_MX) &&
      net_copy_route(d, result) != LC_OK) {
    d->dns = LC_DNS_ERROR;
    snprintf(d->dns_error, sizeof(d->dns_error), "out of memory");
  }
  if (d->route.nhosts > 0) {
    d->provider = lc_provider_match(d->route.hosts[0].name, &d->gateway);
    net_set_group(d);
  }
  d->dns_waiters = NULL;
  for (; waiters != NULL; waiters = next) {
    next = waiters->next;
    waiters->next = NULL;
    net_start_smtp(waiters);
  }
}

/* SMTP ----------------------------------------------------------------- */

static bool net_route_usable(const struct net_domain *d)
{
  return (d->dns == LC_DNS_OK || d->dns == LC_DNS_IMPLICIT_MX) &&
         d->route.nhosts > 0;
}

static void net_start_catch_all(struct lc_net *net, struct net_domain *d)
{
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  char local[NET_PROBE_LOCAL_LEN + 1];

  d->probe_started = true;
  for (int i = 0; i < NET_PROBE_LOCAL_LEN; i++)
    local[i] = alphabet[net_random(net) % (sizeof(alphabet) - 1)];
  local[0] = alphabet[net_random(net) % 26]; /* start with a letter */
  local[NET_PROBE_LOCAL_LEN] = '\0';
  snprintf(d->probe_rcpt, sizeof(d->probe_rcpt), "%s@%s", local, d->name);
  d->probe.rcpt = d->probe_rcpt;
  d->probe.domain = d->name;
  d->probe.route = &d->route;
  d->probe.first = true;
  d->probe.done = net_catch_all_done_cb;
  d->probe.user = net;
  if (lc_sched_submit(net->sched, &d->probe) != LC_OK) {
    d->probe_done = true;
    d->probe_class = LC_RCPT_NOT_PROBED;
    return;
  }
  net->in_flight++;
}

/* Mark the row's SMTP stage as over, whether it got a reply or was
 * skipped. */
static void net_answered(struct net_addr *addr)
{
  if (addr->counted_unanswered) {
    addr->counted_unanswered = false;
    addr->domain->unanswered--;
  }
}

static void net_start_smtp(struct net_addr *addr)
{
  struct lc_net *net = addr->net;
  struct net_domain *d = addr->domain;

  if (!net_route_usable(d) || net->sched == NULL || net->shutting_down) {
    net_answered(addr);
    lc_net_finish_without_smtp(addr);
    return;
  }
  if (!d->probe_started)
    net_start_catch_all(net, d);
  /* The normalized address stays as it is until the row is done. One too
   * long for an SMTP path is rejected below, never cut. */
  addr->probe.rcpt = addr->item->result.normalized;
  addr->probe.domain = d->name;
  addr->probe.route = &d->route;
  addr->probe.first = false;
  addr->probe.done = net_probe_done_cb;
  addr->probe.user = addr;
  if (lc_sched_submit(net->sched, &addr->probe) != LC_OK) {
    /* The scheduler rejects addresses it cannot send, such as ones with
     * characters SMTP paths cannot carry. */
    addr->obs.rcpt = LC_RCPT_PROTOCOL_ERROR;
    addr->smtp_done = true;
    net_answered(addr);
    lc_net_try_decide(addr, false);
  }
}

static void net_catch_all_done_cb(struct lc_probe *probe,
                                  const struct lc_smtp_result *result)
{
  struct net_domain *d =
      (struct net_domain *)((char *)probe - offsetof(struct net_domain, probe));
  struct lc_net *net = probe->user;

  d->probe_done = true;
  d->probe_class = result->cls;
  d->probe_code = result->code;
  snprintf(d->probe_enhanced, sizeof(d->probe_enhanced), "%s",
           result->enhanced);
  lc_debug("catch-all probe %s: %s %d %s", d->probe_rcpt,
           lc_rcpt_class_name(result->cls), result->code, result->enhanced);
  lc_net_wake(d, net->shutting_down);
  if (d->refs == 0) {
    d->refs = 1; /* released below, which files it as idle */
    lc_net_domain_release(net, d);
  }
  lc_net_settle(net);
}

/* Mark D as having had a real recipient accepted, and record it in the set
 * that outlives D's table entry. Without memory for the set, only D is
 * marked. */
static void net_note_accepted(struct lc_net *net, struct net_domain *d)
{
  d->any_accepted = true;
  lc_net_accepted_add(&net->accepted, d->hash);
}

void lc_net_accepted_add(struct lc_dedup **set, uint64_t domain_hash)
{
  if (*set == NULL)
    *set = lc_dedup_new(LC_NET_ACCEPTED_MEMORY);
  if (*set != NULL)
    (void)lc_dedup_seen_hash(*set, domain_hash);
}

void lc_net_take_accepted(struct lc_net *net, struct lc_dedup *set)
{
  lc_dedup_free(net->accepted);
  net->accepted = set;
}

static void net_probe_done_cb(struct lc_probe *probe,
                              const struct lc_smtp_result *result)
{
  struct net_addr *addr = probe->user;
  struct lc_result *r = &addr->item->result;

  addr->smtp_done = true;
  net_answered(addr);
  addr->obs.rcpt = result->cls;
  addr->obs.rcpt_code = result->code;
  snprintf(addr->obs.rcpt_enhanced, sizeof(addr->obs.rcpt_enhanced), "%s",
           result->enhanced);
  if (result->mx != NULL)
    lc_result_set_mx(r, result->mx);
  if (result->code > 0) {
    snprintf(r->smtp_code, sizeof(r->smtp_code), "%d%s%.15s",
             result->code % 1000, result->enhanced[0] ? " " : "",
             result->enhanced);
    lc_result_set_message(r, result->message);
  }
  if (result->cls == LC_RCPT_CONNECTION_FAILED) {
    unsigned port = addr->net->opt->smtp_port ? addr->net->opt->smtp_port : 25;
    lc_log_warn_counted(
        "smtp connection failed",
        "no MX host of %s accepted a connection on port %u; if this "
        "happens for every domain, outbound port %u is probably blocked "
        "here: run with --checks syntax,dns instead",
        addr->domain->name, port, port);
  }
  if (result->cls == LC_RCPT_ACCEPTED && !addr->domain->any_accepted) {
    net_note_accepted(addr->net, addr->domain);
    lc_net_wake(addr->domain, false);
  }
  lc_net_try_decide(addr, addr->net->shutting_down);
}

/* Entry points --------------------------------------------------------- */

void lc_net_check(struct lc_net *net, struct lc_item *item,
                  const struct lc_addr_obs *obs, const char *domain)
{
  struct net_addr *addr = calloc(1, sizeof(*addr));

  if (addr == NULL || net->shutting_down ||
      (addr->domain = net_domain_get(net, domain)) == NULL) {
    free(addr);
    item->result.verdict.status = LC_STATUS_UNKNOWN;
    item->result.verdict.reason = LC_REASON_NOT_CHECKED;
    lc_pipeline_item_done(item);
    return;
  }
  addr->net = net;
  addr->item = item;
  addr->obs = *obs;
  switch (lc_net_seen_claim(net->seen, addr, item->result.normalized)) {
  case LC_NET_SEEN_DONE:
    lc_net_domain_release(net, addr->domain);
    free(addr);
    lc_pipeline_item_done(item);
    return;
  case LC_NET_SEEN_WAIT:
    net->in_flight++;
    return;
  case LC_NET_SEEN_OWNER:
    break;
  }
  net->in_flight++;
  struct net_domain *d = addr->domain;
  d->unanswered++;
  addr->counted_unanswered = true;
  if (d->dns_done) {
    net_start_smtp(addr);
    return;
  }
  addr->next = d->dns_waiters;
  d->dns_waiters = addr;
  if (!d->dns_started) {
    d->dns_started = true;
    if (lc_dns_lookup(net->resolver, d->name, net_dns_cb, d) != LC_OK) {
      struct lc_dns_result failed = {.domain = d->name,
                                     .outcome = LC_DNS_ERROR,
                                     .error = "lookup could not start"};
      net_dns_cb(d, &failed);
    }
  }
}

void lc_net_park_link(struct lc_net *net, struct net_domain *d)
{
  d->park_prev = NULL;
  d->park_next = net->parked;
  if (net->parked != NULL)
    net->parked->park_prev = d;
  net->parked = d;
}

void lc_net_park_unlink(struct lc_net *net, struct net_domain *d)
{
  if (d->park_prev != NULL)
    d->park_prev->park_next = d->park_next;
  else
    net->parked = d->park_next;
  if (d->park_next != NULL)
    d->park_next->park_prev = d->park_prev;
  d->park_prev = d->park_next = NULL;
}

static void net_wake_all(struct lc_net *net)
{
  struct net_domain *list = net->parked, *next;

  /* Walk only the domains with parked rows, from a detached list, because
   * waking a domain unlinks it and may link it again. A domain with rows
   * still waiting for SMTP replies may yet show that its gateway
   * validates, and those replies come without more input; a pending
   * catch-all probe will tell whether accepted rows are accept_all. So
   * only quiet domains are decided here, and all of them on shutdown. */
  net->hold_evictions = true;
  net->parked = NULL;
  for (struct net_domain *d = list; d != NULL; d = next) {
    next = d->park_next;
    lc_net_park_link(net, d);
    if ((d->unanswered == 0 && (d->probe_done || !d->probe_started)) ||
        net->shutting_down)
      lc_net_wake(d, true);
  }
  net->hold_evictions = false;
  net_evict(net);
}

void lc_net_force(struct lc_net *net)
{
  if (net != NULL && net->gateway_waiting > 0)
    net_wake_all(net);
}

static void net_free_all(struct lc_net *net)
{
  for (size_t i = 0; net->table != NULL && i < net->table_size; i++) {
    struct net_domain *d = net->table[i], *next;
    for (; d != NULL; d = next) {
      next = d->hash_next;
      net_domain_free(d);
    }
  }
  free(net->table);
  lc_dedup_free(net->accepted);
  lc_net_seen_free(net->seen);
  if (net->ssl_ctx != NULL)
    SSL_CTX_free(net->ssl_ctx);
  free(net);
}

void lc_net_set_blocked_cb(struct lc_net *net, bool (*blocked)(void *arg),
                           void *arg)
{
  net->blocked = blocked;
  net->blocked_arg = arg;
}

static void net_park_timer_cb(uv_timer_t *timer)
{
  struct lc_net *net = timer->data;

  if (net->gateway_waiting == 0) {
    uv_timer_stop(timer);
    return;
  }
  if (net->blocked == NULL || net->blocked(net->blocked_arg))
    lc_net_force(net);
}

void lc_net_parked(struct lc_net *net)
{
  if (!uv_is_active((uv_handle_t *)&net->park_timer) && !net->shutting_down)
    uv_timer_start(&net->park_timer, net_park_timer_cb, 100, 100);
}

static void net_park_timer_closed_cb(uv_handle_t *handle)
{
  lc_net_settle(handle->data);
}

void lc_net_settle(struct lc_net *net)
{
  net->in_flight--;
  if (net->shutting_down && net->in_flight == 0)
    net_free_all(net);
}

void lc_net_shutdown(struct lc_net *net)
{
  if (net == NULL)
    return;
  net->shutting_down = true;
  net->in_flight++; /* settled by the close callback of the timer */
  uv_close((uv_handle_t *)&net->park_timer, net_park_timer_closed_cb);
  /* The scheduler completes every probe (as not probed) and the resolver
   * every lookup (as canceled), some of them later from the loop. Their
   * callbacks finish the rows, and the last one frees NET. This call
   * counts as one more in flight, so completions made before it returns
   * cannot free NET under it. */
  net->in_flight++;
  lc_sched_shutdown(net->sched);
  net->sched = NULL;
  lc_dns_resolver_free(net->resolver);
  net->resolver = NULL;
  lc_identity_free(net->identity);
  net->identity = NULL;
  net_wake_all(net);
  lc_net_settle(net);
}
