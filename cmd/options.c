/* Command-line options: parsing, validation and --help. */
#include "cmd/options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/log.h"

/* Checks this build can run. */
#define OPTIONS_CHECKS_AVAILABLE (LC_CHECK_SYNTAX)

enum {
  OPT_NO_HEADER = 256,
  OPT_CHECKS,
  OPT_ROLE_OK,
  OPT_DATA_DIR,
  OPT_ZSTD,
  OPT_NO_ZSTD,
  OPT_ZSTD_LEVEL,
  OPT_ZSTD_WORKERS,
  OPT_ZSTD_FRAME,
  OPT_MAX_ROWS,
  OPT_DEDUP_MEMORY,
  OPT_MAX_RECORD,
  OPT_LOG_LEVEL,
  OPT_SUMMARY
};

static const struct option options_long[] = {
    {"output", required_argument, NULL, 'o'},
    {"column", required_argument, NULL, 'c'},
    {"no-header", no_argument, NULL, OPT_NO_HEADER},
    {"delimiter", required_argument, NULL, 'd'},
    {"checks", required_argument, NULL, OPT_CHECKS},
    {"role-ok", no_argument, NULL, OPT_ROLE_OK},
    {"data-dir", required_argument, NULL, OPT_DATA_DIR},
    {"zstd", no_argument, NULL, OPT_ZSTD},
    {"no-zstd", no_argument, NULL, OPT_NO_ZSTD},
    {"zstd-level", required_argument, NULL, OPT_ZSTD_LEVEL},
    {"zstd-workers", required_argument, NULL, OPT_ZSTD_WORKERS},
    {"zstd-frame", required_argument, NULL, OPT_ZSTD_FRAME},
    {"max-rows-in-flight", required_argument, NULL, OPT_MAX_ROWS},
    {"dedup-memory", required_argument, NULL, OPT_DEDUP_MEMORY},
    {"max-record-size", required_argument, NULL, OPT_MAX_RECORD},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"summary", no_argument, NULL, OPT_SUMMARY},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0}};

void lc_options_print_help(void)
{
  fputs(
      "Usage: listclean [OPTIONS] INPUT\n"
      "\n"
      "Check every email address of a CSV export and write the rows back,\n"
      "in input order, with verdict columns appended. INPUT is a CSV file\n"
      "or - for standard input; zstd-compressed input is detected by its\n"
      "content. The output is zstd-compressed when its name ends in .zst.\n"
      "\n"
      "Input and output:\n"
      "  -o, --output FILE        write to FILE (default: standard output)\n"
      "  -c, --column NAME|NUMBER address column, by header name or 1-based\n"
      "                           number (default: found by header name such\n"
      "                           as email or \"Email Address\", else by "
      "content)\n"
      "      --no-header          the first row is data, not a header\n"
      "  -d, --delimiter C        field delimiter: , ; | or tab (default:\n"
      "                           detected from the first line)\n"
      "      --zstd               compress the output whatever its name\n"
      "      --no-zstd            never compress the output\n"
      "      --zstd-level N       compression level, 1 to 22 (default 3)\n"
      "      --zstd-workers N     zstd compression threads, 0 to 64 "
      "(default 0:\n"
      "                           compress on the main thread)\n"
      "      --zstd-frame MIB     end a zstd frame after this many MiB of "
      "CSV,\n"
      "                           so a killed run leaves a readable prefix\n"
      "                           (default 4)\n"
      "\n"
      "Checks:\n"
      "      --checks LIST        comma-separated checks to run, among\n"
      "                           syntax (always on), dns, smtp, identity,\n"
      "                           or all (default: all that this build has;\n"
      "                           this build has: syntax)\n"
      "      --role-ok            keep accepted role accounts (info@, "
      "sales@)\n"
      "                           deliverable instead of risky\n"
      "      --data-dir DIR       read extra entries for the built-in lists\n"
      "                           from DIR/roles.txt, DIR/disposable.txt,\n"
      "                           DIR/free.txt and DIR/popular.txt\n"
      "\n"
      "Limits:\n"
      "      --max-rows-in-flight N  rows read but not yet written "
      "(default\n"
      "                           20000); bounds memory\n"
      "      --dedup-memory MIB   memory for duplicate detection (default "
      "32,\n"
      "                           about 8 million distinct addresses)\n"
      "      --max-record-size MIB  largest CSV record; a quoted field that\n"
      "                           stays open longer is treated as malformed\n"
      "                           (default 16)\n"
      "\n"
      "Messages:\n"
      "      --log-level LEVEL    error, warn, info, debug or trace "
      "(default warn)\n"
      "      --summary            print rows per status and reason to "
      "stderr\n"
      "                           at the end\n"
      "  -q, --quiet              print errors only\n"
      "  -h, --help               print this help and exit\n"
      "  -V, --version            print the version and exit\n"
      "\n"
      "Exit status: 0 done, 1 usage error, 2 input or output error,\n"
      "3 stopped early.\n",
      stdout);
}

static enum lc_status options_number(const char *name, const char *value,
                                     unsigned long long min,
                                     unsigned long long max,
                                     unsigned long long *out)
{
  char *end;
  unsigned long long v;

  errno = 0;
  v = strtoull(value, &end, 10);
  if (errno != 0 || end == value || *end != '\0' || value[0] == '-' ||
      v < min || v > max) {
    fprintf(stderr,
            "listclean: invalid value '%s' for %s: expected a whole number "
            "from %llu to %llu\n",
            value, name, min, max);
    return LC_ERR_INVALID;
  }
  *out = v;
  return LC_OK;
}

static enum lc_status options_delimiter(const char *value, char *out)
{
  if (strcmp(value, "tab") == 0 || strcmp(value, "\\t") == 0 ||
      strcmp(value, "\t") == 0) {
    *out = '\t';
    return LC_OK;
  }
  if (strlen(value) == 1 && value[0] != '"' && value[0] != '\r' &&
      value[0] != '\n') {
    *out = value[0];
    return LC_OK;
  }
  fprintf(stderr,
          "listclean: invalid value '%s' for --delimiter: give one "
          "character such as , ; | or the word tab\n",
          value);
  return LC_ERR_INVALID;
}

static enum lc_status options_checks(const char *value, unsigned *out)
{
  static const struct {
    const char *name;
    unsigned flag;
  } names[] = {{"syntax", LC_CHECK_SYNTAX},
               {"dns", LC_CHECK_DNS},
               {"smtp", LC_CHECK_SMTP | LC_CHECK_DNS},
               {"identity", LC_CHECK_IDENTITY},
               {"all", LC_CHECK_SYNTAX | LC_CHECK_DNS | LC_CHECK_SMTP |
                           LC_CHECK_IDENTITY}};
  char buf[256];
  unsigned checks = LC_CHECK_SYNTAX;

  snprintf(buf, sizeof(buf), "%s", value);
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok != NULL;
       tok = strtok_r(NULL, ",", &save)) {
    size_t i;
    for (i = 0; i < sizeof(names) / sizeof(*names); i++)
      if (strcmp(tok, names[i].name) == 0)
        break;
    if (i == sizeof(names) / sizeof(*names)) {
      fprintf(stderr,
              "listclean: unknown check '%s' in --checks %s: choose among "
              "syntax, dns, smtp, identity and all\n",
              tok, value);
      return LC_ERR_INVALID;
    }
    checks |= names[i].flag;
  }
  if (strcmp(value, "all") == 0)
    checks &= OPTIONS_CHECKS_AVAILABLE;
  if (checks & ~OPTIONS_CHECKS_AVAILABLE) {
    fprintf(stderr,
            "listclean: --checks %s asks for a check this build does not "
            "have; this build has: syntax\n",
            value);
    return LC_ERR_INVALID;
  }
  *out = checks;
  return LC_OK;
}

/* Handle one option that takes a number; returns LC_ERR_NOTFOUND when C
 * is not such an option. */
static enum lc_status options_numeric(int c, const char *arg,
                                      struct lc_job_options *o)
{
  unsigned long long v = 0;
  enum lc_status s;

  switch (c) {
  case OPT_ZSTD_LEVEL:
    s = options_number("--zstd-level", arg, 1, 22, &v);
    o->zstd_level = (int)v;
    return s;
  case OPT_ZSTD_WORKERS:
    s = options_number("--zstd-workers", arg, 0, 64, &v);
    o->zstd_workers = (int)v;
    return s;
  case OPT_ZSTD_FRAME:
    s = options_number("--zstd-frame", arg, 1, 1024, &v);
    o->frame_bytes = (size_t)v << 20;
    return s;
  case OPT_MAX_ROWS:
    s = options_number("--max-rows-in-flight", arg, 1, 10000000, &v);
    o->max_rows_in_flight = (size_t)v;
    return s;
  case OPT_DEDUP_MEMORY:
    s = options_number("--dedup-memory", arg, 1, 65536, &v);
    o->dedup_memory = (size_t)v << 20;
    return s;
  case OPT_MAX_RECORD:
    s = options_number("--max-record-size", arg, 1, 4096, &v);
    o->max_record_bytes = (size_t)v << 20;
    return s;
  }
  return LC_ERR_NOTFOUND;
}

static enum lc_status options_one(int c, const char *arg,
                                  struct lc_job_options *o,
                                  enum lc_options_action *action)
{
  enum lc_log_level level;
  enum lc_status s = options_numeric(c, arg, o);

  if (s != LC_ERR_NOTFOUND)
    return s;
  switch (c) {
  case 'o':
    o->output = arg;
    return LC_OK;
  case 'c':
    o->column = arg;
    return LC_OK;
  case OPT_NO_HEADER:
    o->no_header = true;
    return LC_OK;
  case 'd':
    return options_delimiter(arg, &o->delimiter);
  case OPT_CHECKS:
    return options_checks(arg, &o->checks);
  case OPT_ROLE_OK:
    o->role_ok = true;
    return LC_OK;
  case OPT_DATA_DIR:
    o->data_dir = arg;
    return LC_OK;
  case OPT_ZSTD:
    o->compress = 1;
    return LC_OK;
  case OPT_NO_ZSTD:
    o->compress = 0;
    return LC_OK;
  case OPT_LOG_LEVEL:
    if (!lc_log_parse_level(arg, &level)) {
      fprintf(stderr,
              "listclean: invalid value '%s' for --log-level: choose "
              "error, warn, info, debug or trace\n",
              arg);
      return LC_ERR_INVALID;
    }
    lc_log_set_level(level);
    return LC_OK;
  case OPT_SUMMARY:
    o->summary = true;
    return LC_OK;
  case 'q':
    lc_log_set_level(LC_LOG_ERROR);
    return LC_OK;
  case 'h':
    *action = LC_ACTION_HELP;
    return LC_OK;
  case 'V':
    *action = LC_ACTION_VERSION;
    return LC_OK;
  }
  fprintf(stderr, "listclean: try 'listclean --help' for the options\n");
  return LC_ERR_INVALID;
}

enum lc_status lc_options_parse(int argc, char **argv,
                                struct lc_job_options *o,
                                enum lc_options_action *action)
{
  int c;

  *action = LC_ACTION_RUN;
  o->checks = OPTIONS_CHECKS_AVAILABLE;
  optind = 1;
  while ((c = getopt_long(argc, argv, "o:c:d:qhV", options_long, NULL)) !=
         -1) {
    if (options_one(c, optarg, o, action) != LC_OK)
      return LC_ERR_INVALID;
  }
  if (*action != LC_ACTION_RUN)
    return LC_OK;
  if (optind != argc - 1) {
    fprintf(stderr, "listclean: %s; usage: listclean [OPTIONS] INPUT "
                    "(INPUT - reads standard input; see --help)\n",
            optind == argc ? "missing INPUT" : "more than one INPUT given");
    return LC_ERR_INVALID;
  }
  o->input = argv[optind];
  return LC_OK;
}
