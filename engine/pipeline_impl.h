/* Pipeline internals shared by engine/pipeline.c and engine/job.c. */
#ifndef LC_PIPELINE_IMPL_H
#define LC_PIPELINE_IMPL_H

#include <uv.h>

#include "engine/check.h"
#include "engine/job.h"
#include "engine/pipeline.h"
#include "io/csv_reader.h"
#include "io/csv_writer.h"

struct lc_pipeline {
  uv_loop_t *loop;
  uv_idle_t pump;
  bool pumping; /* the idle handle is active */
  bool in_pump; /* inside the pump callback */
  const struct lc_job_options *opt;
  struct lc_csv_reader *reader;
  struct lc_csv_writer *writer;
  struct lc_checker *checker;
  struct lc_job_stats *stats;

  struct lc_item *items; /* window of capacity items */
  size_t capacity;
  uint64_t head, tail; /* sequence numbers: first unwritten, next to read */
  uint64_t submitted;  /* items handed to the checker */

  bool header_done;
  bool column_known;
  size_t column;
  uint32_t width; /* columns of the header, or of the first row */
  bool input_done;
  bool finished;
  int exit_code;
  char err[512];
};

enum lc_status lc_pipeline_init(struct lc_pipeline *p, uv_loop_t *loop,
                                const struct lc_job_options *opt,
                                struct lc_csv_reader *reader,
                                struct lc_csv_writer *writer,
                                struct lc_checker *checker,
                                struct lc_job_stats *stats);
/* Start pumping rows; the loop runs until every row is written. */
void lc_pipeline_start(struct lc_pipeline *p);
void lc_pipeline_release(struct lc_pipeline *p);

#endif
