/* Streaming CSV reader on libcsv with recovery from malformed records.
 *
 * The input is fed to libcsv (strict mode) one physical line at a time, so
 * the reader knows where each record starts. A record that libcsv rejects,
 * or a quoted field still open at the end of the input or after
 * max_record_bytes, becomes one row marked malformed: its first physical
 * line split without strict rules. Reading then resumes on the next line,
 * so one stray quote costs one row, not the rest of the file. Empty lines
 * become rows with one empty field. A UTF-8 byte order mark is removed and
 * reported.
 */
#ifndef LC_CSV_READER_H
#define LC_CSV_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io/row.h"
#include "io/stream.h"

struct lc_csv_reader;

struct lc_csv_reader_options {
  char delimiter;          /* 0 = detect among , ; tab | */
  size_t max_record_bytes; /* bound for one record's raw bytes */
};

/* Create a reader on IN (not owned). Reads the first bytes to detect the
 * BOM, the line ending and the delimiter. */
enum lc_status lc_csv_reader_new(struct lc_input *in,
                                 const struct lc_csv_reader_options *options,
                                 struct lc_csv_reader **out, char *err,
                                 size_t err_size);

/* Read the next record into ROW (its previous contents are replaced).
 * Sets *eof and leaves ROW empty at the end of the input. On an input
 * error returns it with a message in ERR. */
enum lc_status lc_csv_reader_next(struct lc_csv_reader *reader,
                                  struct lc_row *row, bool *eof, char *err,
                                  size_t err_size);

char lc_csv_reader_delimiter(const struct lc_csv_reader *reader);
bool lc_csv_reader_had_bom(const struct lc_csv_reader *reader);
bool lc_csv_reader_crlf(const struct lc_csv_reader *reader);
uint64_t lc_csv_reader_malformed(const struct lc_csv_reader *reader);
/* Input bytes read but not yet returned in a record: the rest of the
 * current chunk and the line begun in it. Decompressed bytes for a zstd
 * input. */
uint64_t lc_csv_reader_buffered(const struct lc_csv_reader *reader);

void lc_csv_reader_free(struct lc_csv_reader *reader);

#endif
