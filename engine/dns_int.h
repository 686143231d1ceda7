/* Internal structures of the DNS module, shared by engine/dns*.c and
 * engine/domains.c. Nothing outside those files includes this header.
 *
 * Layers, bottom up:
 *   dns_ares.c    c-ares channel on the libuv loop (uv_poll per socket,
 *                 one uv_timer driven by ares_timeout)
 *   dns_query.c   one DNS question: FIFO under the concurrency cap,
 *                 retries with backoff, CNAME chains the server left open
 *   dns_msg.c     reading the answer section of a DNS message
 *   dns_host.c    A and AAAA of one MX host name (cached, single-flight)
 *   dns_domain.c  MX of one domain, then its hosts, then the result
 *   domains.c     hash maps, LRU list, memory accounting and eviction
 *   dns.c         resolver lifetime, options, lc_dns_lookup, delivery
 */
#ifndef LC_DNS_INT_H
#define LC_DNS_INT_H

#include <ares.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/dns.h"

#define LC_DNS_TYPE_A 1
#define LC_DNS_TYPE_CNAME 5
#define LC_DNS_TYPE_MX 15
#define LC_DNS_TYPE_AAAA 28
#define LC_DNS_CLASS_IN 1

/* MX records used per domain; the lowest preferences are kept. */
#define LC_DNS_MX_MAX 64
/* Addresses used per host name and family. */
#define LC_DNS_ADDRS_MAX 64
/* CNAME re-queries per question before it counts as failed. */
#define LC_DNS_CNAME_HOPS_MAX 8
/* Longest pause between two tries of one question. */
#define LC_DNS_BACKOFF_MAX_MS 30000

struct lc_dns_resolver;
struct lc_dns_domain;

/* ---- one DNS question (dns_query.c) ---- */

enum lc_dnsq_state {
  LC_DNSQ_QUEUED,  /* waiting for a slot under the concurrency cap */
  LC_DNSQ_SENT,    /* handed to c-ares */
  LC_DNSQ_BACKOFF, /* failed try, waiting before the next one */
  LC_DNSQ_DONE
};

enum lc_dnsq_result {
  LC_DNSQ_ANSWER,   /* records of the requested type are in the answer */
  LC_DNSQ_NODATA,   /* the name exists but has no record of the type */
  LC_DNSQ_NXDOMAIN, /* the name (or the end of its CNAME chain) is absent */
  LC_DNSQ_FAILED    /* SERVFAIL, REFUSED, timeout, ... after all tries */
};

/* Completion of a question. ABUF (ALEN bytes) is the answer for
 * LC_DNSQ_ANSWER and NULL otherwise; ERROR is the reason for
 * LC_DNSQ_FAILED and "" otherwise. Both are valid during the call only.
 * Not called when the resolver is freed. */
typedef void (*lc_dnsq_cb)(void *arg, enum lc_dnsq_result result,
                           const unsigned char *abuf, int alen,
                           const char *error);

struct lc_dnsq {
  struct lc_dns_resolver *resolver;
  enum lc_dnsq_state state;
  int type;
  bool followup;  /* part of a lookup already started (host addresses) */
  unsigned tries; /* sends of the current name */
  unsigned hops;  /* CNAME re-queries so far */
  uv_timer_t backoff_timer;
  bool timer_open;
  struct lc_dnsq *live_prev, *live_next; /* every question not yet freed */
  struct lc_dnsq *queue_next;            /* FIFO while queued */
  lc_dnsq_cb cb;
  void *arg;
  char name[LC_DNS_NAME_MAX + 1];
};

/* Queue a question for NAME and TYPE. FOLLOWUP questions (addresses of
 * the MX hosts of a domain being resolved) are sent before those that
 * start a new domain, so that started lookups finish first. CB is called
 * exactly once unless the resolver is freed first. It may be called
 * before this returns only when c-ares rejects the name. Returns
 * LC_ERR_NOMEM when the question could not be allocated, and CB is not
 * called then. */
enum lc_status lc_dnsq_start(struct lc_dns_resolver *resolver, const char *name,
                             int type, bool followup, lc_dnsq_cb cb, void *arg);
/* Send queued questions while slots are free. */
void lc_dnsq_pump(struct lc_dns_resolver *resolver);
/* Drop every question without calling back (resolver shutdown). The
 * c-ares channel must already be destroyed. */
void lc_dnsq_teardown(struct lc_dns_resolver *resolver);

struct lc_dnsq_fifo {
  struct lc_dnsq *head, *tail;
};

/* ---- DNS messages (dns_msg.c) ---- */

/* Follow the CNAME chain that starts at QNAME through the answer section
 * of ABUF, write its last name to END (SIZE bytes) and set *HAS_TYPE when
 * that name owns a record of type QTYPE. Returns LC_ERR_FORMAT for a
 * malformed message. */
enum lc_status lc_dns_msg_chain(const unsigned char *abuf, int alen,
                                const char *qname, int qtype, char *end,
                                size_t size, bool *has_type);

/* ---- c-ares glue (dns_ares.c) ---- */

/* Create the channel with the resolver's servers and options and the
 * timer handle. On failure writes MSG and returns LC_ERR_DNS,
 * LC_ERR_NOMEM, or LC_ERR_INVALID when c-ares rejects SERVERS_CSV. */
enum lc_status lc_dns_ares_start(struct lc_dns_resolver *resolver,
                                 const char *servers_csv, char *msg,
                                 size_t size);
/* Fill resolver->servers_text with the servers c-ares read from
 * /etc/resolv.conf ("127.0.0.1:53, [::1]:53"); "system resolver" when
 * they cannot be listed. */
void lc_dns_ares_servers_text(struct lc_dns_resolver *resolver);
/* Re-arm the timer from ares_timeout(); call after each c-ares call. */
void lc_dns_ares_update_timer(struct lc_dns_resolver *resolver);
/* Destroy the channel (c-ares calls back every sent question with
 * ARES_EDESTRUCTION) and close the poll and timer handles. */
void lc_dns_ares_stop(struct lc_dns_resolver *resolver);

/* ---- cache table (domains.c) ---- */

enum lc_dns_entry_kind { LC_DNS_ENTRY_DOMAIN, LC_DNS_ENTRY_HOST };

/* Common head of a domain and of a host entry. */
struct lc_dns_entry {
  struct lc_dns_resolver *resolver;
  struct lc_dns_entry *hash_next;
  struct lc_dns_entry *lru_prev, *lru_next;
  enum lc_dns_entry_kind kind;
  bool in_lru; /* finished, so it may be evicted when refs is 0 */
  unsigned refs;
  size_t bytes; /* counted in the table's total */
  uint64_t hash;
  const char *name; /* stored right after the containing struct */
};

struct lc_dns_map {
  struct lc_dns_entry **buckets;
  size_t nbuckets; /* power of two */
  size_t count;
};

/* Find NAME in MAP. Returns NULL when absent. */
struct lc_dns_entry *lc_dns_map_find(const struct lc_dns_map *map,
                                     const char *name);
/* Allocate SIZE bytes for an entry struct followed by NAME, fill the head,
 * insert it in MAP and count its bytes. Returns NULL on allocation
 * failure. */
void *lc_dns_entry_new(struct lc_dns_resolver *resolver, struct lc_dns_map *map,
                       enum lc_dns_entry_kind kind, size_t size,
                       const char *name);
/* Count DELTA more (or fewer) bytes for ENTRY. */
void lc_dns_entry_account(struct lc_dns_resolver *resolver,
                          struct lc_dns_entry *entry, long delta);
/* Mark ENTRY finished (most recently used) or move it to the front. */
void lc_dns_entry_touch(struct lc_dns_resolver *resolver,
                        struct lc_dns_entry *entry);
/* Evict finished, unreferenced entries, least recently used first, until
 * the table is within max_entries and max_bytes or nothing can go. */
void lc_dns_table_trim(struct lc_dns_resolver *resolver);
/* Free every entry of both maps and the maps themselves. */
void lc_dns_table_free(struct lc_dns_resolver *resolver);

/* ---- MX hosts (dns_host.c) ---- */

enum lc_dns_hostent_state { LC_HOSTENT_RESOLVING, LC_HOSTENT_DONE };

enum lc_dns_host_status {
  LC_HOST_PENDING,
  LC_HOST_RESOLVED,   /* at least one address, usable or not */
  LC_HOST_NO_ADDRESS, /* NXDOMAIN or no A/AAAA */
  LC_HOST_ERROR       /* no address and a lookup failed */
};

/* Domain waiting for a host entry. */
struct lc_dns_hostwait {
  struct lc_dns_hostwait *next;
  struct lc_dns_domain *domain;
};

struct lc_dns_hostent {
  struct lc_dns_entry entry;
  enum lc_dns_hostent_state state;
  enum lc_dns_host_status status;
  unsigned pending; /* A and AAAA questions not yet answered */
  size_t nv4, nv6;
  struct sockaddr_storage *v4, *v6;
  char *error; /* first failure, when status is LC_HOST_ERROR */
  struct lc_dns_hostwait *waiters;
};

/* Find or create the host entry of NAME and take a reference. The entry
 * may be LC_HOSTENT_DONE on return, also when it was just created.
 * Returns NULL on allocation failure. */
struct lc_dns_hostent *lc_dns_host_get(struct lc_dns_resolver *resolver,
                                       const char *name);
/* Queue DOMAIN to be told (lc_dns_domain_host_done) when HOST finishes.
 * Returns LC_ERR_NOMEM on allocation failure. */
enum lc_status lc_dns_host_wait(struct lc_dns_hostent *host,
                                struct lc_dns_domain *domain);
/* Free HOST (it must be out of the map and unreferenced). */
void lc_dns_host_free(struct lc_dns_resolver *resolver,
                      struct lc_dns_hostent *host);

/* ---- domains (dns_domain.c) ---- */

enum lc_dns_domain_state {
  LC_DOMAIN_MX,       /* MX question in flight */
  LC_DOMAIN_IMPLICIT, /* no MX: waiting for the domain's own A/AAAA */
  LC_DOMAIN_HOSTS,    /* waiting for the addresses of the MX hosts */
  LC_DOMAIN_DONE
};

/* User callback waiting for a domain, or queued for delivery. */
struct lc_dns_waiter {
  struct lc_dns_waiter *next;
  struct lc_dns_domain *domain;
  lc_dns_cb cb;
  void *arg;
};

struct lc_dns_mx {
  char *name;
  unsigned preference;
  struct lc_dns_hostent *host; /* referenced until the result is built */
};

struct lc_dns_domain {
  struct lc_dns_entry entry;
  enum lc_dns_domain_state state;
  struct lc_dns_waiter *waiters, *waiters_tail;
  struct lc_dns_mx *mx;
  size_t nmx, mx_capacity;
  unsigned pending; /* hosts not yet resolved, plus one while attaching */
  struct lc_dns_result result;
  void *blob;  /* hosts, addresses and names of result */
  char *error; /* result.error when not "" */
};

/* Create the entry of DOMAIN (normalised name) and send its MX question.
 * Returns NULL on allocation failure. */
struct lc_dns_domain *lc_dns_domain_new(struct lc_dns_resolver *resolver,
                                        const char *name);
/* Tell DOMAIN that one of its hosts finished. */
void lc_dns_domain_host_done(struct lc_dns_domain *domain);
/* Free DOMAIN (it must be out of the map and unreferenced). */
void lc_dns_domain_free(struct lc_dns_resolver *resolver,
                        struct lc_dns_domain *domain);

/* ---- resolver (dns.c) ---- */

struct lc_dns_poll;

struct lc_dns_resolver {
  uv_loop_t *loop;
  ares_channel channel;
  bool channel_live;
  char *servers_text; /* for error messages: "127.0.0.1:53" */
  unsigned timeout_ms, tries, backoff_ms, concurrency;
  bool allow_private;
  size_t max_entries, max_bytes;
  uint64_t seed;

  uv_timer_t ares_timer;
  uv_idle_t idle; /* runs deliveries outside of lc_dns_lookup */
  struct lc_dns_poll *polls;
  unsigned open_handles; /* freed when this drops to 0 while closing */

  struct lc_dnsq_fifo followups, fresh; /* questions waiting for a slot */
  struct lc_dnsq *live;
  bool pumping;

  struct lc_dns_map domains, hosts;
  struct lc_dns_entry *lru_head, *lru_tail; /* head: most recently used */

  struct lc_dns_waiter *ready_head, *ready_tail;
  struct lc_dns_stats stats;
  bool closing;
};

/* Queue the waiters of a finished DOMAIN for delivery. */
void lc_dns_deliver_waiters(struct lc_dns_resolver *resolver,
                            struct lc_dns_domain *domain);
/* Count a handle as closed; the last one frees a closing resolver. */
void lc_dns_handle_closed(struct lc_dns_resolver *resolver);

#endif
