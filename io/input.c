/* Input stream: a file or standard input, zstd-decompressed when the data
 * starts with the zstd frame magic (whatever the file is called). */
#include "io/stream.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#define INPUT_RAW_SIZE (1u << 17)

struct lc_input {
  int fd;
  bool owns_fd;
  char *path;
  bool zstd;
  bool eof;
  ZSTD_DCtx *dctx;
  char *raw; /* compressed bytes not yet decompressed, or sniffed bytes */
  size_t raw_pos, raw_len;
  uint64_t raw_offset, raw_size;
  bool frame_open;  /* inside a zstd frame that has not ended */
  bool regular;     /* a regular file, read without checking first */
  bool nonblocking; /* check for waiting bytes before each read */
};

/* Whether a read of FD returns at once: bytes, the end or an error. */
static bool input_ready(int fd)
{
  struct pollfd pfd = {.fd = fd, .events = POLLIN};
  int rc;

  do
    rc = poll(&pfd, 1, 0);
  while (rc < 0 && errno == EINTR);
  return rc != 0;
}

static enum lc_status input_fill(struct lc_input *in, char *err,
                                 size_t err_size)
{
  ssize_t n;

  if (in->nonblocking && !input_ready(in->fd))
    return LC_ERR_AGAIN;
  if (in->raw_pos > 0 && in->raw_pos < in->raw_len)
    memmove(in->raw, in->raw + in->raw_pos, in->raw_len - in->raw_pos);
  in->raw_len -= in->raw_pos;
  in->raw_pos = 0;
  do {
    n = read(in->fd, in->raw + in->raw_len, INPUT_RAW_SIZE - in->raw_len);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    snprintf(err, err_size, "cannot read %s: %s", in->path, strerror(errno));
    return LC_ERR_IO;
  }
  if (n == 0)
    in->eof = true;
  in->raw_len += (size_t)n;
  in->raw_offset += (uint64_t)n;
  return LC_OK;
}

enum lc_status lc_input_open(const char *path, struct lc_input **out, char *err,
                             size_t err_size)
{
  static const unsigned char magic[4] = {0x28, 0xb5, 0x2f, 0xfd};
  struct lc_input *in;
  struct stat st;
  enum lc_status status = LC_ERR_NOMEM;

  in = calloc(1, sizeof(*in));
  if (in == NULL || (in->raw = malloc(INPUT_RAW_SIZE)) == NULL ||
      (in->path = strdup(path)) == NULL) {
    snprintf(err, err_size, "out of memory opening %s", path);
    goto done;
  }
  if (strcmp(path, "-") == 0) {
    in->fd = STDIN_FILENO;
    free(in->path);
    in->path = strdup("standard input");
  } else {
    in->fd = open(path, O_RDONLY | O_CLOEXEC);
    in->owns_fd = true;
    if (in->fd < 0) {
      snprintf(err, err_size, "cannot open input %s: %s", path,
               strerror(errno));
      status = errno == ENOENT ? LC_ERR_NOTFOUND : LC_ERR_IO;
      goto done;
    }
  }
  if (fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode)) {
    /* Standard input may start inside the file, after what a shell read
     * from it. */
    off_t at = lseek(in->fd, 0, SEEK_CUR);

    in->raw_size = (uint64_t)st.st_size;
    if (at > 0 && (uint64_t)at <= in->raw_size)
      in->raw_size -= (uint64_t)at;
    in->regular = true;
  }
  if (fstat(in->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    snprintf(err, err_size, "input %s is a directory; give a CSV file", path);
    status = LC_ERR_INVALID;
    goto done;
  }
  /* Sniff the magic: read until 4 bytes or end of input. */
  while (in->raw_len < 4 && !in->eof) {
    status = input_fill(in, err, err_size);
    if (status != LC_OK)
      goto done;
  }
  if (in->raw_len >= 4 && memcmp(in->raw, magic, 4) == 0) {
    in->zstd = true;
    in->dctx = ZSTD_createDCtx();
    if (in->dctx == NULL) {
      snprintf(err, err_size, "out of memory for zstd input %s", path);
      status = LC_ERR_NOMEM;
      goto done;
    }
  }
  *out = in;
  in = NULL;
  status = LC_OK;
done:
  lc_input_free(in);
  return status;
}

static enum lc_status input_read_zstd(struct lc_input *in, char *buf,
                                      size_t cap, size_t *len, char *err,
                                      size_t err_size)
{
  ZSTD_outBuffer ob = {buf, cap, 0};
  enum lc_status status;

  while (ob.pos == 0) {
    if (in->raw_pos == in->raw_len) {
      if (in->eof) {
        if (in->frame_open) {
          snprintf(err, err_size,
                   "%s: zstd data ends in the middle of a frame "
                   "(truncated file?)",
                   in->path);
          return LC_ERR_FORMAT;
        }
        break;
      }
      status = input_fill(in, err, err_size);
      if (status != LC_OK)
        return status;
      continue;
    }
    ZSTD_inBuffer ib = {in->raw, in->raw_len, in->raw_pos};
    size_t rc = ZSTD_decompressStream(in->dctx, &ob, &ib);
    in->raw_pos = ib.pos;
    if (ZSTD_isError(rc)) {
      snprintf(err, err_size, "%s: invalid zstd data: %s", in->path,
               ZSTD_getErrorName(rc));
      return LC_ERR_FORMAT;
    }
    in->frame_open = rc != 0;
  }
  *len = ob.pos;
  return LC_OK;
}

enum lc_status lc_input_read(struct lc_input *in, char *buf, size_t cap,
                             size_t *len, char *err, size_t err_size)
{
  enum lc_status status;
  size_t n;

  if (in->zstd)
    return input_read_zstd(in, buf, cap, len, err, err_size);
  if (in->raw_pos == in->raw_len && !in->eof) {
    status = input_fill(in, err, err_size);
    if (status != LC_OK)
      return status;
  }
  n = in->raw_len - in->raw_pos;
  if (n > cap)
    n = cap;
  memcpy(buf, in->raw + in->raw_pos, n);
  in->raw_pos += n;
  *len = n;
  return LC_OK;
}

bool lc_input_set_nonblocking(struct lc_input *in, bool on)
{
  in->nonblocking = on && !in->regular;
  return in->nonblocking;
}

int lc_input_fd(const struct lc_input *in)
{
  return in->fd;
}

uint64_t lc_input_raw_offset(const struct lc_input *in)
{
  return in->raw_offset - (in->raw_len - in->raw_pos);
}

uint64_t lc_input_raw_size(const struct lc_input *in)
{
  return in->raw_size;
}

bool lc_input_is_zstd(const struct lc_input *in)
{
  return in->zstd;
}

void lc_input_free(struct lc_input *in)
{
  if (in == NULL)
    return;
  if (in->owns_fd && in->fd >= 0)
    close(in->fd);
  ZSTD_freeDCtx(in->dctx);
  free(in->raw);
  free(in->path);
  free(in);
}
