/* Pipeline internals shared by engine/pipeline*.c and engine/job.c.
 *
 * engine/pipeline.c moves rows through the window, pipeline_write.c writes
 * them (and counts and logs each one), and pipeline_stop.c runs the stop
 * after SIGINT or SIGTERM.
 */
#ifndef LC_PIPELINE_IMPL_H
#define LC_PIPELINE_IMPL_H

#include <uv.h>

#include "engine/check.h"
#include "engine/job.h"
#include "engine/pipeline.h"
#include "engine/report.h"
#include "io/csv_reader.h"
#include "io/csv_writer.h"

/* Stop of a run after a signal. */
enum lc_stop_state {
  LC_STOP_RUNNING,  /* no stop requested */
  LC_STOP_DRAINING, /* input closed; rows in flight may finish until the
                       deadline */
  LC_STOP_CLOSING   /* deadline passed: the checker completes the rest,
                       which are written as not_checked or left out */
};

struct lc_pipeline {
  uv_loop_t *loop;
  uv_idle_t pump;
  bool pumping; /* the idle handle is active */
  bool in_pump; /* inside the pump callback */
  const struct lc_job_options *opt;
  struct lc_csv_reader *reader;
  struct lc_csv_writer *writer;
  struct lc_checker *checker;
  bool checker_closed;
  struct lc_job_stats *stats;
  struct lc_report *report; /* rows per provider and MX, or NULL */

  struct lc_item *items; /* window of capacity items */
  size_t capacity;
  uint64_t head, tail; /* sequence numbers: first unwritten, next to read */
  uint64_t submitted;  /* items handed to the checker */
  uint64_t skip_rows;  /* first data rows to skip (--resume) */

  bool header_done;
  bool column_known;
  size_t column;
  uint32_t width;  /* columns of the header, or of the first row */
  bool input_done; /* no more rows will be read */
  bool finished;
  int exit_code;
  char err[512];

  /* Stop after a signal (pipeline_stop.c). */
  enum lc_stop_state stop_state; /* set by lc_pipeline_set_stop_state */
  uv_timer_t deadline;
  bool discarding; /* rows finishing now are left out of the output */
};

/* Prepare P; nothing runs until lc_pipeline_start. REPORT may be NULL. */
enum lc_status
lc_pipeline_init(struct lc_pipeline *p, uv_loop_t *loop,
                 const struct lc_job_options *opt, struct lc_csv_reader *reader,
                 struct lc_csv_writer *writer, struct lc_checker *checker,
                 struct lc_job_stats *stats, struct lc_report *report);
/* Resume after an earlier output: HEADER (the input's first record, read
 * by the caller and already in the output; NULL with --no-header) is
 * taken without writing it, and the first SKIP_ROWS data rows are read
 * but not checked or written. Call before lc_pipeline_start. */
void lc_pipeline_resume(struct lc_pipeline *p, const struct lc_row *header,
                        uint64_t skip_rows);
/* Start pumping rows; the loop runs until every row is written. */
void lc_pipeline_start(struct lc_pipeline *p);
/* Free the window. The loop handles are closed once the run finishes. */
void lc_pipeline_release(struct lc_pipeline *p);

/* Stop reading because of SIGNUM (pipeline_stop.c): rows in flight get
 * opt->stop_deadline_ms to finish, then the checker is closed. Does
 * nothing when a stop is already running or the run has finished. */
void lc_pipeline_stop(struct lc_pipeline *p, int signum);
void lc_pipeline_set_stop_state(struct lc_pipeline *p,
                                enum lc_stop_state state);

/* Record the first error; the run ends with EXIT_CODE and MESSAGE. */
void lc_pipeline_fail(struct lc_pipeline *p, int exit_code,
                      const char *message);
/* Write finished rows, restart or pause reading, and end the run when
 * everything is written. Call after anything that finished rows. */
void lc_pipeline_settle(struct lc_pipeline *p);
/* Close the checker once; rows it completes meanwhile are only marked. */
void lc_pipeline_close_checker(struct lc_pipeline *p);

/* pipeline_write.c */
void lc_pipeline_write_header(struct lc_pipeline *p,
                              const struct lc_row *header);
/* Write ITEM, count it and log its info line. */
void lc_pipeline_write_item(struct lc_pipeline *p, struct lc_item *item);

#endif
