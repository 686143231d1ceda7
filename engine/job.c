/* Running a cleaning job: open the files, run the pipeline on a libuv
 * loop, close everything and report. Every return of lc_job_run writes
 * the --report file, and a second SIGINT or SIGTERM writes it before the
 * process exits at once. */
#include "engine/job.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/job_resume.h"
#include "engine/log.h"
#include "engine/pipeline_impl.h"
#include "engine/progress.h"
#include "engine/report.h"
#include "engine/signals.h"

void lc_job_options_init(struct lc_job_options *o)
{
  memset(o, 0, sizeof(*o));
  o->output = "-";
  o->checks = LC_CHECK_SYNTAX;
  o->max_rows_in_flight = 20000;
  o->max_spill_bytes = (uint64_t)4096 << 20;
  o->dedup_memory = (size_t)32 << 20;
  o->max_record_bytes = (size_t)16 << 20;
  o->compress = -1;
  o->zstd_level = 3;
  o->frame_bytes = (size_t)4 << 20;
  o->progress = -1;
  o->stop_deadline_ms = 10000;
}

static bool job_name_ends_with_zst(const char *path)
{
  size_t len = strlen(path);

  return len > 4 && strcasecmp(path + len - 4, ".zst") == 0;
}

struct job {
  const struct lc_job_options *opt;
  struct lc_job_stats *stats;
  struct lc_input *in;
  struct lc_output *out;
  struct lc_csv_reader *reader;
  struct lc_csv_writer *writer;
  struct lc_checker *checker;
  struct lc_report *report; /* NULL without --report */
  uv_loop_t loop;
  bool loop_ready;
  struct lc_signals signals;
  struct lc_progress progress;
  struct lc_pipeline pipeline;
  bool pipeline_ready;
  struct lc_resume_plan plan;
  char error[1024]; /* the error that ends the run, or "" */
};

static int job_fail(struct job *job, int code, const char *fmt, ...)
    LC_PRINTF(3, 4);

/* Keep the first error message; return CODE. */
static int job_fail(struct job *job, int code, const char *fmt, ...)
{
  va_list ap;

  if (job->error[0] == '\0') {
    va_start(ap, fmt);
    vsnprintf(job->error, sizeof(job->error), fmt, ap);
    va_end(ap);
  }
  return code;
}

/* Write the --report file; a failure turns a successful or stopped run
 * into an output error. */
static int job_write_report(struct job *job, int code)
{
  struct lc_report_run run = {job->opt, job->stats, code,
                              job->error[0] ? job->error : NULL};
  char err[512];

  if (job->report == NULL)
    return code;
  if (lc_report_write(job->report, job->opt->report_path, &run, err,
                      sizeof(err)) == LC_OK)
    return code;
  lc_error("%s", err);
  return code == LC_EXIT_OK || code == LC_EXIT_STOPPED ? LC_EXIT_IO : code;
}

static void job_stop_cb(void *arg, int signum)
{
  struct job *job = arg;

  if (job->pipeline_ready)
    lc_pipeline_stop(&job->pipeline, signum);
}

/* Second signal: end the current zstd frame so the file stays readable,
 * write the report and exit without waiting for anything. */
static void job_exit_now_cb(void *arg, int signum)
{
  struct job *job = arg;
  struct lc_job_stats *st = job->stats;
  int code = LC_EXIT_STOPPED;

  lc_progress_finish(&job->progress);
  st->stopped_early = true;
  if (st->stop_signal == 0)
    st->stop_signal = signum;
  st->rows_cut = st->rows_read - st->rows_skipped - st->rows_written;
  if (job->out != NULL && lc_output_flush(job->out) != LC_OK)
    code = job_fail(job, LC_EXIT_IO, "%s", lc_output_error(job->out));
  if (job->out != NULL)
    st->bytes_out = lc_output_bytes_out(job->out);
  lc_warn("%s received again: exiting now; the output ends after row %llu",
          signum == SIGINT ? "SIGINT" : "SIGTERM",
          (unsigned long long)(st->rows_resumed + st->rows_written));
  if (job->error[0] != '\0')
    lc_error("%s", job->error);
  lc_log_flush_counts();
  code = job_write_report(job, code);
  _exit(code);
}

static int job_open_input(struct job *job)
{
  const struct lc_job_options *o = job->opt;
  struct lc_csv_reader_options ropt = {o->delimiter, o->max_record_bytes};
  char err[512];

  if (lc_input_open(o->input, &job->in, err, sizeof(err)) != LC_OK ||
      lc_csv_reader_new(job->in, &ropt, &job->reader, err, sizeof(err)) !=
          LC_OK)
    return job_fail(job, LC_EXIT_IO, "%s", err);
  return LC_EXIT_OK;
}

/* Whether INPUT and OUTPUT name one file, also through links. */
static bool job_same_file(const char *input, const char *output)
{
  struct stat in, out;

  if (strcmp(input, "-") == 0 || strcmp(output, "-") == 0)
    return false;
  if (stat(input, &in) != 0 || stat(output, &out) != 0)
    return false;
  return in.st_dev == out.st_dev && in.st_ino == out.st_ino;
}

static int job_open_output(struct job *job)
{
  const struct lc_job_options *o = job->opt;
  struct lc_output_options wopt = {0};
  char err[512];
  int code;

  wopt.compress = o->compress == 1 ||
                  (o->compress < 0 && job_name_ends_with_zst(o->output));
  wopt.level = o->zstd_level;
  wopt.workers = o->zstd_workers;
  wopt.frame_bytes = o->frame_bytes;
  if (o->resume) {
    code = lc_resume_plan_make(o, wopt.compress, job->reader, job->stats,
                               job->report, &job->plan, err, sizeof(err));
    if (code != LC_EXIT_OK)
      return job_fail(job, code, "%s", err);
    wopt.append = job->plan.append;
  }
  if (job_same_file(o->input, o->output))
    return job_fail(job, LC_EXIT_USAGE,
                    "the output %s is the input file; write to another file "
                    "(the input must stay as it is while it is read)",
                    o->output);

  if (lc_output_open(o->output, &wopt, &job->out, err, sizeof(err)) != LC_OK)
    return job_fail(job, LC_EXIT_IO, "%s", err);
  if (lc_csv_writer_new(job->out, lc_csv_reader_delimiter(job->reader),
                        lc_csv_reader_crlf(job->reader), &job->writer) != LC_OK)
    return job_fail(job, LC_EXIT_IO, "out of memory creating the CSV writer");
  /* A resumed output already starts with the mark. */
  if (lc_csv_reader_had_bom(job->reader) && !job->plan.append)
    lc_csv_writer_raw(job->writer, "\xef\xbb\xbf", 3);
  return LC_EXIT_OK;
}

static void job_start_progress(struct job *job)
{
  const struct lc_job_options *o = job->opt;
  bool tty = isatty(STDERR_FILENO) == 1;

  if (o->quiet || o->progress == 0 || (o->progress < 0 && !tty))
    return;
  lc_progress_start(&job->progress, &job->loop, tty, job->stats, job->in,
                    job->reader, job->checker);
}

/* Return the file the report would replace, "input" or "output", or NULL.
 * Devices such as /dev/null may be shared. */
static const char *job_report_clash(const struct lc_job_options *o)
{
  struct stat st;

  if (lstat(o->report_path, &st) == 0 && !S_ISREG(st.st_mode))
    return NULL;
  if (strcmp(o->report_path, o->input) == 0 ||
      job_same_file(o->input, o->report_path))
    return "input";
  if (strcmp(o->report_path, o->output) == 0 ||
      job_same_file(o->output, o->report_path))
    return "output";
  return NULL;
}

/* Return why DIR cannot take new files, or NULL when it can. */
static const char *job_dir_problem(const char *dir)
{
  struct stat st;

  if (stat(dir, &st) != 0)
    return strerror(errno);
  if (!S_ISDIR(st.st_mode))
    return "not a directory";
  if (access(dir, W_OK | X_OK) != 0)
    return strerror(errno);
  return NULL;
}

/* Reject a --spill-dir that cannot take the spill file at the start,
 * because it would otherwise surface only at the first spill, maybe hours
 * later. A bad $TMPDIR still gives a warning then. */
static int job_check_spill_dir(struct job *job)
{
  const struct lc_job_options *o = job->opt;
  const char *problem;

  if (o->spill_dir == NULL || o->spill_dir[0] == '\0' ||
      o->max_spill_bytes == 0 || o->checks == LC_CHECK_SYNTAX)
    return LC_EXIT_OK;
  if ((problem = job_dir_problem(o->spill_dir)) == NULL)
    return LC_EXIT_OK;
  return job_fail(job, LC_EXIT_USAGE,
                  "invalid --spill-dir %s: %s; give a directory this user "
                  "can write to, or --max-spill 0 to keep every row in memory",
                  o->spill_dir, problem);
}

/* Return why the directory of the report PATH (copied to DIR, SIZE bytes)
 * cannot take it, or NULL. The report is written there at the end, so the
 * check runs at the start. Existing files that are not regular (devices,
 * FIFOs) are written in place and need no directory. */
static const char *job_report_dir_problem(const char *path, char *dir,
                                          size_t size)
{
  struct stat st;
  const char *slash = strrchr(path, '/');

  if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
    return NULL;
  if (slash == NULL)
    snprintf(dir, size, ".");
  else
    snprintf(dir, size, "%.*s", (int)(slash == path ? 1 : slash - path), path);
  return job_dir_problem(dir);
}

static int job_open(struct job *job)
{
  const struct lc_job_options *o = job->opt;
  char report_dir[4096];
  const char *report_problem =
      o->report_path != NULL
          ? job_report_dir_problem(o->report_path, report_dir,
                                   sizeof(report_dir))
          : NULL;
  const char *clash = o->report_path ? job_report_clash(o) : NULL;
  char err[512];
  int code;

  if (clash != NULL)
    return job_fail(job, LC_EXIT_USAGE,
                    "the report %s is the %s file; give --report another "
                    "name",
                    o->report_path, clash);
  if (report_problem != NULL)
    return job_fail(job, LC_EXIT_USAGE,
                    "cannot write the report %s: directory %s: %s; give "
                    "--report a path in a directory this user can write to",
                    o->report_path, report_dir, report_problem);
  if (o->report_path != NULL && (job->report = lc_report_new()) == NULL)
    return job_fail(job, LC_EXIT_IO, "out of memory for the report");
  if (job_check_spill_dir(job) != LC_EXIT_OK)
    return LC_EXIT_USAGE;
  if (uv_loop_init(&job->loop) != 0)
    return job_fail(job, LC_EXIT_IO, "cannot create the event loop");
  job->loop_ready = true;
  /* Signals that come before the loop runs wait for it. */
  if (lc_signals_start(&job->signals, &job->loop, job_stop_cb, job_exit_now_cb,
                       job) != LC_OK)
    lc_warn("cannot watch SIGINT and SIGTERM; they end the run at once");
  code = job_open_input(job);
  if (code == LC_EXIT_OK)
    code = job_open_output(job);
  if (code != LC_EXIT_OK)
    return code;
  if (lc_checker_new(&job->loop, o, &job->checker, err, sizeof(err)) != LC_OK)
    return job_fail(job, LC_EXIT_USAGE, "%s", err);
  if (lc_pipeline_init(&job->pipeline, &job->loop, o, job->reader, job->writer,
                       job->checker, job->stats, job->report) != LC_OK)
    return job_fail(job, LC_EXIT_IO,
                    "out of memory for %zu rows in flight; lower "
                    "--max-rows-in-flight",
                    o->max_rows_in_flight);
  job->pipeline_ready = true;
  lc_checker_take_accepted(job->checker, job->plan.accepted);
  job->plan.accepted = NULL;
  if (job->plan.append)
    lc_pipeline_resume(&job->pipeline,
                       job->plan.have_header ? &job->plan.header : NULL,
                       job->plan.rows, job->plan.rows_hash);
  job_start_progress(job);
  return LC_EXIT_OK;
}

/* Exit code of a run whose loop has ended. */
static int job_result(struct job *job)
{
  const struct lc_pipeline *p = &job->pipeline;
  int code = p->exit_code;

  /* The output's own message names the file and the system error. */
  if (code == LC_EXIT_IO && job->out != NULL &&
      lc_output_error(job->out)[0] != '\0')
    return job_fail(job, code, "%s", lc_output_error(job->out));
  if (code != LC_EXIT_OK)
    return job_fail(job, code, "%s", p->err);
  if (job->stats->stopped_early)
    return LC_EXIT_STOPPED;
  /* The loop ends when nothing is pending. Rows still in the window then
   * mean a check lost its callback: never report such a run as done. */
  if (!p->finished)
    return job_fail(job, LC_EXIT_IO,
                    "internal error: the run ended with %llu rows read but "
                    "not written; the output is incomplete",
                    (unsigned long long)(p->tail - p->head));
  return LC_EXIT_OK;
}

static int job_close(struct job *job, int code)
{
  char err[512];

  lc_progress_finish(&job->progress);
  lc_signals_close(&job->signals);
  if (job->loop_ready)
    uv_run(&job->loop, UV_RUN_DEFAULT);
  if (job->pipeline_ready)
    lc_pipeline_release(&job->pipeline);
  lc_checker_free(job->checker);
  if (job->loop_ready && uv_loop_close(&job->loop) != 0)
    lc_warn("event loop closed with handles still open");
  lc_csv_writer_free(job->writer);
  if (job->out != NULL)
    job->stats->bytes_out = lc_output_bytes_out(job->out);
  if (lc_output_close(job->out, err, sizeof(err)) != LC_OK &&
      code != LC_EXIT_IO && code != LC_EXIT_USAGE)
    code = job_fail(job, LC_EXIT_IO, "%s", err);
  lc_csv_reader_free(job->reader);
  lc_input_free(job->in);
  lc_resume_plan_release(&job->plan);
  return code;
}

void lc_job_print_summary(const struct lc_job_stats *stats)
{
  fprintf(stderr, "listclean: %llu rows read, %llu written",
          (unsigned long long)stats->rows_read,
          (unsigned long long)stats->rows_written);
  if (stats->rows_resumed > 0)
    fprintf(stderr, ", %llu resumed", (unsigned long long)stats->rows_resumed);
  if (stats->malformed > 0)
    fprintf(stderr, ", %llu malformed", (unsigned long long)stats->malformed);
  if (stats->stopped_early)
    fprintf(stderr, ", stopped early");
  fputc('\n', stderr);
  for (int s = LC_STATUS_DELIVERABLE; s <= LC_STATUS_UNKNOWN; s++) {
    for (int r = 0; r < LC_REASON_COUNT; r++) {
      if (stats->by_reason[r] == 0 ||
          lc_reason_status((enum lc_reason)r) != (enum lc_verdict_status)s)
        continue;
      fprintf(stderr, "  %-14s %-20s %10llu\n",
              lc_status_name((enum lc_verdict_status)s),
              lc_reason_name((enum lc_reason)r),
              (unsigned long long)stats->by_reason[r]);
    }
  }
}

int lc_job_run(const struct lc_job_options *options, struct lc_job_stats *stats)
{
  struct lc_job_stats local;
  struct job job;
  int code;

  if (stats == NULL)
    stats = &local;
  memset(stats, 0, sizeof(*stats));
  memset(&job, 0, sizeof(job));
  job.opt = options;
  job.stats = stats;
  lc_row_init(&job.plan.header);
  code = job_open(&job);
  if (code == LC_EXIT_OK) {
    lc_pipeline_watch_input(&job.pipeline, job.in);
    lc_pipeline_start(&job.pipeline);
    uv_run(&job.loop, UV_RUN_DEFAULT);
    code = job_result(&job);
  } else if (job.loop_ready) {
    lc_checker_close(job.checker);
    uv_run(&job.loop, UV_RUN_DEFAULT);
  }
  code = job_close(&job, code);
  if (job.error[0] != '\0')
    lc_error("%s", job.error);
  lc_log_flush_counts();
  if (options->summary)
    lc_job_print_summary(stats);
  code = job_write_report(&job, code);
  lc_report_free(job.report);
  return code;
}

int lc_job_report_failure(const struct lc_job_options *options, int code,
                          const char *error)
{
  struct lc_job_stats stats;
  struct job job;

  memset(&stats, 0, sizeof(stats));
  memset(&job, 0, sizeof(job));
  job.opt = options;
  job.stats = &stats;
  snprintf(job.error, sizeof(job.error), "%s", error);
  job.report = lc_report_new();
  if (job.report == NULL)
    return code;
  code = job_write_report(&job, code);
  lc_report_free(job.report);
  return code;
}
