/* Output stream: a file or standard output, optionally zstd-compressed
 * with a frame ended at a row boundary every frame_bytes of input. */
#include "io/stream.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

/* Plain bytes are collected up to this size before a write() */
#define OUTPUT_BUF_SIZE (1u << 17)

struct lc_output {
  int fd;
  bool owns_fd;
  char *path;
  struct lc_output_options opt;
  ZSTD_CCtx *cctx;
  char *buf; /* plain bytes waiting to be compressed or written */
  size_t buf_len;
  char *zbuf; /* compressed bytes */
  size_t zbuf_size;
  uint64_t frame_in; /* plain bytes in the current frame */
  uint64_t bytes_in, bytes_out;
  enum lc_status error;
  char error_text[256];
};

static enum lc_status output_fail(struct lc_output *out, const char *what,
                                  int errnum)
{
  if (out->error == LC_OK) {
    out->error = LC_ERR_IO;
    snprintf(out->error_text, sizeof(out->error_text), "cannot %s %s: %s", what,
             out->path, strerror(errnum));
  }
  return out->error;
}

static enum lc_status output_write_all(struct lc_output *out, const char *data,
                                       size_t len)
{
  while (len > 0) {
    ssize_t n = write(out->fd, data, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return output_fail(out, "write output", errno);
    data += n;
    len -= (size_t)n;
    out->bytes_out += (uint64_t)n;
  }
  return LC_OK;
}

/* Compress the buffered plain bytes; MODE is ZSTD_e_continue or
 * ZSTD_e_end. */
static enum lc_status output_compress(struct lc_output *out,
                                      ZSTD_EndDirective mode)
{
  ZSTD_inBuffer ib = {out->buf, out->buf_len, 0};
  size_t remaining;

  do {
    ZSTD_outBuffer ob = {out->zbuf, out->zbuf_size, 0};
    remaining = ZSTD_compressStream2(out->cctx, &ob, &ib, mode);
    if (ZSTD_isError(remaining)) {
      out->error = LC_ERR_INTERNAL;
      snprintf(out->error_text, sizeof(out->error_text),
               "zstd compression failed for %s: %s", out->path,
               ZSTD_getErrorName(remaining));
      return out->error;
    }
    if (output_write_all(out, out->zbuf, ob.pos) != LC_OK)
      return out->error;
  } while (mode == ZSTD_e_end ? remaining != 0 : ib.pos < ib.size);
  out->buf_len = 0;
  return LC_OK;
}

static enum lc_status output_drain(struct lc_output *out,
                                   ZSTD_EndDirective mode)
{
  if (out->error != LC_OK)
    return out->error;
  if (out->cctx != NULL)
    return output_compress(out, mode);
  if (output_write_all(out, out->buf, out->buf_len) != LC_OK)
    return out->error;
  out->buf_len = 0;
  return LC_OK;
}

static enum lc_status output_setup_zstd(struct lc_output *out, char *err,
                                        size_t err_size)
{
  size_t rc;

  out->cctx = ZSTD_createCCtx();
  out->zbuf_size = ZSTD_CStreamOutSize();
  out->zbuf = malloc(out->zbuf_size);
  if (out->cctx == NULL || out->zbuf == NULL) {
    snprintf(err, err_size, "out of memory for zstd output");
    return LC_ERR_NOMEM;
  }
  rc = ZSTD_CCtx_setParameter(out->cctx, ZSTD_c_compressionLevel,
                              out->opt.level);
  if (!ZSTD_isError(rc))
    rc = ZSTD_CCtx_setParameter(out->cctx, ZSTD_c_checksumFlag, 1);
  if (!ZSTD_isError(rc) && out->opt.workers > 0)
    rc = ZSTD_CCtx_setParameter(out->cctx, ZSTD_c_nbWorkers, out->opt.workers);
  if (ZSTD_isError(rc)) {
    snprintf(err, err_size, "invalid zstd setting (level %d, workers %d): %s",
             out->opt.level, out->opt.workers, ZSTD_getErrorName(rc));
    return LC_ERR_INVALID;
  }
  return LC_OK;
}

enum lc_status lc_output_open(const char *path,
                              const struct lc_output_options *options,
                              struct lc_output **result, char *err,
                              size_t err_size)
{
  struct lc_output *out;
  enum lc_status status = LC_ERR_NOMEM;
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC;

  out = calloc(1, sizeof(*out));
  if (out == NULL || (out->buf = malloc(OUTPUT_BUF_SIZE)) == NULL) {
    snprintf(err, err_size, "out of memory opening output %s", path);
    goto done;
  }
  out->opt = *options;
  out->fd = -1;
  if (strcmp(path, "-") == 0) {
    out->fd = STDOUT_FILENO;
    out->path = strdup("standard output");
  } else {
    flags |= options->append ? O_APPEND : O_TRUNC;
    out->path = strdup(path);
    out->fd = open(path, flags, 0644);
    out->owns_fd = true;
    if (out->fd < 0) {
      snprintf(err, err_size, "cannot open output %s: %s", path,
               strerror(errno));
      status = LC_ERR_IO;
      goto done;
    }
  }
  if (out->path == NULL) {
    snprintf(err, err_size, "out of memory opening output %s", path);
    goto done;
  }
  if (options->compress) {
    status = output_setup_zstd(out, err, err_size);
    if (status != LC_OK)
      goto done;
  }
  *result = out;
  out = NULL;
  status = LC_OK;
done:
  if (out != NULL) {
    out->error = LC_ERR_CANCELED; /* nothing to flush on a failed open */
    lc_output_close(out, NULL, 0);
  }
  return status;
}

enum lc_status lc_output_write(struct lc_output *out, const void *data,
                               size_t len)
{
  const char *p = data;

  if (out->error != LC_OK)
    return out->error;
  out->bytes_in += len;
  out->frame_in += len;
  while (len > 0) {
    size_t room = OUTPUT_BUF_SIZE - out->buf_len;
    size_t n = len < room ? len : room;
    memcpy(out->buf + out->buf_len, p, n);
    out->buf_len += n;
    p += n;
    len -= n;
    if (out->buf_len == OUTPUT_BUF_SIZE &&
        output_drain(out, ZSTD_e_continue) != LC_OK)
      return out->error;
  }
  return LC_OK;
}

enum lc_status lc_output_row_boundary(struct lc_output *out)
{
  if (out->error != LC_OK)
    return out->error;
  if (out->cctx != NULL && out->opt.frame_bytes > 0 &&
      out->frame_in >= out->opt.frame_bytes) {
    out->frame_in = 0;
    return output_drain(out, ZSTD_e_end);
  }
  return LC_OK;
}

enum lc_status lc_output_flush(struct lc_output *out)
{
  if (out->error != LC_OK)
    return out->error;
  /* An empty frame would only add bytes, except in an output that has
   * none yet: zstd rejects a file of 0 bytes. A resumed output already has
   * its frames. */
  if (out->cctx != NULL && out->frame_in == 0 &&
      (out->bytes_out > 0 || out->opt.append))
    return LC_OK;
  out->frame_in = 0;
  return output_drain(out, ZSTD_e_end);
}

enum lc_status lc_output_close(struct lc_output *out, char *err,
                               size_t err_size)
{
  enum lc_status status;

  if (out == NULL)
    return LC_OK;
  if (out->error == LC_OK)
    lc_output_flush(out);
  if (out->owns_fd && out->fd >= 0 && close(out->fd) != 0)
    output_fail(out, "close output", errno);
  status = out->error == LC_ERR_CANCELED ? LC_OK : out->error;
  if (status != LC_OK && err != NULL)
    snprintf(err, err_size, "%s", out->error_text);
  ZSTD_freeCCtx(out->cctx);
  free(out->zbuf);
  free(out->buf);
  free(out->path);
  free(out);
  return status;
}

const char *lc_output_error(const struct lc_output *out)
{
  return out->error_text;
}

uint64_t lc_output_bytes_in(const struct lc_output *out)
{
  return out->bytes_in;
}

uint64_t lc_output_bytes_out(const struct lc_output *out)
{
  return out->bytes_out;
}
