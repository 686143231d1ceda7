/* Finding the complete prefix of an output file that a run left behind.
 *
 * A run that is killed, loses power or is stopped leaves its output cut
 * at some byte. The usable prefix ends after the last complete zstd frame
 * (listclean ends frames only between rows, and a frame counts only when
 * it decodes and its checksum matches) or, for plain CSV, after the last
 * complete record. Records are found with libcsv, so a quoted field with
 * line breaks inside counts as one record.
 *
 * lc_resume_scan() reads the file once and reports the prefix: its length
 * in bytes, its records (the header included), the first record, and
 * whether the text starts with a UTF-8 byte order mark and ends its lines
 * with CRLF. lc_resume_truncate() then cuts the file to that length, after
 * which new rows can be appended (struct lc_output_options.append), and
 * lc_resume_records() hands over the records of the prefix.
 */
#ifndef LC_RESUME_H
#define LC_RESUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io/row.h"

struct lc_resume_options {
  char delimiter;  /* of the CSV text */
  bool compressed; /* the file must be zstd (true) or plain CSV (false) */
};

/* Called for each record, in order. RECORD is valid during the call
 * only. */
typedef void (*lc_resume_record_cb)(const struct lc_row *record, void *arg);

struct lc_resume_prefix {
  bool exists;           /* the file was found */
  uint64_t file_bytes;   /* size of the file */
  uint64_t prefix_bytes; /* bytes of complete frames or records */
  uint64_t records;      /* complete records in the prefix */
  bool bom;              /* the text starts with EF BB BF */
  bool crlf;             /* the first record ends with CR LF */
  struct lc_row first;   /* first record, when records > 0 */
};

/* Scan PATH for its complete prefix. A missing file is no error: EXISTS
 * stays false. Returns LC_ERR_INVALID with a message in ERR when the file
 * is not what OPTIONS describe (zstd expected but absent or the reverse,
 * or not a regular file), LC_ERR_FORMAT when a plain file holds a record
 * libcsv rejects, LC_ERR_IO when it cannot be read. Release PREFIX with
 * lc_resume_prefix_release() in every case. */
enum lc_status lc_resume_scan(const char *path,
                              const struct lc_resume_options *options,
                              struct lc_resume_prefix *prefix, char *err,
                              size_t err_size);

/* Call CB for every record in the first BYTES bytes of PATH, a prefix
 * that lc_resume_scan found. Errors as for lc_resume_scan. */
enum lc_status lc_resume_records(const char *path,
                                 const struct lc_resume_options *options,
                                 uint64_t bytes, lc_resume_record_cb cb,
                                 void *arg, char *err, size_t err_size);

void lc_resume_prefix_release(struct lc_resume_prefix *prefix);

/* Cut PATH to BYTES bytes and sync it to disk. */
enum lc_status lc_resume_truncate(const char *path, uint64_t bytes, char *err,
                                  size_t err_size);

#endif
