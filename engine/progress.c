/* The progress line (see progress.h). */
#include "engine/progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "engine/log.h"

/* Redraws per second on a terminal, and seconds between lines elsewhere. */
#define PROGRESS_TTY_INTERVAL_MS 250
#define PROGRESS_LOG_INTERVAL_MS 5000
/* The rate is measured over about this many recent milliseconds. */
#define PROGRESS_RATE_WINDOW_MS 10000
#define PROGRESS_LINE_MAX 512

static void progress_append(char *buf, size_t *len, size_t size,
                            const char *fmt, ...) LC_PRINTF(4, 5);

/* Append formatted text to BUF at *LEN, never past SIZE - 1. */
static void progress_append(char *buf, size_t *len, size_t size,
                            const char *fmt, ...)
{
  va_list ap;
  int n;

  if (*len + 1 >= size)
    return;
  va_start(ap, fmt);
  n = vsnprintf(buf + *len, size - *len, fmt, ap);
  va_end(ap);
  if (n > 0)
    *len = *len + (size_t)n < size ? *len + (size_t)n : size - 1;
}

static void progress_duration(char *buf, size_t size, double seconds)
{
  unsigned long s = (unsigned long)(seconds + 0.5);

  if (s >= 3600)
    snprintf(buf, size, "%luh%02lum", s / 3600, s / 60 % 60);
  else if (s >= 60)
    snprintf(buf, size, "%lum%02lus", s / 60, s % 60);
  else
    snprintf(buf, size, "%lus", s);
}

void lc_progress_format(const struct lc_progress_view *v, size_t width,
                        char *buf, size_t size)
{
  size_t len = 0;
  char eta[32];

  buf[0] = '\0';
  progress_append(buf, &len, size, "listclean: %llu read, %llu written",
                  (unsigned long long)v->read, (unsigned long long)v->written);
  if (v->resumed > 0)
    progress_append(buf, &len, size, ", %llu resumed",
                    (unsigned long long)v->resumed);
  if (v->rows_per_s >= 0)
    progress_append(buf, &len, size, ", %.0f rows/s", v->rows_per_s);
  if (v->fraction >= 0)
    progress_append(buf, &len, size, ", %.1f%%", v->fraction * 100);
  if (v->eta_s >= 0) {
    progress_duration(eta, sizeof(eta), v->eta_s);
    progress_append(buf, &len, size, ", ETA %s", eta);
  }
  if (v->network)
    progress_append(buf, &len, size,
                    " | in flight: dns %zu, smtp %llu (%u conn), https %u",
                    v->activity.dns, (unsigned long long)v->activity.smtp,
                    v->activity.connections, v->activity.https);
  progress_append(buf, &len, size,
                  " | deliverable %llu, undeliverable %llu, risky %llu, "
                  "unknown %llu",
                  (unsigned long long)v->by_status[LC_STATUS_DELIVERABLE],
                  (unsigned long long)v->by_status[LC_STATUS_UNDELIVERABLE],
                  (unsigned long long)v->by_status[LC_STATUS_RISKY],
                  (unsigned long long)v->by_status[LC_STATUS_UNKNOWN]);
  if (width > 0 && len > width)
    buf[width] = '\0';
}

/* Record a sample and return the oldest one inside the rate window. */
static const struct lc_progress_sample *
progress_sample(struct lc_progress *p, const struct lc_progress_sample *now)
{
  const struct lc_progress_sample *oldest = now;

  p->samples[p->next] = *now;
  p->next = (p->next + 1) % LC_PROGRESS_SAMPLES;
  if (p->nsamples < LC_PROGRESS_SAMPLES)
    p->nsamples++;
  for (size_t i = 0; i < p->nsamples; i++) {
    const struct lc_progress_sample *s = &p->samples[i];
    if (now->ms - s->ms <= PROGRESS_RATE_WINDOW_MS && s->ms < oldest->ms)
      oldest = s;
  }
  return oldest;
}

void lc_progress_estimate(struct lc_progress_view *v, uint64_t bytes,
                          uint64_t size)
{
  double read_share, done, total;

  v->fraction = v->eta_s = -1;
  if (size == 0 || v->read == 0)
    return;
  /* Rows written (or kept by --resume) over rows read, times the share of
   * the input read: reading runs far ahead of writing behind a slow row,
   * so the bytes read alone would show 100% long before the end. */
  read_share = bytes < size ? (double)bytes / (double)size : 1.0;
  done = (double)(v->written + v->resumed);
  if (done > (double)v->read)
    done = (double)v->read;
  v->fraction = read_share * done / (double)v->read;
  if (read_share <= 0 || v->rows_per_s <= 0)
    return;
  total = (double)v->read / read_share;
  v->eta_s = (total - done) / v->rows_per_s;
}

/* Input bytes behind the rows read so far: those read from the file, less
 * those still in the reader's buffers (plain CSV only, as a zstd input's
 * buffered bytes are decompressed ones). */
static uint64_t progress_offset(const struct lc_progress *p)
{
  uint64_t offset = lc_input_raw_offset(p->input);
  uint64_t buffered =
      lc_input_is_zstd(p->input) ? 0 : lc_csv_reader_buffered(p->reader);

  return offset > buffered ? offset - buffered : 0;
}

static void progress_view(struct lc_progress *p, struct lc_progress_view *v)
{
  const struct lc_job_stats *st = p->stats;
  struct lc_progress_sample now = {uv_now(p->timer.loop), st->rows_written,
                                   progress_offset(p)};
  const struct lc_progress_sample *old = progress_sample(p, &now);
  uint64_t size = lc_input_raw_size(p->input);
  double dt = (double)(now.ms - old->ms) / 1000.0;
  const struct lc_net *net = lc_checker_net(p->checker);

  memset(v, 0, sizeof(*v));
  v->read = st->rows_read;
  v->written = st->rows_written;
  v->resumed = st->rows_resumed;
  for (int r = 0; r < LC_REASON_COUNT; r++)
    v->by_status[lc_reason_status((enum lc_reason)r)] += st->by_reason[r];
  v->rows_per_s = dt > 0 ? (double)(now.rows - old->rows) / dt : -1;
  lc_progress_estimate(v, now.bytes, size);
  v->network = net != NULL;
  lc_activity_get(net, &v->activity);
}

static size_t progress_width(void)
{
  struct winsize ws;

  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
    return (size_t)ws.ws_col - 1;
  return 79;
}

/* Draw the line; END is "\r" to redraw it later or "\n" to keep it. */
static void progress_draw(struct lc_progress *p, const char *end)
{
  struct lc_progress_view view;
  char line[PROGRESS_LINE_MAX];

  progress_view(p, &view);
  lc_progress_format(&view, p->tty ? progress_width() : 0, line, sizeof(line));
  /* On a terminal the cursor is left at the start of the line, so that a
   * warning printed before the next redraw starts there too.
   * NOTE: a warning shorter than the progress line leaves the line's tail
   * visible after it, because the log does not clear the line first. */
  if (p->tty)
    fprintf(stderr, "\r%s\033[K%s", line, end);
  else
    fprintf(stderr, "%s\n", line);
}

static void progress_timer_cb(uv_timer_t *timer)
{
  progress_draw(timer->data, "\r");
}

void lc_progress_start(struct lc_progress *p, uv_loop_t *loop, bool tty,
                       const struct lc_job_stats *stats,
                       const struct lc_input *input,
                       const struct lc_csv_reader *reader,
                       const struct lc_checker *checker)
{
  unsigned interval = tty ? PROGRESS_TTY_INTERVAL_MS : PROGRESS_LOG_INTERVAL_MS;

  memset(p, 0, sizeof(*p));
  p->tty = tty;
  p->stats = stats;
  p->input = input;
  p->reader = reader;
  p->checker = checker;
  uv_timer_init(loop, &p->timer);
  p->timer.data = p;
  /* The first sample is the start, so every line has a rate. */
  p->samples[0].ms = uv_now(loop);
  p->samples[0].bytes = progress_offset(p);
  p->nsamples = p->next = 1;
  uv_timer_start(&p->timer, progress_timer_cb, interval, interval);
  uv_unref((uv_handle_t *)&p->timer);
  p->started = true;
}

void lc_progress_finish(struct lc_progress *p)
{
  if (!p->started)
    return;
  p->started = false;
  progress_draw(p, "\n");
  uv_close((uv_handle_t *)&p->timer, NULL);
}
