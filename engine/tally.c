/* Bounded table of rows per name (see tally.h), with open addressing and
 * linear probing. The slot count is a power of two at least twice the
 * bound, so probes stay short and the table never grows. */
#include "engine/tally.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct tally_slot {
  char *name; /* NULL: empty slot */
  uint64_t rows;
};

struct lc_tally {
  struct tally_slot *slots;
  size_t nslots; /* power of two */
  size_t names, max_names;
  uint64_t rows, other;
};

struct lc_tally *lc_tally_new(size_t max_names)
{
  struct lc_tally *t = calloc(1, sizeof(*t));

  if (t == NULL)
    return NULL;
  t->max_names = max_names;
  t->nslots = 16;
  while (t->nslots < 2 * max_names)
    t->nslots *= 2;
  t->slots = calloc(t->nslots, sizeof(*t->slots));
  if (t->slots == NULL) {
    free(t);
    return NULL;
  }
  return t;
}

void lc_tally_free(struct lc_tally *t)
{
  if (t == NULL)
    return;
  for (size_t i = 0; i < t->nslots; i++)
    free(t->slots[i].name);
  free(t->slots);
  free(t);
}

/* FNV-1a: names are short and the table needs no defence against chosen
 * collisions, since a long probe only costs time. */
static uint64_t tally_hash(const char *name)
{
  uint64_t h = 0xcbf29ce484222325ull;

  for (const unsigned char *p = (const unsigned char *)name; *p; p++)
    h = (h ^ *p) * 0x100000001b3ull;
  return h;
}

void lc_tally_add(struct lc_tally *t, const char *name, uint64_t rows)
{
  size_t mask = t->nslots - 1;
  size_t i = tally_hash(name) & mask;

  while (t->slots[i].name != NULL && strcmp(t->slots[i].name, name) != 0)
    i = (i + 1) & mask;
  if (t->slots[i].name == NULL) {
    if (t->names == t->max_names || (t->slots[i].name = strdup(name)) == NULL) {
      t->other += rows;
      return;
    }
    t->names++;
  }
  t->slots[i].rows += rows;
  t->rows += rows;
}

size_t lc_tally_names(const struct lc_tally *t)
{
  return t->names;
}

uint64_t lc_tally_rows(const struct lc_tally *t)
{
  return t->rows;
}

uint64_t lc_tally_other(const struct lc_tally *t)
{
  return t->other;
}

/* Whether A ranks before B: more rows first, then by name. */
static bool tally_before(const struct lc_tally_entry *a,
                         const struct lc_tally_entry *b)
{
  if (a->rows != b->rows)
    return a->rows > b->rows;
  return strcmp(a->name, b->name) < 0;
}

size_t lc_tally_top(const struct lc_tally *t, struct lc_tally_entry *out,
                    size_t max)
{
  size_t n = 0;

  /* Insertion into a sorted array of at most MAX entries: MAX is small
   * (the report shows about twenty). */
  for (size_t i = 0; i < t->nslots && max > 0; i++) {
    struct lc_tally_entry e = {t->slots[i].name, t->slots[i].rows};
    size_t at;

    if (e.name == NULL || (n == max && !tally_before(&e, &out[n - 1])))
      continue;
    at = n < max ? n++ : n - 1;
    while (at > 0 && tally_before(&e, &out[at - 1])) {
      out[at] = out[at - 1];
      at--;
    }
    out[at] = e;
  }
  return n;
}
