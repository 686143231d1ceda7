/* Leveled logging to stderr with counted repeats. */
#include "engine/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Repeats of one key printed before the rest are only counted. */
#define LOG_REPEATS_SHOWN 5
#define LOG_KEYS_MAX 64

static enum lc_log_level log_level = LC_LOG_WARN;

static struct {
  const char *key;
  unsigned long count;
} log_keys[LOG_KEYS_MAX];

static const char *const log_level_names[] = {"error", "warn", "info", "debug",
                                              "trace"};

void lc_log_set_level(enum lc_log_level level)
{
  log_level = level;
}

enum lc_log_level lc_log_get_level(void)
{
  return log_level;
}

bool lc_log_parse_level(const char *name, enum lc_log_level *level)
{
  for (int i = 0; i <= LC_LOG_TRACE; i++) {
    if (strcmp(name, log_level_names[i]) == 0) {
      *level = (enum lc_log_level)i;
      return true;
    }
  }
  return false;
}

bool lc_log_enabled(enum lc_log_level level)
{
  return level <= log_level;
}

static void log_vprint(enum lc_log_level level, const char *fmt, va_list ap)
{
  char line[2048];

  vsnprintf(line, sizeof(line), fmt, ap);
  fprintf(stderr, "listclean: %s: %s\n", log_level_names[level], line);
}

void lc_log(enum lc_log_level level, const char *fmt, ...)
{
  va_list ap;

  if (!lc_log_enabled(level))
    return;
  va_start(ap, fmt);
  log_vprint(level, fmt, ap);
  va_end(ap);
}

void lc_log_warn_counted(const char *key, const char *fmt, ...)
{
  va_list ap;
  int slot = -1;

  for (int i = 0; i < LOG_KEYS_MAX; i++) {
    if (log_keys[i].key == NULL || strcmp(log_keys[i].key, key) == 0) {
      slot = i;
      break;
    }
  }
  if (slot >= 0) {
    log_keys[slot].key = key;
    if (++log_keys[slot].count > LOG_REPEATS_SHOWN)
      return;
  }
  if (!lc_log_enabled(LC_LOG_WARN))
    return;
  va_start(ap, fmt);
  log_vprint(LC_LOG_WARN, fmt, ap);
  va_end(ap);
  if (slot >= 0 && log_keys[slot].count == LOG_REPEATS_SHOWN)
    lc_log(LC_LOG_WARN, "further '%s' warnings are counted, not shown", key);
}

void lc_log_flush_counts(void)
{
  for (int i = 0; i < LOG_KEYS_MAX && log_keys[i].key != NULL; i++) {
    if (log_keys[i].count > LOG_REPEATS_SHOWN)
      lc_warn("%lu '%s' warnings in all (%lu not shown)", log_keys[i].count,
              log_keys[i].key, log_keys[i].count - LOG_REPEATS_SHOWN);
  }
}
