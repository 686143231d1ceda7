/* Complete prefix of a cut output file (see resume.h).
 *
 * The text is fed to libcsv one line at a time, like the input reader
 * does, so that after each '\n' the parser state tells whether a record
 * has just ended or a quoted field goes on. A plain file is complete up to
 * the last such boundary; a zstd file up to the last frame that decodes,
 * passes its checksum and ends on such a boundary.
 *
 * The records are handed over by a second pass over the prefix only, so
 * that records of a frame that turns out to be damaged are never seen.
 */
#include "io/resume.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#define RESUME_CHUNK_SIZE (1u << 17)
/* libcsv's parser state between records (ROW_NOT_BEGUN in libcsv.c); the
 * reader in csv_reader.c relies on the same value. */
#define RESUME_ROW_NOT_BEGUN 0

static const unsigned char resume_zstd_magic[4] = {0x28, 0xb5, 0x2f, 0xfd};

struct scan {
  const char *path;
  char delimiter;
  bool compressed;
  uint64_t limit; /* file bytes to read */
  lc_resume_record_cb cb;
  void *arg;
  struct lc_resume_prefix *prefix;
  struct csv_parser parser;
  struct lc_row cur;     /* record being assembled */
  bool started;          /* the first text byte was seen */
  bool at_boundary;      /* the last byte fed ended a record */
  uint64_t text_bytes;   /* text bytes fed so far */
  uint64_t records;      /* records ended so far */
  enum lc_status status; /* first error of the callbacks or the parser */
  char *in, *out;        /* file and decompressed chunks */
};

static int scan_no_space(unsigned char c)
{
  (void)c;
  return 0;
}

static void scan_field_cb(void *field, size_t len, void *data)
{
  struct scan *s = data;

  if (lc_row_add_field(&s->cur, field, len) != LC_OK)
    s->status = LC_ERR_NOMEM;
}

static void scan_record_cb(int terminator, void *data)
{
  struct scan *s = data;

  s->records++;
  if (s->records == 1) {
    s->prefix->crlf = terminator == '\r';
    if (lc_row_copy(&s->prefix->first, &s->cur) != LC_OK)
      s->status = LC_ERR_NOMEM;
  }
  if (s->cb != NULL)
    s->cb(&s->cur, s->arg);
  lc_row_clear(&s->cur);
}

/* The prefix ends here: TEXT_BYTES of text, or the file offset END for a
 * zstd file. */
static void scan_commit(struct scan *s, uint64_t end)
{
  s->prefix->prefix_bytes = end;
  s->prefix->records = s->records;
}

/* Feed N bytes of text. A plain file commits at every record boundary. */
static void scan_feed(struct scan *s, const char *p, size_t n)
{
  /* The byte order mark can only be split across chunks when the first
   * chunk has fewer than 3 bytes, and then there is no record anyway. */
  if (!s->started && n > 0) {
    s->started = true;
    if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
      s->prefix->bom = true;
      p += 3;
      n -= 3;
      s->text_bytes += 3;
    }
  }
  while (n > 0 && s->status == LC_OK) {
    const char *nl = memchr(p, '\n', n);
    size_t len = nl != NULL ? (size_t)(nl - p) + 1 : n;

    if (csv_parse(&s->parser, p, len, scan_field_cb, scan_record_cb, s) !=
        len) {
      s->status = LC_ERR_FORMAT;
      return;
    }
    s->text_bytes += len;
    s->at_boundary = nl != NULL && s->parser.pstate == RESUME_ROW_NOT_BEGUN;
    if (s->at_boundary && !s->compressed && s->status == LC_OK)
      scan_commit(s, s->text_bytes);
    p += len;
    n -= len;
  }
}

/* Read the next chunk, without passing the scan's limit. */
static enum lc_status scan_read(struct scan *s, int fd, uint64_t offset,
                                size_t *len)
{
  size_t want = RESUME_CHUNK_SIZE;
  ssize_t n;

  if (s->limit - offset < want)
    want = (size_t)(s->limit - offset);
  do {
    n = want > 0 ? read(fd, s->in, want) : 0;
  } while (n < 0 && errno == EINTR);
  if (n < 0)
    return LC_ERR_IO;
  *len = (size_t)n;
  return LC_OK;
}

static enum lc_status scan_plain(struct scan *s, int fd)
{
  uint64_t offset = 0;
  size_t n;

  for (;;) {
    if (scan_read(s, fd, offset, &n) != LC_OK)
      return LC_ERR_IO;
    if (n == 0 || s->status != LC_OK)
      return s->status;
    scan_feed(s, s->in, n);
    offset += n;
  }
}

/* Decompress the frames of the input chunk IB; commit each frame that ends
 * on a record boundary. Returns false when the rest of the file cannot be
 * used: a frame that does not decode or ends inside a record. */
static bool scan_frames(struct scan *s, ZSTD_DCtx *dctx, ZSTD_inBuffer *ib,
                        uint64_t chunk_offset)
{
  for (;;) {
    ZSTD_outBuffer ob = {s->out, RESUME_CHUNK_SIZE, 0};
    size_t rc = ZSTD_decompressStream(dctx, &ob, ib);

    if (ZSTD_isError(rc))
      return false;
    scan_feed(s, s->out, ob.pos);
    if (s->status != LC_OK)
      return false;
    if (rc == 0) {
      if (!s->at_boundary && s->started)
        return false;
      scan_commit(s, chunk_offset + ib->pos);
    }
    if (ib->pos == ib->size && ob.pos < ob.size)
      return true;
  }
}

static enum lc_status scan_zstd(struct scan *s, int fd)
{
  ZSTD_DCtx *dctx = ZSTD_createDCtx();
  uint64_t offset = 0;
  enum lc_status status = LC_OK;
  size_t n;

  if (dctx == NULL)
    return LC_ERR_NOMEM;
  for (;;) {
    status = scan_read(s, fd, offset, &n);
    if (status != LC_OK || n == 0)
      break;
    ZSTD_inBuffer ib = {s->in, n, 0};
    if (!scan_frames(s, dctx, &ib, offset))
      break;
    offset += n;
  }
  ZSTD_freeDCtx(dctx);
  /* Text that libcsv rejects only ends the prefix, like a frame that does
   * not decode: the checksum of a frame is checked after its text has
   * been parsed, so a damaged frame can show up as bad CSV first. */
  if (status == LC_OK && s->status == LC_ERR_NOMEM)
    status = LC_ERR_NOMEM;
  return status;
}

/* Check that the file's first bytes match the expected format. */
static enum lc_status scan_check_format(struct scan *s, int fd, char *err,
                                        size_t err_size)
{
  unsigned char head[4];
  ssize_t n = pread(fd, head, sizeof(head), 0);
  bool zstd;

  if (n < 0) {
    snprintf(err, err_size, "cannot read output %s: %s", s->path,
             strerror(errno));
    return LC_ERR_IO;
  }
  /* A file cut inside the magic is judged by the bytes it has. */
  zstd = n > 0 && memcmp(head, resume_zstd_magic, (size_t)n) == 0;
  if (n == 0 || zstd == s->compressed)
    return LC_OK;
  snprintf(err, err_size,
           "cannot resume %s: it is %s, but this run writes %s; give the "
           "output name and --zstd or --no-zstd of the run that wrote it",
           s->path, zstd ? "zstd-compressed" : "plain CSV",
           s->compressed ? "zstd" : "plain CSV");
  return LC_ERR_INVALID;
}

/* One pass over the first s->limit bytes of the file. */
static enum lc_status scan_pass(struct scan *s, int fd, char *err,
                                size_t err_size)
{
  enum lc_status status;

  s->started = s->at_boundary = false;
  s->text_bytes = s->records = 0;
  s->status = LC_OK;
  if (csv_init(&s->parser, CSV_STRICT) != 0)
    return LC_ERR_NOMEM;
  csv_set_delim(&s->parser, (unsigned char)s->delimiter);
  /* Keep blanks around fields, as the input reader does. */
  csv_set_space_func(&s->parser, scan_no_space);
  status = lseek(fd, 0, SEEK_SET) == 0 ? LC_OK : LC_ERR_IO;
  if (status == LC_OK)
    status = s->compressed ? scan_zstd(s, fd) : scan_plain(s, fd);
  csv_free(&s->parser);
  lc_row_clear(&s->cur);
  if (status == LC_ERR_FORMAT)
    snprintf(err, err_size,
             "cannot resume %s: malformed CSV near byte %llu; it was not "
             "written by listclean with these options",
             s->path, (unsigned long long)s->text_bytes);
  else if (status == LC_ERR_IO)
    snprintf(err, err_size, "cannot read output %s: %s", s->path,
             strerror(errno));
  else if (status == LC_ERR_NOMEM)
    snprintf(err, err_size, "out of memory reading output %s", s->path);
  return status;
}

static enum lc_status scan_open(struct scan *s, int *fd, char *err,
                                size_t err_size)
{
  struct stat st;

  *fd = open(s->path, O_RDONLY | O_CLOEXEC);
  if (*fd < 0 && errno == ENOENT)
    return LC_OK;
  if (*fd < 0 || fstat(*fd, &st) != 0) {
    snprintf(err, err_size, "cannot open output %s: %s", s->path,
             strerror(errno));
    return LC_ERR_IO;
  }
  if (!S_ISREG(st.st_mode)) {
    snprintf(err, err_size,
             "cannot resume %s: not a regular file; --resume needs the "
             "output file of the earlier run",
             s->path);
    return LC_ERR_INVALID;
  }
  s->prefix->exists = true;
  s->prefix->file_bytes = (uint64_t)st.st_size;
  return LC_OK;
}

/* Open PATH, check its format and run one pass over its first LIMIT bytes
 * (all of it when LIMIT is UINT64_MAX). */
static enum lc_status scan_file(struct scan *s, uint64_t limit, char *err,
                                size_t err_size)
{
  int fd = -1;
  enum lc_status status;

  lc_row_init(&s->cur);
  status = scan_open(s, &fd, err, err_size);
  if (status != LC_OK || fd < 0)
    goto done;
  s->in = malloc(RESUME_CHUNK_SIZE);
  s->out = malloc(RESUME_CHUNK_SIZE);
  if (s->in == NULL || s->out == NULL) {
    snprintf(err, err_size, "out of memory reading output %s", s->path);
    status = LC_ERR_NOMEM;
    goto done;
  }
  status = scan_check_format(s, fd, err, err_size);
  s->limit = limit < s->prefix->file_bytes ? limit : s->prefix->file_bytes;
  if (status == LC_OK)
    status = scan_pass(s, fd, err, err_size);
done:
  if (fd >= 0)
    close(fd);
  free(s->in);
  free(s->out);
  lc_row_release(&s->cur);
  return status;
}

static void scan_setup(struct scan *s, const char *path,
                       const struct lc_resume_options *options,
                       struct lc_resume_prefix *prefix)
{
  memset(s, 0, sizeof(*s));
  s->path = path;
  s->delimiter = options->delimiter;
  s->compressed = options->compressed;
  s->prefix = prefix;
}

enum lc_status lc_resume_scan(const char *path,
                              const struct lc_resume_options *options,
                              struct lc_resume_prefix *prefix, char *err,
                              size_t err_size)
{
  struct scan s;

  memset(prefix, 0, sizeof(*prefix));
  lc_row_init(&prefix->first);
  scan_setup(&s, path, options, prefix);
  return scan_file(&s, UINT64_MAX, err, err_size);
}

enum lc_status lc_resume_records(const char *path,
                                 const struct lc_resume_options *options,
                                 uint64_t bytes, lc_resume_record_cb cb,
                                 void *arg, char *err, size_t err_size)
{
  struct lc_resume_prefix prefix;
  struct scan s;
  enum lc_status status;

  memset(&prefix, 0, sizeof(prefix));
  lc_row_init(&prefix.first);
  scan_setup(&s, path, options, &prefix);
  s.cb = cb;
  s.arg = arg;
  status = scan_file(&s, bytes, err, err_size);
  lc_resume_prefix_release(&prefix);
  return status;
}

void lc_resume_prefix_release(struct lc_resume_prefix *prefix)
{
  lc_row_release(&prefix->first);
}

enum lc_status lc_resume_truncate(const char *path, uint64_t bytes, char *err,
                                  size_t err_size)
{
  int fd = open(path, O_WRONLY | O_CLOEXEC);

  if (fd < 0 || ftruncate(fd, (off_t)bytes) != 0 || fsync(fd) != 0) {
    snprintf(err, err_size, "cannot cut output %s to %llu bytes: %s", path,
             (unsigned long long)bytes, strerror(errno));
    if (fd >= 0)
      close(fd);
    return LC_ERR_IO;
  }
  close(fd);
  return LC_OK;
}
