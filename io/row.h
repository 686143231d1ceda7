/* One CSV record as read from the input.
 *
 * The field bytes are stored back to back in one buffer, each followed by a
 * NUL, so that a field can be used as a C string when it contains no NUL
 * of its own. Rows are reused: the buffers keep their capacity between
 * records, so reading allocates only while records grow.
 */
#ifndef LC_ROW_H
#define LC_ROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/status.h"

struct lc_row {
  uint64_t line;  /* physical input line where the record starts */
  bool malformed; /* the CSV record was broken; fields are a best effort */
  uint32_t nfields;
  uint32_t fields_cap;
  size_t *offsets; /* nfields + 1 entries into data */
  char *data;
  size_t data_len, data_cap;
};

void lc_row_init(struct lc_row *row);
/* Free the buffers; accepts a row that was only initialised. */
void lc_row_release(struct lc_row *row);
/* Forget the fields, keep the buffers. */
void lc_row_clear(struct lc_row *row);
/* Append one field. Returns LC_ERR_NOMEM on allocation failure. */
enum lc_status lc_row_add_field(struct lc_row *row, const char *bytes,
                                size_t len);
/* Exchange the contents of two rows (no copying). */
void lc_row_swap(struct lc_row *a, struct lc_row *b);
/* Copy SRC into DST, reusing DST's buffers. */
enum lc_status lc_row_copy(struct lc_row *dst, const struct lc_row *src);

/* Start value of lc_row_hash. */
#define LC_ROW_HASH_INIT 0xcbf29ce484222325ull

/* Add the fields [FIRST, END) of ROW to the running hash H and return it:
 * FNV-1a over each field's length and bytes. Fields past the row's last
 * one count as empty, as when a short row is padded on output. */
uint64_t lc_row_hash(uint64_t h, const struct lc_row *row, uint32_t first,
                     uint32_t end);
/* End a record of NFIELDS fields in the running hash H. */
uint64_t lc_row_hash_end(uint64_t h, uint32_t nfields);

static inline const char *lc_row_field(const struct lc_row *row, uint32_t i,
                                       size_t *len)
{
  *len = row->offsets[i + 1] - row->offsets[i] - 1;
  return row->data + row->offsets[i];
}

#endif
