/* Internal layout of the identity client, shared by engine/identity.c
 * (public API, lookups, delivery of results), engine/identity_domain.c
 * (per-domain state machine and the handlers of each answer) and
 * engine/identity_call.c (HTTP requests: queue, pacing, resends, reading
 * the answers). Nothing outside these files includes it.
 *
 * Ownership: the client owns every domain, lookup and call. A lookup is in
 * exactly one place besides the client's list of all lookups: the waiters
 * of its domain, an account call, or the ready queue. A call is in exactly
 * one of the client's call lists (queued, retrying, sent).
 */
#ifndef LC_IDENTITY_INT_H
#define LC_IDENTITY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "engine/http.h"
#include "engine/identity.h"
#include "engine/identity_json.h"

enum lc_identity_domain_state {
  LC_IDENTITY_DOMAIN_REALM,   /* realm lookup queued or running */
  LC_IDENTITY_DOMAIN_CANARY,  /* managed tenant, canary check pending */
  LC_IDENTITY_DOMAIN_TRUSTED, /* canary absent: addresses checked one by
                                 one */
  LC_IDENTITY_DOMAIN_SETTLED  /* one result for every address */
};

struct lc_identity_lookup;

struct lc_identity_domain {
  enum lc_identity_domain_state state; /* set by id_domain_set_state */
  struct lc_identity_client *client;
  char *name; /* lower case */
  uint64_t hash;
  struct lc_identity_domain *hash_next;
  /* Lookups waiting for the realm and canary (REALM and CANARY). */
  struct lc_identity_lookup *waiters_head, *waiters_tail;
  enum lc_identity result; /* SETTLED */
  char detail[LC_IDENTITY_DETAIL_MAX];
  bool warned; /* a failure of this domain was logged */
};

enum lc_identity_lookup_state {
  LC_IDENTITY_LOOKUP_WAITING,  /* for its domain's realm and canary */
  LC_IDENTITY_LOOKUP_CHECKING, /* its account check is queued or running */
  LC_IDENTITY_LOOKUP_READY     /* result known, callback not yet run */
};

struct lc_identity_lookup {
  enum lc_identity_lookup_state state; /* set by lc_identity_lookup_set_state
                                        */
  struct lc_identity_client *client;
  struct lc_identity_domain *domain;
  char *address;
  lc_identity_cb cb;
  void *arg;
  enum lc_identity result; /* READY */
  char detail[LC_IDENTITY_DETAIL_MAX];
  struct lc_identity_lookup *next; /* in the waiters or the ready queue */
  struct lc_identity_lookup *all_prev, *all_next;
};

enum lc_identity_call_kind {
  LC_IDENTITY_CALL_REALM,
  LC_IDENTITY_CALL_CANARY,
  LC_IDENTITY_CALL_ACCOUNT
};

enum lc_identity_call_state {
  LC_IDENTITY_CALL_QUEUED,     /* waits for pacing */
  LC_IDENTITY_CALL_SENT,       /* HTTP request running */
  LC_IDENTITY_CALL_RETRY_WAIT, /* throttled, resent at `due` */
  LC_IDENTITY_CALL_DONE        /* answer handled; freed right after */
};

struct lc_identity_call {
  enum lc_identity_call_state state; /* set by id_call_set_state */
  enum lc_identity_call_kind kind;
  struct lc_identity_client *client;
  struct lc_identity_domain *domain;
  struct lc_identity_lookup *lookup; /* ACCOUNT only */
  char *address;                     /* login sent */
  unsigned attempts;                 /* requests sent so far */
  uint64_t due;                      /* RETRY_WAIT: loop time in ms */
  struct lc_identity_call *prev, *next;
};

struct lc_identity_call_list {
  struct lc_identity_call *head, *tail;
};

/* What a finished call learned: the parsed answer, or why there is none
 * (transport error, HTTP status, malformed answer, throttled too often). */
struct lc_identity_answer {
  bool failed;
  struct lc_identity_realm realm;           /* REALM */
  struct lc_identity_credential credential; /* CANARY and ACCOUNT */
  char error[LC_IDENTITY_DETAIL_MAX - 32];  /* failed */
};

struct lc_identity_client {
  uv_loop_t *loop;
  struct lc_http *http;
  struct lc_identity_options opts;
  char *base_url; /* without a trailing slash */
  char host[256]; /* host of base_url, for logs */
  uv_timer_t pace_timer;
  uv_timer_t done_timer;
  unsigned handles; /* libuv handles not yet closed */
  bool closing;     /* lc_identity_free() was called */

  /* Calls (engine/identity_call.c). */
  struct lc_identity_call_list queued, retrying, sent;
  unsigned inflight;  /* calls in sent */
  double interval_ms; /* 1000 / rate */
  double next_slot;   /* loop time before which no request starts */
  bool pumping;

  /* Domains: chained hash table, power-of-two bucket count. */
  struct lc_identity_domain **buckets;
  size_t nbuckets, ndomains;

  /* Lookups. */
  struct lc_identity_lookup *all_head;
  struct lc_identity_lookup *ready_head, *ready_tail;

  struct lc_identity_stats stats;
};

/* Lookups (engine/identity.c). */
void lc_identity_lookup_set_state(struct lc_identity_lookup *lookup,
                                  enum lc_identity_lookup_state state);
void lc_identity_complete(struct lc_identity_lookup *lookup,
                          enum lc_identity result, const char *detail);

/* Domains (engine/identity_domain.c). */
struct lc_identity_domain *
lc_identity_domain_get(struct lc_identity_client *client, const char *name,
                       bool *created);
void lc_identity_domain_join(struct lc_identity_domain *domain,
                             struct lc_identity_lookup *lookup, bool created);
void lc_identity_on_answer(struct lc_identity_call *call,
                           const struct lc_identity_answer *answer);
void lc_identity_domains_free(struct lc_identity_client *client);

/* Calls (engine/identity_call.c). */
enum lc_status lc_identity_call_start(struct lc_identity_client *client,
                                      enum lc_identity_call_kind kind,
                                      struct lc_identity_domain *domain,
                                      struct lc_identity_lookup *lookup,
                                      const char *address);
void lc_identity_calls_free(struct lc_identity_client *client);

#endif
