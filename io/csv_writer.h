/* CSV writer: RFC 4180 quoting only where a field needs it (delimiter,
 * quote, CR or LF inside), the input's delimiter and line ending, and
 * spreadsheet-safe annotation cells. */
#ifndef LC_CSV_WRITER_H
#define LC_CSV_WRITER_H

#include <stdbool.h>
#include <stddef.h>

#include "io/stream.h"

struct lc_csv_writer;

/* Create a writer on OUT (not owned). CRLF selects "\r\n" line endings. */
enum lc_status lc_csv_writer_new(struct lc_output *out, char delimiter,
                                 bool crlf, struct lc_csv_writer **result);

/* Append one field of the current row, unchanged in value. */
enum lc_status lc_csv_writer_field(struct lc_csv_writer *w, const char *bytes,
                                   size_t len);

/* Append one annotation cell: control characters become spaces, and a
 * value starting with '=', '+', '-', '@', tab or CR gets a leading "'" so
 * that spreadsheets show it as text instead of running it as a formula. */
enum lc_status lc_csv_writer_cell(struct lc_csv_writer *w, const char *text);

/* End the row: write it to the output and mark a row boundary there. */
enum lc_status lc_csv_writer_end_row(struct lc_csv_writer *w);

/* End the row like lc_csv_writer_end_row, but hand its bytes (line ending
 * included) to the caller instead of the output: *BYTES stays valid until
 * the next call on W. */
enum lc_status lc_csv_writer_take_row(struct lc_csv_writer *w,
                                      const char **bytes, size_t *len);

/* Write one complete row taken by lc_csv_writer_take_row, and mark the row
 * boundary after it. */
enum lc_status lc_csv_writer_put_row(struct lc_csv_writer *w, const char *bytes,
                                     size_t len);

/* Write raw bytes before the first row (the byte order mark). */
enum lc_status lc_csv_writer_raw(struct lc_csv_writer *w, const char *bytes,
                                 size_t len);

void lc_csv_writer_free(struct lc_csv_writer *w);

/* Copy TEXT to BUF (size SIZE) as an annotation cell would show it, without
 * CSV quoting. For tests and the log. */
void lc_csv_sanitize_cell(const char *text, char *buf, size_t size);

#endif
