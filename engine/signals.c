/* SIGINT and SIGTERM watchers (see signals.h). */
#include "engine/signals.h"

#include <signal.h>
#include <string.h>

#include "engine/status.h"

static void signals_cb(uv_signal_t *handle, int signum)
{
  struct lc_signals *s = handle->data;

  s->received++;
  if (s->received == 1)
    s->stop(s->arg, signum);
  else
    s->exit_now(s->arg, signum);
}

static int signals_watch(struct lc_signals *s, uv_loop_t *loop,
                         uv_signal_t *handle, int signum)
{
  int rc = uv_signal_init(loop, handle);

  if (rc != 0)
    return rc;
  handle->data = s;
  uv_unref((uv_handle_t *)handle);
  return uv_signal_start(handle, signals_cb, signum);
}

enum lc_status lc_signals_start(struct lc_signals *s, uv_loop_t *loop,
                                lc_signal_cb stop, lc_signal_cb exit_now,
                                void *arg)
{
  memset(s, 0, sizeof(*s));
  s->stop = stop;
  s->exit_now = exit_now;
  s->arg = arg;
  if (signals_watch(s, loop, &s->sigint, SIGINT) != 0)
    return LC_ERR_INTERNAL;
  s->started = true;
  if (signals_watch(s, loop, &s->sigterm, SIGTERM) != 0) {
    uv_close((uv_handle_t *)&s->sigint, NULL);
    s->started = false;
    return LC_ERR_INTERNAL;
  }
  return LC_OK;
}

void lc_signals_close(struct lc_signals *s)
{
  if (!s->started)
    return;
  s->started = false;
  uv_close((uv_handle_t *)&s->sigint, NULL);
  uv_close((uv_handle_t *)&s->sigterm, NULL);
}
