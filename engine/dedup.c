/* Fingerprint set for duplicate addresses (see dedup.h). */
#include "engine/dedup.h"

#include <stdlib.h>
#include <sys/mman.h>

#define DEDUP_SLOTS 8 /* fingerprints per bucket: one 32-byte line */
/* Displacements tried before a fingerprint is dropped. */
#define DEDUP_MAX_KICKS 500

struct lc_dedup {
  uint32_t *slots; /* nbuckets * DEDUP_SLOTS; 0 marks an empty slot */
  size_t bytes;
  uint64_t mask; /* nbuckets - 1 */
  uint64_t count;
  uint64_t dropped; /* fingerprints lost because the table was full */
  bool full;
};

uint64_t lc_hash_nocase(const char *bytes, size_t len)
{
  /* FNV-1a over the case-folded bytes, then a multiply-xorshift finaliser
   * so that the low and high halves are both well mixed. */
  uint64_t h = 0xcbf29ce484222325ull;

  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)bytes[i];
    if (c >= 'A' && c <= 'Z')
      c = (unsigned char)(c + 32);
    h = (h ^ c) * 0x100000001b3ull;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

struct lc_dedup *lc_dedup_new(size_t memory)
{
  struct lc_dedup *set = calloc(1, sizeof(*set));
  uint64_t nbuckets = 128;

  if (set == NULL)
    return NULL;
  while (nbuckets * 2 * DEDUP_SLOTS * sizeof(uint32_t) <= memory)
    nbuckets *= 2;
  /* Anonymous memory stays unmapped until touched, so a large bound costs
   * only what is used. Huge pages, where the kernel grants them, save a
   * TLB miss on most lookups of a table this size. */
  set->bytes = nbuckets * DEDUP_SLOTS * sizeof(uint32_t);
  set->slots = mmap(NULL, set->bytes, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (set->slots == MAP_FAILED) {
    free(set);
    return NULL;
  }
  madvise(set->slots, set->bytes, MADV_HUGEPAGE);
  set->mask = nbuckets - 1;
  return set;
}

/* The fingerprint of hash H; 0 marks an empty slot, so it becomes 1. */
static uint32_t dedup_fingerprint(uint64_t h)
{
  uint32_t fp = (uint32_t)(h >> 32);

  return fp != 0 ? fp : 1;
}

static int dedup_find(const uint32_t *bucket, uint32_t fp)
{
  for (int i = 0; i < DEDUP_SLOTS; i++)
    if (bucket[i] == fp)
      return i;
  return -1;
}

/* The other bucket of fingerprint FP when it sits in bucket B. Applying it
 * twice gives B back, so an entry can move between its two buckets
 * knowing only its fingerprint. */
static uint64_t dedup_alt(const struct lc_dedup *set, uint64_t b, uint32_t fp)
{
  return (b ^ (((uint64_t)fp * 0x9e3779b97f4a7c15ull) >> 24)) & set->mask;
}

uint64_t lc_dedup_prefetch(const struct lc_dedup *set, uint64_t hash)
{
  uint64_t b1 = hash & set->mask;

  __builtin_prefetch(set->slots + b1 * DEDUP_SLOTS);
  __builtin_prefetch(set->slots +
                     dedup_alt(set, b1, dedup_fingerprint(hash)) * DEDUP_SLOTS);
  return hash;
}

bool lc_dedup_seen(struct lc_dedup *set, const char *address, size_t len)
{
  return lc_dedup_seen_hash(set, lc_hash_nocase(address, len));
}

/* Put FP into bucket B or, when it is full, move entries to their other
 * bucket (cuckoo displacement) until one finds room. Returns false when a
 * fingerprint had to be dropped. */
static bool dedup_insert(struct lc_dedup *set, uint64_t b, uint32_t fp)
{
  for (int kick = 0; kick < DEDUP_MAX_KICKS; kick++) {
    uint32_t *bucket = set->slots + b * DEDUP_SLOTS;
    int slot = dedup_find(bucket, 0);
    if (slot >= 0) {
      bucket[slot] = fp;
      return true;
    }
    slot = kick % DEDUP_SLOTS;
    uint32_t victim = bucket[slot];
    bucket[slot] = fp;
    fp = victim;
    b = dedup_alt(set, b, fp);
  }
  return false;
}

/* Whether FP is in bucket B1 or B2. */
static bool dedup_has(const struct lc_dedup *set, uint64_t b1, uint64_t b2,
                      uint32_t fp)
{
  return dedup_find(set->slots + b1 * DEDUP_SLOTS, fp) >= 0 ||
         dedup_find(set->slots + b2 * DEDUP_SLOTS, fp) >= 0;
}

bool lc_dedup_has_hash(const struct lc_dedup *set, uint64_t h)
{
  uint32_t fp = dedup_fingerprint(h);
  uint64_t b1 = h & set->mask;

  return dedup_has(set, b1, dedup_alt(set, b1, fp), fp);
}

bool lc_dedup_seen_hash(struct lc_dedup *set, uint64_t h)
{
  uint32_t fp = dedup_fingerprint(h);
  uint64_t b1 = h & set->mask;
  uint64_t b2 = dedup_alt(set, b1, fp);

  if (dedup_has(set, b1, b2, fp))
    return true;
  set->count++;
  if (dedup_find(set->slots + b2 * DEDUP_SLOTS, 0) >= 0 &&
      dedup_find(set->slots + b1 * DEDUP_SLOTS, 0) < 0)
    b1 = b2;
  if (!dedup_insert(set, b1, fp)) {
    set->full = true;
    set->dropped++;
    set->count--;
  }
  return false;
}

uint64_t lc_dedup_count(const struct lc_dedup *set)
{
  return set->count;
}

bool lc_dedup_full(const struct lc_dedup *set)
{
  return set->full;
}

uint64_t lc_dedup_dropped(const struct lc_dedup *set)
{
  return set->dropped;
}

void lc_dedup_free(struct lc_dedup *set)
{
  if (set == NULL)
    return;
  munmap(set->slots, set->bytes);
  free(set);
}
