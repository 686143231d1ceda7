/* MX scheduler: the queues of probes inside a key.
 *
 * A key contains one queue per domain and set of MX host addresses, so
 * host names that lead to one server share a queue's host ring. Each queue
 * sits in two rings. The key's ring picks the probe that leads the next
 * session, one queue after the other, so that a domain with thousands of
 * addresses cannot starve the small domains of the same key. The host's
 * ring fills a session: it takes one probe per queue of the session's
 * addresses in turn, without looking at other queues. So starting or
 * topping up a session costs the probes it takes, not the size of the
 * key. Queues are found through the scheduler's domain map, host rings
 * through its host map; both are freed when they run empty.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/sched_int.h"

#define QUEUE_MIX 0x9e3779b97f4a7c15ULL

static uint64_t hostq_hash(const struct sched_key *key, uint64_t addrs_hash)
{
  return addrs_hash ^ ((uint64_t)(uintptr_t)key * QUEUE_MIX);
}

static struct sched_hostq *hostq_find(const struct sched_key *key,
                                      uint64_t addrs_hash)
{
  const struct sched_map *map = &key->sched->hosts;
  uint64_t hash = hostq_hash(key, addrs_hash);

  if (map->nbuckets == 0)
    return NULL;
  for (struct sched_node *n = *lc_sched_map_bucket(map, hash); n != NULL;
       n = n->next) {
    struct sched_hostq *q = (struct sched_hostq *)n;

    if (n->hash == hash && q->key == key && q->addrs_hash == addrs_hash)
      return q;
  }
  return NULL;
}

static struct sched_hostq *hostq_get(struct sched_key *key, uint64_t addrs_hash)
{
  struct sched_hostq *q = hostq_find(key, addrs_hash);

  if (q != NULL)
    return q;
  if ((q = calloc(1, sizeof(*q))) == NULL)
    return NULL;
  q->node.hash = hostq_hash(key, addrs_hash);
  q->key = key;
  q->addrs_hash = addrs_hash;
  if (!lc_sched_map_insert(&key->sched->hosts, &q->node)) {
    free(q);
    return NULL;
  }
  return q;
}

size_t lc_sched_key_host_queued(const struct sched_key *key,
                                uint64_t addrs_hash)
{
  const struct sched_hostq *q = hostq_find(key, addrs_hash);

  return q != NULL ? q->queued : 0;
}

static uint64_t domain_hash(const struct sched_key *key, const char *name,
                            uint64_t addrs_hash)
{
  return lc_sched_hash(name) ^ hostq_hash(key, addrs_hash * QUEUE_MIX);
}

/* Link D at the end of the key's ring and of its host's ring, so that it
 * waits one round like every other queue. */
static void domain_link(struct sched_key *key, struct sched_domain *d)
{
  struct sched_hostq *q = d->hostq;

  if (key->cursor == NULL) {
    d->ring_next = d->ring_prev = key->cursor = d;
  } else {
    d->ring_next = key->cursor;
    d->ring_prev = key->cursor->ring_prev;
    d->ring_prev->ring_next = d;
    key->cursor->ring_prev = d;
  }
  if (q->cursor == NULL) {
    d->host_next = d->host_prev = q->cursor = d;
  } else {
    d->host_next = q->cursor;
    d->host_prev = q->cursor->host_prev;
    d->host_prev->host_next = d;
    q->cursor->host_prev = d;
  }
  key->ndomains++;
  q->ndomains++;
}

/* Return the queue of domain NAME and host HOST_HASH in KEY, creating it.
 * NULL when out of memory. */
static struct sched_domain *domain_get(struct sched_key *key, const char *name,
                                       uint64_t addrs_hash)
{
  struct lc_sched *s = key->sched;
  uint64_t hash = domain_hash(key, name, addrs_hash);
  struct sched_domain *d;
  size_t len = strlen(name);

  for (struct sched_node *n =
           s->domains.nbuckets ? *lc_sched_map_bucket(&s->domains, hash) : NULL;
       n != NULL; n = n->next) {
    d = (struct sched_domain *)n;
    if (n->hash == hash && d->key == key && d->addrs_hash == addrs_hash &&
        strcasecmp(d->name, name) == 0)
      return d;
  }
  if ((d = calloc(1, sizeof(*d) + len + 1)) == NULL)
    return NULL;
  memcpy(d->name, name, len + 1);
  d->node.hash = hash;
  d->key = key;
  d->addrs_hash = addrs_hash;
  if ((d->hostq = hostq_get(key, addrs_hash)) == NULL ||
      !lc_sched_map_insert(&s->domains, &d->node)) {
    if (d->hostq != NULL && d->hostq->ndomains == 0) {
      lc_sched_map_remove(&s->hosts, &d->hostq->node);
      free(d->hostq);
    }
    free(d);
    return NULL;
  }
  domain_link(key, d);
  return d;
}

/* Unlink the empty queue D from both rings and free it, and its host's
 * ring with it when that runs empty. */
static void domain_free(struct sched_key *key, struct sched_domain *d)
{
  struct sched_hostq *q = d->hostq;

  if (d->ring_next == d) {
    key->cursor = NULL;
  } else {
    d->ring_prev->ring_next = d->ring_next;
    d->ring_next->ring_prev = d->ring_prev;
    if (key->cursor == d)
      key->cursor = d->ring_next;
  }
  if (d->host_next == d) {
    q->cursor = NULL;
  } else {
    d->host_prev->host_next = d->host_next;
    d->host_next->host_prev = d->host_prev;
    if (q->cursor == d)
      q->cursor = d->host_next;
  }
  key->ndomains--;
  if (--q->ndomains == 0) {
    lc_sched_map_remove(&key->sched->hosts, &q->node);
    free(q);
  }
  lc_sched_map_remove(&key->sched->domains, &d->node);
  free(d);
}

/* Queue P in KEY, ahead of its domain's other probes when FRONT. */
enum lc_status lc_sched_key_push(struct sched_key *key, struct lc_probe *p,
                                 bool front)
{
  struct sched_domain *d = domain_get(key, p->domain, p->sched.addrs_hash);

  if (d == NULL)
    return LC_ERR_NOMEM;
  if (front)
    lc_sched_list_push_front(&d->probes, p);
  else
    lc_sched_list_push(&d->probes, p);
  d->hostq->queued++;
  key->queued++;
  lc_sched_probe_set_state(p, SCHED_PROBE_QUEUED);
  return LC_OK;
}

/* Return the probe that leads the next session of KEY, or NULL. */
struct lc_probe *lc_sched_key_peek(struct sched_key *key)
{
  return key->cursor != NULL ? key->cursor->probes.head : NULL;
}

/* Pop the head of D, which is in KEY. */
static struct lc_probe *domain_pop(struct sched_key *key,
                                   struct sched_domain *d)
{
  struct lc_probe *p = lc_sched_list_pop(&d->probes);

  d->hostq->queued--;
  key->queued--;
  return p;
}

/* Take up to MAX probes whose current host hashes to HOST_HASH, one per
 * queue of that host in turn, into OUT. Returns the count. When the key's
 * next lead is such a probe (a new session), it comes first and the key's
 * ring moves on past it. */
size_t lc_sched_key_take(struct sched_key *key, uint64_t addrs_hash,
                         struct lc_probe **out, size_t max)
{
  struct sched_hostq *q = hostq_find(key, addrs_hash);
  size_t n = 0;

  if (q == NULL)
    return 0;
  if (key->cursor != NULL && key->cursor->hostq == q) {
    q->cursor = key->cursor;
    key->cursor = key->cursor->ring_next;
  }
  while (n < max && q != NULL) {
    struct sched_domain *d = q->cursor;

    q->cursor = d->host_next;
    out[n++] = domain_pop(key, d);
    if (d->probes.count > 0)
      continue;
    if (q->ndomains == 1)
      q = NULL; /* freed with its last queue */
    domain_free(key, d);
  }
  return n;
}

/* Move every queued probe of KEY into OUT and free the queues. */
void lc_sched_key_drain(struct sched_key *key, struct sched_list *out)
{
  while (key->cursor != NULL) {
    struct sched_domain *d = key->cursor;

    while (d->probes.count > 0)
      lc_sched_list_push(out, domain_pop(key, d));
    domain_free(key, d);
  }
}

/* Send the queued probes of KEY whose current host has the addresses
 * ADDRS_HASH on to their next MX host: those that have one, or ALL of them
 * (which completes the ones at their last host). */
void lc_sched_key_evict_host(struct sched_key *key, uint64_t addrs_hash,
                             bool all)
{
  struct sched_list moved = {0};
  struct sched_domain *d = key->cursor;
  size_t n = key->ndomains;
  struct lc_probe *p;

  while (n-- > 0) {
    struct sched_domain *next = d->ring_next;
    struct sched_list keep = {0};

    while (d->probes.count > 0) {
      bool move;

      p = domain_pop(key, d);
      move = p->sched.addrs_hash == addrs_hash &&
             (all || lc_sched_route_has_next(p->route, p->sched.host));
      lc_sched_list_push(move ? &moved : &keep, p);
    }
    /* Kept probes go back in their order, counted again. */
    while ((p = lc_sched_list_pop(&keep)) != NULL) {
      lc_sched_list_push(&d->probes, p);
      d->hostq->queued++;
      key->queued++;
    }
    if (d->probes.count == 0)
      domain_free(key, d);
    d = next;
  }
  while ((p = lc_sched_list_pop(&moved)) != NULL)
    lc_sched_move_host(key->sched, p);
}
