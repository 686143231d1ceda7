/* Internals of the network checks, shared by engine/net.c (domains and
 * flow) and engine/net_decide.c (evidence and verdicts). */
#ifndef LC_NET_INT_H
#define LC_NET_INT_H

#include <openssl/ssl.h>

#include "engine/dns.h"
#include "engine/net.h"
#include "engine/sched.h"

struct net_addr;
struct net_seen;
struct net_seen_table;

/* One domain: its route and the evidence its rows share. */
struct net_domain {
  char *name;
  uint64_t hash;
  struct net_domain *hash_next;
  struct net_domain *lru_prev, *lru_next; /* idle domains, oldest first */
  unsigned refs;                          /* rows that point to this domain */
  bool dns_started;                       /* lookup sent (or answered) */
  bool dns_done;
  enum lc_dns_outcome dns;
  char dns_error[128];

  /* Route, copied from the DNS result. */
  struct lc_sched_route route;
  struct lc_sched_host *hosts;
  struct sockaddr_storage *addrs;
  char *names; /* host names, NUL-separated */
  const char *provider;
  bool gateway;
  char group[64]; /* scheduler budget key of a provider cluster */

  /* Catch-all probe. */
  bool probe_started;
  bool probe_done;
  struct lc_probe probe;
  char probe_rcpt[LC_SMTP_PATH_MAX + 1];
  enum lc_rcpt_class probe_class;
  int probe_code;
  char probe_enhanced[16];
  bool any_accepted;
  /* Rows of the domain still waiting for their SMTP reply: while any is,
   * evidence that the gateway validates may still come. */
  unsigned unanswered;

  struct net_addr *dns_waiters;
  struct net_addr *evidence_waiters;
  /* Link in lc_net.parked while evidence_waiters is not empty. */
  struct net_domain *park_prev, *park_next;
};

/* One row in flight on the network side. */
struct net_addr {
  struct lc_net *net;
  struct lc_item *item;
  struct net_domain *domain;
  struct lc_addr_obs obs;
  struct lc_probe probe;
  bool smtp_done;
  bool identity_done;
  bool parked_for_gateway;
  bool counted_unanswered; /* counted in domain->unanswered */
  struct net_seen *seen;   /* entry this row owns, or NULL */
  struct net_addr *next;   /* in a domain's waiter list */
};

struct lc_net {
  uv_loop_t *loop;
  const struct lc_job_options *opt;
  struct lc_dns_resolver *resolver;
  struct lc_sched *sched;
  struct lc_identity_client *identity; /* NULL unless requested */
  struct net_domain *parked; /* domains with rows waiting for evidence */
  SSL_CTX *ssl_ctx;
  char helo[256];
  char mail_from[LC_SMTP_PATH_MAX + 1];
  uint64_t rng;

  struct net_seen_table *seen;
  struct net_domain **table;
  size_t table_size; /* power of two */
  size_t ndomains;
  struct net_domain *lru_head, *lru_tail;

  /* Domains that had a real recipient accepted, kept while their entries
   * come and go from the table. NULL until the first one. */
  struct lc_dedup *accepted;
  size_t gateway_waiting; /* rows waiting only for gateway evidence */
  /* While rows wait for gateway evidence, this timer asks the pipeline
   * whether it is blocked (input ended or window full) and then decides
   * them. It also keeps the loop alive: nothing else may be pending. */
  uv_timer_t park_timer;
  bool (*blocked)(void *arg);
  void *blocked_arg;
  size_t in_flight; /* rows, plus catch-all probes in the scheduler */
  bool shutting_down;
  bool hold_evictions; /* while walking the table */
};

/* Decide ITEM's verdict now that its SMTP reply is in, or park it on its
 * domain until the evidence it needs arrives (net_decide.c). */
void lc_net_try_decide(struct net_addr *addr, bool force);
/* Reverse a list linked through next; returns the new head. Wait lists
 * are stacks, and rows leave them in input order. */
struct net_addr *lc_net_reverse(struct net_addr *list);
/* Re-run lc_net_try_decide() for the rows parked on DOMAIN. */
void lc_net_wake(struct net_domain *domain, bool force);
/* Finish a row whose verdict needs no SMTP reply (DNS outcome, or SMTP
 * not requested). */
void lc_net_finish_without_smtp(struct net_addr *addr);
/* Drop a row's reference to its domain (it may become idle). */
void lc_net_domain_release(struct lc_net *net, struct net_domain *domain);
/* Add DOMAIN to, or remove it from, the list of domains with parked
 * rows. */
void lc_net_park_link(struct lc_net *net, struct net_domain *domain);
void lc_net_park_unlink(struct lc_net *net, struct net_domain *domain);
/* A row was parked for gateway evidence: make sure the park timer runs. */
void lc_net_parked(struct lc_net *net);
/* Count one callback less in flight; frees NET after a shutdown once
 * nothing is in flight. */
void lc_net_settle(struct lc_net *net);

/* Sharing of results between copies of one address (net_seen.c). */
enum lc_net_seen_state {
  LC_NET_SEEN_OWNER, /* first copy: check it */
  LC_NET_SEEN_WAIT,  /* parked until the first copy finishes */
  LC_NET_SEEN_DONE   /* result copied from a finished copy */
};
struct net_seen_table *lc_net_seen_new(void);
void lc_net_seen_free(struct net_seen_table *table);
/* Look ADDRESS up; see enum lc_net_seen_state for the outcomes. */
enum lc_net_seen_state lc_net_seen_claim(struct net_seen_table *table,
                                         struct net_addr *addr,
                                         const char *address);
/* Store the result of ADDR (an owner) and copy it into the rows that
 * waited for it. Returns those rows, linked by next, for the caller to
 * complete. */
struct net_addr *lc_net_seen_finish(struct net_seen_table *table,
                                    struct net_addr *addr);

#endif
