/* Internal layout of the MX scheduler, shared by engine/sched.c (life
 * cycle and placement of probes), engine/sched_probe.c (completion,
 * deferral and host moves of single probes), engine/sched_key.c (keys,
 * domain queues and their limits) and engine/sched_session.c (starting
 * sessions and handling their outcomes). Nothing else includes it.
 */
#ifndef LC_SCHED_INT_H
#define LC_SCHED_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "engine/bucket.h"
#include "engine/sched.h"

/* Location of a probe. Changed only by lc_sched_probe_set_state(). */
enum sched_probe_state {
  SCHED_PROBE_NEW,      /* not yet submitted */
  SCHED_PROBE_INCOMING, /* waiting to be placed in a key */
  SCHED_PROBE_WAITING,  /* deferred: on the retry list until ready_ms */
  SCHED_PROBE_QUEUED,   /* in a domain queue of a key */
  SCHED_PROBE_SENT,     /* handed to a session */
  SCHED_PROBE_DONE      /* done callback made */
};

/* FIFO of probes linked through probe->sched.next. */
struct sched_list {
  struct lc_probe *head, *tail;
  size_t count;
};

/* Intrusive hash map node; the first member of every mapped struct. */
struct sched_node {
  struct sched_node *next;
  uint64_t hash;
};

struct sched_map {
  struct sched_node **buckets;
  size_t nbuckets; /* power of two, or 0 */
  size_t count;
};

struct sched_key;
struct sched_hostq;

/* Probes of one domain for one set of host addresses inside one key. It
 * sits in two round-robin rings while it has probes: the key's, which
 * picks the probe that leads the next session, and its host's, which fills
 * a session with probes for those addresses. It is freed when it runs
 * empty. */
struct sched_domain {
  struct sched_node node; /* in lc_sched.domains, by key, name and host */
  struct sched_key *key;
  struct sched_hostq *hostq;
  uint64_t addrs_hash;
  struct sched_domain *ring_next, *ring_prev; /* the key's ring */
  struct sched_domain *host_next, *host_prev; /* the host's ring */
  struct sched_list probes;
  char name[]; /* copied, NUL-terminated */
};

/* The domain queues of one key whose MX hosts have one set of addresses.
 * Host names that lead to the same server share it, so one session
 * carries the recipients of all their domains. */
struct sched_hostq {
  struct sched_node node; /* in lc_sched.hosts, by key and addresses */
  const struct sched_key *key;
  uint64_t addrs_hash;
  struct sched_domain *cursor; /* next domain of the host's ring */
  size_t ndomains;
  size_t queued; /* probes in those queues */
};

/* One MX key: a host name, or a provider group sharing one budget. */
struct sched_key {
  struct sched_node node; /* in lc_sched.keys, by name */
  struct lc_sched *sched;
  uv_timer_t timer; /* token refill, backoff end, or idle expiry */
  bool closing;     /* removed from the map, timer closing */

  struct sched_domain *cursor; /* next domain to serve; NULL when none */
  size_t ndomains;
  size_t queued;                  /* probes in the domain queues */
  struct sched_session *sessions; /* open sessions of this key */
  unsigned nsessions;
  struct sched_key *ready_next; /* in lc_sched.ready */
  bool ready;                   /* on lc_sched.ready */

  struct lc_bucket connects; /* new connections */
  struct lc_bucket rcpts;    /* RCPT commands */
  unsigned conn_budget;      /* open connections allowed now */
  uint64_t budget_ms;        /* last change of conn_budget */
  unsigned rcpt_limit;       /* RCPTs per session, lowered by 452 */
  uint64_t backoff_until_ms; /* no new session before this */
  unsigned backoffs;         /* consecutive backoffs */
  bool plain;                /* TLS failed here: sessions without TLS */
  uint64_t learned_until_ms; /* keep plain and rcpt_limit until then */
  char name[];               /* copied, NUL-terminated */
};

/* One SMTP session run by the scheduler. */
struct sched_session {
  struct sched_session *next; /* in key->sessions */
  struct sched_key *key;
  struct lc_smtp_session *smtp; /* NULL once its done callback ran */
  uint64_t addrs_hash;          /* addresses it dials */
  size_t count;                 /* recipients given so far */
  size_t cap;                   /* recipients it may take */
  size_t answered;              /* recipients the server replied to */
  uint64_t started_ms;          /* uv_now() when it was started */
  bool full;                    /* takes no more recipients */
  bool connect_failed;          /* its host failure was handled */
  unsigned host_failures;       /* failures of its host, once handled */
  bool rate_limited;            /* a RCPT got a rate-limit class */
  struct lc_probe *probes[];    /* by recipient index; NULL once final
                                   or handed back */
};

struct lc_sched {
  uv_loop_t *loop;
  struct lc_sched_options opts;
  uv_timer_t kick;   /* zero-delay wake-up to place and dispatch */
  uv_timer_t waiter; /* fires when the head of `waiting` is ready */
  unsigned handles;  /* our uv handles not yet closed */
  bool kick_armed;
  bool closing; /* lc_sched_shutdown() was called */

  struct sched_list incoming; /* submitted or moved, to be placed */
  struct sched_list waiting;  /* deferred, sorted by ready_ms */
  struct sched_map keys;
  struct sched_map domains;
  struct sched_map hosts; /* queued probes per key and host name */
  struct sched_map dead;  /* connection failures, engine/sched_dead.c */
  size_t dead_sweep_at;   /* sweep expired marks at this count */
  struct sched_key *ready, *ready_tail; /* keys that may start a session */

  const char **rcpt_scratch;       /* rcpt_per_session entries */
  struct lc_probe **probe_scratch; /* rcpt_per_session entries */
  struct lc_sched_stats stats;
};

/* engine/sched.c */
void lc_sched_kick(struct lc_sched *sched);
void lc_sched_maybe_free(struct lc_sched *sched);
uint64_t lc_sched_hash(const char *name);

/* engine/sched_probe.c */
void lc_sched_probe_set_state(struct lc_probe *probe,
                              enum sched_probe_state state);
void lc_sched_complete(struct lc_sched *sched, struct lc_probe *probe,
                       const struct lc_smtp_result *result);
void lc_sched_complete_error(struct lc_sched *sched, struct lc_probe *probe,
                             enum lc_status status);
void lc_sched_complete_class(struct lc_sched *sched, struct lc_probe *probe,
                             enum lc_rcpt_class cls,
                             const struct lc_smtp_summary *summary);
void lc_sched_defer(struct lc_sched *sched, struct lc_probe *probe,
                    const struct lc_smtp_result *result);
void lc_sched_move_host(struct lc_sched *sched, struct lc_probe *probe);
bool lc_sched_route_has_next(const struct lc_sched_route *route, size_t host);
void lc_sched_list_push(struct sched_list *list, struct lc_probe *probe);
void lc_sched_list_push_front(struct sched_list *list, struct lc_probe *probe);
struct lc_probe *lc_sched_list_pop(struct sched_list *list);

/* engine/sched_queue.c */
enum lc_status lc_sched_key_push(struct sched_key *key, struct lc_probe *probe,
                                 bool front);
struct lc_probe *lc_sched_key_peek(struct sched_key *key);
size_t lc_sched_key_take(struct sched_key *key, uint64_t addrs_hash,
                         struct lc_probe **out, size_t max);
size_t lc_sched_key_host_queued(const struct sched_key *key,
                                uint64_t addrs_hash);
void lc_sched_key_evict_host(struct sched_key *key, uint64_t addrs_hash,
                             bool all);
void lc_sched_key_drain(struct sched_key *key, struct sched_list *out);

/* engine/sched_key.c */
struct sched_key *lc_sched_key_get(struct lc_sched *sched, const char *name);
unsigned lc_sched_key_budget(struct sched_key *key, uint64_t now_ms);
void lc_sched_key_back_off(struct sched_key *key, uint64_t now_ms);
/* Pause KEY for backoff_ms after an MX host accepted no connection, without
 * the growth and budget cut of lc_sched_key_back_off(). */
void lc_sched_key_pause(struct sched_key *key, uint64_t now);
void lc_sched_key_ready(struct sched_key *key);
void lc_sched_key_wake_at(struct sched_key *key, uint64_t delay_ms);
void lc_sched_key_settle(struct sched_key *key);
void lc_sched_key_close(struct sched_key *key);
struct sched_node **lc_sched_map_bucket(const struct sched_map *map,
                                        uint64_t hash);
bool lc_sched_map_insert(struct sched_map *map, struct sched_node *node);
void lc_sched_map_remove(struct sched_map *map, struct sched_node *node);
void lc_sched_map_free(struct sched_map *map);

/* engine/sched_dead.c */
uint64_t lc_sched_addrs_hash(const struct lc_sched_host *host);
/* Index of the address of HOST that names its budget key: the same one
 * whatever the order of the addresses. */
size_t lc_sched_addrs_first(const struct lc_sched_host *host);
unsigned lc_sched_dead_failures(const struct lc_sched *sched,
                                uint64_t addrs_hash, uint64_t now_ms);
unsigned lc_sched_dead_mark(struct lc_sched *sched, uint64_t addrs_hash,
                            uint64_t now_ms, uint64_t started_ms);
void lc_sched_dead_free(struct lc_sched *sched);

/* engine/sched_session.c */
void lc_sched_key_dispatch(struct sched_key *key);
void lc_sched_session_cancel_all(struct sched_key *key);

#endif
