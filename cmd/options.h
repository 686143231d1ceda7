/* Command-line parsing for listclean. */
#ifndef LC_OPTIONS_H
#define LC_OPTIONS_H

#include <stdbool.h>

#include "engine/job.h"
#include "engine/status.h"

enum lc_options_action { LC_ACTION_RUN, LC_ACTION_HELP, LC_ACTION_VERSION };

/* Parse ARGV into OPTIONS (already set to defaults). Returns LC_OK and the
 * action; on a usage error prints a message naming the option and value
 * to stderr and returns LC_ERR_INVALID. */
enum lc_status lc_options_parse(int argc, char **argv,
                                struct lc_job_options *options,
                                enum lc_options_action *action);

void lc_options_print_help(void);

#endif
