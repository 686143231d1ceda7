/* Open-addressing string set used by the address lists. */
#include "engine/strset.h"

#include <stdlib.h>
#include <string.h>

#define STRSET_MIN_SLOTS 64
/* Offsets and lengths are 32-bit; stay well below that. */
#define STRSET_BYTES_MAX ((size_t)1 << 31)

static uint64_t strset_hash(const char *s, size_t len)
{
  /* FNV-1a, 64-bit: list entries are short, so a simple byte hash is as
   * fast as a wide one and spreads domain names well. */
  uint64_t h = 14695981039346656037u;

  for (size_t i = 0; i < len; i++) {
    h ^= (unsigned char)s[i];
    h *= 1099511628211u;
  }
  return h;
}

static const char *entry_text(const struct lc_strset *set,
                              const struct lc_strset_entry *entry)
{
  return set->arena + entry->offset;
}

/* Return the slot that contains S, or the empty slot where S would go. */
static size_t strset_find(const struct lc_strset *set, const char *s,
                          size_t len, uint64_t hash)
{
  size_t mask = set->slots_cap - 1;
  size_t i = (size_t)hash & mask;

  while (set->slots[i] != 0) {
    const struct lc_strset_entry *e = &set->entries[set->slots[i] - 1];

    if (e->hash == hash && e->len == len &&
        memcmp(entry_text(set, e), s, len) == 0)
      return i;
    i = (i + 1) & mask;
  }
  return i;
}

void lc_strset_init(struct lc_strset *set)
{
  memset(set, 0, sizeof(*set));
}

void lc_strset_clear(struct lc_strset *set)
{
  if (set == NULL)
    return;
  free(set->arena);
  free(set->entries);
  free(set->slots);
  lc_strset_init(set);
}

static enum lc_status strset_rehash(struct lc_strset *set, size_t cap)
{
  uint32_t *slots = calloc(cap, sizeof(*slots));

  if (slots == NULL)
    return LC_ERR_NOMEM;
  free(set->slots);
  set->slots = slots;
  set->slots_cap = cap;
  for (size_t n = 0; n < set->count; n++) {
    const struct lc_strset_entry *e = &set->entries[n];
    size_t i = strset_find(set, entry_text(set, e), e->len, e->hash);

    set->slots[i] = (uint32_t)(n + 1);
  }
  return LC_OK;
}

/* Make room for one more entry of LEN bytes (plus its NUL). */
static enum lc_status strset_reserve(struct lc_strset *set, size_t len)
{
  if (set->arena_len + len + 1 > set->arena_cap) {
    size_t cap = set->arena_cap ? set->arena_cap * 2 : 1024;
    char *arena;

    while (cap < set->arena_len + len + 1)
      cap *= 2;
    if (cap > STRSET_BYTES_MAX)
      return LC_ERR_LIMIT;
    if ((arena = realloc(set->arena, cap)) == NULL)
      return LC_ERR_NOMEM;
    set->arena = arena;
    set->arena_cap = cap;
  }
  if (set->count == set->entries_cap) {
    size_t cap = set->entries_cap ? set->entries_cap * 2 : 64;
    struct lc_strset_entry *entries;

    entries = realloc(set->entries, cap * sizeof(*entries));
    if (entries == NULL)
      return LC_ERR_NOMEM;
    set->entries = entries;
    set->entries_cap = cap;
  }
  if ((set->count + 1) * 2 > set->slots_cap) {
    size_t cap = set->slots_cap ? set->slots_cap * 2 : STRSET_MIN_SLOTS;

    return strset_rehash(set, cap);
  }
  return LC_OK;
}

enum lc_status lc_strset_add(struct lc_strset *set, const char *s, size_t len,
                             bool *added)
{
  uint64_t hash = strset_hash(s, len);
  struct lc_strset_entry *e;
  enum lc_status status;
  size_t slot;

  if (added != NULL)
    *added = false;
  if (lc_strset_has(set, s, len))
    return LC_OK;
  if ((status = strset_reserve(set, len)) != LC_OK)
    return status;
  e = &set->entries[set->count];
  e->offset = (uint32_t)set->arena_len;
  e->len = (uint32_t)len;
  e->hash = hash;
  memcpy(set->arena + set->arena_len, s, len);
  set->arena[set->arena_len + len] = '\0';
  set->arena_len += len + 1;
  slot = strset_find(set, s, len, hash);
  set->slots[slot] = (uint32_t)(++set->count);
  if (added != NULL)
    *added = true;
  return LC_OK;
}

bool lc_strset_has(const struct lc_strset *set, const char *s, size_t len)
{
  return lc_strset_find(set, s, len) != LC_STRSET_NONE;
}

size_t lc_strset_find(const struct lc_strset *set, const char *s, size_t len)
{
  uint32_t slot;

  if (set->count == 0)
    return LC_STRSET_NONE;
  slot = set->slots[strset_find(set, s, len, strset_hash(s, len))];
  return slot != 0 ? (size_t)slot - 1 : LC_STRSET_NONE;
}

size_t lc_strset_count(const struct lc_strset *set)
{
  return set->count;
}

const char *lc_strset_at(const struct lc_strset *set, size_t index, size_t *len)
{
  *len = set->entries[index].len;
  return entry_text(set, &set->entries[index]);
}
