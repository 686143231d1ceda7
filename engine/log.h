/* Logging to stderr with levels.
 *
 * Lines look like "listclean: warn: message". Protocol traces use the
 * trace level with ">>>" for lines sent and "<<<" for lines received.
 * lc_log_warn_counted() collapses repeats of one warning key so that a
 * bad input with a million broken rows prints a handful of lines and a
 * count at exit.
 */
#ifndef LC_LOG_H
#define LC_LOG_H

#include <stdbool.h>

enum lc_log_level {
  LC_LOG_ERROR,
  LC_LOG_WARN,
  LC_LOG_INFO,
  LC_LOG_DEBUG,
  LC_LOG_TRACE
};

void lc_log_set_level(enum lc_log_level level);
enum lc_log_level lc_log_get_level(void);
/* Parse "error", "warn", "info", "debug" or "trace". Returns false and
 * leaves *level alone for anything else. */
bool lc_log_parse_level(const char *name, enum lc_log_level *level);
bool lc_log_enabled(enum lc_log_level level);

#if defined(__GNUC__)
#define LC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define LC_PRINTF(a, b)
#endif

void lc_log(enum lc_log_level level, const char *fmt, ...) LC_PRINTF(2, 3);

/* Log a warning for KEY (a static string naming the kind of problem) the
 * first few times it happens, then only count it. */
void lc_log_warn_counted(const char *key, const char *fmt, ...) LC_PRINTF(2, 3);
/* Print one line per warning key that was suppressed, with its count. */
void lc_log_flush_counts(void);

#define lc_error(...) lc_log(LC_LOG_ERROR, __VA_ARGS__)
#define lc_warn(...) lc_log(LC_LOG_WARN, __VA_ARGS__)
#define lc_info(...) lc_log(LC_LOG_INFO, __VA_ARGS__)
#define lc_debug(...) lc_log(LC_LOG_DEBUG, __VA_ARGS__)
#define lc_trace(...) lc_log(LC_LOG_TRACE, __VA_ARGS__)

#endif
