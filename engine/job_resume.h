/* --resume: take over the output of a run that was cut short.
 *
 * The complete prefix of the existing output is kept. The file is cut
 * after its last complete zstd frame or CSV record, and its rows are
 * counted into the statistics and the report. The run then skips as many
 * input rows and appends the rest. The result is the output an uninterrupted
 * run writes. A missing or empty output (or one without a complete record)
 * means there is nothing to resume, and the run starts from the first row.
 */
#ifndef LC_JOB_RESUME_H
#define LC_JOB_RESUME_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/job.h"
#include "engine/report.h"
#include "io/csv_reader.h"
#include "io/row.h"

struct lc_dedup;

struct lc_resume_plan {
  bool append;          /* open the output for appending */
  uint64_t rows;        /* data rows already in the output */
  bool have_header;     /* HEADER was read from the input */
  struct lc_row header; /* the input's first record */
  /* Domains of the kept rows that were accepted (lc_checker_take_accepted),
   * or NULL. */
  struct lc_dedup *accepted;
  /* lc_row_hash of the kept rows' input fields, in order, each ended with
   * lc_row_hash_end. */
  uint64_t rows_hash;
};

/* Prepare the resume of OPTIONS->output, whose text uses READER's
 * delimiter and is zstd when COMPRESS. Reads the input's header from
 * READER when the output already has one, and cuts the output file to its
 * complete prefix. Counts the prefix rows into STATS and REPORT (may be
 * NULL). Returns LC_EXIT_OK, or LC_EXIT_USAGE when the output does not
 * belong to this input and these options, or LC_EXIT_IO, with a message in
 * ERR. Release PLAN with lc_resume_plan_release in every case. */
int lc_resume_plan_make(const struct lc_job_options *options, bool compress,
                        struct lc_csv_reader *reader,
                        struct lc_job_stats *stats, struct lc_report *report,
                        struct lc_resume_plan *plan, char *err,
                        size_t err_size);

void lc_resume_plan_release(struct lc_resume_plan *plan);

#endif
