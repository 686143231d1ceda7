/* Spill file: finished rows parked on disk until their turn to be written.
 *
 * Output is in input order, so finished rows that wait behind a slower
 * one are moved here to keep memory bounded. The file is append-only:
 * each record gets the file offset where it starts, and is read back by
 * that offset. Records are read in runs: after a record comes the one
 * appended right after it, unless the caller linked it to another one
 * (lc_spill_link), so a run can gather rows that finished at different
 * times. Runs are not read in the order they were written. The file is
 * created in a directory given by the caller and
 * unlinked at once, so it disappears with the process, even after a
 * crash.
 *
 * Disk use follows what is still unread. The bytes of records read are
 * released in contiguous ranges of at least 64 KiB when reading moves on
 * from them (holes punched where the file system allows). Shorter ranges,
 * left between runs read at different times, stay on disk until the file
 * is truncated, which happens whenever every record has been read.
 *
 * Writes are buffered. A failed write (disk full, file size limit) makes
 * every later append fail, but no record already appended is lost:
 * records that did not reach the file stay in memory and are read from
 * there.
 */
#ifndef LC_SPILL_H
#define LC_SPILL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/status.h"

struct lc_spill;

/* Create an empty spill file in directory DIR. On failure returns
 * LC_ERR_IO or LC_ERR_NOMEM and writes a message naming DIR to ERR (SIZE
 * bytes). */
enum lc_status lc_spill_open(const char *dir, struct lc_spill **out, char *err,
                             size_t size);

/* Append a record of LEN bytes (LEN may be 0) and store its offset in
 * *OFFSET; the next record appended starts at lc_spill_end(). Returns
 * LC_ERR_IO once a write failed, and LC_ERR_LIMIT when the unread bytes
 * would exceed LIMIT (0: no limit); the record is then not added. Each
 * record counts its LEN bytes plus 16 for its header. */
enum lc_status lc_spill_append(struct lc_spill *s, const void *rec, size_t len,
                               uint64_t limit, uint64_t *offset);

/* Offset where the next appended record will start. Offsets restart at 0
 * once every record has been read, as the file is then emptied. */
uint64_t lc_spill_end(const struct lc_spill *s);

/* Read the record at *OFFSET (an offset from lc_spill_append, each read
 * once) and advance *OFFSET to the record that follows it: the one linked
 * to it, or else the one appended right after it. *REC points to its LEN bytes,
 * valid until the next call on S. The record counts as read. Returns LC_ERR_IO
 * when the file cannot be read (message in lc_spill_error). Returns
 * LC_ERR_INVALID, with *OFFSET unchanged, for an offset at or past the end, one
 * whose length does not fit before the end, or a record already read in the run
 * being read. Other offsets that are not the start of an unread record go
 * undetected. */
enum lc_status lc_spill_read(struct lc_spill *s, uint64_t *offset,
                             const void **rec, size_t *len);

/* Make the unread record at FROM be followed by the record at TO when
 * read. A record in the file is changed in place. Returns LC_ERR_IO when
 * the file cannot be written, with the message in lc_spill_error, and
 * later appends then fail too. Returns LC_ERR_INVALID for a FROM that
 * cannot be a record start, checked as lc_spill_read checks it. TO is not
 * checked: lc_spill_read checks it when it gets there. */
enum lc_status lc_spill_link(struct lc_spill *s, uint64_t from, uint64_t to);

/* Records and bytes not yet read, and the most unread bytes at once. */
uint64_t lc_spill_count(const struct lc_spill *s);
uint64_t lc_spill_bytes(const struct lc_spill *s);
uint64_t lc_spill_peak_bytes(const struct lc_spill *s);

/* Message of the first failure, or "". */
const char *lc_spill_error(const struct lc_spill *s);

/* Close the file and free S; accepts NULL. */
void lc_spill_free(struct lc_spill *s);

#endif
