/* Duplicate detection in bounded memory.
 *
 * The set stores a 32-bit fingerprint of each normalised address (compared
 * without case) in one of two buckets of 8 slots, chosen from a 64-bit
 * hash. When both buckets are full, entries move to their other bucket
 * (cuckoo hashing), so the table fills to about 95% before a fingerprint
 * has to be dropped. Memory is fixed at creation: 4 bytes per slot. The
 * price is a small false-positive rate: a lookup compares 16 fingerprints,
 * so with the table full about 4 lookups in a billion report a duplicate
 * that is not one. A dropped fingerprint is counted, lc_dedup_full() turns
 * true, and later copies of that address are not flagged.
 */
#ifndef LC_DEDUP_H
#define LC_DEDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lc_dedup;

/* Create a set using at most MEMORY bytes (rounded down to a power of two,
 * at least 4 KiB). Returns NULL when out of memory. */
struct lc_dedup *lc_dedup_new(size_t memory);

/* Record ADDRESS (LEN bytes). Returns true when an equal address (ignoring
 * ASCII case) was recorded before. */
bool lc_dedup_seen(struct lc_dedup *set, const char *address, size_t len);

/* Start loading the bucket of HASH (from lc_hash_nocase) into the cache
 * and return HASH, so that other work can run while memory answers. */
uint64_t lc_dedup_prefetch(const struct lc_dedup *set, uint64_t hash);

/* lc_dedup_seen() for an address whose hash is already known. */
bool lc_dedup_seen_hash(struct lc_dedup *set, uint64_t hash);

/* Whether an address of hash HASH was recorded, without recording it. */
bool lc_dedup_has_hash(const struct lc_dedup *set, uint64_t hash);

/* Number of distinct addresses stored, whether one had to be dropped
 * because the table was full, and how many were. */
uint64_t lc_dedup_count(const struct lc_dedup *set);
bool lc_dedup_full(const struct lc_dedup *set);
uint64_t lc_dedup_dropped(const struct lc_dedup *set);

/* 64-bit hash of LEN bytes, ignoring ASCII case. */
uint64_t lc_hash_nocase(const char *bytes, size_t len);

void lc_dedup_free(struct lc_dedup *set);

#endif
