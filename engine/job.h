/* A cleaning job: options, the run function and its counters. */
#ifndef LC_JOB_H
#define LC_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/verdict.h"

enum lc_check_flags {
  LC_CHECK_SYNTAX = 1u << 0,
  LC_CHECK_DNS = 1u << 1,
  LC_CHECK_SMTP = 1u << 2,
  LC_CHECK_IDENTITY = 1u << 3
};

/* Exit codes of the program. */
enum lc_exit {
  LC_EXIT_OK = 0,
  LC_EXIT_USAGE = 1,
  LC_EXIT_IO = 2,
  LC_EXIT_STOPPED = 3
};

struct lc_job_options {
  const char *input;  /* path or "-" */
  const char *output; /* path or "-" */
  const char *column; /* name or 1-based number, NULL = detect */
  bool no_header;
  char delimiter;     /* 0 = detect */
  unsigned checks;    /* enum lc_check_flags */
  bool role_ok;
  const char *data_dir; /* extra list files, or NULL */
  size_t max_rows_in_flight;
  size_t dedup_memory;     /* bytes for duplicate detection */
  size_t max_record_bytes; /* bound for one CSV record */
  int compress;            /* -1 = by output name, 0 = no, 1 = yes */
  int zstd_level;
  int zstd_workers;
  size_t frame_bytes;
  bool summary; /* print counts per status and reason to stderr */
};

struct lc_job_stats {
  uint64_t rows_read;
  uint64_t rows_written;
  uint64_t malformed;
  uint64_t by_reason[LC_REASON_COUNT];
  uint64_t bytes_out;
};

/* Print STATS as a table of counts per status and reason to stderr. */
void lc_job_print_summary(const struct lc_job_stats *stats);

/* Set every option to its documented default. */
void lc_job_options_init(struct lc_job_options *options);

/* Run the job to completion on its own libuv loop. Returns an enum lc_exit
 * value; errors are logged with the value involved. STATS may be NULL. */
int lc_job_run(const struct lc_job_options *options,
               struct lc_job_stats *stats);

#endif
