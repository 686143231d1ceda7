/* MX scheduler: starting sessions and handling their outcomes.
 *
 * Dispatch fills sessions that still take recipients first, then starts
 * new ones while the key's limits allow, and otherwise arms the key's
 * timer for the moment they will. The recipient callback settles each
 * result (final, deferred, retried or moved to the next MX host). The done
 * callback adapts the key to how the session ended and queues what is left
 * again. Probes handed back go to the head of their domain queue in their
 * original order, so a catch-all probe stays ahead of its domain.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/log.h"
#include "engine/sched_int.h"

static void session_rcpt_cb(struct lc_smtp_session *smtp, void *user,
                            size_t index, const struct lc_smtp_result *res);
static void session_done_cb(struct lc_smtp_session *smtp, void *user,
                            const struct lc_smtp_summary *sum);

static size_t min_size(size_t a, size_t b)
{
  return a < b ? a : b;
}

/* Put the probes OUT[0..N) back at the head of their queues, last first,
 * which restores their order. */
static void session_give_back(struct sched_key *key, struct lc_probe **out,
                              size_t n)
{
  while (n-- > 0)
    if (lc_sched_key_push(key, out[n], true) != LC_OK)
      lc_sched_complete_error(key->sched, out[n], LC_ERR_NOMEM);
}

static void session_adopt(struct sched_session *ss, size_t first,
                          struct lc_probe **probes, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    ss->probes[first + i] = probes[i];
    lc_sched_probe_set_state(probes[i], SCHED_PROBE_SENT);
  }
  ss->count = first + n;
  ss->key->sched->stats.rcpts_sent += n;
}

/* Add queued probes to sessions of KEY that still take recipients, within
 * the RCPT tokens there are now. */
static void session_top_up(struct sched_key *key, uint64_t now)
{
  struct lc_sched *s = key->sched;

  for (struct sched_session *ss = key->sessions; ss != NULL && key->queued > 0;
       ss = ss->next) {
    size_t cap = min_size(ss->cap, key->rcpt_limit);
    size_t room, n, first = 0;

    /* A 452 elsewhere may have lowered the limit below this session's. */
    if (ss->full || ss->smtp == NULL || ss->count >= cap ||
        lc_sched_key_host_queued(key, ss->addrs_hash) == 0)
      continue;
    room = min_size(cap - ss->count, lc_bucket_available(&key->rcpts, now));
    if (room == 0)
      return;
    n = lc_sched_key_take(key, ss->addrs_hash, s->probe_scratch, room);
    if (n == 0)
      continue;
    for (size_t i = 0; i < n; i++)
      s->rcpt_scratch[i] = s->probe_scratch[i]->rcpt;
    if (lc_smtp_session_add_recipients(ss->smtp, s->rcpt_scratch, n, &first) !=
        LC_OK) {
      /* The session is past its last RCPT; a new one takes them. */
      ss->full = true;
      session_give_back(key, s->probe_scratch, n);
      continue;
    }
    lc_bucket_take(&key->rcpts, (double)n, now);
    session_adopt(ss, first, s->probe_scratch, n);
  }
}

/* Complete the probes OUT[0..N) that no session could be started for. */
static void session_fail_batch(struct lc_sched *s, struct lc_probe **out,
                               size_t n, enum lc_status status)
{
  lc_log_warn_counted("sched_session_start",
                      "sched: cannot start an SMTP session: %s",
                      lc_strerror(status));
  for (size_t i = 0; i < n; i++)
    lc_sched_complete_error(s, out[i], status);
}

static void session_link(struct sched_key *key, struct sched_session *ss)
{
  struct lc_sched_stats *st = &key->sched->stats;

  ss->next = key->sessions;
  key->sessions = ss;
  key->nsessions++;
  if (key->nsessions > st->key_connections_peak)
    st->key_connections_peak = key->nsessions;
  if (++st->connections_open > st->connections_peak)
    st->connections_peak = st->connections_open;
  st->sessions_started++;
}

/* Start one session on KEY for the probe at the head of the ring and as
 * many others using the same host as the RCPT tokens allow. */
static void session_start(struct sched_key *key, uint64_t now)
{
  struct lc_sched *s = key->sched;
  struct lc_probe *lead = lc_sched_key_peek(key);
  const struct lc_sched_host *host = &lead->route->hosts[lead->sched.host];
  uint64_t addrs_hash = lead->sched.addrs_hash;
  struct lc_smtp_options o = s->opts.smtp;
  size_t cap = key->rcpt_limit;
  struct sched_session *ss;
  enum lc_status status;
  size_t n;

  /* The caller waited for the tokens, so at least one is there; taking
   * one regardless keeps dispatch from spinning on a rounding error. */
  n = lc_bucket_available(&key->rcpts, now);
  n = lc_sched_key_take(key, addrs_hash, s->probe_scratch,
                        min_size(cap, n > 0 ? n : 1));
  ss = calloc(1, sizeof(*ss) + cap * sizeof(ss->probes[0]));
  if (ss == NULL) {
    session_fail_batch(s, s->probe_scratch, n, LC_ERR_NOMEM);
    return;
  }
  for (size_t i = 0; i < n; i++)
    s->rcpt_scratch[i] = s->probe_scratch[i]->rcpt;
  /* Probes of other domains ride along when their current host has the
   * same addresses: the session dials the same server for all of them. */
  o.rcpt_per_session = (unsigned)cap;
  o.use_tls = o.use_tls && !key->plain;
  status = lc_smtp_session_new(s->loop, &o, host->name, host->addrs,
                               min_size(host->naddrs, LC_SMTP_ADDRS_MAX),
                               s->rcpt_scratch, n, session_rcpt_cb,
                               session_done_cb, ss, &ss->smtp);
  if (status != LC_OK) {
    free(ss);
    session_fail_batch(s, s->probe_scratch, n, status);
    return;
  }
  ss->key = key;
  ss->addrs_hash = addrs_hash;
  ss->cap = cap;
  ss->started_ms = now;
  lc_bucket_take(&key->connects, 1, now);
  lc_bucket_take(&key->rcpts, (double)n, now);
  session_link(key, ss);
  session_adopt(ss, 0, s->probe_scratch, n);
}

/* Milliseconds until KEY has the tokens for its next session. */
static uint64_t session_wait_ms(struct sched_key *key, uint64_t now)
{
  double want = (double)min_size(key->queued, key->rcpt_limit);
  uint64_t conn = lc_bucket_wait_ms(&key->connects, 1, now);
  uint64_t rcpt = lc_bucket_wait_ms(&key->rcpts, want, now);

  return conn > rcpt ? conn : rcpt;
}

/* Start the sessions that KEY's limits allow now. Arm the key's timer when
 * it waits for tokens or the end of a backoff. A key at its own or the
 * global connection limit waits for a session to end instead. */
void lc_sched_key_dispatch(struct sched_key *key)
{
  struct lc_sched *s = key->sched;
  uint64_t now = uv_now(s->loop);

  if (key->closing || s->closing)
    return;
  if (now >= key->backoff_until_ms)
    session_top_up(key, now);
  while (key->queued > 0 && !s->closing) {
    uint64_t wait;

    if (now < key->backoff_until_ms) {
      lc_sched_key_wake_at(key, key->backoff_until_ms - now);
      return;
    }
    if (key->nsessions >= lc_sched_key_budget(key, now))
      return;
    if (s->stats.connections_open >= s->opts.max_connections) {
      lc_sched_key_ready(key);
      return;
    }
    if ((wait = session_wait_ms(key, now)) > 0) {
      lc_sched_key_wake_at(key, wait);
      return;
    }
    session_start(key, now);
  }
  if (!s->closing)
    lc_sched_key_settle(key);
}

void lc_sched_session_cancel_all(struct sched_key *key)
{
  for (struct sched_session *ss = key->sessions; ss != NULL; ss = ss->next)
    if (ss->smtp != NULL)
      lc_smtp_session_cancel(ss->smtp);
}

/* Keep P in its session slot to be queued again when the session ends,
 * unless it used up its attempts: then RES is final. */
static void session_retry(struct sched_session *ss, size_t index,
                          struct lc_probe *p, const struct lc_smtp_result *res)
{
  struct lc_sched *s = ss->key->sched;

  if (++p->sched.attempts >= s->opts.max_attempts) {
    lc_sched_complete(s, p, res);
    return;
  }
  p->sched.retry = true;
  ss->probes[index] = p;
}

/* No address of the session's host took a connection. Probes with a later
 * MX host move on at once, because a dead primary MX is common (nolisting).
 * Probes at their last host stay while the key pauses, and fail only after
 * max_attempts failures of those addresses. */
static void session_connect_failed(struct sched_session *ss, size_t index,
                                   struct lc_probe *p,
                                   const struct lc_smtp_result *res)
{
  struct sched_key *key = ss->key;
  struct lc_sched *s = key->sched;
  uint64_t now = uv_now(s->loop);

  /* NOTE: connects that timed out only because this machine was
   * overloaded count as failures of the host all the same. */
  if (!ss->connect_failed && !s->closing) {
    ss->connect_failed = true;
    ss->host_failures =
        lc_sched_dead_mark(s, ss->addrs_hash, now, ss->started_ms);
    lc_info("sched %s: MX host %s accepted no connection (failure %u of "
            "%u)",
            key->name, res->mx != NULL ? res->mx : "?", ss->host_failures,
            s->opts.max_attempts);
    lc_sched_key_evict_host(key, ss->addrs_hash,
                            ss->host_failures >= s->opts.max_attempts);
    if (ss->host_failures < s->opts.max_attempts)
      lc_sched_key_pause(key, now);
  }
  if (lc_sched_route_has_next(p->route, p->sched.host))
    lc_sched_move_host(s, p);
  else if (s->closing || ss->host_failures >= s->opts.max_attempts)
    lc_sched_complete(s, p, res);
  else {
    p->sched.retry = true;
    ss->probes[index] = p;
  }
}

static void session_rcpt_cb(struct lc_smtp_session *smtp, void *user,
                            size_t index, const struct lc_smtp_result *res)
{
  struct sched_session *ss = user;
  struct lc_sched *s = ss->key->sched;
  struct lc_probe *p = ss->probes[index];

  (void)smtp;
  if (p == NULL)
    return; /* unreachable: smtp.h reports each index once */
  ss->probes[index] = NULL;
  if (res->code != 0)
    ss->answered++;
  if (res->status != LC_OK) {
    lc_sched_complete(s, p, res);
    return;
  }
  switch (res->cls) {
  case LC_RCPT_GREYLISTED:
  case LC_RCPT_TEMPORARY:
    lc_sched_defer(s, p, res);
    break;
  case LC_RCPT_RATE_LIMITED:
    ss->rate_limited = true;
    session_retry(ss, index, p, res);
    break;
  case LC_RCPT_TIMEOUT:
  case LC_RCPT_DROPPED:
    session_retry(ss, index, p, res);
    break;
  case LC_RCPT_CONNECTION_FAILED:
    session_connect_failed(ss, index, p, res);
    break;
  default:
    lc_sched_complete(s, p, res);
    break;
  }
}

/* Class a recipient gets when the session it was not asked in was its
 * last attempt. */
static enum lc_rcpt_class session_end_class(enum lc_smtp_end end)
{
  switch (end) {
  case LC_SMTP_END_RATE_LIMITED:
  case LC_SMTP_END_TOO_MANY_RCPTS:
    return LC_RCPT_RATE_LIMITED;
  case LC_SMTP_END_TIMEOUT:
    return LC_RCPT_TIMEOUT;
  case LC_SMTP_END_TLS_FAILED:
    return LC_RCPT_TLS_FAILED;
  case LC_SMTP_END_PROTOCOL_ERROR:
    return LC_RCPT_PROTOCOL_ERROR;
  case LC_SMTP_END_CONNECT_FAILED:
    return LC_RCPT_CONNECTION_FAILED;
  default:
    return LC_RCPT_DROPPED;
  }
}

/* Lower the RCPTs per session of KEY to what the server took. */
static void session_limit_rcpts(struct sched_key *key, size_t answered,
                                uint64_t now)
{
  if (answered >= key->rcpt_limit)
    return;
  key->rcpt_limit = (unsigned)answered;
  key->learned_until_ms = now + key->sched->opts.dead_host_ms;
  lc_debug("sched %s: server took %zu RCPTs per session, using that", key->name,
           answered);
}

/* Adapt KEY's limits to the way SS ended. */
static void session_adapt(struct sched_session *ss,
                          const struct lc_smtp_summary *sum, uint64_t now)
{
  struct sched_key *key = ss->key;

  switch (sum->end) {
  case LC_SMTP_END_OK:
    key->backoffs = 0;
    break;
  case LC_SMTP_END_RATE_LIMITED:
    lc_sched_key_back_off(key, now);
    break;
  case LC_SMTP_END_TOO_MANY_RCPTS:
    if (ss->answered > 0)
      session_limit_rcpts(key, ss->answered, now);
    else
      lc_sched_key_back_off(key, now);
    break;
  case LC_SMTP_END_TLS_FAILED:
    if (sum->plain_retry && !key->plain) {
      key->plain = true;
      key->learned_until_ms = now + key->sched->opts.dead_host_ms;
      key->sched->stats.plain_fallbacks++;
      lc_info("sched %s: TLS failed, probing without TLS", key->name);
    }
    break;
  default:
    break;
  }
  if (ss->rate_limited && sum->end != LC_SMTP_END_RATE_LIMITED)
    lc_sched_key_back_off(key, now);
}

/* Queue again, last first, every probe the session hands back: those
 * marked for retry and those it did not ask. When the server replied to no
 * recipient of the session, each probe it did not ask counts an attempt. */
static void session_requeue(struct sched_session *ss,
                            const struct lc_smtp_summary *sum)
{
  struct sched_key *key = ss->key;
  struct lc_sched *s = key->sched;
  bool counts = ss->answered == 0;

  for (size_t i = ss->count; i-- > 0;) {
    struct lc_probe *p = ss->probes[i];

    if (p == NULL)
      continue;
    ss->probes[i] = NULL;
    if (s->closing) {
      lc_sched_complete_error(s, p, LC_ERR_CANCELED);
      continue;
    }
    if (!p->sched.retry && counts &&
        ++p->sched.attempts >= s->opts.max_attempts) {
      lc_sched_complete_class(s, p, session_end_class(sum->end), sum);
      continue;
    }
    p->sched.retry = false;
    s->stats.requeues++;
    if (lc_sched_key_push(key, p, true) != LC_OK)
      lc_sched_complete_error(s, p, LC_ERR_NOMEM);
  }
}

static void session_unlink(struct sched_session *ss)
{
  struct sched_key *key = ss->key;
  struct sched_session **link = &key->sessions;

  while (*link != ss)
    link = &(*link)->next;
  *link = ss->next;
  key->nsessions--;
  key->sched->stats.connections_open--;
}

static void session_done_cb(struct lc_smtp_session *smtp, void *user,
                            const struct lc_smtp_summary *sum)
{
  struct sched_session *ss = user;
  struct sched_key *key = ss->key;
  struct lc_sched *s = key->sched;

  (void)smtp;
  ss->smtp = NULL;
  session_unlink(ss);
  if (!s->closing)
    session_adapt(ss, sum, uv_now(s->loop));
  session_requeue(ss, sum);
  free(ss);
  if (!s->closing) {
    /* A connection is free: other keys may be waiting for it even when
     * this one is on the ready list already. */
    lc_sched_key_ready(key);
    lc_sched_kick(s);
    return;
  }
  if (key->nsessions == 0)
    lc_sched_key_close(key);
}
