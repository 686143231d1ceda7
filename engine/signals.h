/* SIGINT and SIGTERM on the loop.
 *
 * The handles are libuv signal watchers, so the callbacks run on the loop
 * between other callbacks, never inside one: a callback may flush the
 * output and write the report. The first signal calls STOP and the
 * second calls EXIT_NOW, whichever of the two signals each one is. The
 * handles are unreferenced and do not keep the loop alive.
 */
#ifndef LC_SIGNALS_H
#define LC_SIGNALS_H

#include <stdbool.h>
#include <uv.h>

#include "engine/status.h"

typedef void (*lc_signal_cb)(void *arg, int signum);

struct lc_signals {
  uv_signal_t sigint, sigterm;
  bool started;
  unsigned received; /* signals seen so far */
  lc_signal_cb stop, exit_now;
  void *arg;
};

/* Watch SIGINT and SIGTERM on LOOP. Returns LC_OK or LC_ERR_INTERNAL. */
enum lc_status lc_signals_start(struct lc_signals *signals, uv_loop_t *loop,
                                lc_signal_cb stop, lc_signal_cb exit_now,
                                void *arg);

/* Close the handles (the loop must run once more to finish the close).
 * Does nothing when not started; safe to call twice. */
void lc_signals_close(struct lc_signals *signals);

#endif
