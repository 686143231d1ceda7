/* Rows per name (provider, MX host) for the run report.
 *
 * A hash table of names and row counts with a fixed bound on the number of
 * names, so that an input with a million distinct MX hosts costs bounded
 * memory: once the table is full, rows of names not yet in it are only
 * counted as "other".
 */
#ifndef LC_TALLY_H
#define LC_TALLY_H

#include <stddef.h>
#include <stdint.h>

struct lc_tally;

struct lc_tally_entry {
  const char *name; /* owned by the tally */
  uint64_t rows;
};

/* Create a tally that keeps at most MAX_NAMES names. NULL when out of
 * memory. */
struct lc_tally *lc_tally_new(size_t max_names);
/* Accepts NULL. */
void lc_tally_free(struct lc_tally *tally);

/* Count ROWS rows for NAME (copied). When the table is full or memory
 * runs out, the rows go to the "other" count instead. */
void lc_tally_add(struct lc_tally *tally, const char *name, uint64_t rows);

/* Distinct names kept, rows counted under them, rows counted as other. */
size_t lc_tally_names(const struct lc_tally *tally);
uint64_t lc_tally_rows(const struct lc_tally *tally);
uint64_t lc_tally_other(const struct lc_tally *tally);

/* Copy the MAX entries with the most rows into OUT, most rows first and
 * ties by name. Returns the number copied. The names stay valid until the
 * tally is changed or freed. */
size_t lc_tally_top(const struct lc_tally *tally, struct lc_tally_entry *out,
                    size_t max);

#endif
