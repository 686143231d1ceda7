/* Running a cleaning job: open the files, run the pipeline on a libuv
 * loop, close everything and report. */
#include "engine/job.h"

#include <stdio.h>
#include <string.h>

#include "engine/log.h"
#include "engine/pipeline_impl.h"

void lc_job_options_init(struct lc_job_options *o)
{
  memset(o, 0, sizeof(*o));
  o->output = "-";
  o->checks = LC_CHECK_SYNTAX;
  o->max_rows_in_flight = 20000;
  o->dedup_memory = (size_t)32 << 20;
  o->max_record_bytes = (size_t)16 << 20;
  o->compress = -1;
  o->zstd_level = 3;
  o->frame_bytes = (size_t)4 << 20;
}

static bool job_name_ends_with_zst(const char *path)
{
  size_t len = strlen(path);

  return len > 4 && strcmp(path + len - 4, ".zst") == 0;
}

struct job {
  const struct lc_job_options *opt;
  struct lc_input *in;
  struct lc_output *out;
  struct lc_csv_reader *reader;
  struct lc_csv_writer *writer;
  struct lc_checker *checker;
  uv_loop_t loop;
  bool loop_ready;
  struct lc_pipeline pipeline;
  bool pipeline_ready;
};

static int job_open(struct job *job, struct lc_job_stats *stats)
{
  const struct lc_job_options *o = job->opt;
  struct lc_csv_reader_options ropt = {o->delimiter, o->max_record_bytes};
  struct lc_output_options wopt = {0};
  char err[512];

  if (lc_input_open(o->input, &job->in, err, sizeof(err)) != LC_OK ||
      lc_csv_reader_new(job->in, &ropt, &job->reader, err, sizeof(err)) !=
          LC_OK) {
    lc_error("%s", err);
    return LC_EXIT_IO;
  }
  wopt.compress = o->compress == 1 ||
                  (o->compress < 0 && job_name_ends_with_zst(o->output));
  wopt.level = o->zstd_level;
  wopt.workers = o->zstd_workers;
  wopt.frame_bytes = o->frame_bytes;
  if (lc_output_open(o->output, &wopt, &job->out, err, sizeof(err)) != LC_OK) {
    lc_error("%s", err);
    return LC_EXIT_IO;
  }
  if (lc_csv_writer_new(job->out, lc_csv_reader_delimiter(job->reader),
                        lc_csv_reader_crlf(job->reader),
                        &job->writer) != LC_OK) {
    lc_error("out of memory creating the CSV writer");
    return LC_EXIT_IO;
  }
  if (lc_csv_reader_had_bom(job->reader))
    lc_csv_writer_raw(job->writer, "\xef\xbb\xbf", 3);
  if (uv_loop_init(&job->loop) != 0) {
    lc_error("cannot create the event loop");
    return LC_EXIT_IO;
  }
  job->loop_ready = true;
  if (lc_checker_new(&job->loop, o, &job->checker, err, sizeof(err)) != LC_OK) {
    lc_error("%s", err);
    return LC_EXIT_USAGE;
  }
  if (lc_pipeline_init(&job->pipeline, &job->loop, o, job->reader, job->writer,
                       job->checker, stats) != LC_OK) {
    lc_error("out of memory for %zu rows in flight; lower "
             "--max-rows-in-flight",
             o->max_rows_in_flight);
    return LC_EXIT_IO;
  }
  job->pipeline_ready = true;
  return LC_EXIT_OK;
}

static int job_close(struct job *job, int code, struct lc_job_stats *stats)
{
  char err[512];

  if (job->pipeline_ready)
    lc_pipeline_release(&job->pipeline);
  lc_checker_free(job->checker);
  if (job->loop_ready && uv_loop_close(&job->loop) != 0)
    lc_warn("event loop closed with handles still open");
  lc_csv_writer_free(job->writer);
  if (job->out != NULL)
    stats->bytes_out = lc_output_bytes_out(job->out);
  if (lc_output_close(job->out, err, sizeof(err)) != LC_OK) {
    lc_error("%s", err);
    if (code == LC_EXIT_OK)
      code = LC_EXIT_IO;
  }
  lc_csv_reader_free(job->reader);
  lc_input_free(job->in);
  lc_log_flush_counts();
  return code;
}

void lc_job_print_summary(const struct lc_job_stats *stats)
{
  fprintf(stderr, "listclean: %llu rows read, %llu written",
          (unsigned long long)stats->rows_read,
          (unsigned long long)stats->rows_written);
  if (stats->malformed > 0)
    fprintf(stderr, ", %llu malformed", (unsigned long long)stats->malformed);
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
  code = job_open(&job, stats);
  if (code == LC_EXIT_OK) {
    lc_pipeline_start(&job.pipeline);
    uv_run(&job.loop, UV_RUN_DEFAULT);
    code = job.pipeline.exit_code;
    if (code != LC_EXIT_OK) {
      const char *hint = "";
      if (code == LC_EXIT_IO && job.out != NULL &&
          lc_output_error(job.out)[0] != '\0')
        hint = lc_output_error(job.out);
      lc_error("%s%s%s", job.pipeline.err, hint[0] ? ": " : "", hint);
    }
  } else if (job.loop_ready) {
    lc_checker_close(job.checker);
    uv_run(&job.loop, UV_RUN_DEFAULT);
  }
  code = job_close(&job, code, stats);
  if (options->summary)
    lc_job_print_summary(stats);
  return code;
}
