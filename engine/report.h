/* The run report of --report: a JSON file that describes what a run did.
 *
 * It contains the rows of the output file per status, reason, provider
 * and MX host (the busiest LC_REPORT_TOP_MX by rows). It also contains the
 * rows read and written, the timings, the options, the version, the
 * paths, the exit code and whether a signal stopped the run. The file is
 * written to a temporary name next to the target and renamed over it, so
 * a reader sees the old report or the new one, never half of one.
 */
#ifndef LC_REPORT_H
#define LC_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/job.h"
#include "engine/json_writer.h"
#include "engine/status.h"

/* MX hosts listed by name in the report; the others are summed. */
#define LC_REPORT_TOP_MX 20

struct lc_report;

/* Create a report whose run starts now. NULL when out of memory. */
struct lc_report *lc_report_new(void);
/* Accepts NULL. */
void lc_report_free(struct lc_report *report);

/* Count one row of the output under PROVIDER and MX (NULL or "" for
 * none). The status and reason counts come from lc_job_stats. */
void lc_report_add_row(struct lc_report *report, const char *provider,
                       const char *mx);

/* Outcome of the run, for lc_report_write. */
struct lc_report_run {
  const struct lc_job_options *options;
  const struct lc_job_stats *stats;
  int exit_code;     /* enum lc_exit */
  const char *error; /* message of the error that ended the run, or NULL */
};

/* Write the report to PATH: a temporary file in the same directory, then
 * rename. Returns LC_OK, or LC_ERR_IO with a message naming the file in
 * ERR. */
enum lc_status lc_report_write(const struct lc_report *report, const char *path,
                               const struct lc_report_run *run, char *err,
                               size_t err_size);

/* Write OPTIONS as the members of one JSON object (report_options.c). */
void lc_report_write_options(struct lc_json *json,
                             const struct lc_job_options *options);

/* Find the reason whose column text is NAME. Returns false for any other
 * text. */
bool lc_report_parse_reason(const char *name, enum lc_reason *reason);

#endif
