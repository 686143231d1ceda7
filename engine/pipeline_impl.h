/* Pipeline internals shared by engine/pipeline*.c and engine/job.c.
 *
 * engine/pipeline.c moves rows through the window, pipeline_write.c writes
 * them (and counts and logs each one), pipeline_spill.c moves finished
 * rows that wait behind an unfinished one to the spill file, and
 * pipeline_stop.c runs the stop after SIGINT or SIGTERM.
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
#include "io/spill.h"

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
  /* The input had no bytes waiting: reading resumes when input_poll
   * reports it readable (pipes, FIFOs and terminals only). */
  bool input_wait;
  bool input_polling; /* input_poll is initialized */
  uv_poll_t input_poll;
  struct lc_input *input;
  bool in_pump; /* inside the pump callback */
  const struct lc_job_options *opt;
  struct lc_csv_reader *reader;
  struct lc_csv_writer *writer;
  struct lc_checker *checker;
  bool checker_closed;
  struct lc_job_stats *stats;
  struct lc_report *report; /* rows per provider and MX, or NULL */

  struct lc_item *items; /* pool of capacity items */
  size_t capacity;
  struct lc_item **free_items; /* unused items of the pool */
  size_t nfree;
  /* The rows from head to tail in input order: one entry per row in
   * memory, one per run of rows in the spill file. Two runs are never
   * next to each other, so the queue has at most 2 * capacity + 1
   * entries. */
  struct lc_entry *order;
  size_t order_cap;
  uint64_t order_head, order_tail; /* indices, modulo order_cap */
  uint64_t head, tail; /* sequence numbers: first unwritten, next to read */
  uint64_t submitted;  /* items handed to the checker */
  uint64_t unfinished; /* items handed to the checker and not done */
  uint64_t skip_rows;  /* first data rows to skip (--resume) */
  uint64_t skip_hash;  /* lc_row_hash of the rows skipped so far */
  uint64_t skip_want;  /* ... and of all of them, from the output */

  struct lc_spill *spill; /* opened at the first spill */
  bool spill_off;         /* spilling failed or is disabled */
  uint64_t spilled;       /* rows in the spill file */
  char *spill_buf;        /* one record being built or read */
  size_t spill_buf_cap;

  bool header_done;
  struct lc_row header; /* the input's header, for the column's name */
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

/* An entry of the order queue: ITEM, or when ITEM is NULL a run of ROWS
 * finished rows in the spill file, the next one at offset POS. The run's
 * last record starts at offset LAST and ends at END. */
struct lc_entry {
  struct lc_item *item;
  uint64_t rows;
  uint64_t pos, last, end;
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
 * but not checked or written. Their fields must hash to ROWS_HASH (see
 * lc_resume_plan), or the run fails before it writes a row. Call before
 * lc_pipeline_start. */
void lc_pipeline_resume(struct lc_pipeline *p, const struct lc_row *header,
                        uint64_t skip_rows, uint64_t rows_hash);
/* Read INPUT (the file behind the reader) without blocking the loop when
 * it is a pipe, a FIFO or a terminal. Call before lc_pipeline_start. */
void lc_pipeline_watch_input(struct lc_pipeline *p, struct lc_input *input);
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
/* Put the rows read but not handed to the checker back in the pool, as if
 * they had not been read. Returns their count. */
uint64_t lc_pipeline_drop_unsubmitted(struct lc_pipeline *p);
/* Close the checker once; rows it completes meanwhile are only marked. */
void lc_pipeline_close_checker(struct lc_pipeline *p);

/* Entry I of the order queue (an index from order_head to order_tail). */
struct lc_entry *lc_pipeline_entry(const struct lc_pipeline *p, uint64_t i);
/* Put ITEM back in the pool. */
void lc_pipeline_release_item(struct lc_pipeline *p, struct lc_item *item);

/* pipeline_write.c */
void lc_pipeline_write_header(struct lc_pipeline *p,
                              const struct lc_row *header);
/* Write ITEM, count it and log its info line. */
void lc_pipeline_write_item(struct lc_pipeline *p, struct lc_item *item);
/* Format ITEM as lc_pipeline_write_item would and append it to the spill
 * file as one record, whose offset goes to *OFFSET. LC_OK, or the failure
 * of the spill file. */
enum lc_status lc_pipeline_spill_item(struct lc_pipeline *p,
                                      struct lc_item *item, uint64_t *offset);
/* Read the spilled row at *POS, advance *POS past it, and write it, count
 * it and log its line; or, when WRITE is false, only drop it. False when
 * it could not be read (the run is then failing). */
bool lc_pipeline_unspill_row(struct lc_pipeline *p, uint64_t *pos, bool write);

/* pipeline_spill.c */
/* Whether finished rows in memory may go to the spill file now. */
bool lc_pipeline_can_spill(const struct lc_pipeline *p);
/* Move every finished row in memory behind the head to the spill file. */
void lc_pipeline_spill(struct lc_pipeline *p);

#endif
