/* --resume: check that the existing output belongs to this run, cut it to
 * its complete prefix and count the rows it keeps (see job_resume.h). */
#include "engine/job_resume.h"

#include <stdio.h>
#include <string.h>

#include "engine/dedup.h"
#include "engine/log.h"
#include "engine/net.h"
#include "engine/result.h"
#include "io/resume.h"

/* Maximum length of a header value quoted in an error message. */
#define RESUME_QUOTE_MAX 60

struct resume_count {
  struct lc_job_stats *stats;
  struct lc_report *report;
  struct lc_resume_plan *plan;
  /* Column numbers. */
  uint32_t offset, reason_at, mx_at, provider_at, normalized_at, code_at;
  bool skip_first;    /* the first record is a header */
  uint64_t seen;      /* records so far */
  uint64_t bad;       /* rows without a known reason */
  uint64_t first_bad; /* data row number of the first */
};

/* A file that cannot be read is an output error. A file that reads but
 * does not fit this run is a usage error, because another output name was
 * meant. */
static int resume_exit_code(enum lc_status status)
{
  if (status == LC_ERR_IO || status == LC_ERR_NOMEM)
    return LC_EXIT_IO;
  return LC_EXIT_USAGE;
}

static uint32_t resume_result_column(const char *name)
{
  uint32_t i = 0;

  while (i + 1 < LC_RESULT_COLUMNS && strcmp(lc_result_column_names[i], name))
    i++;
  return i;
}

/* Remember the domain of the address ADDRESS (LEN bytes) that a server
 * accepted, so that the run has the evidence the rows kept from the
 * earlier output gave it. Without memory for the set, that evidence is lost. */
static void resume_note_accepted(struct lc_resume_plan *plan,
                                 const char *address, size_t len)
{
  const char *at = memrchr(address, '@', len);

  if (at != NULL)
    lc_net_accepted_add(
        &plan->accepted,
        lc_hash_nocase(at + 1, len - (size_t)(at + 1 - address)));
}

static void resume_count_cb(const struct lc_row *record, void *arg)
{
  struct resume_count *c = arg;
  enum lc_reason reason;
  size_t len;
  uint64_t h;

  if (++c->seen == 1 && c->skip_first)
    return;
  if (record->nfields <= c->code_at ||
      !lc_report_parse_reason(lc_row_field(record, c->reason_at, &len),
                              &reason)) {
    if (c->bad++ == 0)
      c->first_bad = c->seen - c->skip_first;
    return;
  }
  c->stats->by_reason[reason]++;
  c->stats->rows_resumed++;
  /* The input's fields of the row, as the skipped input rows are hashed. */
  h = lc_row_hash(c->plan->rows_hash, record, 0, c->offset);
  h = lc_row_hash(h, record, c->offset + LC_RESULT_COLUMNS, record->nfields);
  c->plan->rows_hash = lc_row_hash_end(h, record->nfields - LC_RESULT_COLUMNS);
  /* As in a run, any recipient the server accepted counts, whatever the
   * verdict (role and disposable addresses included). */
  if (lc_row_field(record, c->code_at, &len)[0] == '2') {
    const char *address = lc_row_field(record, c->normalized_at, &len);
    resume_note_accepted(c->plan, address, len);
  }
  if (c->report != NULL)
    lc_report_add_row(c->report, lc_row_field(record, c->provider_at, &len),
                      lc_row_field(record, c->mx_at, &len));
}

/* Count the rows of the first BYTES bytes of the output, whose annotation
 * columns start at column OFFSET. */
static int resume_count(const struct lc_job_options *o,
                        const struct lc_resume_options *ropt, uint64_t bytes,
                        uint32_t offset, struct lc_job_stats *stats,
                        struct lc_report *report, struct lc_resume_plan *plan,
                        char *err, size_t err_size)
{
  struct resume_count c = {.stats = stats,
                           .report = report,
                           .plan = plan,
                           .skip_first = !o->no_header};
  enum lc_status status;

  c.offset = offset;
  c.reason_at = offset + resume_result_column("reason");
  c.normalized_at = offset + resume_result_column("normalized");
  c.code_at = offset + resume_result_column("smtp_code");
  c.mx_at = offset + resume_result_column("mx");
  c.provider_at = offset + resume_result_column("provider");
  status = lc_resume_records(o->output, ropt, bytes, resume_count_cb, &c, err,
                             err_size);
  if (status != LC_OK)
    return resume_exit_code(status);
  if (c.bad > 0) {
    snprintf(err, err_size,
             "cannot resume %s: %llu rows from row %llu on have no verdict "
             "columns this version writes",
             o->output, (unsigned long long)c.bad,
             (unsigned long long)c.first_bad);
    return LC_EXIT_USAGE;
  }
  return LC_EXIT_OK;
}

/* Compare the output's first record with the header this run writes: the
 * input's header fields, then the verdict columns. */
static int resume_check_header(const char *path, const struct lc_row *input,
                               const struct lc_row *output, char *err,
                               size_t err_size)
{
  uint32_t expected = input->nfields + LC_RESULT_COLUMNS;
  uint32_t n = expected > output->nfields ? expected : output->nfields;

  for (uint32_t i = 0; i < n; i++) {
    const char *want = "", *have = "";
    size_t want_len = 0, have_len = 0;
    if (i < input->nfields)
      want = lc_row_field(input, i, &want_len);
    else if (i < expected)
      want_len = strlen(want = lc_result_column_names[i - input->nfields]);
    if (i < output->nfields)
      have = lc_row_field(output, i, &have_len);
    if (i < expected && i < output->nfields && want_len == have_len &&
        memcmp(want, have, want_len) == 0)
      continue;
    snprintf(
        err, err_size,
        "cannot resume %s: its header differs from the one this run "
        "writes at column %u (\"%.*s\" there, \"%.*s\" here); it was "
        "written from another input or with other options",
        path, i + 1,
        (int)(have_len < RESUME_QUOTE_MAX ? have_len : RESUME_QUOTE_MAX), have,
        (int)(want_len < RESUME_QUOTE_MAX ? want_len : RESUME_QUOTE_MAX), want);
    return LC_EXIT_USAGE;
  }
  return LC_EXIT_OK;
}

/* Without a header the first record can only be checked for the verdict
 * columns at its end. The rows themselves are compared with the input's
 * as it is read (lc_pipeline_resume). */
static int resume_check_columns(const char *path, const struct lc_row *first,
                                char *err, size_t err_size)
{
  enum lc_reason reason;
  size_t len;

  if (first->nfields > LC_RESULT_COLUMNS &&
      lc_report_parse_reason(
          lc_row_field(first, first->nfields - LC_RESULT_COLUMNS + 1, &len),
          &reason))
    return LC_EXIT_OK;
  snprintf(err, err_size,
           "cannot resume %s: its first row does not end with the verdict "
           "columns; it was not written by listclean with --no-header",
           path);
  return LC_EXIT_USAGE;
}

/* Check that the output was written from this input with these options,
 * reading the input's header into PLAN. */
static int resume_check(const struct lc_job_options *o,
                        struct lc_csv_reader *reader,
                        const struct lc_resume_prefix *prefix,
                        struct lc_resume_plan *plan, char *err, size_t err_size)
{
  bool eof = false;

  if (prefix->bom != lc_csv_reader_had_bom(reader) ||
      prefix->crlf != lc_csv_reader_crlf(reader)) {
    snprintf(err, err_size,
             "cannot resume %s: its %s differs from the input's; it was "
             "written from another input",
             o->output,
             prefix->bom != lc_csv_reader_had_bom(reader) ? "byte order mark"
                                                          : "line ending");
    return LC_EXIT_USAGE;
  }
  if (o->no_header)
    return resume_check_columns(o->output, &prefix->first, err, err_size);
  if (lc_csv_reader_next(reader, &plan->header, &eof, err, err_size) != LC_OK)
    return LC_EXIT_IO;
  if (eof) {
    snprintf(err, err_size,
             "cannot resume %s: the input is empty but the output has rows",
             o->output);
    return LC_EXIT_USAGE;
  }
  plan->have_header = true;
  return resume_check_header(o->output, &plan->header, &prefix->first, err,
                             err_size);
}

/* Cut the output after its complete prefix. */
static int resume_cut(const char *path, const struct lc_resume_prefix *prefix,
                      bool compress, char *err, size_t err_size)
{
  if (prefix->prefix_bytes == prefix->file_bytes)
    return LC_EXIT_OK;
  lc_warn("%s: dropping its last %llu bytes, %s", path,
          (unsigned long long)(prefix->file_bytes - prefix->prefix_bytes),
          compress ? "an incomplete zstd frame" : "an incomplete row");
  if (lc_resume_truncate(path, prefix->prefix_bytes, err, err_size) != LC_OK)
    return LC_EXIT_IO;
  return LC_EXIT_OK;
}

int lc_resume_plan_make(const struct lc_job_options *o, bool compress,
                        struct lc_csv_reader *reader,
                        struct lc_job_stats *stats, struct lc_report *report,
                        struct lc_resume_plan *plan, char *err, size_t err_size)
{
  struct lc_resume_options ropt = {lc_csv_reader_delimiter(reader), compress};
  struct lc_resume_prefix prefix;
  enum lc_status status;
  int code;

  memset(plan, 0, sizeof(*plan));
  lc_row_init(&plan->header);
  plan->rows_hash = LC_ROW_HASH_INIT;
  if (strcmp(o->output, "-") == 0) {
    snprintf(err, err_size,
             "--resume needs the output file of the earlier run; give it "
             "with -o FILE");
    return LC_EXIT_USAGE;
  }
  status = lc_resume_scan(o->output, &ropt, &prefix, err, err_size);
  if (status != LC_OK) {
    code = resume_exit_code(status);
  } else if (prefix.records == 0) {
    lc_warn("nothing to resume in %s (%s): starting from the first row",
            o->output,
            !prefix.exists           ? "no such file"
            : prefix.file_bytes == 0 ? "empty"
                                     : "no complete row");
    code = LC_EXIT_OK;
  } else {
    code = resume_check(o, reader, &prefix, plan, err, err_size);
    if (code == LC_EXIT_OK)
      code = resume_cut(o->output, &prefix, compress, err, err_size);
    if (code == LC_EXIT_OK)
      code = resume_count(o, &ropt, prefix.prefix_bytes,
                          prefix.first.nfields - LC_RESULT_COLUMNS, stats,
                          report, plan, err, err_size);
    plan->rows = prefix.records - (o->no_header ? 0 : 1);
    plan->append = code == LC_EXIT_OK;
    if (code == LC_EXIT_OK)
      lc_info("resuming %s after its %llu rows", o->output,
              (unsigned long long)plan->rows);
  }
  lc_resume_prefix_release(&prefix);
  return code;
}

void lc_resume_plan_release(struct lc_resume_plan *plan)
{
  lc_row_release(&plan->header);
  lc_dedup_free(plan->accepted);
  plan->accepted = NULL;
}
