/* Streaming CSV reader: libcsv in strict mode, fed one physical line at a
 * time, with recovery from malformed records (see csv_reader.h). */
#include "io/csv_reader.h"

#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READER_CHUNK_SIZE (1u << 17)
/* A line longer than this is fed to libcsv in pieces. */
#define READER_FRAGMENT_SIZE (1u << 16)
/* libcsv's parser state for "no field of a record seen yet" (ROW_NOT_BEGUN
 * in libcsv.c); the value is not exported by csv.h. */
#define READER_ROW_NOT_BEGUN 0

struct bytes {
  char *p;
  size_t len, cap, pos;
};

struct lc_csv_reader {
  struct lc_input *in;
  struct lc_csv_reader_options opt;
  struct csv_parser parser;
  bool parser_ready;
  bool bom, crlf, eof, finished;
  char *chunk;
  size_t chunk_len, chunk_pos;
  struct bytes pending; /* a line that spans chunks */
  bool pending_returned;
  struct bytes record; /* raw bytes of the record in progress */
  struct bytes replay; /* bytes to parse again before the chunk */
  uint64_t line_no;    /* physical lines consumed */
  uint64_t record_line;
  uint64_t malformed;
  struct lc_row cur; /* record being built by the callbacks */
  struct lc_row *queue;
  size_t queue_head, queue_len, queue_cap;
  enum lc_status cb_status;
};

static enum lc_status bytes_append(struct bytes *b, const char *p, size_t n)
{
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n)
      cap *= 2;
    char *q = realloc(b->p, cap);
    if (q == NULL)
      return LC_ERR_NOMEM;
    b->p = q;
    b->cap = cap;
  }
  if (n > 0)
    memcpy(b->p + b->len, p, n);
  b->len += n;
  return LC_OK;
}

static int reader_no_space(unsigned char c)
{
  (void)c;
  return 0;
}

static enum lc_status reader_parser_init(struct lc_csv_reader *r)
{
  if (r->parser_ready)
    csv_free(&r->parser);
  r->parser_ready = false;
  if (csv_init(&r->parser, CSV_STRICT | CSV_STRICT_FINI) != 0)
    return LC_ERR_NOMEM;
  csv_set_delim(&r->parser, (unsigned char)r->opt.delimiter);
  /* Keep blanks around fields: values must come out unchanged. */
  csv_set_space_func(&r->parser, reader_no_space);
  r->parser_ready = true;
  lc_row_clear(&r->cur);
  return LC_OK;
}

static enum lc_status reader_push(struct lc_csv_reader *r, struct lc_row *row)
{
  if (r->queue_len == r->queue_cap) {
    size_t cap = r->queue_cap ? r->queue_cap * 2 : 8;
    struct lc_row *q = calloc(cap, sizeof(*q));
    if (q == NULL)
      return LC_ERR_NOMEM;
    for (size_t i = 0; i < r->queue_len; i++)
      q[i] = r->queue[(r->queue_head + i) % r->queue_cap];
    free(r->queue);
    r->queue = q;
    r->queue_cap = cap;
    r->queue_head = 0;
  }
  struct lc_row *slot =
      &r->queue[(r->queue_head + r->queue_len) % r->queue_cap];
  lc_row_swap(slot, row);
  lc_row_clear(row);
  r->queue_len++;
  return LC_OK;
}

static void reader_field_cb(void *field, size_t len, void *data)
{
  struct lc_csv_reader *r = data;

  if (lc_row_add_field(&r->cur, field, len) != LC_OK)
    r->cb_status = LC_ERR_NOMEM;
}

static void reader_record_cb(int terminator, void *data)
{
  struct lc_csv_reader *r = data;

  (void)terminator;
  r->cur.line = r->record_line;
  if (reader_push(r, &r->cur) != LC_OK)
    r->cb_status = LC_ERR_NOMEM;
}

static void reader_loose_record_cb(int terminator, void *data)
{
  (void)terminator;
  (void)data;
}

/* Split RAW without strict rules into one malformed row. Records that the
 * lenient parse finds are joined, since the bytes were one bad record. */
static enum lc_status reader_emit_malformed(struct lc_csv_reader *r,
                                            const char *raw, size_t len,
                                            uint64_t line)
{
  struct csv_parser loose;

  while (len > 0 && (raw[len - 1] == '\n' || raw[len - 1] == '\r'))
    len--;
  if (csv_init(&loose, 0) != 0)
    return LC_ERR_NOMEM;
  csv_set_delim(&loose, (unsigned char)r->opt.delimiter);
  csv_set_space_func(&loose, reader_no_space);
  lc_row_clear(&r->cur);
  csv_parse(&loose, raw, len, reader_field_cb, reader_loose_record_cb, r);
  csv_fini(&loose, reader_field_cb, reader_loose_record_cb, r);
  csv_free(&loose);
  if (r->cur.nfields == 0)
    lc_row_add_field(&r->cur, "", 0);
  r->cur.line = line;
  r->cur.malformed = true;
  r->malformed++;
  return reader_push(r, &r->cur);
}

/* A quoted field is still open at the end of the input or has grown past
 * the bound: the record's first line becomes a malformed row and the
 * lines after it are parsed again. */
static enum lc_status reader_recover_open_quote(struct lc_csv_reader *r)
{
  struct bytes replay = {0};
  const char *nl = memchr(r->record.p, '\n', r->record.len);
  size_t first = nl ? (size_t)(nl - r->record.p) + 1 : r->record.len;
  enum lc_status status;

  status = reader_emit_malformed(r, r->record.p, first, r->record_line);
  if (status == LC_OK)
    status = bytes_append(&replay, r->record.p + first, r->record.len - first);
  /* replay.p is NULL until the first replay, and NULL + 0 is undefined. */
  if (status == LC_OK && r->replay.pos < r->replay.len)
    status = bytes_append(&replay, r->replay.p + r->replay.pos,
                          r->replay.len - r->replay.pos);
  if (status != LC_OK) {
    free(replay.p);
    return status;
  }
  free(r->replay.p);
  r->replay = replay;
  r->line_no = r->record_line;
  r->record.len = 0;
  return reader_parser_init(r);
}

static enum lc_status reader_fill_chunk(struct lc_csv_reader *r, char *err,
                                        size_t err_size)
{
  size_t n = 0;
  enum lc_status status;

  status = lc_input_read(r->in, r->chunk, READER_CHUNK_SIZE, &n, err, err_size);
  if (status != LC_OK)
    return status;
  r->chunk_len = n;
  r->chunk_pos = 0;
  if (n == 0)
    r->eof = true;
  return LC_OK;
}

/* Find the next line (with its '\n') or a piece of a long line. *len == 0
 * means the input is exhausted. The bytes stay valid until the next
 * call. */
static enum lc_status reader_next_line(struct lc_csv_reader *r,
                                       const char **line, size_t *len,
                                       char *err, size_t err_size)
{
  if (r->pending_returned) {
    r->pending.len = 0;
    r->pending_returned = false;
  }
  for (;;) {
    struct bytes *src = NULL;
    const char *base;
    size_t avail, *pos;

    if (r->replay.pos < r->replay.len) {
      src = &r->replay;
      base = r->replay.p;
      pos = &r->replay.pos;
      avail = r->replay.len - r->replay.pos;
    } else if (r->chunk_pos < r->chunk_len) {
      base = r->chunk;
      pos = &r->chunk_pos;
      avail = r->chunk_len - r->chunk_pos;
    } else if (!r->eof) {
      enum lc_status status = reader_fill_chunk(r, err, err_size);
      if (status != LC_OK)
        return status;
      continue;
    } else {
      *line = r->pending.p;
      *len = r->pending.len;
      r->pending_returned = true;
      return LC_OK;
    }
    const char *start = base + *pos;
    const char *nl = memchr(start, '\n', avail);
    size_t n = nl ? (size_t)(nl - start) + 1 : avail;
    *pos += n;
    if (src != NULL && r->replay.pos == r->replay.len)
      r->replay.len = r->replay.pos = 0;
    if (nl != NULL && r->pending.len == 0 && src == NULL) {
      *line = start;
      *len = n;
      return LC_OK;
    }
    if (bytes_append(&r->pending, start, n) != LC_OK)
      return LC_ERR_NOMEM;
    if (nl != NULL || r->pending.len >= READER_FRAGMENT_SIZE) {
      *line = r->pending.p;
      *len = r->pending.len;
      r->pending_returned = true;
      return LC_OK;
    }
  }
}

static bool reader_line_is_blank(const char *line, size_t len)
{
  return len == 0 || (len == 1 && (line[0] == '\n' || line[0] == '\r')) ||
         (len == 2 && line[0] == '\r' && line[1] == '\n');
}

static enum lc_status reader_feed_line(struct lc_csv_reader *r,
                                       const char *line, size_t len)
{
  bool at_start =
      r->parser.pstate == READER_ROW_NOT_BEGUN && r->record.len == 0;
  bool ends_line = len > 0 && line[len - 1] == '\n';
  enum lc_status status = LC_OK;

  if (at_start)
    r->record_line = r->line_no + 1;
  if (at_start && reader_line_is_blank(line, len)) {
    lc_row_clear(&r->cur);
    lc_row_add_field(&r->cur, "", 0);
    r->cur.line = r->record_line;
    status = reader_push(r, &r->cur);
  } else if (csv_parse(&r->parser, line, len, reader_field_cb, reader_record_cb,
                       r) < len) {
    /* A record that began on an earlier line costs only that line: the
     * lines after it are parsed again on their own. */
    if (r->record.len > 0) {
      status = bytes_append(&r->record, line, len);
      r->line_no += ends_line;
      return status == LC_OK ? reader_recover_open_quote(r) : status;
    }
    status = reader_emit_malformed(r, line, len, r->record_line);
    if (status == LC_OK)
      status = reader_parser_init(r);
  } else if (r->parser.pstate != READER_ROW_NOT_BEGUN) {
    status = bytes_append(&r->record, line, len);
    if (status == LC_OK && r->record.len > r->opt.max_record_bytes) {
      r->line_no += ends_line;
      return reader_recover_open_quote(r);
    }
  } else {
    r->record.len = 0;
  }
  r->line_no += ends_line;
  if (status == LC_OK)
    status = r->cb_status;
  return status;
}

/* End of input: let libcsv finish the last record, or recover from a
 * quoted field that never closed. */
static enum lc_status reader_finish(struct lc_csv_reader *r)
{
  if (csv_fini(&r->parser, reader_field_cb, reader_record_cb, r) != 0 &&
      r->record.len > 0)
    return reader_recover_open_quote(r);
  if (r->cb_status != LC_OK)
    return r->cb_status;
  r->finished = true;
  return LC_OK;
}

enum lc_status lc_csv_reader_next(struct lc_csv_reader *r, struct lc_row *row,
                                  bool *eof, char *err, size_t err_size)
{
  enum lc_status status;
  const char *line;
  size_t len;

  while (r->queue_len == 0 && !r->finished) {
    status = reader_next_line(r, &line, &len, err, err_size);
    if (status == LC_OK && len > 0)
      status = reader_feed_line(r, line, len);
    else if (status == LC_OK)
      status = reader_finish(r);
    if (status == LC_ERR_NOMEM)
      snprintf(err, err_size, "out of memory reading the input");
    if (status != LC_OK)
      return status;
  }
  if (r->queue_len == 0) {
    lc_row_clear(row);
    *eof = true;
    return LC_OK;
  }
  lc_row_swap(row, &r->queue[r->queue_head]);
  lc_row_clear(&r->queue[r->queue_head]);
  r->queue_head = (r->queue_head + 1) % r->queue_cap;
  r->queue_len--;
  *eof = false;
  return LC_OK;
}

/* Pick the candidate delimiter that occurs most often outside quotes in
 * the first line; ',' when none occurs. */
static char reader_detect_delimiter(const char *p, size_t len)
{
  static const char candidates[] = {',', ';', '\t', '|'};
  size_t counts[4] = {0};
  bool quoted = false;

  for (size_t i = 0; i < len && (quoted || p[i] != '\n'); i++) {
    if (p[i] == '"')
      quoted = !quoted;
    for (int c = 0; c < 4 && !quoted; c++)
      counts[c] += p[i] == candidates[c];
  }
  int best = 0;
  for (int c = 1; c < 4; c++)
    if (counts[c] > counts[best])
      best = c;
  return candidates[best];
}

enum lc_status lc_csv_reader_new(struct lc_input *in,
                                 const struct lc_csv_reader_options *options,
                                 struct lc_csv_reader **out, char *err,
                                 size_t err_size)
{
  struct lc_csv_reader *r = calloc(1, sizeof(*r));
  enum lc_status status = LC_ERR_NOMEM;

  if (r == NULL || (r->chunk = malloc(READER_CHUNK_SIZE)) == NULL) {
    snprintf(err, err_size, "out of memory creating the CSV reader");
    goto done;
  }
  r->in = in;
  r->opt = *options;
  lc_row_init(&r->cur);
  status = reader_fill_chunk(r, err, err_size);
  if (status != LC_OK)
    goto done;
  if (r->chunk_len >= 3 && memcmp(r->chunk, "\xef\xbb\xbf", 3) == 0) {
    r->bom = true;
    r->chunk_pos = 3;
  }
  const char *start = r->chunk + r->chunk_pos;
  size_t avail = r->chunk_len - r->chunk_pos;
  const char *nl = memchr(start, '\n', avail);
  r->crlf = nl != NULL && nl > start && nl[-1] == '\r';
  if (r->opt.delimiter == 0)
    r->opt.delimiter = reader_detect_delimiter(start, avail);
  status = reader_parser_init(r);
  if (status != LC_OK) {
    snprintf(err, err_size, "out of memory creating the CSV parser");
    goto done;
  }
  *out = r;
  r = NULL;
done:
  lc_csv_reader_free(r);
  return status;
}

char lc_csv_reader_delimiter(const struct lc_csv_reader *r)
{
  return r->opt.delimiter;
}

bool lc_csv_reader_had_bom(const struct lc_csv_reader *r)
{
  return r->bom;
}

bool lc_csv_reader_crlf(const struct lc_csv_reader *r)
{
  return r->crlf;
}

uint64_t lc_csv_reader_malformed(const struct lc_csv_reader *r)
{
  return r->malformed;
}

void lc_csv_reader_free(struct lc_csv_reader *r)
{
  if (r == NULL)
    return;
  if (r->parser_ready)
    csv_free(&r->parser);
  for (size_t i = 0; i < r->queue_cap; i++)
    lc_row_release(&r->queue[i]);
  free(r->queue);
  lc_row_release(&r->cur);
  free(r->chunk);
  free(r->pending.p);
  free(r->record.p);
  free(r->replay.p);
  free(r);
}

uint64_t lc_csv_reader_buffered(const struct lc_csv_reader *r)
{
  return (uint64_t)(r->chunk_len - r->chunk_pos) +
         (r->pending_returned ? 0 : r->pending.len) +
         (r->replay.len - r->replay.pos);
}
