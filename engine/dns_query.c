/* One DNS question, from the queue to its final answer.
 *
 * A question waits in a FIFO until fewer than `concurrency` questions are
 * in flight, then goes to c-ares. Questions for the MX hosts of domains
 * already started have a FIFO of their own that goes first, so that a
 * long list of new domains does not hold back those started.
 *
 * SERVFAIL, REFUSED, timeouts and refused connections are tried again
 * after a pause that doubles each time, up to `tries` sends. A retried
 * question goes to the front of its FIFO because it has waited longest.
 * When the answer holds only a CNAME chain whose end the server did not
 * resolve (an authoritative server follows a chain only through the zones
 * it serves), the question is asked again for the end of the chain.
 */
#include "engine/dns_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/log.h"

static const char *const state_names[] = {"queued", "sent", "backoff", "done"};

static void send_query(struct lc_dnsq *query);
static void answer_cb(void *arg, int status, int timeouts, unsigned char *abuf,
                      int alen);
static void backoff_cb(uv_timer_t *handle);
static void query_close_cb(uv_handle_t *handle);

static const char *type_name(int type)
{
  switch (type) {
  case LC_DNS_TYPE_A:
    return "A";
  case LC_DNS_TYPE_AAAA:
    return "AAAA";
  case LC_DNS_TYPE_MX:
    return "MX";
  default:
    return "?";
  }
}

static void set_state(struct lc_dnsq *query, enum lc_dnsq_state state)
{
  lc_trace("dns: %s %s: %s -> %s", type_name(query->type), query->name,
           state_names[query->state], state_names[state]);
  query->state = state;
}

/* Append QUERY to its FIFO, or put it first when FRONT is set. */
static void queue_push(struct lc_dns_resolver *resolver, struct lc_dnsq *query,
                       bool front)
{
  struct lc_dnsq_fifo *fifo =
      query->followup ? &resolver->followups : &resolver->fresh;

  query->queue_next = NULL;
  if (fifo->head == NULL) {
    fifo->head = fifo->tail = query;
  } else if (front) {
    query->queue_next = fifo->head;
    fifo->head = query;
  } else {
    fifo->tail->queue_next = query;
    fifo->tail = query;
  }
  resolver->stats.queued++;
}

/* Remove the next question to send, or return NULL when none waits. */
static struct lc_dnsq *queue_pop(struct lc_dns_resolver *resolver)
{
  struct lc_dnsq_fifo *fifo = &resolver->followups;
  struct lc_dnsq *query;

  if (fifo->head == NULL)
    fifo = &resolver->fresh;
  query = fifo->head;
  if (query == NULL)
    return NULL;
  fifo->head = query->queue_next;
  if (fifo->head == NULL)
    fifo->tail = NULL;
  resolver->stats.queued--;
  return query;
}

enum lc_status lc_dnsq_start(struct lc_dns_resolver *resolver, const char *name,
                             int type, bool followup, lc_dnsq_cb cb, void *arg)
{
  struct lc_dnsq *query = calloc(1, sizeof(*query));

  if (query == NULL)
    return LC_ERR_NOMEM;
  query->resolver = resolver;
  query->type = type;
  query->followup = followup;
  query->cb = cb;
  query->arg = arg;
  snprintf(query->name, sizeof(query->name), "%s", name);
  query->live_next = resolver->live;
  if (resolver->live != NULL)
    resolver->live->live_prev = query;
  resolver->live = query;
  queue_push(resolver, query, false);
  lc_dnsq_pump(resolver);
  return LC_OK;
}

void lc_dnsq_pump(struct lc_dns_resolver *resolver)
{
  /* A send can complete at once (c-ares rejects the name) and call back
   * into this function; the flag keeps that from nesting. */
  if (resolver->pumping)
    return;
  resolver->pumping = true;
  while (!resolver->closing &&
         resolver->stats.in_flight < resolver->concurrency) {
    struct lc_dnsq *query = queue_pop(resolver);
    if (query == NULL)
      break;
    send_query(query);
  }
  resolver->pumping = false;
  lc_dns_ares_update_timer(resolver);
}

static void count_send(struct lc_dns_resolver *resolver,
                       const struct lc_dnsq *query)
{
  struct lc_dns_stats *stats = &resolver->stats;

  stats->queries_sent++;
  if (query->tries > 1)
    stats->retries++;
  if (query->type == LC_DNS_TYPE_MX)
    stats->mx_queries++;
  else if (query->type == LC_DNS_TYPE_A)
    stats->a_queries++;
  else if (query->type == LC_DNS_TYPE_AAAA)
    stats->aaaa_queries++;
  if (++stats->in_flight > stats->peak_in_flight)
    stats->peak_in_flight = stats->in_flight;
}

static void send_query(struct lc_dnsq *query)
{
  query->tries++;
  set_state(query, LC_DNSQ_SENT);
  count_send(query->resolver, query);
  ares_query(query->resolver->channel, query->name, LC_DNS_CLASS_IN,
             query->type, answer_cb, query);
}

/* Unlink QUERY and free it, through uv_close when its timer was used. */
static void query_release(struct lc_dnsq *query)
{
  struct lc_dns_resolver *resolver = query->resolver;

  if (query->live_prev != NULL)
    query->live_prev->live_next = query->live_next;
  else
    resolver->live = query->live_next;
  if (query->live_next != NULL)
    query->live_next->live_prev = query->live_prev;
  if (!query->timer_open) {
    free(query);
    return;
  }
  uv_timer_stop(&query->backoff_timer);
  uv_close((uv_handle_t *)&query->backoff_timer, query_close_cb);
}

static void query_close_cb(uv_handle_t *handle)
{
  struct lc_dnsq *query = handle->data;
  struct lc_dns_resolver *resolver = query->resolver;

  free(query);
  lc_dns_handle_closed(resolver);
}

static void finish(struct lc_dnsq *query, enum lc_dnsq_result result,
                   const unsigned char *abuf, int alen, const char *error)
{
  set_state(query, LC_DNSQ_DONE);
  query->cb(query->arg, result, abuf, alen, error);
  query_release(query);
}

static bool is_retryable(int status)
{
  return status == ARES_ESERVFAIL || status == ARES_EREFUSED ||
         status == ARES_ETIMEOUT || status == ARES_ECONNREFUSED;
}

static bool got_answer(int status)
{
  return status == ARES_SUCCESS || status == ARES_ENODATA ||
         status == ARES_ENOTFOUND || status == ARES_ESERVFAIL ||
         status == ARES_EREFUSED || status == ARES_ENOTIMP ||
         status == ARES_EFORMERR;
}

/* Describe the failure STATUS of QUERY after its last try.
 * NOTE: c-ares 1.18 does not report which server sent an answer, so with
 * several servers the message lists all of them. */
static void format_error(const struct lc_dnsq *query, int status, char *buf,
                         size_t size)
{
  const char *servers = query->resolver->servers_text;
  const char *tries = query->tries == 1 ? "try" : "tries";

  switch (status) {
  case ARES_ESERVFAIL:
  case ARES_EREFUSED:
  case ARES_ENOTIMP:
  case ARES_EFORMERR:
    snprintf(buf, size, "%s from %s after %u %s",
             status == ARES_ESERVFAIL  ? "SERVFAIL"
             : status == ARES_EREFUSED ? "REFUSED"
             : status == ARES_ENOTIMP  ? "NOTIMP"
                                       : "FORMERR",
             servers, query->tries, tries);
    break;
  case ARES_ETIMEOUT:
    snprintf(buf, size, "timed out waiting for %s after %u %s", servers,
             query->tries, tries);
    break;
  case ARES_ECONNREFUSED:
    snprintf(buf, size, "connection refused by %s after %u %s", servers,
             query->tries, tries);
    break;
  default:
    snprintf(buf, size, "%s %s: %s", type_name(query->type), query->name,
             ares_strerror(status));
    break;
  }
}

static void backoff(struct lc_dnsq *query)
{
  struct lc_dns_resolver *resolver = query->resolver;
  uint64_t delay = (uint64_t)resolver->backoff_ms << (query->tries - 1);

  if (delay > LC_DNS_BACKOFF_MAX_MS)
    delay = LC_DNS_BACKOFF_MAX_MS;
  if (!query->timer_open) {
    uv_timer_init(resolver->loop, &query->backoff_timer);
    query->backoff_timer.data = query;
    query->timer_open = true;
    resolver->open_handles++;
  }
  set_state(query, LC_DNSQ_BACKOFF);
  uv_timer_start(&query->backoff_timer, backoff_cb, delay, 0);
}

static void backoff_cb(uv_timer_t *handle)
{
  struct lc_dnsq *query = handle->data;
  struct lc_dns_resolver *resolver = query->resolver;

  set_state(query, LC_DNSQ_QUEUED);
  queue_push(resolver, query, true);
  lc_dnsq_pump(resolver);
}

/* Handle a successful answer: records of the type, a CNAME chain to ask
 * again for, or nothing of the type (NODATA). */
static void handle_success(struct lc_dnsq *query, const unsigned char *abuf,
                           int alen)
{
  char end[LC_DNS_NAME_MAX + 1];
  char error[LC_DNS_NAME_MAX + 64];
  bool has_type = false;

  if (lc_dns_msg_chain(abuf, alen, query->name, query->type, end, sizeof(end),
                       &has_type) != LC_OK) {
    snprintf(error, sizeof(error), "malformed %s answer for %s",
             type_name(query->type), query->name);
    finish(query, LC_DNSQ_FAILED, NULL, 0, error);
  } else if (has_type) {
    finish(query, LC_DNSQ_ANSWER, abuf, alen, "");
  } else if (strcasecmp(end, query->name) == 0) {
    finish(query, LC_DNSQ_NODATA, NULL, 0, "");
  } else if (query->hops >= LC_DNS_CNAME_HOPS_MAX) {
    snprintf(error, sizeof(error), "CNAME chain of %s longer than %d",
             query->name, LC_DNS_CNAME_HOPS_MAX);
    finish(query, LC_DNSQ_FAILED, NULL, 0, error);
  } else {
    lc_debug("dns: %s %s is a CNAME of %s; asking again",
             type_name(query->type), query->name, end);
    memcpy(query->name, end, strlen(end) + 1);
    query->hops++;
    query->tries = 0;
    set_state(query, LC_DNSQ_QUEUED);
    queue_push(query->resolver, query, true);
  }
}

static void handle_failure(struct lc_dnsq *query, int status)
{
  char error[LC_DNS_NAME_MAX + 128];

  if (is_retryable(status) && query->tries < query->resolver->tries) {
    lc_debug("dns: %s %s: %s, try %u of %u", type_name(query->type),
             query->name, ares_strerror(status), query->tries,
             query->resolver->tries);
    backoff(query);
    return;
  }
  format_error(query, status, error, sizeof(error));
  lc_debug("dns: %s %s failed: %s", type_name(query->type), query->name, error);
  finish(query, LC_DNSQ_FAILED, NULL, 0, error);
}

static void answer_cb(void *arg, int status, int timeouts, unsigned char *abuf,
                      int alen)
{
  struct lc_dnsq *query = arg;
  struct lc_dns_resolver *resolver = query->resolver;

  resolver->stats.in_flight--;
  resolver->stats.timeouts += (uint64_t)timeouts;
  if (resolver->closing) {
    /* ares_destroy during lc_dns_resolver_free: the owners are being
     * canceled as a whole, so no callback. */
    query_release(query);
    return;
  }
  if (got_answer(status))
    resolver->stats.answers++;
  if (status == ARES_SUCCESS)
    handle_success(query, abuf, alen);
  else if (status == ARES_ENODATA)
    finish(query, LC_DNSQ_NODATA, NULL, 0, "");
  else if (status == ARES_ENOTFOUND)
    finish(query, LC_DNSQ_NXDOMAIN, NULL, 0, "");
  else
    handle_failure(query, status);
  lc_dnsq_pump(resolver);
}

void lc_dnsq_teardown(struct lc_dns_resolver *resolver)
{
  memset(&resolver->followups, 0, sizeof(resolver->followups));
  memset(&resolver->fresh, 0, sizeof(resolver->fresh));
  resolver->stats.queued = 0;
  while (resolver->live != NULL)
    query_release(resolver->live);
}
