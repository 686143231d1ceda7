/* Byte streams for the input and output files.
 *
 * An input is a file or standard input, transparently decompressed when it
 * starts with the zstd frame magic. An output is a file or standard output,
 * compressed with zstd when the caller asks for it (by default when the
 * file name ends in ".zst"). The compressed output ends a zstd frame at
 * least every frame_bytes of input, always at a row boundary chosen by the
 * caller, so that a run killed half-way leaves a readable prefix.
 *
 * Both sides do read()/write() on the loop thread. Disk files are fast
 * enough for that. An input that is a pipe, a FIFO or a terminal can be
 * read without waiting (lc_input_set_nonblocking), so that the loop keeps
 * serving its sockets and signals while the writer of the pipe stalls.
 * NOTE: writes still wait, so a stalled reader of the output stalls the
 * loop, signals included.
 */
#ifndef LC_STREAM_H
#define LC_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/status.h"

struct lc_input;
struct lc_output;

/* Open PATH ("-" for standard input) for reading. On failure returns an
 * error and writes a message naming the path to ERR (size ERR_SIZE). */
enum lc_status lc_input_open(const char *path, struct lc_input **out, char *err,
                             size_t err_size);

/* Read up to CAP decompressed bytes into BUF. Sets *len to the number read;
 * 0 with LC_OK means end of input. Returns LC_ERR_AGAIN when no byte is
 * waiting (only after lc_input_set_nonblocking). On error writes a message
 * to ERR. */
enum lc_status lc_input_read(struct lc_input *in, char *buf, size_t cap,
                             size_t *len, char *err, size_t err_size);

/* With ON, when the input is not a regular file and has no bytes waiting,
 * make lc_input_read return LC_ERR_AGAIN instead of waiting. The caller
 * then waits for lc_input_fd() to become readable. The descriptor itself
 * stays blocking, because other processes may share it. Returns whether
 * reads can now return LC_ERR_AGAIN. */
bool lc_input_set_nonblocking(struct lc_input *in, bool on);
int lc_input_fd(const struct lc_input *in);

/* Total bytes read from the underlying file so far (compressed bytes for
 * a zstd input), and the file size when known (0 otherwise). */
uint64_t lc_input_raw_offset(const struct lc_input *in);
uint64_t lc_input_raw_size(const struct lc_input *in);
bool lc_input_is_zstd(const struct lc_input *in);

/* Close and free; accepts NULL. */
void lc_input_free(struct lc_input *in);

struct lc_output_options {
  bool compress;      /* zstd */
  int level;          /* zstd level, 1..19 */
  int workers;        /* zstd worker threads, 0 = none */
  size_t frame_bytes; /* end a frame after this much input, 0 = never */
  bool append;        /* open for appending (resume) */
};

/* Open PATH ("-" for standard output) for writing. */
enum lc_status lc_output_open(const char *path,
                              const struct lc_output_options *options,
                              struct lc_output **out, char *err,
                              size_t err_size);

/* Buffer LEN bytes for output. Errors (disk full, closed pipe) are sticky:
 * every later call returns the first error. */
enum lc_status lc_output_write(struct lc_output *out, const void *buf,
                               size_t len);

/* Mark a row boundary: if the current zstd frame has grown past
 * frame_bytes, end it here. Also the point where buffered plain bytes are
 * written. */
enum lc_status lc_output_row_boundary(struct lc_output *out);

/* End the current frame and write everything buffered to the file. */
enum lc_status lc_output_flush(struct lc_output *out);

/* Flush, close and free. Returns the first error seen during the output's
 * life, with its message in ERR. Accepts NULL. */
enum lc_status lc_output_close(struct lc_output *out, char *err,
                               size_t err_size);

/* Message of the first write error, or "" */
const char *lc_output_error(const struct lc_output *out);

/* Bytes handed to lc_output_write and bytes written to the file. */
uint64_t lc_output_bytes_in(const struct lc_output *out);
uint64_t lc_output_bytes_out(const struct lc_output *out);

#endif
