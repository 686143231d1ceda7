/* Identity client: creation, lookups, delivery of results, shutdown.
 *
 * Results are never delivered from inside the code that decides them:
 * lc_identity_complete() moves the lookup to the ready queue and a
 * zero-delay timer runs the callbacks from the loop. So a user callback
 * never runs inside lc_identity_lookup() or inside an HTTP callback, and
 * it may start lookups or free the client.
 */
#include "engine/identity.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/identity_int.h"
#include "engine/log.h"

static const char *const id_lookup_state_names[] = {"waiting", "checking",
                                                    "ready"};

static void id_done_cb(uv_timer_t *timer);
static void id_close_cb(uv_handle_t *handle);

void lc_identity_options_init(struct lc_identity_options *opts)
{
  *opts = (struct lc_identity_options){
      .base_url = LC_IDENTITY_BASE_URL,
      .ca_file = NULL,
      .rate = 5,
      .max_inflight = 4,
      .timeout_ms = 15000,
      .max_retries = 3,
      .retry_delay_ms = 2000,
  };
}

static enum lc_status id_check_options(const struct lc_identity_options *o,
                                       char *err, size_t size)
{
  const char *problem = NULL;

  if (o->base_url == NULL || strncmp(o->base_url, "https://", 8) != 0 ||
      o->base_url[8] == '\0')
    problem = "base URL: use an https:// URL";
  else if (!(o->rate >= 0.01 && o->rate <= 10000))
    problem = "rate: use 0.01..10000 requests per second";
  else if (o->max_inflight < 1 || o->max_inflight > 256)
    problem = "max in flight: use 1..256";
  else if (o->timeout_ms < 1 || o->timeout_ms > 600000)
    problem = "timeout: use 1..600000 ms";
  else if (o->max_retries > 100)
    problem = "max retries: use 0..100";
  else if (o->retry_delay_ms > 3600000)
    problem = "retry delay: use 0..3600000 ms";
  if (problem == NULL)
    return LC_OK;
  snprintf(err, size, "invalid identity option %s", problem);
  return LC_ERR_INVALID;
}

/* Copy base_url without trailing slashes and note its host for logs. */
static enum lc_status id_set_base(struct lc_identity_client *c, const char *url)
{
  size_t len = strlen(url);
  const char *host = url + 8;

  while (len > 8 && url[len - 1] == '/')
    len--;
  c->base_url = strndup(url, len);
  if (c->base_url == NULL)
    return LC_ERR_NOMEM;
  snprintf(c->host, sizeof(c->host), "%.*s", (int)strcspn(host, "/?#"), host);
  return LC_OK;
}

static enum lc_status id_open_http(struct lc_identity_client *c, char *err,
                                   size_t size)
{
  struct lc_http_options http_opts = {
      .ca_file = c->opts.ca_file,
      .timeout_ms = c->opts.timeout_ms,
      .body_max = LC_HTTP_BODY_DEFAULT,
      .max_connections = c->opts.max_inflight,
      .user_agent = "listclean/" LC_VERSION,
  };

  return lc_http_new(c->loop, &http_opts, &c->http, err, size);
}

enum lc_status lc_identity_new(uv_loop_t *loop,
                               const struct lc_identity_options *opts,
                               struct lc_identity_client **out, char *err,
                               size_t size)
{
  struct lc_identity_options defaults;
  struct lc_identity_client *c;
  enum lc_status status;

  lc_identity_options_init(&defaults);
  if (opts == NULL)
    opts = &defaults;
  status = id_check_options(opts, err, size);
  if (status != LC_OK)
    return status;
  c = calloc(1, sizeof(*c));
  if (c == NULL)
    return LC_ERR_NOMEM;
  c->loop = loop;
  c->opts = *opts;
  c->interval_ms = 1000.0 / opts->rate;
  status = id_set_base(c, opts->base_url);
  if (status == LC_OK)
    status = id_open_http(c, err, size);
  if (status != LC_OK) {
    if (status == LC_ERR_NOMEM)
      snprintf(err, size, "out of memory");
    free(c->base_url);
    free(c);
    return status;
  }
  c->opts.base_url = c->base_url;
  c->opts.ca_file = NULL;
  uv_timer_init(loop, &c->pace_timer);
  uv_timer_init(loop, &c->done_timer);
  c->pace_timer.data = c->done_timer.data = c;
  c->handles = 2;
  *out = c;
  return LC_OK;
}

void lc_identity_lookup_set_state(struct lc_identity_lookup *lookup,
                                  enum lc_identity_lookup_state state)
{
  lc_trace("identity lookup %s: %s -> %s", lookup->address,
           id_lookup_state_names[lookup->state], id_lookup_state_names[state]);
  lookup->state = state;
}

/* Copy the lower-cased domain of ADDRESS into BUF. Returns false when
 * ADDRESS is not "local@domain" of printable characters in UTF-8. */
static bool id_split_address(const char *address, char *buf, size_t size)
{
  size_t len = strlen(address);
  const char *at = strrchr(address, '@');

  if (len > LC_IDENTITY_ADDRESS_MAX || at == NULL || at == address ||
      at[1] == '\0' || strlen(at + 1) >= size)
    return false;
  for (const char *p = address; *p != '\0'; p++) {
    if ((unsigned char)*p <= ' ' || *p == 0x7f)
      return false;
  }
  if (!lc_identity_utf8_valid(address))
    return false;
  for (const char *p = at + 1; *p != '\0'; p++)
    *buf++ = (char)tolower((unsigned char)*p);
  *buf = '\0';
  return true;
}

static void id_all_unlink(struct lc_identity_lookup *lookup)
{
  struct lc_identity_client *c = lookup->client;

  if (lookup->all_prev != NULL)
    lookup->all_prev->all_next = lookup->all_next;
  else
    c->all_head = lookup->all_next;
  if (lookup->all_next != NULL)
    lookup->all_next->all_prev = lookup->all_prev;
}

static void id_lookup_free(struct lc_identity_lookup *lookup)
{
  free(lookup->address);
  free(lookup);
}

static struct lc_identity_lookup *id_lookup_new(struct lc_identity_client *c,
                                                const char *address,
                                                lc_identity_cb cb, void *arg)
{
  struct lc_identity_lookup *lookup = calloc(1, sizeof(*lookup));

  if (lookup == NULL || (lookup->address = strdup(address)) == NULL) {
    free(lookup);
    return NULL;
  }
  lookup->client = c;
  lookup->cb = cb;
  lookup->arg = arg;
  lookup->state = LC_IDENTITY_LOOKUP_WAITING;
  lookup->all_next = c->all_head;
  if (c->all_head != NULL)
    c->all_head->all_prev = lookup;
  c->all_head = lookup;
  return lookup;
}

enum lc_status lc_identity_lookup(struct lc_identity_client *c,
                                  const char *address, lc_identity_cb cb,
                                  void *arg)
{
  char name[LC_IDENTITY_ADDRESS_MAX + 1];
  struct lc_identity_lookup *lookup;
  struct lc_identity_domain *domain;
  bool created = false;

  if (c->closing)
    return LC_ERR_CANCELED;
  if (!id_split_address(address, name, sizeof(name)))
    return LC_ERR_INVALID;
  lookup = id_lookup_new(c, address, cb, arg);
  if (lookup == NULL)
    return LC_ERR_NOMEM;
  domain = lc_identity_domain_get(c, name, &created);
  if (domain == NULL) {
    id_all_unlink(lookup);
    id_lookup_free(lookup);
    return LC_ERR_NOMEM;
  }
  lookup->domain = domain;
  c->stats.lookups++;
  if (!created)
    c->stats.cache_hits++;
  lc_identity_domain_join(domain, lookup, created);
  return LC_OK;
}

void lc_identity_complete(struct lc_identity_lookup *lookup,
                          enum lc_identity result, const char *detail)
{
  struct lc_identity_client *c = lookup->client;

  lookup->result = result;
  snprintf(lookup->detail, sizeof(lookup->detail), "%s", detail);
  lc_identity_lookup_set_state(lookup, LC_IDENTITY_LOOKUP_READY);
  lookup->next = NULL;
  if (c->ready_tail != NULL)
    c->ready_tail->next = lookup;
  else
    c->ready_head = lookup;
  c->ready_tail = lookup;
  if (!c->closing && !uv_is_active((uv_handle_t *)&c->done_timer))
    uv_timer_start(&c->done_timer, id_done_cb, 0, 0);
}

/* Run the callback of LOOKUP, already unlinked from every list, and free
 * it. */
static void id_deliver(struct lc_identity_lookup *lookup)
{
  lc_debug("identity: %s: %s (%s)", lookup->address,
           lookup->result == LC_IDENTITY_NOT_CHECKED
               ? "not checked"
               : lc_identity_name(lookup->result),
           lookup->detail);
  lookup->cb(lookup->arg, lookup->result, lookup->detail);
  id_lookup_free(lookup);
}

static void id_done_cb(uv_timer_t *timer)
{
  struct lc_identity_client *c = timer->data;

  while (!c->closing && c->ready_head != NULL) {
    struct lc_identity_lookup *lookup = c->ready_head;

    c->ready_head = lookup->next;
    if (c->ready_head == NULL)
      c->ready_tail = NULL;
    id_all_unlink(lookup);
    id_deliver(lookup);
  }
}

void lc_identity_get_stats(const struct lc_identity_client *c,
                           struct lc_identity_stats *out)
{
  struct lc_http_stats http = {0};

  *out = c->stats;
  if (c->http != NULL)
    lc_http_get_stats(c->http, &http);
  out->connects = http.connects;
}

static void id_close_cb(uv_handle_t *handle)
{
  struct lc_identity_client *c = handle->data;

  if (--c->handles == 0) {
    free(c->base_url);
    free(c);
  }
}

void lc_identity_free(struct lc_identity_client *c)
{
  if (c == NULL || c->closing)
    return;
  c->closing = true;
  /* Running requests end here; their callbacks see `closing` and leave
   * the calls for lc_identity_calls_free(). */
  lc_http_free(c->http);
  c->http = NULL;
  while (c->all_head != NULL) {
    struct lc_identity_lookup *lookup = c->all_head;

    id_all_unlink(lookup);
    if (lookup->state != LC_IDENTITY_LOOKUP_READY) {
      lookup->result = LC_IDENTITY_NOT_CHECKED;
      snprintf(lookup->detail, sizeof(lookup->detail), "canceled");
    }
    id_deliver(lookup);
  }
  c->ready_head = c->ready_tail = NULL;
  lc_identity_calls_free(c);
  lc_identity_domains_free(c);
  uv_timer_stop(&c->pace_timer);
  uv_timer_stop(&c->done_timer);
  uv_close((uv_handle_t *)&c->pace_timer, id_close_cb);
  uv_close((uv_handle_t *)&c->done_timer, id_close_cb);
}
