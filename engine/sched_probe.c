/* MX scheduler: completion, deferral and host moves of single probes.
 *
 * Every done callback goes through lc_sched_complete(). Deferred probes
 * (greylisting and other temporary replies) wait on one list sorted by
 * retry time, with one timer for its head. When the timer fires, the
 * ready ones go back to the incoming list for placement (engine/sched.c).
 */
#include <stdio.h>
#include <string.h>

#include "engine/log.h"
#include "engine/sched_int.h"

#define SCHED_WAIT_SLACK_MAX 1000

static void sched_waiter_cb(uv_timer_t *timer);

static const char *const probe_state_names[] = {
    [SCHED_PROBE_NEW] = "NEW",         [SCHED_PROBE_INCOMING] = "INCOMING",
    [SCHED_PROBE_WAITING] = "WAITING", [SCHED_PROBE_QUEUED] = "QUEUED",
    [SCHED_PROBE_SENT] = "SENT",       [SCHED_PROBE_DONE] = "DONE"};

/* The only place that assigns a probe's state. */
void lc_sched_probe_set_state(struct lc_probe *p, enum sched_probe_state state)
{
  if (lc_log_enabled(LC_LOG_TRACE))
    lc_trace("sched probe %s: %s -> %s", p->rcpt,
             probe_state_names[p->sched.state], probe_state_names[state]);
  p->sched.state = (uint8_t)state;
}

/* Call the done callback of P with RES. P may be freed by it. */
static const char *sched_probe_mx(const struct lc_probe *p)
{
  const struct lc_sched_route *r = p->route;

  return p->sched.host < r->nhosts ? r->hosts[p->sched.host].name : NULL;
}

void lc_sched_complete(struct lc_sched *s, struct lc_probe *p,
                       const struct lc_smtp_result *res)
{
  struct lc_smtp_result own = *res;
  const char *mx = sched_probe_mx(p);

  /* A session names the host it was opened for. A probe that rode along
   * because its own MX host has the same addresses reports that host. */
  if (own.mx != NULL && mx != NULL)
    own.mx = mx;
  lc_sched_probe_set_state(p, SCHED_PROBE_DONE);
  s->stats.completed++;
  p->done(p, &own);
}

/* Complete P with class CLS and the reply that ended the session. */
void lc_sched_complete_class(struct lc_sched *s, struct lc_probe *p,
                             enum lc_rcpt_class cls,
                             const struct lc_smtp_summary *sum)
{
  struct lc_smtp_result res;

  memset(&res, 0, sizeof(res));
  res.status = LC_OK;
  res.cls = cls;
  res.code = sum->code;
  memcpy(res.enhanced, sum->enhanced, sizeof(res.enhanced));
  memcpy(res.message, sum->message, sizeof(res.message));
  if (res.message[0] == '\0')
    snprintf(res.message, sizeof(res.message), "session ended: %s",
             lc_smtp_end_name(sum->end));
  res.mx = sum->mx;
  res.addr = sum->addr;
  res.tls = sum->tls;
  lc_sched_complete(s, p, &res);
}

/* Complete P without a reply because of STATUS (LC_ERR_CANCELED on
 * shutdown, or the error that kept its session from starting). */
void lc_sched_complete_error(struct lc_sched *s, struct lc_probe *p,
                             enum lc_status status)
{
  struct lc_smtp_result res;

  memset(&res, 0, sizeof(res));
  res.status = status;
  res.cls = LC_RCPT_NOT_PROBED;
  snprintf(res.message, sizeof(res.message), "not probed: %s",
           lc_strerror(status));
  res.mx = sched_probe_mx(p);
  lc_sched_complete(s, p, &res);
}

/* Delay added to the retry timer, so that probes deferred a few
 * milliseconds apart (replies to one session arrive over several loop
 * iterations) are released together and share one session. A retry is
 * never early, at most this much late. */
static uint64_t sched_wait_slack(const struct lc_sched *s)
{
  uint64_t slack = s->opts.greylist_retry_ms / 16;

  return slack < SCHED_WAIT_SLACK_MAX ? slack : SCHED_WAIT_SLACK_MAX;
}

/* Insert P into the retry list, kept sorted by ready_ms. The delay is the
 * same for every probe, so the new entry nearly always goes last. */
static void sched_wait_insert(struct lc_sched *s, struct lc_probe *p)
{
  struct sched_list *w = &s->waiting;
  struct lc_probe **link = &w->head;

  if (w->tail == NULL || w->tail->sched.ready_ms <= p->sched.ready_ms) {
    lc_sched_list_push(w, p);
    return;
  }
  while ((*link)->sched.ready_ms <= p->sched.ready_ms)
    link = &(*link)->sched.next;
  p->sched.next = *link;
  *link = p;
  w->count++;
}

/* Ask P again greylist_retry_ms from now, unless that retry would start
 * after greylist_max_wait_ms since its first deferral: then RES is final. */
void lc_sched_defer(struct lc_sched *s, struct lc_probe *p,
                    const struct lc_smtp_result *res)
{
  uint64_t now = uv_now(s->loop);
  uint64_t ready = now + s->opts.greylist_retry_ms;

  if (s->closing) {
    lc_sched_complete_error(s, p, LC_ERR_CANCELED);
    return;
  }
  if (!p->sched.deferred) {
    p->sched.deferred = true;
    p->sched.deferred_ms = now;
  }
  if (ready > p->sched.deferred_ms + s->opts.greylist_max_wait_ms) {
    lc_sched_complete(s, p, res);
    return;
  }
  p->sched.ready_ms = ready;
  s->stats.greylist_retries++;
  lc_debug("sched %s: %s (%d %s), retry in %u ms", sched_probe_mx(p),
           lc_rcpt_class_name(res->cls), res->code, res->enhanced,
           s->opts.greylist_retry_ms);
  lc_sched_probe_set_state(p, SCHED_PROBE_WAITING);
  sched_wait_insert(s, p);
  if (s->waiting.head == p)
    uv_timer_start(&s->waiter, sched_waiter_cb,
                   ready - now + sched_wait_slack(s), 0);
}

static void sched_waiter_cb(uv_timer_t *timer)
{
  struct lc_sched *s = timer->data;
  uint64_t now = uv_now(s->loop);
  struct lc_probe *p;

  while ((p = s->waiting.head) != NULL && p->sched.ready_ms <= now) {
    lc_sched_list_pop(&s->waiting);
    lc_sched_probe_set_state(p, SCHED_PROBE_INCOMING);
    lc_sched_list_push(&s->incoming, p);
  }
  if (p != NULL)
    uv_timer_start(&s->waiter, sched_waiter_cb,
                   p->sched.ready_ms - now + sched_wait_slack(s), 0);
  lc_sched_kick(s);
}

/* Send P to the next MX host of its route (placement completes it when
 * none is left). */
void lc_sched_move_host(struct lc_sched *s, struct lc_probe *p)
{
  if (s->closing) {
    lc_sched_complete_error(s, p, LC_ERR_CANCELED);
    return;
  }
  p->sched.host++;
  s->stats.host_moves++;
  lc_sched_probe_set_state(p, SCHED_PROBE_INCOMING);
  lc_sched_list_push(&s->incoming, p);
  lc_sched_kick(s);
}

/* Report whether ROUTE has a host with addresses after index HOST. */
bool lc_sched_route_has_next(const struct lc_sched_route *route, size_t host)
{
  for (size_t i = host + 1; i < route->nhosts; i++)
    if (route->hosts[i].naddrs > 0 && route->hosts[i].addrs != NULL)
      return true;
  return false;
}

void lc_sched_list_push(struct sched_list *list, struct lc_probe *p)
{
  p->sched.next = NULL;
  if (list->tail != NULL)
    list->tail->sched.next = p;
  else
    list->head = p;
  list->tail = p;
  list->count++;
}

void lc_sched_list_push_front(struct sched_list *list, struct lc_probe *p)
{
  p->sched.next = list->head;
  list->head = p;
  if (list->tail == NULL)
    list->tail = p;
  list->count++;
}

struct lc_probe *lc_sched_list_pop(struct sched_list *list)
{
  struct lc_probe *p = list->head;

  if (p == NULL)
    return NULL;
  list->head = p->sched.next;
  if (list->head == NULL)
    list->tail = NULL;
  list->count--;
  p->sched.next = NULL;
  return p;
}
