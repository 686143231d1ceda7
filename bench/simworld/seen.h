/* Bounded map from 64-bit keys to 64-bit values, for greylisting (first
 * try per client and recipient) and identity throttling (requests per
 * account). Entries are never removed; once the map is full, lookups of
 * new keys fail and callers let the request pass. */
#ifndef SIM_SEEN_H
#define SIM_SEEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_seen;

/* Create a map for up to MAX_ENTRIES keys; NULL when out of memory. */
struct sim_seen *sim_seen_new(size_t max_entries);
void sim_seen_free(struct sim_seen *seen);
/* Return the value slot of KEY, inserting it with VALUE first when it is
 * missing (then *inserted is true). Returns NULL when the map is full. */
uint64_t *sim_seen_get(struct sim_seen *seen, uint64_t key, uint64_t value,
                       bool *inserted);

#endif
