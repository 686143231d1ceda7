/* MX scheduler: life cycle and placement of probes.
 *
 * Probes enter through the incoming list and are placed into the key of
 * their current MX host from a zero-delay timer (the kick), so no user
 * callback ever runs inside lc_sched_submit(). The kick then lets the
 * ready keys start sessions (engine/sched_session.c).
 *
 * The scheduler is freed only from a close callback, once shutdown closed
 * every handle and every session has reported, so no call that may run
 * user code can free it under its caller.
 */
#include "engine/sched.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dedup.h"
#include "engine/log.h"
#include "engine/netaddr.h"
#include "engine/sched_int.h"

#define SCHED_MAX_CONNECTIONS_DEFAULT 2000
#define SCHED_PER_MX_DEFAULT 4
#define SCHED_CONNECTS_PER_SEC_DEFAULT 2.0
#define SCHED_RCPTS_PER_MIN_DEFAULT 300.0
#define SCHED_GREYLIST_RETRY_DEFAULT 300000
#define SCHED_GREYLIST_MAX_WAIT_DEFAULT 1800000
#define SCHED_MAX_ATTEMPTS_DEFAULT 4
#define SCHED_BACKOFF_DEFAULT 30000
#define SCHED_BACKOFF_MAX_DEFAULT 600000
#define SCHED_DEAD_HOST_DEFAULT 300000
/* Longest HELO argument lc_smtp_session_new() accepts. */
#define SCHED_HELO_MAX 255

static void sched_kick_cb(uv_timer_t *timer);
static void sched_close_cb(uv_handle_t *handle);
static void sched_place(struct lc_sched *sched, struct lc_probe *probe);

static void sched_apply_defaults(struct lc_sched_options *o)
{
  if (o->max_connections == 0)
    o->max_connections = SCHED_MAX_CONNECTIONS_DEFAULT;
  if (o->per_mx_connections == 0)
    o->per_mx_connections = SCHED_PER_MX_DEFAULT;
  if (o->connects_per_sec == 0)
    o->connects_per_sec = SCHED_CONNECTS_PER_SEC_DEFAULT;
  if (o->rcpts_per_min == 0)
    o->rcpts_per_min = SCHED_RCPTS_PER_MIN_DEFAULT;
  if (o->rcpt_per_session == 0)
    o->rcpt_per_session = LC_SMTP_RCPT_DEFAULT;
  if (o->greylist_retry_ms == 0)
    o->greylist_retry_ms = SCHED_GREYLIST_RETRY_DEFAULT;
  if (o->greylist_max_wait_ms == 0)
    o->greylist_max_wait_ms = SCHED_GREYLIST_MAX_WAIT_DEFAULT;
  if (o->max_attempts == 0)
    o->max_attempts = SCHED_MAX_ATTEMPTS_DEFAULT;
  if (o->backoff_ms == 0)
    o->backoff_ms = SCHED_BACKOFF_DEFAULT;
  if (o->backoff_max_ms == 0)
    o->backoff_max_ms = SCHED_BACKOFF_MAX_DEFAULT;
  if (o->backoff_max_ms < o->backoff_ms)
    o->backoff_max_ms = o->backoff_ms;
  if (o->dead_host_ms == 0)
    o->dead_host_ms = SCHED_DEAD_HOST_DEFAULT;
}

static bool sched_rcpt_valid(const char *rcpt);

/* Check the strings that lc_smtp_session_new() would reject, so that a
 * bad option fails here once rather than in every session later. */
static bool sched_smtp_strings_valid(const struct lc_smtp_options *o)
{
  const char *helo = o->helo_name;
  const char *from = o->mail_from;

  if (strlen(helo) > SCHED_HELO_MAX ||
      strcspn(helo, " <>\r\n\t") != strlen(helo))
    return false;
  if (from == NULL || from[0] == '\0')
    return true;
  for (const char *p = from; *p != '\0'; p++)
    if ((unsigned char)*p >= 0x80)
      return false;
  return sched_rcpt_valid(from);
}

static enum lc_status sched_check_options(const struct lc_sched_options *o,
                                          char *err, size_t size)
{
  const char *problem = NULL;
  enum lc_status status = LC_ERR_INVALID;

  if (o->smtp.helo_name == NULL || o->smtp.helo_name[0] == '\0')
    problem = "missing HELO name";
  else if (!sched_smtp_strings_valid(&o->smtp))
    problem = "invalid HELO name or MAIL FROM address";
  else if (!(o->connects_per_sec >= 0) || !(o->rcpts_per_min >= 0))
    problem = "invalid rate: connections per second and RCPTs per minute "
              "must not be negative";
  else if (o->rcpt_per_session > LC_SMTP_RCPT_MAX) {
    problem = "too many RCPTs per session";
    status = LC_ERR_LIMIT;
  }
  if (problem == NULL)
    return LC_OK;
  if (err != NULL && size > 0)
    snprintf(err, size, "scheduler options: %s", problem);
  return status;
}

enum lc_status lc_sched_new(uv_loop_t *loop,
                            const struct lc_sched_options *opts,
                            struct lc_sched **out, char *err, size_t size)
{
  struct lc_sched *s = NULL;
  enum lc_status status;

  if (loop == NULL || opts == NULL || out == NULL)
    return LC_ERR_INVALID;
  if ((status = sched_check_options(opts, err, size)) != LC_OK)
    return status;
  status = LC_ERR_NOMEM;
  if ((s = calloc(1, sizeof(*s))) == NULL)
    goto done;
  s->loop = loop;
  s->opts = *opts;
  sched_apply_defaults(&s->opts);
  s->rcpt_scratch = calloc(s->opts.rcpt_per_session, sizeof(char *));
  s->probe_scratch =
      calloc(s->opts.rcpt_per_session, sizeof(struct lc_probe *));
  if (s->rcpt_scratch == NULL || s->probe_scratch == NULL)
    goto done;
  status = LC_ERR_INTERNAL;
  if (uv_timer_init(loop, &s->kick) != 0)
    goto done;
  if (uv_timer_init(loop, &s->waiter) != 0) {
    /* The kick timer is initialised: it must be closed, and its close
     * callback frees S. */
    s->handles = 1;
    s->closing = true;
    s->kick.data = s;
    uv_close((uv_handle_t *)&s->kick, sched_close_cb);
    s = NULL;
    goto done;
  }
  s->kick.data = s;
  s->waiter.data = s;
  s->handles = 2;
  *out = s;
  s = NULL;
  status = LC_OK;
done:
  if (s != NULL) {
    free(s->rcpt_scratch);
    free(s->probe_scratch);
    free(s);
  }
  if (status != LC_OK && err != NULL && size > 0)
    snprintf(err, size, "scheduler: %s", lc_strerror(status));
  return status;
}

/* A recipient that smtp.h would reject must fail here, alone, rather than
 * fail the whole session it would be batched into. */
static bool sched_rcpt_valid(const char *rcpt)
{
  size_t len;

  if (rcpt == NULL || (len = strlen(rcpt)) == 0 || len > LC_SMTP_PATH_MAX)
    return false;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)rcpt[i];

    if (c <= ' ' || c == 0x7f || c == '<' || c == '>')
      return false;
  }
  return true;
}

static bool sched_probe_valid(const struct lc_probe *p)
{
  const struct lc_sched_route *r = p->route;

  if (!sched_rcpt_valid(p->rcpt) || p->domain == NULL || p->done == NULL ||
      r == NULL || r->nhosts == 0 || r->hosts == NULL || r->nhosts > UINT32_MAX)
    return false;
  for (size_t i = 0; i < r->nhosts; i++)
    if (r->hosts[i].name == NULL ||
        strlen(r->hosts[i].name) >= LC_SMTP_HOST_MAX)
      return false;
  return r->group == NULL || strlen(r->group) < LC_SMTP_HOST_MAX;
}

enum lc_status lc_sched_submit(struct lc_sched *s, struct lc_probe *p)
{
  if (s == NULL || p == NULL)
    return LC_ERR_INVALID;
  if (s->closing)
    return LC_ERR_CANCELED;
  if (!sched_probe_valid(p))
    return LC_ERR_INVALID;
  memset(&p->sched, 0, sizeof(p->sched));
  s->stats.submitted++;
  lc_sched_probe_set_state(p, SCHED_PROBE_INCOMING);
  lc_sched_list_push(&s->incoming, p);
  lc_sched_kick(s);
  return LC_OK;
}

void lc_sched_get_stats(const struct lc_sched *s, struct lc_sched_stats *out)
{
  *out = s->stats;
}

/* Visit every key, tolerating removal of the visited key. */
static void sched_each_key(struct lc_sched *s,
                           void (*fn)(struct sched_key *key))
{
  for (size_t i = 0; i < s->keys.nbuckets; i++) {
    struct sched_node *n = s->keys.buckets[i];

    while (n != NULL) {
      struct sched_node *next = n->next;

      fn((struct sched_key *)n);
      n = next;
    }
  }
}

static void sched_cancel_list(struct lc_sched *s, struct sched_list *list)
{
  struct lc_probe *p;

  while ((p = lc_sched_list_pop(list)) != NULL)
    lc_sched_complete_error(s, p, LC_ERR_CANCELED);
}

static void sched_cancel_queued(struct sched_key *key)
{
  struct sched_list list = {0};

  uv_timer_stop(&key->timer);
  lc_sched_key_drain(key, &list);
  sched_cancel_list(key->sched, &list);
}

static void sched_close_idle_key(struct sched_key *key)
{
  if (key->nsessions == 0)
    lc_sched_key_close(key);
}

void lc_sched_shutdown(struct lc_sched *s)
{
  if (s == NULL || s->closing)
    return;
  s->closing = true;
  lc_debug("sched: shutting down, %llu probes pending",
           (unsigned long long)(s->stats.submitted - s->stats.completed));
  s->ready = s->ready_tail = NULL;
  sched_cancel_list(s, &s->incoming);
  sched_cancel_list(s, &s->waiting);
  sched_each_key(s, sched_cancel_queued);
  /* Recipients in sessions complete from inside the cancel calls; the
   * sessions report from the loop later and close their keys then. */
  sched_each_key(s, lc_sched_session_cancel_all);
  sched_each_key(s, sched_close_idle_key);
  uv_close((uv_handle_t *)&s->kick, sched_close_cb);
  uv_close((uv_handle_t *)&s->waiter, sched_close_cb);
}

/* Free S once shutdown has closed every handle and no session is left. */
void lc_sched_maybe_free(struct lc_sched *s)
{
  if (!s->closing || s->handles > 0 || s->stats.connections_open > 0)
    return;
  lc_sched_map_free(&s->keys);
  lc_sched_map_free(&s->domains);
  lc_sched_map_free(&s->hosts);
  lc_sched_dead_free(s);
  free(s->rcpt_scratch);
  free(s->probe_scratch);
  free(s);
}

static void sched_close_cb(uv_handle_t *handle)
{
  struct lc_sched *s = handle->data;

  s->handles--;
  lc_sched_maybe_free(s);
}

/* Run placement and dispatch from the loop soon. */
void lc_sched_kick(struct lc_sched *s)
{
  if (s->kick_armed || s->closing)
    return;
  s->kick_armed = true;
  uv_timer_start(&s->kick, sched_kick_cb, 0, 0);
}

static void sched_kick_cb(uv_timer_t *timer)
{
  struct lc_sched *s = timer->data;
  struct lc_probe *p;

  s->kick_armed = false;
  while (!s->closing && (p = lc_sched_list_pop(&s->incoming)) != NULL)
    sched_place(s, p);
  /* A key stopped by the global connection cap goes back to the end of
   * the list, so keys take turns at the connections that free up. */
  while (!s->closing && s->ready != NULL &&
         s->stats.connections_open < s->opts.max_connections) {
    struct sched_key *key = s->ready;

    s->ready = key->ready_next;
    if (s->ready == NULL)
      s->ready_tail = NULL;
    key->ready = false;
    lc_sched_key_dispatch(key);
  }
}

/* Complete a probe that ran out of MX hosts without a session of its own
 * reporting the failure. */
static void sched_complete_no_host(struct lc_sched *s, struct lc_probe *p)
{
  const struct lc_sched_route *r = p->route;
  struct lc_smtp_result res;

  memset(&res, 0, sizeof(res));
  res.status = LC_OK;
  res.cls = LC_RCPT_CONNECTION_FAILED;
  snprintf(res.message, sizeof(res.message),
           "connection failed: no MX host of the domain accepted one");
  res.mx = r->hosts[r->nhosts - 1].name;
  lc_sched_complete(s, p, &res);
}

/* The budget key of host H of route R: the route's group, else one of
 * the host's addresses chosen independently of their order, so that every
 * name of one server shares one budget whichever domain's route leads
 * there. */
static const char *sched_key_name(const struct lc_sched_route *r,
                                  const struct lc_sched_host *h, char *buf,
                                  size_t size)
{
  size_t first = lc_sched_addrs_first(h);

  if (r->group != NULL)
    return r->group;
  lc_netaddr_format((const struct sockaddr *)&h->addrs[first], false, buf,
                    size);
  return buf;
}

/* Queue P in the key of its current host. Hosts without addresses are
 * skipped, and so are hosts that recently failed to connect when the route
 * has a later host, or when they failed max_attempts times. */
static void sched_place(struct lc_sched *s, struct lc_probe *p)
{
  const struct lc_sched_route *r = p->route;
  uint64_t now = uv_now(s->loop);

  for (; p->sched.host < r->nhosts; p->sched.host++) {
    const struct lc_sched_host *h = &r->hosts[p->sched.host];
    char name[LC_NETADDR_TEXT_MAX];
    struct sched_key *key;
    unsigned failures;

    if (h->naddrs == 0 || h->addrs == NULL)
      continue;
    key = lc_sched_key_get(s, sched_key_name(r, h, name, sizeof(name)));
    if (key == NULL)
      break;
    p->sched.addrs_hash = lc_sched_addrs_hash(h);
    failures = lc_sched_dead_failures(s, p->sched.addrs_hash, now);
    if (failures > 0 && lc_sched_route_has_next(r, p->sched.host)) {
      s->stats.host_moves++;
      continue;
    }
    if (failures >= s->opts.max_attempts)
      continue;
    if (lc_sched_key_push(key, p, p->first) != LC_OK)
      break;
    lc_sched_key_ready(key);
    return;
  }
  if (p->sched.host < r->nhosts) {
    lc_sched_complete_error(s, p, LC_ERR_NOMEM);
    return;
  }
  sched_complete_no_host(s, p);
}

/* Hash of a host, group or domain name, without case. */
uint64_t lc_sched_hash(const char *name)
{
  return lc_hash_nocase(name, strlen(name));
}
