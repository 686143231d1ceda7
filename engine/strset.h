/* A set of byte strings with insertion order, for the address lists.
 *
 * Strings live in one growing arena and are addressed by offset, so adding
 * never invalidates earlier entries' indexes. Lookups take a pointer and a
 * length and need no NUL terminator, which lets callers test a suffix of a
 * domain in place. Open addressing with linear probing; the table is kept
 * at most half full.
 */
#ifndef LC_STRSET_H
#define LC_STRSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/status.h"

struct lc_strset_entry {
  uint32_t offset; /* into arena */
  uint32_t len;
  uint64_t hash;
};

struct lc_strset {
  char *arena;
  size_t arena_len, arena_cap;
  struct lc_strset_entry *entries; /* in insertion order */
  size_t count, entries_cap;
  uint32_t *slots;  /* entry index + 1, 0 for an empty slot */
  size_t slots_cap; /* power of two, or 0 */
};

/* Initialise an empty set. Allocates nothing: the first add does. */
void lc_strset_init(struct lc_strset *set);

/* Release the memory of SET and leave it empty. Accepts a zeroed set. */
void lc_strset_clear(struct lc_strset *set);

/* Add the LEN bytes at S (copied) unless the set already contains them.
 * Sets *added (when not NULL) to whether the string was new. Returns LC_OK,
 * LC_ERR_NOMEM, or LC_ERR_LIMIT when the set would pass 2^31 entries or
 * bytes. */
enum lc_status lc_strset_add(struct lc_strset *set, const char *s, size_t len,
                             bool *added);

/* Index that lc_strset_find() returns for a string not in the set. */
#define LC_STRSET_NONE ((size_t)-1)

/* Return whether SET contains exactly the LEN bytes at S. */
bool lc_strset_has(const struct lc_strset *set, const char *s, size_t len);

/* Return the index of the LEN bytes at S (0 = added first), or
 * LC_STRSET_NONE. */
size_t lc_strset_find(const struct lc_strset *set, const char *s, size_t len);

/* Return the number of strings in SET. */
size_t lc_strset_count(const struct lc_strset *set);

/* Return entry INDEX (0 = added first, INDEX < count) and store its length
 * in *len. The text is NUL-terminated and valid until the next add or
 * clear. */
const char *lc_strset_at(const struct lc_strset *set, size_t index,
                         size_t *len);

#endif
