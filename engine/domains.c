/* The cache table of the DNS module: one hash map of domains, one of MX
 * host names, a shared LRU list and a byte count.
 *
 * An entry joins the LRU list when it finishes. Only finished entries
 * without references (no pending delivery, no domain waiting on the host)
 * can be evicted.
 * NOTE: the bounds are soft. They are exceeded while more lookups are in
 * flight than they allow, and the bytes count the entry structs, names,
 * results and bucket arrays as requested from malloc, without its
 * overhead and without the per-lookup waiter records.
 */
#include "engine/dns_int.h"

#include <stdlib.h>
#include <string.h>

#include "engine/log.h"

#define MAP_INITIAL_BUCKETS 64

static uint64_t hash_name(const char *name)
{
  uint64_t hash = 0xcbf29ce484222325ULL; /* FNV-1a 64 */

  for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
    hash ^= *p;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

struct lc_dns_entry *lc_dns_map_find(const struct lc_dns_map *map,
                                     const char *name)
{
  uint64_t hash = hash_name(name);

  if (map->nbuckets == 0)
    return NULL;
  for (struct lc_dns_entry *e = map->buckets[hash & (map->nbuckets - 1)];
       e != NULL; e = e->hash_next) {
    if (e->hash == hash && strcmp(e->name, name) == 0)
      return e;
  }
  return NULL;
}

/* Double the bucket array (or create it). Returns false on failure, and
 * the map keeps working with its old array. */
static bool map_grow(struct lc_dns_resolver *resolver, struct lc_dns_map *map)
{
  size_t nbuckets = map->nbuckets ? map->nbuckets * 2 : MAP_INITIAL_BUCKETS;
  struct lc_dns_entry **buckets = calloc(nbuckets, sizeof(*buckets));

  if (buckets == NULL)
    return false;
  for (size_t i = 0; i < map->nbuckets; i++) {
    struct lc_dns_entry *e = map->buckets[i];
    while (e != NULL) {
      struct lc_dns_entry *next = e->hash_next;
      size_t slot = e->hash & (nbuckets - 1);
      e->hash_next = buckets[slot];
      buckets[slot] = e;
      e = next;
    }
  }
  free(map->buckets);
  resolver->stats.table_bytes += (nbuckets - map->nbuckets) * sizeof(void *);
  if (resolver->stats.table_bytes > resolver->stats.peak_table_bytes)
    resolver->stats.peak_table_bytes = resolver->stats.table_bytes;
  map->buckets = buckets;
  map->nbuckets = nbuckets;
  return true;
}

static void map_remove(struct lc_dns_map *map, struct lc_dns_entry *entry)
{
  struct lc_dns_entry **link = &map->buckets[entry->hash & (map->nbuckets - 1)];

  while (*link != entry)
    link = &(*link)->hash_next;
  *link = entry->hash_next;
  map->count--;
}

void lc_dns_entry_account(struct lc_dns_resolver *resolver,
                          struct lc_dns_entry *entry, long delta)
{
  struct lc_dns_stats *stats = &resolver->stats;

  entry->bytes = (size_t)((long)entry->bytes + delta);
  stats->table_bytes = (size_t)((long)stats->table_bytes + delta);
  if (stats->table_bytes > stats->peak_table_bytes)
    stats->peak_table_bytes = stats->table_bytes;
}

void *lc_dns_entry_new(struct lc_dns_resolver *resolver, struct lc_dns_map *map,
                       enum lc_dns_entry_kind kind, size_t size,
                       const char *name)
{
  size_t name_size = strlen(name) + 1;
  struct lc_dns_entry *entry;
  char *name_copy;

  if (map->count >= map->nbuckets && !map_grow(resolver, map) &&
      map->nbuckets == 0)
    return NULL;
  entry = calloc(1, size + name_size);
  if (entry == NULL)
    return NULL;
  name_copy = (char *)entry + size;
  memcpy(name_copy, name, name_size);
  entry->name = name_copy;
  entry->resolver = resolver;
  entry->kind = kind;
  entry->hash = hash_name(name);
  size_t slot = entry->hash & (map->nbuckets - 1);
  entry->hash_next = map->buckets[slot];
  map->buckets[slot] = entry;
  map->count++;
  resolver->stats.entries++;
  lc_dns_entry_account(resolver, entry, (long)(size + name_size));
  return entry;
}

static void lru_unlink(struct lc_dns_resolver *resolver,
                       struct lc_dns_entry *entry)
{
  if (entry->lru_prev != NULL)
    entry->lru_prev->lru_next = entry->lru_next;
  else
    resolver->lru_head = entry->lru_next;
  if (entry->lru_next != NULL)
    entry->lru_next->lru_prev = entry->lru_prev;
  else
    resolver->lru_tail = entry->lru_prev;
  entry->lru_prev = entry->lru_next = NULL;
}

void lc_dns_entry_touch(struct lc_dns_resolver *resolver,
                        struct lc_dns_entry *entry)
{
  if (entry->in_lru)
    lru_unlink(resolver, entry);
  entry->in_lru = true;
  entry->lru_next = resolver->lru_head;
  if (resolver->lru_head != NULL)
    resolver->lru_head->lru_prev = entry;
  resolver->lru_head = entry;
  if (resolver->lru_tail == NULL)
    resolver->lru_tail = entry;
}

static void entry_free(struct lc_dns_resolver *resolver,
                       struct lc_dns_entry *entry)
{
  if (entry->kind == LC_DNS_ENTRY_DOMAIN)
    lc_dns_domain_free(resolver, (struct lc_dns_domain *)entry);
  else
    lc_dns_host_free(resolver, (struct lc_dns_hostent *)entry);
}

static void evict(struct lc_dns_resolver *resolver, struct lc_dns_entry *entry)
{
  struct lc_dns_map *map = entry->kind == LC_DNS_ENTRY_DOMAIN
                               ? &resolver->domains
                               : &resolver->hosts;

  lc_trace("dns: evict %s %s (%zu bytes)",
           entry->kind == LC_DNS_ENTRY_DOMAIN ? "domain" : "host", entry->name,
           entry->bytes);
  lru_unlink(resolver, entry);
  map_remove(map, entry);
  resolver->stats.entries--;
  resolver->stats.evictions++;
  lc_dns_entry_account(resolver, entry, -(long)entry->bytes);
  entry_free(resolver, entry);
}

static bool over_bounds(const struct lc_dns_resolver *resolver)
{
  return resolver->stats.entries > resolver->max_entries ||
         resolver->stats.table_bytes > resolver->max_bytes;
}

void lc_dns_table_trim(struct lc_dns_resolver *resolver)
{
  struct lc_dns_entry *entry = resolver->lru_tail;

  if (resolver->closing)
    return;
  while (entry != NULL && over_bounds(resolver)) {
    struct lc_dns_entry *prev = entry->lru_prev;
    if (entry->refs == 0)
      evict(resolver, entry);
    entry = prev;
  }
}

static void map_free(struct lc_dns_resolver *resolver, struct lc_dns_map *map)
{
  for (size_t i = 0; i < map->nbuckets; i++) {
    struct lc_dns_entry *entry = map->buckets[i];
    while (entry != NULL) {
      struct lc_dns_entry *next = entry->hash_next;
      entry_free(resolver, entry);
      entry = next;
    }
  }
  free(map->buckets);
  memset(map, 0, sizeof(*map));
}

void lc_dns_table_free(struct lc_dns_resolver *resolver)
{
  map_free(resolver, &resolver->domains);
  map_free(resolver, &resolver->hosts);
  resolver->lru_head = resolver->lru_tail = NULL;
  resolver->stats.entries = 0;
  resolver->stats.table_bytes = 0;
}
