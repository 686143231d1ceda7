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
  char delimiter;  /* 0 = detect */
  unsigned checks; /* enum lc_check_flags */
  bool role_ok;
  const char *data_dir; /* extra list files, or NULL */
  size_t max_rows_in_flight;
  uint64_t max_spill_bytes; /* spill file limit, 0 = never spill */
  const char *spill_dir;    /* NULL = $TMPDIR, else /tmp */
  size_t dedup_memory;      /* bytes for duplicate detection */
  size_t max_record_bytes;  /* bound for one CSV record */
  int compress;             /* -1 = by output name, 0 = no, 1 = yes */
  int zstd_level;
  int zstd_workers;
  size_t frame_bytes;
  bool summary; /* print counts per status and reason to stderr */

  /* DNS */
  const char *dns_servers[8]; /* "HOST[:PORT]"; none = system resolver */
  size_t ndns_servers;
  unsigned dns_timeout_ms;
  unsigned dns_tries;
  unsigned dns_concurrency;
  bool allow_private_mx; /* loopback and private MX addresses are usable */
  size_t max_domains;    /* domains kept with their SMTP evidence */

  /* SMTP */
  unsigned smtp_port;
  const char *helo_name; /* NULL = this host's name */
  const char *mail_from; /* NULL = "verify@" + helo name */
  unsigned connect_timeout_ms;
  unsigned command_timeout_ms;
  unsigned rcpt_per_session;
  unsigned max_connections;
  unsigned per_mx_connections;
  double connects_per_sec;
  double rcpts_per_min;
  unsigned greylist_retry_ms;
  unsigned greylist_max_wait_ms;
  unsigned backoff_ms;
  bool no_starttls;
  uint64_t seed; /* random local parts and MX shuffles; 0 = from time */

  /* Identity */
  const char *identity_url;
  const char *ca_file;
  double identity_rate;
  unsigned identity_retry_ms; /* wait before a resend of a throttled
                                 request; 0 = the module's default */

  /* Operation */
  const char *report_path;   /* --report FILE, or NULL */
  int progress;              /* -1 = when stderr is a terminal, 0, 1 */
  bool quiet;                /* errors only, no progress line */
  unsigned stop_deadline_ms; /* wait for rows in flight after a stop */
  bool finish_on_stop;       /* write unfinished rows as not_checked */
  bool resume;               /* continue the output file of a cut run */
  int argc;                  /* command line, for the report */
  char *const *argv;
};

struct lc_job_stats {
  uint64_t rows_read;    /* data rows read, skipped ones included */
  uint64_t rows_written; /* data rows written by this run */
  uint64_t rows_resumed; /* data rows kept from the earlier run */
  uint64_t rows_skipped; /* input rows skipped because they were resumed */
  uint64_t rows_cut;     /* rows a stop left unwritten or not_checked */
  uint64_t malformed;
  uint64_t rows_spilled;    /* rows moved to the spill file */
  uint64_t spill_peak_rows; /* largest row count of the spill file */
  /* Most unread bytes in the spill file at once, records still in its
   * write buffer included. */
  uint64_t spill_peak_bytes;
  /* Rows in the output file per reason, resumed ones included; they add
   * up to rows_resumed + rows_written. */
  uint64_t by_reason[LC_REASON_COUNT];
  uint64_t bytes_out;
  bool input_complete; /* the input was read to its end */
  bool stopped_early;  /* a signal cut the run short */
  int stop_signal;     /* first SIGINT or SIGTERM received, or 0 */
  /* Column of the addresses, from 1 (0 until known), and its header name
   * ("" without a header). */
  uint32_t address_column;
  char address_column_name[128];
};

/* Print STATS as a table of counts per status and reason to stderr. */
void lc_job_print_summary(const struct lc_job_stats *stats);

/* Set every option to its documented default. */
void lc_job_options_init(struct lc_job_options *options);

/* Run the job to completion on its own libuv loop. Returns an enum lc_exit
 * value; errors are logged with the value involved, and the report of
 * --report is written on every return. STATS may be NULL. */
int lc_job_run(const struct lc_job_options *options,
               struct lc_job_stats *stats);

/* Write the --report file of OPTIONS for a run that ended before it
 * started (an invalid command line), with exit code CODE and the message
 * ERROR. Returns CODE, or LC_EXIT_IO when the report cannot be written. */
int lc_job_report_failure(const struct lc_job_options *options, int code,
                          const char *error);

#endif
