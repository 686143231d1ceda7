/* Logging of simworld to stderr: "simworld: LEVEL: message". Protocol
 * lines go to the trace level with ">>>" (sent) and "<<<" (received). */
#ifndef SIM_LOG_H
#define SIM_LOG_H

#include <stdbool.h>

enum sim_log_level {
  SIM_LOG_ERROR,
  SIM_LOG_WARN,
  SIM_LOG_INFO,
  SIM_LOG_DEBUG,
  SIM_LOG_TRACE
};

void sim_log_set_level(enum sim_log_level level);
bool sim_log_enabled(enum sim_log_level level);
void sim_log(enum sim_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define sim_log_error(...) sim_log(SIM_LOG_ERROR, __VA_ARGS__)
#define sim_log_warn(...) sim_log(SIM_LOG_WARN, __VA_ARGS__)
#define sim_log_info(...) sim_log(SIM_LOG_INFO, __VA_ARGS__)
#define sim_log_debug(...) sim_log(SIM_LOG_DEBUG, __VA_ARGS__)
#define sim_log_trace(...) sim_log(SIM_LOG_TRACE, __VA_ARGS__)

#endif
