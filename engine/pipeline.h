/* Rows in flight between the CSV reader and the writer.
 *
 * The pipeline reads records into a fixed window of items, hands each one
 * to the checker, and writes finished items strictly in input order. The
 * reader pauses while the window is full, so memory is bounded by the
 * window size and never by the input size.
 */
#ifndef LC_PIPELINE_H
#define LC_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/result.h"
#include "io/row.h"

struct lc_pipeline;

struct lc_item {
  struct lc_row row;
  struct lc_result result;
  const char *address; /* the address field inside row, NUL-terminated */
  size_t address_len;
  uint64_t seq; /* 0-based data row number */
  bool done;
  bool skipped; /* taken from the earlier output (--resume), not written */
  struct lc_pipeline *pipeline;
  struct lc_item *next; /* link for the checker's wait lists */
};

/* Mark ITEM finished. Its result must be complete. Called exactly once per
 * submitted item, from inside lc_checker_submit or later from a loop
 * callback. */
void lc_pipeline_item_done(struct lc_item *item);

#endif
