/* MX scheduler: connection failures, counted per set of addresses.
 *
 * A mark records that no address of a host accepted a connection. Marks are
 * keyed by the addresses a session dials, not by the host name, because
 * many MX names often point at one address: every name of a refusing
 * address then shares one count and reaches max_attempts together instead
 * of each starting over. The marks live in one map of the scheduler, so a
 * host used by the routes of several keys is counted once.
 *
 * A mark expires dead_host_ms after its last counted failure. Expired
 * marks are ignored on lookup and swept when the map has doubled since
 * the last sweep, so the map holds about the marks of the last
 * dead_host_ms.
 */
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "engine/sched_int.h"

#define DEAD_SWEEP_MIN 64

struct sched_dead {
  struct sched_node node; /* in lc_sched.dead, by addresses */
  uint64_t until_ms;      /* mark expires */
  uint64_t failed_ms;     /* last counted failure */
  unsigned failures;      /* sessions that failed to connect, counted once
                             per failure event */
};

static uint64_t fnv_bytes(uint64_t h, const void *bytes, size_t len)
{
  const unsigned char *b = bytes;

  for (size_t i = 0; i < len; i++)
    h = (h ^ b[i]) * 0x100000001b3ull;
  return h;
}

static size_t addrs_count(const struct lc_sched_host *host)
{
  return host->naddrs < LC_SMTP_ADDRS_MAX ? host->naddrs : LC_SMTP_ADDRS_MAX;
}

/* Hash one address: family, port and address, mixed so that sums of
 * such hashes stay spread. */
static uint64_t addr_hash(const struct sockaddr_storage *ss)
{
  uint64_t h = 0xcbf29ce484222325ull;

  h = fnv_bytes(h, &ss->ss_family, sizeof(ss->ss_family));
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

    h = fnv_bytes(h, &in->sin_port, sizeof(in->sin_port));
    h = fnv_bytes(h, &in->sin_addr, sizeof(in->sin_addr));
  } else if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

    h = fnv_bytes(h, &in6->sin6_port, sizeof(in6->sin6_port));
    h = fnv_bytes(h, &in6->sin6_addr, sizeof(in6->sin6_addr));
    h = fnv_bytes(h, &in6->sin6_scope_id, sizeof(in6->sin6_scope_id));
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

/* Hash the set of addresses a session dials for HOST. The sum does not
 * depend on their order, which resolvers rotate from one answer to the
 * next, so two names of one server pool share queues and marks. */
uint64_t lc_sched_addrs_hash(const struct lc_sched_host *host)
{
  uint64_t h = 0;

  for (size_t i = 0; i < addrs_count(host); i++)
    h += addr_hash(&host->addrs[i]);
  return h;
}

size_t lc_sched_addrs_first(const struct lc_sched_host *host)
{
  size_t best = 0;

  for (size_t i = 1; i < addrs_count(host); i++)
    if (addr_hash(&host->addrs[i]) < addr_hash(&host->addrs[best]))
      best = i;
  return best;
}

static struct sched_dead *dead_find(const struct lc_sched *s, uint64_t hash)
{
  struct sched_node *n;

  if (s->dead.nbuckets == 0)
    return NULL;
  for (n = *lc_sched_map_bucket(&s->dead, hash); n != NULL; n = n->next)
    if (n->hash == hash)
      return (struct sched_dead *)n;
  return NULL;
}

/* Free every expired mark, and sweep again once the map has doubled. */
static void dead_sweep(struct lc_sched *s, uint64_t now)
{
  for (size_t i = 0; i < s->dead.nbuckets; i++) {
    struct sched_node **link = &s->dead.buckets[i];

    while (*link != NULL) {
      struct sched_dead *d = (struct sched_dead *)*link;

      if (d->until_ms > now) {
        link = &(*link)->next;
        continue;
      }
      *link = d->node.next;
      s->dead.count--;
      free(d);
    }
  }
  s->dead_sweep_at =
      s->dead.count * 2 > DEAD_SWEEP_MIN ? s->dead.count * 2 : DEAD_SWEEP_MIN;
}

/* Return the counted connection failures of the addresses hashing to
 * ADDRS_HASH, 0 when they have no mark or the mark expired. */
unsigned lc_sched_dead_failures(const struct lc_sched *s, uint64_t addrs_hash,
                                uint64_t now)
{
  const struct sched_dead *d = dead_find(s, addrs_hash);

  return d != NULL && d->until_ms > now ? d->failures : 0;
}

/* Record that a session started at STARTED_MS could not connect to the
 * addresses hashing to ADDRS_HASH, and return the failures counted so far.
 * Sessions started before the last counted failure report the same
 * outage, so they do not count again. Returns 1 when out of memory: the
 * failure is then not remembered. */
unsigned lc_sched_dead_mark(struct lc_sched *s, uint64_t addrs_hash,
                            uint64_t now, uint64_t started_ms)
{
  struct sched_dead *d = dead_find(s, addrs_hash);

  if (d != NULL && d->until_ms <= now) {
    d->failures = 0;
    d->failed_ms = 0;
  }
  if (d == NULL) {
    if (s->dead.count >= s->dead_sweep_at)
      dead_sweep(s, now);
    if ((d = calloc(1, sizeof(*d))) == NULL)
      return 1;
    d->node.hash = addrs_hash;
    if (!lc_sched_map_insert(&s->dead, &d->node)) {
      free(d);
      return 1;
    }
  } else if (d->failures > 0 && started_ms <= d->failed_ms) {
    return d->failures;
  }
  d->failures++;
  d->failed_ms = now;
  d->until_ms = now + s->opts.dead_host_ms;
  return d->failures;
}

/* Free every mark. */
void lc_sched_dead_free(struct lc_sched *s)
{
  for (size_t i = 0; i < s->dead.nbuckets; i++) {
    struct sched_node *n = s->dead.buckets[i];

    while (n != NULL) {
      struct sched_node *next = n->next;

      free(n);
      n = next;
    }
  }
  lc_sched_map_free(&s->dead);
}
