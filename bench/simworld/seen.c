/* Open-addressing map of 64-bit keys, filled to at most half. */
#include "bench/simworld/seen.h"

#include <stdlib.h>

struct slot {
  uint64_t key; /* 0 marks a free slot */
  uint64_t value;
};

struct sim_seen {
  struct slot *slots;
  size_t mask, used, max;
};

struct sim_seen *sim_seen_new(size_t max_entries)
{
  struct sim_seen *seen = calloc(1, sizeof(*seen));
  size_t size = 1024;
  while (size < max_entries * 2)
    size *= 2;
  if (seen == NULL ||
      (seen->slots = calloc(size, sizeof(struct slot))) == NULL) {
    free(seen);
    return NULL;
  }
  seen->mask = size - 1;
  seen->max = size / 2;
  return seen;
}

void sim_seen_free(struct sim_seen *seen)
{
  if (seen == NULL)
    return;
  free(seen->slots);
  free(seen);
}

uint64_t *sim_seen_get(struct sim_seen *seen, uint64_t key, uint64_t value,
                       bool *inserted)
{
  if (key == 0)
    key = 1;
  size_t index = (size_t)(key * 0x9E3779B97F4A7C15ull) & seen->mask;
  *inserted = false;
  for (;; index = (index + 1) & seen->mask) {
    struct slot *slot = &seen->slots[index];
    if (slot->key == key)
      return &slot->value;
    if (slot->key != 0)
      continue;
    if (seen->used >= seen->max)
      return NULL;
    slot->key = key;
    slot->value = value;
    seen->used++;
    *inserted = true;
    return &slot->value;
  }
}
