/* Fuzz target for the CSV reader and writer together.
 *
 * The first input byte chooses the delimiter (detected or one of , ; tab |)
 * and the bound for one record; the rest is the file. Every row read is
 * written back with the writer, as listclean does (byte order mark first
 * when the input had one), and the written file is read again with the
 * same delimiter. The second reading must return the same number of rows
 * with identical fields, and no row may be malformed: the writer's output
 * is always valid CSV. The first field of every row is also written as
 * an annotation cell and read back (see check_cells()).
 *
 * The reader takes a path, so the input lives in a memfd that is opened
 * again through /proc/self/fd; the output goes to a second memfd.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "engine/log.h"
#include "io/csv_reader.h"
#include "io/csv_writer.h"
#include "io/row.h"
#include "io/stream.h"

#define FUZZ_DATA_MAX ((size_t)8 << 20)
/* Size of lc_csv_writer_cell()'s buffer for a sanitised cell. */
#define CELL_MAX 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct rows {
  struct lc_row *row;
  size_t len, cap;
};

static int fuzz_memfd(const char *name)
{
  int fd = memfd_create(name, 0);

  if (fd < 0)
    abort();
  return fd;
}

static void rows_add(struct rows *rows, const struct lc_row *row)
{
  if (rows->len == rows->cap) {
    rows->cap = rows->cap ? rows->cap * 2 : 16;
    rows->row = realloc(rows->row, rows->cap * sizeof(*rows->row));
    if (rows->row == NULL)
      abort();
  }
  lc_row_init(&rows->row[rows->len]);
  if (lc_row_copy(&rows->row[rows->len], row) != LC_OK)
    abort();
  rows->len++;
}

static void rows_free(struct rows *rows)
{
  for (size_t i = 0; i < rows->len; i++)
    lc_row_release(&rows->row[i]);
  free(rows->row);
}

/* Read every row of the file behind FD. Returns the delimiter used and
 * whether a byte order mark was seen. */
static char read_all(int fd, char delimiter, size_t max_record,
                     struct rows *rows, bool *bom)
{
  struct lc_csv_reader_options options = {delimiter, max_record};
  struct lc_csv_reader *reader = NULL;
  struct lc_input *in = NULL;
  struct lc_row row;
  char path[64], err[256];
  bool eof = false;
  size_t total = 0;

  snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
  lc_row_init(&row);
  if (lc_input_open(path, &in, err, sizeof(err)) != LC_OK)
    abort();
  if (lc_csv_reader_new(in, &options, &reader, err, sizeof(err)) != LC_OK) {
    lc_input_free(in);
    return 0; /* a broken zstd frame, for example */
  }
  /* A small zstd frame can expand to gigabytes: stop after FUZZ_DATA_MAX
   * bytes of fields, since the rows are kept for the comparison. */
  while (total < FUZZ_DATA_MAX &&
         lc_csv_reader_next(reader, &row, &eof, err, sizeof(err)) == LC_OK &&
         !eof) {
    rows_add(rows, &row);
    total += row.data_len + row.nfields;
  }
  delimiter = lc_csv_reader_delimiter(reader);
  *bom = lc_csv_reader_had_bom(reader);
  lc_row_release(&row);
  lc_csv_reader_free(reader);
  lc_input_free(in);
  return delimiter;
}

static void write_all(int fd, const struct rows *rows, char delimiter, bool bom)
{
  struct lc_output_options options = {0};
  struct lc_csv_writer *writer = NULL;
  struct lc_output *out = NULL;
  char path[64], err[256];

  snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
  if (lc_output_open(path, &options, &out, err, sizeof(err)) != LC_OK ||
      lc_csv_writer_new(out, delimiter, false, &writer) != LC_OK)
    abort();
  if (bom && lc_csv_writer_raw(writer, "\xef\xbb\xbf", 3) != LC_OK)
    abort();
  for (size_t i = 0; i < rows->len; i++) {
    const struct lc_row *row = &rows->row[i];
    for (uint32_t f = 0; f < row->nfields; f++) {
      size_t len;
      const char *field = lc_row_field(row, f, &len);
      if (lc_csv_writer_field(writer, field, len) != LC_OK)
        abort();
    }
    if (lc_csv_writer_end_row(writer) != LC_OK)
      abort();
  }
  lc_csv_writer_free(writer);
  if (lc_output_close(out, err, sizeof(err)) != LC_OK)
    abort();
}

static void compare(const struct rows *first, const struct rows *second)
{
  if (first->len != second->len)
    abort();
  for (size_t i = 0; i < first->len; i++) {
    const struct lc_row *a = &first->row[i], *b = &second->row[i];
    if (b->malformed || a->nfields != b->nfields)
      abort();
    for (uint32_t f = 0; f < a->nfields; f++) {
      size_t alen, blen;
      const char *afield = lc_row_field(a, f, &alen);
      const char *bfield = lc_row_field(b, f, &blen);
      if (alen != blen || memcmp(afield, bfield, alen) != 0)
        abort();
    }
  }
}

/* Return whether lc_csv_writer_cell() writes TEXT unchanged: shorter
 * than its 1024-byte buffer, no formula start and no control character. */
static bool cell_is_plain(const char *text)
{
  size_t len = strlen(text);

  if (len >= CELL_MAX || strchr("=+-@\t\r", text[0]) != NULL)
    return text[0] == '\0';
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
      return false;
  return true;
}

/* Write the first field of every row as an annotation cell, one per row,
 * read the cells back and compare them with what the sanitiser makes of
 * the field: no control character and no formula start may survive. */
static void check_cells(int fd, const struct rows *rows, char delimiter)
{
  struct lc_output_options options = {0};
  struct lc_csv_writer *writer = NULL;
  struct lc_output *out = NULL;
  struct rows back = {0};
  char path[64], err[256], expected[CELL_MAX];
  bool bom = false;

  snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
  if (lc_output_open(path, &options, &out, err, sizeof(err)) != LC_OK ||
      lc_csv_writer_new(out, delimiter, true, &writer) != LC_OK)
    abort();
  for (size_t i = 0; i < rows->len; i++) {
    size_t len;
    if (lc_csv_writer_cell(writer, lc_row_field(&rows->row[i], 0, &len)) !=
            LC_OK ||
        lc_csv_writer_end_row(writer) != LC_OK)
      abort();
  }
  lc_csv_writer_free(writer);
  if (lc_output_close(out, err, sizeof(err)) != LC_OK)
    abort();
  if (read_all(fd, delimiter, (size_t)16 << 20, &back, &bom) != delimiter ||
      back.len != rows->len || bom)
    abort();
  for (size_t i = 0; i < rows->len; i++) {
    size_t len, got_len;
    const char *text = lc_row_field(&rows->row[i], 0, &len);
    const char *got = lc_row_field(&back.row[i], 0, &got_len);
    if (cell_is_plain(text)) {
      snprintf(expected, sizeof(expected), "%s", text);
    } else {
      lc_csv_sanitize_cell(text, expected, sizeof(expected));
      if (strchr("=+-@\t\r", expected[0]) != NULL && expected[0] != '\0')
        abort();
    }
    for (size_t k = 0; k < got_len; k++)
      if ((unsigned char)got[k] < 0x20 || got[k] == 0x7f)
        abort();
    if (back.row[i].nfields != 1 || strlen(expected) != got_len ||
        memcmp(expected, got, got_len) != 0)
      abort();
  }
  rows_free(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const char delimiters[] = {0, ',', ';', '\t', '|'};
  static int in_fd = -1, out_fd = -1;
  struct rows first = {0}, second = {0};
  char delimiter;
  size_t max_record;
  bool bom = false, bom_again = false;

  if (size == 0)
    return 0;
  lc_log_set_level(LC_LOG_ERROR);
  if (in_fd < 0) {
    in_fd = fuzz_memfd("fuzz-csv-in");
    out_fd = fuzz_memfd("fuzz-csv-out");
  }
  delimiter = delimiters[data[0] % sizeof(delimiters)];
  max_record = (size_t)64 << (data[0] / sizeof(delimiters) % 12);
  if (ftruncate(in_fd, 0) != 0 ||
      pwrite(in_fd, data + 1, size - 1, 0) != (ssize_t)(size - 1))
    abort();

  delimiter = read_all(in_fd, delimiter, max_record, &first, &bom);
  if (delimiter != 0) {
    write_all(out_fd, &first, delimiter, bom);
    /* The written file is valid CSV, so no record needs the bound. */
    if (read_all(out_fd, delimiter, (size_t)16 << 20, &second, &bom_again) !=
        delimiter)
      abort();
    if (bom_again != bom)
      abort();
    compare(&first, &second);
    check_cells(out_fd, &first, delimiter);
  }
  rows_free(&first);
  rows_free(&second);
  return 0;
}
