/* The run report: per-row counts and the JSON file (see report.h). */
#include "engine/report.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>

#include "engine/tally.h"

/* Distinct providers and MX hosts counted by name; the rest count as
 * other. The provider table is small; the MX bound keeps memory near 5 MB
 * for inputs with very many mail hosts. */
#define REPORT_PROVIDERS_MAX 1024
#define REPORT_MX_MAX 65536

struct lc_report {
  struct timespec started_wall;
  struct timespec started_mono;
  struct lc_tally *providers;
  struct lc_tally *mx;
  uint64_t no_provider, no_mx;
};

struct lc_report *lc_report_new(void)
{
  struct lc_report *r = calloc(1, sizeof(*r));

  if (r == NULL)
    return NULL;
  clock_gettime(CLOCK_REALTIME, &r->started_wall);
  clock_gettime(CLOCK_MONOTONIC, &r->started_mono);
  r->providers = lc_tally_new(REPORT_PROVIDERS_MAX);
  r->mx = lc_tally_new(REPORT_MX_MAX);
  if (r->providers == NULL || r->mx == NULL) {
    lc_report_free(r);
    return NULL;
  }
  return r;
}

void lc_report_free(struct lc_report *r)
{
  if (r == NULL)
    return;
  lc_tally_free(r->providers);
  lc_tally_free(r->mx);
  free(r);
}

void lc_report_add_row(struct lc_report *r, const char *provider,
                       const char *mx)
{
  if (provider == NULL || provider[0] == '\0')
    r->no_provider++;
  else
    lc_tally_add(r->providers, provider, 1);
  if (mx == NULL || mx[0] == '\0')
    r->no_mx++;
  else
    lc_tally_add(r->mx, mx, 1);
}

bool lc_report_parse_reason(const char *name, enum lc_reason *reason)
{
  for (int i = 0; i < LC_REASON_COUNT; i++) {
    if (strcmp(lc_reason_name((enum lc_reason)i), name) == 0) {
      *reason = (enum lc_reason)i;
      return true;
    }
  }
  return false;
}

static const char *report_exit_name(int code)
{
  switch (code) {
  case LC_EXIT_OK:
    return "done";
  case LC_EXIT_USAGE:
    return "usage error";
  case LC_EXIT_IO:
    return "input or output error";
  case LC_EXIT_STOPPED:
    return "stopped early";
  }
  return "unknown";
}

static const char *report_signal_name(int signum)
{
  switch (signum) {
  case 0:
    return NULL;
  case SIGINT:
    return "SIGINT";
  case SIGTERM:
    return "SIGTERM";
  }
  return "other";
}

/* ISO 8601 time in UTC with milliseconds, e.g. 2026-12-04T17:20:00.123Z */
static void report_time(struct lc_json *json, const struct timespec *ts)
{
  struct tm tm;
  char text[64], stamp[40];

  gmtime_r(&ts->tv_sec, &tm);
  strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(text, sizeof(text), "%s.%03ldZ", stamp, ts->tv_nsec / 1000000);
  lc_json_string(json, text);
}

static void report_run(struct lc_json *json, const struct lc_report *r,
                       const struct lc_report_run *run)
{
  const struct lc_job_stats *st = run->stats;
  struct timespec wall, mono;
  double elapsed;

  clock_gettime(CLOCK_REALTIME, &wall);
  clock_gettime(CLOCK_MONOTONIC, &mono);
  elapsed = (double)(mono.tv_sec - r->started_mono.tv_sec) +
            (double)(mono.tv_nsec - r->started_mono.tv_nsec) / 1e9;
  lc_json_key(json, "exit_code");
  lc_json_int(json, run->exit_code);
  lc_json_key(json, "exit_status");
  lc_json_string(json, report_exit_name(run->exit_code));
  lc_json_key(json, "error");
  lc_json_string(json, run->error);
  lc_json_key(json, "stopped_early");
  lc_json_bool(json, st->stopped_early);
  lc_json_key(json, "stop_signal");
  lc_json_string(json, report_signal_name(st->stop_signal));
  lc_json_key(json, "input_complete");
  lc_json_bool(json, st->input_complete);
  lc_json_key(json, "address_column");
  if (st->address_column == 0) {
    lc_json_null(json);
  } else {
    lc_json_begin_object(json);
    lc_json_key(json, "number");
    lc_json_uint(json, st->address_column);
    lc_json_key(json, "name");
    lc_json_string(json, st->address_column_name);
    lc_json_end_object(json);
  }
  lc_json_key(json, "started");
  report_time(json, &r->started_wall);
  lc_json_key(json, "ended");
  report_time(json, &wall);
  lc_json_key(json, "elapsed_s");
  lc_json_double(json, elapsed);
  lc_json_key(json, "rows_per_s");
  lc_json_double(json, elapsed > 0 ? (double)st->rows_written / elapsed : 0);
}

static void report_rows(struct lc_json *json, const struct lc_job_stats *st)
{
  lc_json_key(json, "rows");
  lc_json_begin_object(json);
  lc_json_key(json, "read");
  lc_json_uint(json, st->rows_read);
  lc_json_key(json, "written");
  lc_json_uint(json, st->rows_written);
  lc_json_key(json, "resumed");
  lc_json_uint(json, st->rows_resumed);
  lc_json_key(json, "in_output");
  lc_json_uint(json, st->rows_resumed + st->rows_written);
  lc_json_key(json, "cut_by_stop");
  lc_json_uint(json, st->rows_cut);
  lc_json_key(json, "malformed");
  lc_json_uint(json, st->malformed);
  lc_json_key(json, "spilled");
  lc_json_uint(json, st->rows_spilled);
  lc_json_key(json, "spill_peak_rows");
  lc_json_uint(json, st->spill_peak_rows);
  lc_json_key(json, "spill_peak_bytes");
  lc_json_uint(json, st->spill_peak_bytes);
  lc_json_end_object(json);
}

static void report_verdicts(struct lc_json *json, const struct lc_job_stats *st)
{
  uint64_t by_status[LC_STATUS_UNKNOWN + 1] = {0};

  for (int i = 0; i < LC_REASON_COUNT; i++)
    by_status[lc_reason_status((enum lc_reason)i)] += st->by_reason[i];
  lc_json_key(json, "status");
  lc_json_begin_object(json);
  for (int s = LC_STATUS_DELIVERABLE; s <= LC_STATUS_UNKNOWN; s++) {
    lc_json_key(json, lc_status_name((enum lc_verdict_status)s));
    lc_json_uint(json, by_status[s]);
  }
  lc_json_end_object(json);
  lc_json_key(json, "reason");
  lc_json_begin_object(json);
  for (int i = 0; i < LC_REASON_COUNT; i++) {
    lc_json_key(json, lc_reason_name((enum lc_reason)i));
    lc_json_uint(json, st->by_reason[i]);
  }
  lc_json_end_object(json);
}

static void report_providers(struct lc_json *json, const struct lc_report *r)
{
  struct lc_tally_entry top[REPORT_PROVIDERS_MAX];
  size_t n = lc_tally_top(r->providers, top, REPORT_PROVIDERS_MAX);

  lc_json_key(json, "provider");
  lc_json_begin_object(json);
  lc_json_key(json, "rows");
  lc_json_begin_object(json);
  for (size_t i = 0; i < n; i++) {
    lc_json_key(json, top[i].name);
    lc_json_uint(json, top[i].rows);
  }
  lc_json_end_object(json);
  lc_json_key(json, "none");
  lc_json_uint(json, r->no_provider);
  lc_json_key(json, "other");
  lc_json_uint(json, lc_tally_other(r->providers));
  lc_json_end_object(json);
}

static void report_mx(struct lc_json *json, const struct lc_report *r)
{
  struct lc_tally_entry top[LC_REPORT_TOP_MX];
  size_t n = lc_tally_top(r->mx, top, LC_REPORT_TOP_MX);
  uint64_t listed = 0;

  lc_json_key(json, "mx");
  lc_json_begin_object(json);
  lc_json_key(json, "top");
  lc_json_begin_array(json);
  for (size_t i = 0; i < n; i++) {
    lc_json_begin_object(json);
    lc_json_key(json, "name");
    lc_json_string(json, top[i].name);
    lc_json_key(json, "rows");
    lc_json_uint(json, top[i].rows);
    lc_json_end_object(json);
    listed += top[i].rows;
  }
  lc_json_end_array(json);
  lc_json_key(json, "other");
  lc_json_uint(json, lc_tally_rows(r->mx) - listed + lc_tally_other(r->mx));
  lc_json_key(json, "none");
  lc_json_uint(json, r->no_mx);
  lc_json_key(json, "distinct");
  lc_json_uint(json, lc_tally_names(r->mx));
  lc_json_key(json, "distinct_capped");
  lc_json_bool(json, lc_tally_other(r->mx) > 0);
  lc_json_end_object(json);
}

static void report_document(FILE *f, const struct lc_report *r,
                            const struct lc_report_run *run)
{
  const struct lc_job_options *o = run->options;
  struct lc_json json;

  lc_json_init(&json, f);
  lc_json_begin_object(&json);
  lc_json_key(&json, "version");
  lc_json_string(&json, LC_VERSION);
  lc_json_key(&json, "command");
  lc_json_begin_array(&json);
  for (int i = 0; i < o->argc; i++)
    lc_json_string(&json, o->argv[i]);
  lc_json_end_array(&json);
  lc_json_key(&json, "input");
  lc_json_string(&json, o->input);
  lc_json_key(&json, "output");
  lc_json_string(&json, o->output);
  report_run(&json, r, run);
  report_rows(&json, run->stats);
  report_verdicts(&json, run->stats);
  report_providers(&json, r);
  report_mx(&json, r);
  lc_json_key(&json, "options");
  lc_json_begin_object(&json);
  lc_report_write_options(&json, o);
  lc_json_end_object(&json);
  lc_json_end_object(&json);
}

/* Write the report straight into PATH, which exists and is not a regular
 * file: a device such as /dev/null or /dev/stdout, a pipe, or a link
 * that a rename would replace instead of writing through. */
static enum lc_status report_write_in_place(const struct lc_report *r,
                                            const char *path,
                                            const struct lc_report_run *run,
                                            char *err, size_t err_size)
{
  FILE *f = fopen(path, "we");
  bool failed;

  if (f == NULL) {
    snprintf(err, err_size, "cannot write report %s: %s", path,
             strerror(errno));
    return LC_ERR_IO;
  }
  report_document(f, r, run);
  failed = fflush(f) != 0 || ferror(f);
  if (fclose(f) != 0 || failed) {
    snprintf(err, err_size, "cannot write report %s: %s", path,
             strerror(errno));
    return LC_ERR_IO;
  }
  return LC_OK;
}

enum lc_status lc_report_write(const struct lc_report *r, const char *path,
                               const struct lc_report_run *run, char *err,
                               size_t err_size)
{
  char tmp[4096];
  FILE *f = NULL;
  struct stat st;
  int fd;

  if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
    return report_write_in_place(r, path, run, err, err_size);
  snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
    snprintf(err, err_size, "cannot write report %s: %s", tmp, strerror(errno));
    if (fd >= 0)
      close(fd);
    return LC_ERR_IO;
  }
  report_document(f, r, run);
  /* fflush and fsync before the rename: after a crash the new name must
   * not point at an empty file. */
  if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0) {
    snprintf(err, err_size, "cannot write report %s: %s", tmp, strerror(errno));
    fclose(f);
    unlink(tmp);
    return LC_ERR_IO;
  }
  fclose(f);
  if (rename(tmp, path) != 0) {
    snprintf(err, err_size, "cannot rename report %s to %s: %s", tmp, path,
             strerror(errno));
    unlink(tmp);
    return LC_ERR_IO;
  }
  return LC_OK;
}
