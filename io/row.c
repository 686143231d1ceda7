/* Storage of one CSV record. */
#include "io/row.h"

#include <stdlib.h>
#include <string.h>

void lc_row_init(struct lc_row *row)
{
  memset(row, 0, sizeof(*row));
}

void lc_row_release(struct lc_row *row)
{
  free(row->offsets);
  free(row->data);
  lc_row_init(row);
}

void lc_row_clear(struct lc_row *row)
{
  row->nfields = 0;
  row->data_len = 0;
  row->malformed = false;
  row->line = 0;
  if (row->offsets != NULL)
    row->offsets[0] = 0;
}

static enum lc_status row_reserve(struct lc_row *row, size_t extra)
{
  if (row->fields_cap < row->nfields + 2) {
    uint32_t cap = row->fields_cap ? row->fields_cap * 2 : 16;
    size_t *offsets = realloc(row->offsets, cap * sizeof(*offsets));
    if (offsets == NULL)
      return LC_ERR_NOMEM;
    if (row->fields_cap == 0)
      offsets[0] = 0;
    row->offsets = offsets;
    row->fields_cap = cap;
  }
  if (row->data_cap < row->data_len + extra) {
    size_t cap = row->data_cap ? row->data_cap : 256;
    while (cap < row->data_len + extra)
      cap *= 2;
    char *data = realloc(row->data, cap);
    if (data == NULL)
      return LC_ERR_NOMEM;
    row->data = data;
    row->data_cap = cap;
  }
  return LC_OK;
}

enum lc_status lc_row_add_field(struct lc_row *row, const char *bytes,
                                size_t len)
{
  enum lc_status status = row_reserve(row, len + 1);

  if (status != LC_OK)
    return status;
  if (len > 0)
    memcpy(row->data + row->data_len, bytes, len);
  row->data_len += len;
  row->data[row->data_len++] = '\0';
  row->nfields++;
  row->offsets[row->nfields] = row->data_len;
  return LC_OK;
}

void lc_row_swap(struct lc_row *a, struct lc_row *b)
{
  struct lc_row tmp = *a;

  *a = *b;
  *b = tmp;
}

enum lc_status lc_row_copy(struct lc_row *dst, const struct lc_row *src)
{
  lc_row_clear(dst);
  for (uint32_t i = 0; i < src->nfields; i++) {
    size_t len;
    const char *field = lc_row_field(src, i, &len);
    if (lc_row_add_field(dst, field, len) != LC_OK)
      return LC_ERR_NOMEM;
  }
  dst->line = src->line;
  dst->malformed = src->malformed;
  return LC_OK;
}

static uint64_t row_fnv(uint64_t h, const void *bytes, size_t len)
{
  const unsigned char *b = bytes;

  for (size_t i = 0; i < len; i++)
    h = (h ^ b[i]) * 0x100000001b3ull;
  return h;
}

uint64_t lc_row_hash(uint64_t h, const struct lc_row *row, uint32_t first,
                     uint32_t end)
{
  for (uint32_t i = first; i < end; i++) {
    uint64_t len = 0;
    const char *field = "";

    if (i < row->nfields) {
      size_t n;

      field = lc_row_field(row, i, &n);
      len = n;
    }
    h = row_fnv(h, &len, sizeof(len));
    h = row_fnv(h, field, (size_t)len);
  }
  return h;
}

uint64_t lc_row_hash_end(uint64_t h, uint32_t nfields)
{
  return row_fnv(h, &nfields, sizeof(nfields));
}
