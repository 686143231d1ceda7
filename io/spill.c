/* Spill file: an append-only file of byte records, read back by offset.
 *
 * Each record is a 16-byte header and the payload. The header has the
 * payload's length and the offset of the record read after it, or
 * SPILL_FOLLOWS for the one appended right after it. Both are 8-byte
 * native-endian numbers, because the file is private to the process.
 * lc_spill_bytes counts payloads plus headers.
 *
 * Offsets address the byte stream [file][write buffer]. The file contains
 * whole records up to file_end, and the write buffer contains the records
 * from file_end to lc_spill_end. The write buffer is flushed only when a record
 * does not fit, so it always starts and ends on a record boundary. After a
 * write that failed part-way, file_end is the end of the last whole record in
 * the file. The torn bytes after it are never read, and the later records
 * stay in the write buffer, which is never flushed again.
 *
 * Records are read in runs, so file reads go through a read buffer that
 * usually contains the next records of the run. A link to another record
 * is written into the header in place: in the file, the write buffer or
 * the read buffer, wherever the header is. Each read extends the consumed
 * range, or starts a new one when it does not continue it. A consumed range
 * of at least 64 KiB is then released with FALLOC_FL_PUNCH_HOLE. The file is
 * truncated and offsets restart at 0 whenever every record has been read.
 */
#include "io/spill.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SPILL_HEADER (2 * sizeof(uint64_t))
#define SPILL_LINK sizeof(uint64_t) /* where the next offset starts */
#define SPILL_FOLLOWS UINT64_MAX
#define SPILL_BUFFER_SIZE (256u * 1024)
#define SPILL_READ_AHEAD (16u * 1024)
#define SPILL_TEMPLATE "/listclean-spill-XXXXXX"
#define SPILL_PUNCH_MIN (64u * 1024) /* smallest consumed range released */

struct lc_spill {
  int fd;
  bool write_failed; /* a write failed, so every append fails */
  /* Records from file_end on, in [write_pos, write_len). */
  unsigned char *write_buf;
  size_t write_cap, write_pos, write_len;
  uint64_t file_end;       /* end of the whole records in the file */
  uint64_t file_size;      /* bytes written to the file, torn ones included */
  unsigned char *read_buf; /* file bytes [read_off, read_off + read_len) */
  size_t read_cap, read_len;
  uint64_t read_off;
  uint64_t consumed_start, consumed_end; /* read bytes not released yet */
  uint64_t count, bytes, peak;
  char error[256];
  char dir[]; /* for messages */
};

static void spill_set_error(struct lc_spill *s, const char *operation, int err)
{
  if (s->error[0] == '\0')
    snprintf(s->error, sizeof(s->error), "cannot %s the spill file in %s: %s",
             operation, s->dir, strerror(err));
}

enum lc_status lc_spill_open(const char *dir, struct lc_spill **out, char *err,
                             size_t size)
{
  enum lc_status st = LC_ERR_NOMEM;
  size_t path_size = strlen(dir) + sizeof(SPILL_TEMPLATE);
  char *path = malloc(path_size);
  struct lc_spill *s = calloc(1, sizeof(*s) + strlen(dir) + 1);
  int errnum = ENOMEM;

  if (s != NULL) {
    s->fd = -1;
    strcpy(s->dir, dir);
    s->write_buf = malloc(SPILL_BUFFER_SIZE);
    s->read_buf = malloc(SPILL_BUFFER_SIZE);
    s->write_cap = s->read_cap = SPILL_BUFFER_SIZE;
  }
  if (path == NULL || s == NULL || s->write_buf == NULL || s->read_buf == NULL)
    goto done;
  snprintf(path, path_size, "%s" SPILL_TEMPLATE, dir);
  s->fd = mkostemp(path, O_CLOEXEC);
  if (s->fd < 0 || unlink(path) != 0) {
    errnum = errno;
    st = LC_ERR_IO;
    goto done;
  }
  *out = s;
  s = NULL;
  st = LC_OK;
done:
  if (st != LC_OK)
    snprintf(err, size, "cannot create a spill file in %s: %s", dir,
             strerror(errnum));
  free(path);
  lc_spill_free(s);
  return st;
}

/* Grow *BUF to hold at least NEED bytes, keeping its contents. */
static enum lc_status spill_grow(unsigned char **buf, size_t *cap, size_t need)
{
  unsigned char *bigger = need > *cap ? realloc(*buf, need) : *buf;

  if (bigger == NULL)
    return LC_ERR_NOMEM;
  *buf = bigger;
  *cap = need > *cap ? need : *cap;
  return LC_OK;
}

static uint64_t spill_record_size(const unsigned char *header)
{
  uint64_t len;

  memcpy(&len, header, sizeof(len));
  return SPILL_HEADER + len;
}

/* After a write that stopped after DONE bytes of the unwritten buffer:
 * count only the whole records among them as being in the file. */
static void spill_keep_torn_record(struct lc_spill *s, size_t done)
{
  size_t pos = s->write_pos;

  while (pos < s->write_len &&
         pos - s->write_pos + spill_record_size(s->write_buf + pos) <= done)
    pos += spill_record_size(s->write_buf + pos);
  s->file_end += pos - s->write_pos;
  s->write_pos = pos;
}

static enum lc_status spill_flush(struct lc_spill *s)
{
  size_t todo = s->write_len - s->write_pos, done = 0;

  while (done < todo) {
    ssize_t n = pwrite(s->fd, s->write_buf + s->write_pos + done, todo - done,
                       (off_t)(s->file_end + done));

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      spill_set_error(s, "write", n < 0 ? errno : EIO);
      s->write_failed = true;
      if (s->file_end + done > s->file_size)
        s->file_size = s->file_end + done;
      spill_keep_torn_record(s, done);
      return LC_ERR_IO;
    }
    done += (size_t)n;
  }
  s->file_end += todo;
  if (s->file_end > s->file_size)
    s->file_size = s->file_end;
  s->write_pos = s->write_len = 0;
  return LC_OK;
}

enum lc_status lc_spill_append(struct lc_spill *s, const void *rec, size_t len,
                               uint64_t limit, uint64_t *offset)
{
  uint64_t start = lc_spill_end(s), header[2] = {len, SPILL_FOLLOWS};
  size_t size;

  if (s->write_failed)
    return LC_ERR_IO;
  if (len > SIZE_MAX / 2)
    return LC_ERR_NOMEM;
  size = SPILL_HEADER + len;
  if (limit != 0 && s->bytes + size > limit)
    return LC_ERR_LIMIT;
  if (s->write_len > 0 && s->write_len + size > s->write_cap &&
      spill_flush(s) != LC_OK)
    return LC_ERR_IO;
  if (spill_grow(&s->write_buf, &s->write_cap, s->write_len + size) != LC_OK)
    return LC_ERR_NOMEM;
  memcpy(s->write_buf + s->write_len, header, SPILL_HEADER);
  if (len > 0)
    memcpy(s->write_buf + s->write_len + SPILL_HEADER, rec, len);
  s->write_len += size;
  s->count++;
  s->bytes += size;
  if (s->bytes > s->peak)
    s->peak = s->bytes;
  *offset = start;
  return LC_OK;
}

uint64_t lc_spill_end(const struct lc_spill *s)
{
  return s->file_end + (s->write_len - s->write_pos);
}

/* Size of the record whose header is at P, or 0 when it does not fit in the
 * AVAIL bytes from P on: then P is not a record start. */
static uint64_t spill_checked_size(const unsigned char *p, uint64_t avail)
{
  uint64_t len;

  if (avail < SPILL_HEADER)
    return 0;
  memcpy(&len, p, sizeof(len));
  return len > avail - SPILL_HEADER ? 0 : SPILL_HEADER + len;
}

/* Make the read buffer hold the file bytes [AT, AT + NEED), which the caller
 * checked to be below file_end. Bytes already buffered from AT on are kept,
 * anything else is read again from AT on, up to a full buffer. */
static enum lc_status spill_load(struct lc_spill *s, uint64_t at, size_t need)
{
  size_t buffered = 0;

  if (at >= s->read_off && at - s->read_off <= s->read_len) {
    size_t skip = (size_t)(at - s->read_off);

    buffered = s->read_len - skip;
    if (buffered >= need)
      return LC_OK;
    memmove(s->read_buf, s->read_buf + skip, buffered);
  }
  s->read_off = at;
  s->read_len = buffered;
  if (spill_grow(&s->read_buf, &s->read_cap, need) != LC_OK)
    return LC_ERR_NOMEM;
  while (s->read_len < need) {
    uint64_t left = s->file_end - (at + s->read_len);
    size_t want = need - s->read_len;
    ssize_t n;

    /* Read ahead a little for the next records of a run, but not a whole
     * buffer: runs are often a few rows long, and every jump to another
     * run starts a new read. */
    if (want < SPILL_READ_AHEAD)
      want = SPILL_READ_AHEAD;
    if (want > s->read_cap - s->read_len)
      want = s->read_cap - s->read_len;
    if (want > left)
      want = (size_t)left;
    n = pread(s->fd, s->read_buf + s->read_len, want,
              (off_t)(at + s->read_len));

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      /* Only a disk error or another process can shorten the file. */
      spill_set_error(s, "read", n < 0 ? errno : EIO);
      return LC_ERR_IO;
    }
    s->read_len += (size_t)n;
  }
  return LC_OK;
}

/* Point *RECORD at the header of the record at file offset AT. */
static enum lc_status spill_read_file(struct lc_spill *s, uint64_t at,
                                      const unsigned char **record)
{
  enum lc_status st;
  uint64_t size;

  if (s->file_end - at < SPILL_HEADER)
    return LC_ERR_INVALID;
  st = spill_load(s, at, SPILL_HEADER);
  if (st != LC_OK)
    return st;
  size = spill_checked_size(s->read_buf + (at - s->read_off), s->file_end - at);
  if (size == 0)
    return LC_ERR_INVALID;
  st = spill_load(s, at, (size_t)size);
  if (st != LC_OK)
    return st;
  *record = s->read_buf + (at - s->read_off);
  return LC_OK;
}

/* The header of the record at offset AT, which is in the write buffer, or
 * NULL when no record fits there. */
static unsigned char *spill_in_buffer(struct lc_spill *s, uint64_t at)
{
  size_t pos = s->write_pos + (size_t)(at - s->file_end);

  if (spill_checked_size(s->write_buf + pos, s->write_len - pos) == 0)
    return NULL;
  return s->write_buf + pos;
}

/* Empty the file and restart offsets at 0, once no record is unread. */
static void spill_reset(struct lc_spill *s)
{
  /* A failure leaves old bytes past the new records, which are never read. */
  if (s->file_size > 0 && ftruncate(s->fd, 0) == 0)
    s->file_size = 0;
  s->file_end = 0;
  s->write_pos = s->write_len = 0;
  s->read_off = 0;
  s->read_len = 0;
  s->consumed_start = s->consumed_end = 0;
}

/* Release the consumed range if it is large enough to be worth a system
 * call. A failure only leaves the bytes on disk, so it is ignored.
 * NOTE: the part of the range still in the write buffer is flushed later
 * and stays on disk until the file is truncated. */
static void spill_punch(struct lc_spill *s)
{
  uint64_t start = s->consumed_start;
  uint64_t end = s->consumed_end < s->file_end ? s->consumed_end : s->file_end;

  if (end > start && end - start >= SPILL_PUNCH_MIN)
    (void)fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                    (off_t)start, (off_t)(end - start));
}

/* Account for the record [AT, AT + SIZE) having been read. */
static void spill_consume(struct lc_spill *s, uint64_t at, uint64_t size)
{
  s->count--;
  s->bytes -= size;
  if (s->count == 0) {
    spill_reset(s);
    return;
  }
  if (at != s->consumed_end) {
    spill_punch(s);
    s->consumed_start = at;
  }
  s->consumed_end = at + size;
}

enum lc_status lc_spill_read(struct lc_spill *s, uint64_t *offset,
                             const void **rec, size_t *len)
{
  uint64_t at = *offset, size, next;
  const unsigned char *record = NULL;
  enum lc_status st;

  /* A record in the consumed range was read before. */
  if (at >= lc_spill_end(s) ||
      (at >= s->consumed_start && at < s->consumed_end))
    return LC_ERR_INVALID;
  if (at < s->file_end) {
    st = spill_read_file(s, at, &record);
    if (st != LC_OK)
      return st;
  } else if ((record = spill_in_buffer(s, at)) == NULL) {
    return LC_ERR_INVALID;
  }
  size = spill_record_size(record);
  if (size > s->bytes)
    return LC_ERR_INVALID;
  memcpy(&next, record + SPILL_LINK, sizeof(next));
  spill_consume(s, at, size);
  *rec = record + SPILL_HEADER;
  *len = (size_t)(size - SPILL_HEADER);
  *offset = next != SPILL_FOLLOWS ? next : at + size;
  return LC_OK;
}

enum lc_status lc_spill_link(struct lc_spill *s, uint64_t from, uint64_t to)
{
  uint64_t at = from + SPILL_LINK;
  unsigned char *record;
  ssize_t n;

  if (from >= lc_spill_end(s) ||
      (from >= s->consumed_start && from < s->consumed_end))
    return LC_ERR_INVALID;
  if (from >= s->file_end) {
    if ((record = spill_in_buffer(s, from)) == NULL)
      return LC_ERR_INVALID;
    memcpy(record + SPILL_LINK, &to, sizeof(to));
    return LC_OK;
  }
  if (s->write_failed)
    return LC_ERR_IO;
  do
    n = pwrite(s->fd, &to, sizeof(to), (off_t)at);
  while (n < 0 && errno == EINTR);
  if (n != (ssize_t)sizeof(to)) {
    spill_set_error(s, "write", n < 0 ? errno : EIO);
    s->write_failed = true;
    return LC_ERR_IO;
  }
  /* Keep the read buffer in step with the file. */
  if (at >= s->read_off && at + sizeof(to) <= s->read_off + s->read_len)
    memcpy(s->read_buf + (at - s->read_off), &to, sizeof(to));
  else if (at + sizeof(to) > s->read_off && at < s->read_off + s->read_len)
    s->read_len = 0;
  return LC_OK;
}

uint64_t lc_spill_count(const struct lc_spill *s)
{
  return s->count;
}

uint64_t lc_spill_bytes(const struct lc_spill *s)
{
  return s->bytes;
}

uint64_t lc_spill_peak_bytes(const struct lc_spill *s)
{
  return s->peak;
}

const char *lc_spill_error(const struct lc_spill *s)
{
  return s->error;
}

void lc_spill_free(struct lc_spill *s)
{
  if (s == NULL)
    return;
  if (s->fd >= 0)
    close(s->fd);
  free(s->write_buf);
  free(s->read_buf);
  free(s);
}
