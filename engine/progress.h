/* The progress line on stderr.
 *
 * On a terminal the line is redrawn in place four times a second. It
 * shows the rows read and written, the rate, the share of the input read
 * and the time left, the DNS queries, SMTP probes and identity requests in
 * flight, and the rows per status so far. Anywhere else (--progress with stderr
 * redirected) it prints one line every five seconds instead, since a log
 * file cannot be redrawn. The timer is unreferenced, so it never keeps
 * the loop alive, and lc_progress_finish ends with a newline so that the
 * messages after it start on a line of their own.
 */
#ifndef LC_PROGRESS_H
#define LC_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "engine/activity.h"
#include "engine/check.h"
#include "engine/job.h"
#include "io/csv_reader.h"
#include "io/stream.h"

/* Samples kept to measure the recent rate. */
#define LC_PROGRESS_SAMPLES 64

/* Values of one line. Fields that are unknown are negative. */
struct lc_progress_view {
  uint64_t read, written, resumed;
  uint64_t by_status[LC_STATUS_UNKNOWN + 1];
  double rows_per_s;
  double fraction; /* share of the input written, 0 to 1, or -1 */
  double eta_s;    /* seconds until the end, or -1 */
  bool network;    /* show the activity */
  struct lc_activity activity;
};

struct lc_progress_sample {
  uint64_t ms;    /* loop time */
  uint64_t rows;  /* rows written */
  uint64_t bytes; /* input bytes read */
};

struct lc_progress {
  uv_timer_t timer;
  bool started;
  bool tty; /* redraw in place */
  const struct lc_job_stats *stats;
  const struct lc_input *input;
  const struct lc_csv_reader *reader;
  const struct lc_checker *checker;
  struct lc_progress_sample samples[LC_PROGRESS_SAMPLES];
  size_t nsamples, next; /* ring of samples */
};

/* Format VIEW into BUF (SIZE bytes) as one line of at most WIDTH
 * characters, without a line end. */
void lc_progress_format(const struct lc_progress_view *view, size_t width,
                        char *buf, size_t size);

/* Set VIEW's fraction and ETA from its rows read, written and resumed, its
 * rate, and BYTES of the input's SIZE read (SIZE 0 when unknown, as for a
 * pipe). The rows still to come are estimated from the bytes per row read
 * so far. */
void lc_progress_estimate(struct lc_progress_view *view, uint64_t bytes,
                          uint64_t size);

/* Start drawing on LOOP. TTY selects redrawing in place. The pointers must
 * stay valid until lc_progress_finish. */
void lc_progress_start(struct lc_progress *progress, uv_loop_t *loop, bool tty,
                       const struct lc_job_stats *stats,
                       const struct lc_input *input,
                       const struct lc_csv_reader *reader,
                       const struct lc_checker *checker);

/* Draw the final state, end the line and close the timer (the loop must
 * run once more to finish the close). Does nothing if never started; safe
 * to call twice. */
void lc_progress_finish(struct lc_progress *progress);

#endif
