/* Identity client: HTTP requests to the identity host.
 *
 * A call is one question (realm, canary or account) that may take several
 * HTTP requests when answers come back throttled. Calls wait in a FIFO
 * queue; id_pump() starts them no faster than one per interval_ms and no
 * more than max_inflight at once. A throttled call moves to the retry
 * list, which is kept in order of due time because a Retry-After header
 * gives each call its own delay, and rejoins the queue tail once its
 * delay has passed, so a resend is paced like any other request. The pace
 * timer wakes id_pump() for the next slot or the next resend, whichever
 * comes first.
 *
 * id_call_done_cb() turns the HTTP response into a struct lc_identity_answer
 * and hands it to the domain state machine (lc_identity_on_answer).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/identity_int.h"
#include "engine/log.h"

static const char *const id_call_state_names[] = {"queued", "sent",
                                                  "retry_wait", "done"};
static const char *const id_call_kind_names[] = {"realm", "canary", "account"};

static void id_pump(struct lc_identity_client *c);
static void id_pace_cb(uv_timer_t *timer);
static void id_call_done_cb(void *arg, const struct lc_http_response *resp);

static void id_call_set_state(struct lc_identity_call *call,
                              enum lc_identity_call_state state)
{
  lc_trace("identity %s %s: %s -> %s", id_call_kind_names[call->kind],
           call->address, id_call_state_names[call->state],
           id_call_state_names[state]);
  call->state = state;
}

static void id_list_append(struct lc_identity_call_list *list,
                           struct lc_identity_call *call)
{
  call->next = NULL;
  call->prev = list->tail;
  if (list->tail != NULL)
    list->tail->next = call;
  else
    list->head = call;
  list->tail = call;
}

static void id_list_remove(struct lc_identity_call_list *list,
                           struct lc_identity_call *call)
{
  if (call->prev != NULL)
    call->prev->next = call->next;
  else
    list->head = call->next;
  if (call->next != NULL)
    call->next->prev = call->prev;
  else
    list->tail = call->prev;
  call->prev = call->next = NULL;
}

/* Insert CALL after AFTER, or at the head when AFTER is NULL. */
static void id_list_insert_after(struct lc_identity_call_list *list,
                                 struct lc_identity_call *after,
                                 struct lc_identity_call *call)
{
  call->prev = after;
  call->next = after != NULL ? after->next : list->head;
  if (call->next != NULL)
    call->next->prev = call;
  else
    list->tail = call;
  if (after != NULL)
    after->next = call;
  else
    list->head = call;
}

static void id_call_free(struct lc_identity_call *call)
{
  free(call->address);
  free(call);
}

enum lc_status lc_identity_call_start(struct lc_identity_client *c,
                                      enum lc_identity_call_kind kind,
                                      struct lc_identity_domain *domain,
                                      struct lc_identity_lookup *lookup,
                                      const char *address)
{
  struct lc_identity_call *call = calloc(1, sizeof(*call));

  if (call == NULL)
    return LC_ERR_NOMEM;
  call->address = strdup(address);
  if (call->address == NULL) {
    free(call);
    return LC_ERR_NOMEM;
  }
  call->kind = kind;
  call->client = c;
  call->domain = domain;
  call->lookup = lookup;
  call->state = LC_IDENTITY_CALL_QUEUED;
  id_list_append(&c->queued, call);
  id_pump(c);
  return LC_OK;
}

/* Start the HTTP request of CALL: GET for the realm, POST otherwise. */
static enum lc_status id_call_send(struct lc_identity_call *call)
{
  struct lc_identity_client *c = call->client;
  char login[3 * LC_IDENTITY_ADDRESS_MAX + 1];
  char *url = NULL;
  char *body = NULL;
  enum lc_status status = LC_ERR_NOMEM;

  if (call->kind == LC_IDENTITY_CALL_REALM) {
    status = lc_identity_url_encode(call->address, login, sizeof(login));
    if (status != LC_OK)
      goto done;
    if (asprintf(&url, "%s/getuserrealm.srf?login=%s&json=1", c->base_url,
                 login) < 0) {
      url = NULL;
      status = LC_ERR_NOMEM;
      goto done;
    }
    status = lc_http_get(c->http, url, id_call_done_cb, call);
  } else {
    body = lc_identity_credential_body(call->address);
    if (body == NULL ||
        asprintf(&url, "%s/common/GetCredentialType", c->base_url) < 0) {
      url = NULL;
      status = LC_ERR_NOMEM;
      goto done;
    }
    status = lc_http_post_json(c->http, url, body, id_call_done_cb, call);
  }
done:
  free(url);
  free(body);
  return status;
}

static void id_count_request(struct lc_identity_client *c,
                             enum lc_identity_call_kind kind)
{
  c->stats.requests++;
  if (kind == LC_IDENTITY_CALL_REALM)
    c->stats.realm_requests++;
  else if (kind == LC_IDENTITY_CALL_CANARY)
    c->stats.canary_requests++;
  else
    c->stats.account_requests++;
}

/* Hand CALL's final ANSWER to the domain state machine and free it. */
static void id_call_finish(struct lc_identity_call *call,
                           const struct lc_identity_answer *answer)
{
  id_call_set_state(call, LC_IDENTITY_CALL_DONE);
  lc_identity_on_answer(call, answer);
  id_call_free(call);
}

/* Send the head of the queue. A request that cannot start fails the call
 * at once: the only causes are memory and an address that cannot be
 * encoded, and waiting would not cure either. */
static void id_send_next(struct lc_identity_client *c)
{
  struct lc_identity_call *call = c->queued.head;
  struct lc_identity_answer answer = {.failed = true};
  enum lc_status status;

  id_list_remove(&c->queued, call);
  call->attempts++;
  status = id_call_send(call);
  if (status != LC_OK) {
    snprintf(answer.error, sizeof(answer.error), "%s", lc_strerror(status));
    c->stats.errors++;
    id_call_finish(call, &answer);
    return;
  }
  id_count_request(c, call->kind);
  id_call_set_state(call, LC_IDENTITY_CALL_SENT);
  id_list_append(&c->sent, call);
  c->inflight++;
}

/* Move the resends whose delay has passed to the queue tail. */
static void id_requeue_due(struct lc_identity_client *c, uint64_t now)
{
  while (c->retrying.head != NULL && c->retrying.head->due <= now) {
    struct lc_identity_call *call = c->retrying.head;

    id_list_remove(&c->retrying, call);
    id_call_set_state(call, LC_IDENTITY_CALL_QUEUED);
    id_list_append(&c->queued, call);
  }
}

/* Arm the pace timer for the next slot or the next resend. */
static void id_arm(struct lc_identity_client *c, uint64_t now)
{
  double wake = -1;

  /* A full max_inflight needs no timer: each completion pumps. */
  if (c->queued.head != NULL && c->next_slot > (double)now)
    wake = ceil(c->next_slot - (double)now);
  if (c->retrying.head != NULL) {
    double due = (double)(c->retrying.head->due - now);

    if (wake < 0 || due < wake)
      wake = due;
  }
  if (wake < 0)
    uv_timer_stop(&c->pace_timer);
  else
    uv_timer_start(&c->pace_timer, id_pace_cb, (uint64_t)wake, 0);
}

/* Start every call that pacing and max_inflight allow now. */
static void id_pump(struct lc_identity_client *c)
{
  uint64_t now;

  if (c->pumping || c->closing)
    return;
  c->pumping = true;
  now = uv_now(c->loop);
  id_requeue_due(c, now);
  /* uv_now() counts whole milliseconds, so every slot that falls within
   * the current millisecond is due; rates above 1000/s need that. */
  while (c->queued.head != NULL && c->inflight < c->opts.max_inflight &&
         c->next_slot < (double)now + 1) {
    c->next_slot = fmax(c->next_slot, (double)now) + c->interval_ms;
    id_send_next(c);
  }
  id_arm(c, now);
  c->pumping = false;
}

static void id_pace_cb(uv_timer_t *timer)
{
  id_pump(timer->data);
}

/* Read RESP into ANSWER. Returns false when the answer was throttled. */
static bool id_read_response(const struct lc_identity_call *call,
                             const struct lc_http_response *resp,
                             struct lc_identity_answer *answer)
{
  char err[LC_IDENTITY_DETAIL_MAX - 32];
  enum lc_status status;

  if (resp->status != LC_OK) {
    answer->failed = true;
    snprintf(answer->error, sizeof(answer->error), "%s", resp->error);
    return true;
  }
  if (resp->code == 429 || resp->code == 503)
    return false;
  if (resp->code != 200) {
    answer->failed = true;
    snprintf(answer->error, sizeof(answer->error), "HTTP status %ld",
             resp->code);
    return true;
  }
  if (call->kind == LC_IDENTITY_CALL_REALM)
    status = lc_identity_parse_realm(resp->body, resp->body_len, &answer->realm,
                                     err, sizeof(err));
  else
    status = lc_identity_parse_credential(
        resp->body, resp->body_len, &answer->credential, err, sizeof(err));
  if (status != LC_OK) {
    answer->failed = true;
    snprintf(answer->error, sizeof(answer->error), "%s", err);
    return true;
  }
  if (call->kind == LC_IDENTITY_CALL_REALM)
    return true;
  return answer->credential.account != LC_IDENTITY_ACCOUNT_THROTTLED;
}

/* Return the wait in ms before resend ATTEMPT (from 1): RETRY_AFTER_S (the
 * answer's Retry-After in seconds, -1 without one) up to the larger of
 * LC_IDENTITY_RETRY_AFTER_MAX_MS and retry_delay_ms, else retry_delay_ms
 * doubled for each earlier resend, up to that maximum. */
static uint64_t id_retry_wait_ms(const struct lc_identity_client *c,
                                 int64_t retry_after_s, unsigned attempt)
{
  uint64_t max = c->opts.retry_delay_ms > LC_IDENTITY_RETRY_AFTER_MAX_MS
                     ? c->opts.retry_delay_ms
                     : LC_IDENTITY_RETRY_AFTER_MAX_MS;
  uint64_t wait = c->opts.retry_delay_ms;

  if (retry_after_s < 0) {
    for (unsigned i = 1; i < attempt && wait < max; i++)
      wait *= 2;
    return wait < max ? wait : max;
  }
  if ((uint64_t)retry_after_s > max / 1000)
    return max;
  return (uint64_t)retry_after_s * 1000;
}

/* Put CALL on the retry list, which stays in order of due time. Calls
 * due at the same time keep their order. */
static void id_retry_insert(struct lc_identity_client *c,
                            struct lc_identity_call *call)
{
  struct lc_identity_call *after = c->retrying.tail;

  while (after != NULL && after->due > call->due)
    after = after->prev;
  id_list_insert_after(&c->retrying, after, call);
}

static void id_log_resend(const struct lc_identity_call *call,
                          const struct lc_http_response *resp, uint64_t wait)
{
  char header[48] = "";

  if (resp->retry_after_s >= 0)
    snprintf(header, sizeof(header), ", Retry-After %lld s",
             (long long)resp->retry_after_s);
  lc_debug("identity %s %s: throttled (HTTP %ld%s), resend %u of %u in "
           "%llu ms",
           id_call_kind_names[call->kind], call->address, resp->code, header,
           call->attempts, call->client->opts.max_retries,
           (unsigned long long)wait);
}

/* Schedule a resend of CALL, whose answer RESP was throttled, or fail it
 * when it used up its resends. */
static void id_call_throttled(struct lc_identity_call *call,
                              const struct lc_http_response *resp)
{
  struct lc_identity_client *c = call->client;
  struct lc_identity_answer answer = {.failed = true};
  uint64_t wait;

  c->stats.throttled++;
  if (call->attempts <= c->opts.max_retries) {
    wait = id_retry_wait_ms(c, resp->retry_after_s, call->attempts);
    id_log_resend(call, resp, wait);
    if (resp->retry_after_s >= 0)
      c->stats.retry_after++;
    c->stats.retry_wait_ms += wait;
    call->due = uv_now(c->loop) + wait;
    id_call_set_state(call, LC_IDENTITY_CALL_RETRY_WAIT);
    id_retry_insert(c, call);
    return;
  }
  snprintf(answer.error, sizeof(answer.error), "throttled %u times",
           call->attempts);
  id_call_finish(call, &answer);
}

static void id_call_done_cb(void *arg, const struct lc_http_response *resp)
{
  struct lc_identity_call *call = arg;
  struct lc_identity_client *c = call->client;
  struct lc_identity_answer answer = {.failed = false};

  /* On lc_identity_free() the lookups are completed there and the call is
   * freed by lc_identity_calls_free(). */
  if (c->closing)
    return;
  id_list_remove(&c->sent, call);
  c->inflight--;
  if (!id_read_response(call, resp, &answer)) {
    id_call_throttled(call, resp);
  } else {
    if (answer.failed)
      c->stats.errors++;
    id_call_finish(call, &answer);
  }
  id_pump(c);
}

static void id_list_free(struct lc_identity_call_list *list)
{
  while (list->head != NULL) {
    struct lc_identity_call *call = list->head;

    id_list_remove(list, call);
    id_call_free(call);
  }
}

/* Free every call. Lookups and domains are not touched. */
void lc_identity_calls_free(struct lc_identity_client *c)
{
  id_list_free(&c->queued);
  id_list_free(&c->retrying);
  id_list_free(&c->sent);
}
