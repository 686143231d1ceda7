/* The row window: read, submit to the checker, write in input order.
 *
 * Rows live in a pool of max_rows_in_flight items. The order queue lists
 * the rows from the first unwritten one to the last read one: each row
 * in memory, and runs of finished rows that were moved to the spill file
 * because an unfinished row before them held up the output
 * (pipeline_spill.c). Reading goes on while the pool has a free item.
 */
#include "engine/pipeline_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/columns.h"
#include "engine/log.h"

/* Rows read per pump callback, so the loop still serves sockets. */
#define PIPELINE_BATCH 512
/* Time spent reading per loop pass. */
#define PIPELINE_PASS_NS 4000000
/* Rows looked at to find the address column by content. */
#define PIPELINE_DETECT_ROWS 64

static void pipeline_pump_cb(uv_idle_t *handle);

/* Whether a row can be read now: a free item and a free order entry. */
static bool pipeline_room(const struct lc_pipeline *p)
{
  return p->nfree > 0 && p->order_tail - p->order_head < p->order_cap;
}

/* Whether reading can make no progress until rows in the window finish:
 * the input has ended, or the window is full and nothing can be spilled. */
static bool pipeline_blocked(void *arg)
{
  struct lc_pipeline *p = arg;

  return p->input_done || (!pipeline_room(p) && !lc_pipeline_can_spill(p));
}

struct lc_entry *lc_pipeline_entry(const struct lc_pipeline *p, uint64_t i)
{
  return &p->order[i % p->order_cap];
}

/* The item of row SEQ, read but not yet submitted: those are the last
 * entries of the order queue. */
static struct lc_item *pipeline_slot(struct lc_pipeline *p, uint64_t seq)
{
  return lc_pipeline_entry(p, p->order_tail - (p->tail - seq))->item;
}

void lc_pipeline_release_item(struct lc_pipeline *p, struct lc_item *item)
{
  p->free_items[p->nfree++] = item;
}

/* The item at the end of the order queue goes back to the pool. */
static void pipeline_drop_last(struct lc_pipeline *p)
{
  p->order_tail--;
  lc_pipeline_release_item(p, lc_pipeline_entry(p, p->order_tail)->item);
}

enum lc_status
lc_pipeline_init(struct lc_pipeline *p, uv_loop_t *loop,
                 const struct lc_job_options *opt, struct lc_csv_reader *reader,
                 struct lc_csv_writer *writer, struct lc_checker *checker,
                 struct lc_job_stats *stats, struct lc_report *report)
{
  memset(p, 0, sizeof(*p));
  lc_row_init(&p->header);
  p->loop = loop;
  p->opt = opt;
  p->reader = reader;
  p->writer = writer;
  p->checker = checker;
  p->stats = stats;
  p->report = report;
  lc_checker_set_blocked_cb(checker, pipeline_blocked, p);
  p->capacity = opt->max_rows_in_flight;
  /* Offline checks finish every row inside lc_checker_submit, so a window
   * larger than a few batches only spreads the rows over more memory and
   * costs cache misses. */
  if (opt->checks == LC_CHECK_SYNTAX && p->capacity > 4 * PIPELINE_BATCH)
    p->capacity = 4 * PIPELINE_BATCH;
  /* Every entry is a row in memory or a run of spilled rows after one. */
  p->order_cap = 2 * p->capacity + 2;
  p->items = calloc(p->capacity, sizeof(*p->items));
  p->free_items = calloc(p->capacity, sizeof(*p->free_items));
  p->order = calloc(p->order_cap, sizeof(*p->order));
  if (p->items == NULL || p->free_items == NULL || p->order == NULL)
    return LC_ERR_NOMEM;
  for (size_t i = p->capacity; i-- > 0;) {
    lc_row_init(&p->items[i].row);
    p->items[i].pipeline = p;
    lc_pipeline_release_item(p, &p->items[i]);
  }
  p->spill_off = opt->max_spill_bytes == 0;
  uv_idle_init(loop, &p->pump);
  p->pump.data = p;
  uv_timer_init(loop, &p->deadline);
  p->deadline.data = p;
  return LC_OK;
}

void lc_pipeline_fail(struct lc_pipeline *p, int exit_code, const char *message)
{
  if (p->exit_code == LC_EXIT_OK) {
    p->exit_code = exit_code;
    snprintf(p->err, sizeof(p->err), "%s", message);
  }
  p->input_done = true;
}

/* Warn when the first record, taken as the header, contains an address:
 * the file probably has no header, and its first row would go unchecked. */
static void pipeline_check_header(const struct lc_row *header)
{
  size_t len;

  for (uint32_t i = 0; i < header->nfields; i++) {
    const char *field = lc_row_field(header, i, &len);

    if (!lc_columns_looks_like_address(field, len))
      continue;
    lc_warn("the header's column %u is an address (\"%.*s\"): if the file "
            "has no header, give --no-header, or its first row is written "
            "as the header and not checked",
            i + 1, (int)(len < 80 ? len : 80), field);
    return;
  }
}

/* Record and log the address column, found by name, number or content. */
static void pipeline_column_found(struct lc_pipeline *p)
{
  struct lc_job_stats *st = p->stats;
  const char *name = "";
  size_t len = 0;

  if (p->exit_code != LC_EXIT_OK)
    return;
  if (p->column < p->header.nfields)
    name = lc_row_field(&p->header, (uint32_t)p->column, &len);
  st->address_column = (uint32_t)p->column + 1;
  snprintf(st->address_column_name, sizeof(st->address_column_name), "%.*s",
           (int)len, name);
  lc_info("addresses are in column %u%s%s%s", st->address_column,
          len > 0 ? " (\"" : "", st->address_column_name, len > 0 ? "\")" : "");
}

/* First record of an input with a header: write it (unless it is already
 * in a resumed output) and find the address column by --column or by
 * name. */
static void pipeline_take_header(struct lc_pipeline *p,
                                 const struct lc_row *header, bool write)
{
  char err[512];

  p->header_done = true;
  p->width = header->nfields;
  if (write) {
    pipeline_check_header(header);
    lc_pipeline_write_header(p, header);
  }
  if (lc_row_copy(&p->header, header) != LC_OK)
    lc_row_clear(&p->header);
  if (p->opt->column != NULL) {
    if (lc_columns_from_spec(p->opt->column, header, &p->column, err,
                             sizeof(err)) != LC_OK)
      lc_pipeline_fail(p, LC_EXIT_USAGE, err);
    p->column_known = true;
  } else {
    p->column_known = lc_columns_from_header(header, &p->column);
  }
  if (p->column_known)
    pipeline_column_found(p);
}

void lc_pipeline_resume(struct lc_pipeline *p, const struct lc_row *header,
                        uint64_t skip_rows, uint64_t rows_hash)
{
  if (header != NULL)
    pipeline_take_header(p, header, false);
  p->skip_rows = skip_rows;
  p->skip_hash = LC_ROW_HASH_INIT;
  p->skip_want = rows_hash;
}

/* Hash the skipped row ITEM as the output shows it (padded to the
 * header's width) and, after the last one, compare with the output's
 * rows. */
static void pipeline_check_skipped(struct lc_pipeline *p,
                                   const struct lc_item *item)
{
  uint32_t n = item->row.nfields > p->width ? item->row.nfields : p->width;
  char message[256];

  p->skip_hash = lc_row_hash(p->skip_hash, &item->row, 0, n);
  p->skip_hash = lc_row_hash_end(p->skip_hash, n);
  if (item->seq + 1 != p->skip_rows || p->skip_hash == p->skip_want)
    return;
  snprintf(message, sizeof(message),
           "cannot resume: the first %llu rows of the output differ from "
           "the first %llu rows of the input; it was written from another "
           "input or another version of it",
           (unsigned long long)p->skip_rows, (unsigned long long)p->skip_rows);
  lc_pipeline_fail(p, LC_EXIT_USAGE, message);
}

/* The input ended: a resumed output must not hold more rows than it. */
static void pipeline_input_ended(struct lc_pipeline *p)
{
  char message[256];

  p->input_done = true;
  p->stats->input_complete = true;
  if (p->tail >= p->skip_rows)
    return;
  snprintf(message, sizeof(message),
           "cannot resume: the output holds %llu data rows but the input "
           "only %llu; it was written from another input",
           (unsigned long long)p->skip_rows, (unsigned long long)p->tail);
  lc_pipeline_fail(p, LC_EXIT_USAGE, message);
}

static void pipeline_read_one(struct lc_pipeline *p)
{
  struct lc_item *item = p->free_items[p->nfree - 1];
  char err[512];
  bool eof = false;
  enum lc_status status;

  status = lc_csv_reader_next(p->reader, &item->row, &eof, err, sizeof(err));
  if (status == LC_ERR_AGAIN) {
    p->input_wait = true;
    return;
  }
  if (status != LC_OK) {
    lc_pipeline_fail(p, LC_EXIT_IO, err);
    return;
  }
  if (eof) {
    pipeline_input_ended(p);
    return;
  }
  if (!p->header_done && !p->opt->no_header) {
    pipeline_take_header(p, &item->row, true);
    return;
  }
  p->header_done = true;
  if (p->width == 0)
    p->width = item->row.nfields;
  if (item->row.malformed) {
    p->stats->malformed++;
    lc_log_warn_counted("malformed CSV record",
                        "malformed CSV record at line %llu; it is kept "
                        "with reason csv_error",
                        (unsigned long long)item->row.line);
  }
  item->seq = p->tail;
  item->done = false;
  p->nfree--;
  *lc_pipeline_entry(p, p->order_tail++) = (struct lc_entry){.item = item};
  p->tail++;
  p->stats->rows_read++;
}

/* Find the address column among the rows read so far when neither
 * --column nor the header named it. */
static void pipeline_detect_column(struct lc_pipeline *p)
{
  const struct lc_row *rows[PIPELINE_DETECT_ROWS] = {0};
  size_t count = 0;
  char err[512];

  for (uint64_t s = p->submitted; s < p->tail && count < PIPELINE_DETECT_ROWS;
       s++)
    rows[count++] = &pipeline_slot(p, s)->row;
  if (p->opt->column != NULL) {
    if (lc_columns_from_spec(p->opt->column, NULL, &p->column, err,
                             sizeof(err)) != LC_OK)
      lc_pipeline_fail(p, LC_EXIT_USAGE, err);
  } else if (!lc_columns_from_content(rows, count, &p->column) && count > 0) {
    lc_pipeline_fail(p, LC_EXIT_USAGE,
                     "no column holds email addresses in the first rows; "
                     "name it with --column NAME or --column NUMBER");
  }
  p->column_known = true;
  pipeline_column_found(p);
}

static void pipeline_submit(struct lc_pipeline *p, struct lc_item *item)
{
  size_t len = 0;

  lc_result_init(&item->result);
  item->done = false;
  item->skipped = false;
  item->next = NULL;
  if (p->column < item->row.nfields) {
    item->address = lc_row_field(&item->row, (uint32_t)p->column, &len);
  } else {
    item->address = "";
  }
  item->address_len = len;
  if (item->seq < p->skip_rows) {
    pipeline_check_skipped(p, item);
    lc_checker_skip(p->checker, item);
    item->skipped = true;
    item->done = true;
    return;
  }
  p->unfinished++;
  lc_checker_submit(p->checker, item);
}

/* Write the row in memory at the head of the order queue. */
static void pipeline_flush_item(struct lc_pipeline *p, struct lc_item *item)
{
  if (item->skipped)
    p->stats->rows_skipped++;
  else if (p->exit_code != LC_EXIT_OK)
    ; /* the run is failing: nothing more is written */
  else if (p->discarding)
    p->stats->rows_cut++;
  else
    lc_pipeline_write_item(p, item);
  lc_pipeline_release_item(p, item);
  p->order_head++;
}

/* Write the first row of the run of spilled rows E. */
static void pipeline_flush_spilled(struct lc_pipeline *p, struct lc_entry *e)
{
  bool write = p->exit_code == LC_EXIT_OK && !p->discarding;

  if (lc_pipeline_unspill_row(p, &e->pos, write) && p->discarding &&
      p->exit_code == LC_EXIT_OK)
    p->stats->rows_cut++;
  p->spilled--;
  if (--e->rows == 0)
    p->order_head++;
}

static void pipeline_flush(struct lc_pipeline *p)
{
  while (p->head < p->submitted) {
    struct lc_entry *e = lc_pipeline_entry(p, p->order_head);

    if (e->item == NULL)
      pipeline_flush_spilled(p, e);
    else if (e->item->done)
      pipeline_flush_item(p, e->item);
    else
      break;
    p->head++;
  }
}

uint64_t lc_pipeline_drop_unsubmitted(struct lc_pipeline *p)
{
  uint64_t n = p->tail - p->submitted;

  for (uint64_t i = 0; i < n; i++)
    pipeline_drop_last(p);
  p->tail = p->submitted;
  return n;
}

void lc_pipeline_close_checker(struct lc_pipeline *p)
{
  bool in_pump = p->in_pump;

  if (p->checker_closed)
    return;
  p->checker_closed = true;
  p->in_pump = true;
  lc_checker_close(p->checker);
  p->in_pump = in_pump;
}

static void pipeline_check_finished(struct lc_pipeline *p)
{
  struct lc_job_stats *st = p->stats;

  if (p->finished || !p->input_done || p->head != p->tail)
    return;
  p->finished = true;
  if (p->pumping)
    uv_idle_stop(&p->pump);
  p->pumping = false;
  uv_close((uv_handle_t *)&p->pump, NULL);
  uv_close((uv_handle_t *)&p->deadline, NULL);
  if (p->input_polling)
    uv_close((uv_handle_t *)&p->input_poll, NULL);
  p->input_polling = false;
  st->stopped_early = p->stop_state != LC_STOP_RUNNING &&
                      (!st->input_complete || st->rows_cut > 0);
  lc_pipeline_close_checker(p);
}

static void pipeline_input_cb(uv_poll_t *handle, int status, int events)
{
  struct lc_pipeline *p = handle->data;

  (void)status;
  (void)events;
  /* An error or a hang-up shows in the next read. */
  p->input_wait = false;
  lc_pipeline_settle(p);
}

/* Watch the input for bytes while ON, which is when reading waits for
 * them. When the poll cannot start, reads go back to waiting for their
 * bytes. */
static void pipeline_update_input_poll(struct lc_pipeline *p, bool on)
{
  if (!p->input_polling)
    return;
  if (on && uv_poll_start(&p->input_poll, UV_READABLE, pipeline_input_cb) == 0)
    return;
  uv_poll_stop(&p->input_poll);
  if (on) {
    /* Without the poll, reads wait for their bytes as before. */
    lc_input_set_nonblocking(p->input, false);
    p->input_wait = false;
  }
}

void lc_pipeline_watch_input(struct lc_pipeline *p, struct lc_input *input)
{
  p->input = input;
  if (!lc_input_set_nonblocking(input, true))
    return;
  if (uv_poll_init(p->loop, &p->input_poll, lc_input_fd(input)) != 0) {
    /* epoll takes no regular files or devices such as /dev/null: those
     * are read as before, waiting for their bytes. */
    lc_input_set_nonblocking(input, false);
    return;
  }
  p->input_poll.data = p;
  p->input_polling = true;
}

static void pipeline_update_pump(struct lc_pipeline *p)
{
  bool want;

  /* Finished rows behind an unfinished head make room by going to the
   * spill file. When nothing can spill, rows parked for evidence are
   * decided, so that they cannot hold a full window forever. */
  if (!p->input_done && !pipeline_room(p) && lc_pipeline_can_spill(p))
    lc_pipeline_spill(p);
  if (p->head < p->submitted && pipeline_blocked(p)) {
    p->in_pump = true;
    lc_checker_pressure(p->checker);
    p->in_pump = false;
    pipeline_flush(p);
  }
  want = !p->input_done && pipeline_room(p);
  pipeline_update_input_poll(p, want && p->input_wait);
  want = want && !p->input_wait;

  if (want && !p->pumping)
    uv_idle_start(&p->pump, pipeline_pump_cb);
  else if (!want && p->pumping)
    uv_idle_stop(&p->pump);
  p->pumping = want;
}

void lc_pipeline_settle(struct lc_pipeline *p)
{
  if (p->finished)
    return;
  pipeline_flush(p);
  pipeline_update_pump(p);
  pipeline_check_finished(p);
}

/* Read up to PIPELINE_BATCH rows and hand them to the checker. */
static void pipeline_read_batch(struct lc_pipeline *p)
{
  for (int n = 0; n < PIPELINE_BATCH && !p->input_done && !p->input_wait &&
                  pipeline_room(p);
       n++)
    pipeline_read_one(p);
  if (!p->column_known && p->header_done &&
      (p->input_done || p->input_wait || !pipeline_room(p) ||
       p->tail - p->submitted >= PIPELINE_DETECT_ROWS))
    pipeline_detect_column(p);
  if (p->exit_code != LC_EXIT_OK) {
    /* Rows not yet handed to the checker are dropped from the window: the
     * run is failing and nothing more will be written. */
    lc_pipeline_drop_unsubmitted(p);
  }
  while (p->column_known && p->submitted < p->tail &&
         p->exit_code == LC_EXIT_OK)
    pipeline_submit(p, pipeline_slot(p, p->submitted++));
  /* A resume that fails on the skipped rows checks no row after them. */
  if (p->exit_code != LC_EXIT_OK)
    lc_pipeline_drop_unsubmitted(p);
}

/* Read batches while there is room, for up to PIPELINE_PASS_NS. Rows of
 * one mail host then reach the scheduler close together and share
 * sessions, and the loop still serves its sockets between passes. */
static void pipeline_pump_cb(uv_idle_t *handle)
{
  struct lc_pipeline *p = handle->data;
  uint64_t start = uv_hrtime();

  p->in_pump = true;
  do
    pipeline_read_batch(p);
  while (!p->input_done && !p->input_wait && pipeline_room(p) &&
         p->column_known && p->exit_code == LC_EXIT_OK &&
         uv_hrtime() - start < PIPELINE_PASS_NS);
  p->in_pump = false;
  lc_pipeline_settle(p);
}

void lc_pipeline_item_done(struct lc_item *item)
{
  struct lc_pipeline *p = item->pipeline;

  item->done = true;
  p->unfinished--;
  if (p->stop_state == LC_STOP_CLOSING && p->opt->finish_on_stop) {
    /* Whatever the closing checker concluded, the row was cut short. */
    item->result.verdict.status = LC_STATUS_UNKNOWN;
    item->result.verdict.reason = LC_REASON_NOT_CHECKED;
    item->result.verdict.row = 0;
    p->stats->rows_cut++;
  }
  if (p->in_pump)
    return;
  lc_pipeline_settle(p);
}

void lc_pipeline_start(struct lc_pipeline *p)
{
  lc_pipeline_settle(p);
}

void lc_pipeline_release(struct lc_pipeline *p)
{
  for (size_t i = 0; i < p->capacity && p->items != NULL; i++) {
    lc_row_release(&p->items[i].row);
    lc_result_release(&p->items[i].result);
  }
  lc_row_release(&p->header);
  free(p->items);
  free(p->free_items);
  free(p->order);
  free(p->spill_buf);
  lc_spill_free(p->spill);
  p->items = NULL;
  p->free_items = NULL;
  p->order = NULL;
  p->spill_buf = NULL;
  p->spill = NULL;
}
