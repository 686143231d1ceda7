/* Leveled logging to stderr. */
#include "bench/simworld/log.h"

#include <stdarg.h>
#include <stdio.h>

static enum sim_log_level log_level = SIM_LOG_WARN;

static const char *const level_names[] = {"error", "warn", "info", "debug",
                                          "trace"};

void sim_log_set_level(enum sim_log_level level)
{
  log_level = level;
}

bool sim_log_enabled(enum sim_log_level level)
{
  return level <= log_level;
}

void sim_log(enum sim_log_level level, const char *fmt, ...)
{
  if (level > log_level)
    return;
  char line[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof(line), fmt, ap);
  va_end(ap);
  fprintf(stderr, "simworld: %s: %s\n", level_names[level], line);
}
