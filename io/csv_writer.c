/* CSV writer with minimal quoting and formula neutralisation. */
#include "io/csv_writer.h"

#include <stdlib.h>
#include <string.h>

struct lc_csv_writer {
  struct lc_output *out;
  bool special[256]; /* bytes that force quoting: delimiter, quote, CR, LF */
  char delimiter;
  bool crlf;
  bool row_started;
  char *buf;
  size_t len, cap;
};

static enum lc_status writer_reserve(struct lc_csv_writer *w, size_t extra)
{
  if (w->len + extra <= w->cap)
    return LC_OK;
  size_t cap = w->cap ? w->cap : 1024;
  while (cap < w->len + extra)
    cap *= 2;
  char *buf = realloc(w->buf, cap);
  if (buf == NULL)
    return LC_ERR_NOMEM;
  w->buf = buf;
  w->cap = cap;
  return LC_OK;
}

enum lc_status lc_csv_writer_new(struct lc_output *out, char delimiter,
                                 bool crlf, struct lc_csv_writer **result)
{
  struct lc_csv_writer *w = calloc(1, sizeof(*w));

  if (w == NULL)
    return LC_ERR_NOMEM;
  w->out = out;
  w->delimiter = delimiter;
  w->special[(unsigned char)delimiter] = true;
  w->special['"'] = w->special['\r'] = w->special['\n'] = true;
  w->crlf = crlf;
  *result = w;
  return LC_OK;
}

static bool writer_needs_quotes(const struct lc_csv_writer *w,
                                const char *bytes, size_t len)
{
  const unsigned char *p = (const unsigned char *)bytes;

  for (size_t i = 0; i < len; i++)
    if (w->special[p[i]])
      return true;
  return false;
}

/* A file that starts with a UTF-8 byte order mark or the zstd frame magic
 * is read back as BOM plus text or as zstd, so a first field that starts
 * with either must be quoted to keep its bytes. */
static bool writer_starts_file(const struct lc_csv_writer *w, const char *bytes,
                               size_t len)
{
  if (w->row_started || lc_output_bytes_in(w->out) > 0)
    return false;
  return (len >= 3 && memcmp(bytes, "\xef\xbb\xbf", 3) == 0) ||
         (len >= 4 && memcmp(bytes, "\x28\xb5\x2f\xfd", 4) == 0);
}

enum lc_status lc_csv_writer_field(struct lc_csv_writer *w, const char *bytes,
                                   size_t len)
{
  bool quote =
      writer_needs_quotes(w, bytes, len) || writer_starts_file(w, bytes, len);

  /* Worst case: every byte a quote (doubled), two enclosing quotes and
   * the delimiter. */
  if (writer_reserve(w, 2 * len + 3) != LC_OK)
    return LC_ERR_NOMEM;
  if (w->row_started)
    w->buf[w->len++] = w->delimiter;
  w->row_started = true;
  if (!quote) {
    memcpy(w->buf + w->len, bytes, len);
    w->len += len;
    return LC_OK;
  }
  w->buf[w->len++] = '"';
  for (size_t i = 0; i < len; i++) {
    if (bytes[i] == '"')
      w->buf[w->len++] = '"';
    w->buf[w->len++] = bytes[i];
  }
  w->buf[w->len++] = '"';
  return LC_OK;
}

/* Whether a cell starting with C would run as a formula in a
 * spreadsheet. */
static bool writer_formula_start(char c)
{
  return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

void lc_csv_sanitize_cell(const char *text, char *buf, size_t size)
{
  size_t n = 0;

  if (size == 0)
    return;
  if (writer_formula_start(text[0]) && size > 1)
    buf[n++] = '\'';
  for (size_t i = 0; text[i] != '\0' && n + 1 < size; i++) {
    unsigned char c = (unsigned char)text[i];
    buf[n++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
  }
  buf[n] = '\0';
}

enum lc_status lc_csv_writer_cell(struct lc_csv_writer *w, const char *text)
{
  char cell[1024];
  size_t len = strlen(text);

  /* Plain values (the common case) need no sanitised copy. */
  bool plain = len < sizeof(cell) && !writer_formula_start(text[0]);
  for (size_t i = 0; plain && i < len; i++)
    plain = (unsigned char)text[i] >= 0x20 && text[i] != 0x7f;
  if (plain || text[0] == '\0')
    return lc_csv_writer_field(w, text, len);
  lc_csv_sanitize_cell(text, cell, sizeof(cell));
  return lc_csv_writer_field(w, cell, strlen(cell));
}

enum lc_status lc_csv_writer_take_row(struct lc_csv_writer *w,
                                      const char **bytes, size_t *len)
{
  if (writer_reserve(w, 2) != LC_OK)
    return LC_ERR_NOMEM;
  if (w->crlf)
    w->buf[w->len++] = '\r';
  w->buf[w->len++] = '\n';
  *bytes = w->buf;
  *len = w->len;
  w->len = 0;
  w->row_started = false;
  return LC_OK;
}

enum lc_status lc_csv_writer_put_row(struct lc_csv_writer *w, const char *bytes,
                                     size_t len)
{
  enum lc_status status = lc_output_write(w->out, bytes, len);

  if (status != LC_OK)
    return status;
  return lc_output_row_boundary(w->out);
}

enum lc_status lc_csv_writer_end_row(struct lc_csv_writer *w)
{
  const char *bytes;
  size_t len;
  enum lc_status status = lc_csv_writer_take_row(w, &bytes, &len);

  if (status != LC_OK)
    return status;
  return lc_csv_writer_put_row(w, bytes, len);
}

enum lc_status lc_csv_writer_raw(struct lc_csv_writer *w, const char *bytes,
                                 size_t len)
{
  return lc_output_write(w->out, bytes, len);
}

void lc_csv_writer_free(struct lc_csv_writer *w)
{
  if (w == NULL)
    return;
  free(w->buf);
  free(w);
}
