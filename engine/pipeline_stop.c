/* Stopping a run after SIGINT or SIGTERM.
 *
 * The first signal closes the input: no more rows are read, and the rows
 * already handed to the checker get --stop-deadline seconds to finish
 * (LC_STOP_DRAINING). If they all finish in time the run ends like any
 * other. Otherwise, at the deadline, the checker is closed, which
 * completes every row still in flight at once (LC_STOP_CLOSING). With
 * --finish-on-stop those rows are written as unknown/not_checked, so the
 * output has a row for every row read. Without it, the rows from the first
 * unfinished one on are left out: the output ends after the last row that
 * finished in input order, and --resume continues from there.
 */
#include "engine/pipeline_impl.h"

#include <signal.h>

#include "engine/log.h"

static const char *const stop_state_names[] = {
    [LC_STOP_RUNNING] = "running",
    [LC_STOP_DRAINING] = "draining",
    [LC_STOP_CLOSING] = "closing",
};

void lc_pipeline_set_stop_state(struct lc_pipeline *p, enum lc_stop_state state)
{
  lc_trace("stop: %s -> %s", stop_state_names[p->stop_state],
           stop_state_names[state]);
  p->stop_state = state;
}

/* Rows handed to the checker and not finished yet. Finished rows behind
 * an unfinished one wait in the window too, but only for their turn. */
static uint64_t stop_rows_in_flight(const struct lc_pipeline *p)
{
  return p->unfinished;
}

static void stop_deadline_cb(uv_timer_t *timer)
{
  struct lc_pipeline *p = timer->data;
  uint64_t in_flight = stop_rows_in_flight(p);

  lc_pipeline_set_stop_state(p, LC_STOP_CLOSING);
  if (p->opt->finish_on_stop) {
    lc_warn("stop deadline reached: %llu unfinished %s written as "
            "unknown/not_checked",
            (unsigned long long)in_flight,
            in_flight == 1 ? "row is" : "rows are");
  } else {
    p->discarding = true;
    lc_warn("stop deadline reached with %llu %s unfinished: the output "
            "ends after row %llu; run again with --resume to continue",
            (unsigned long long)in_flight, in_flight == 1 ? "row" : "rows",
            (unsigned long long)p->head);
  }
  lc_pipeline_close_checker(p);
  lc_pipeline_settle(p);
}

static const char *stop_signal_name(int signum)
{
  if (signum == SIGINT)
    return "SIGINT";
  if (signum == SIGTERM)
    return "SIGTERM";
  return "signal";
}

void lc_pipeline_stop(struct lc_pipeline *p, int signum)
{
  if (p->finished || p->stop_state != LC_STOP_RUNNING)
    return;
  p->stats->stop_signal = signum;
  lc_pipeline_set_stop_state(p, LC_STOP_DRAINING);
  p->input_done = true;
  /* Rows read while the address column was still being detected were
   * never handed to the checker; they are left out like unread ones. */
  p->stats->rows_cut += lc_pipeline_drop_unsubmitted(p);
  if (stop_rows_in_flight(p) > 0)
    lc_warn("%s received: reading stopped; waiting up to %.1f s for %llu "
            "unfinished %s (send it again to exit at once)",
            stop_signal_name(signum), p->opt->stop_deadline_ms / 1000.0,
            (unsigned long long)stop_rows_in_flight(p),
            stop_rows_in_flight(p) == 1 ? "row" : "rows");
  else
    lc_warn("%s received: reading stopped", stop_signal_name(signum));
  uv_timer_start(&p->deadline, stop_deadline_cb, p->opt->stop_deadline_ms, 0);
  lc_pipeline_settle(p);
}
