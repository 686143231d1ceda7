/* Command-line options: parsing, validation and --help. */
#include "cmd/options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "engine/log.h"

/* Checks this build can run. */
#define OPTIONS_CHECKS_AVAILABLE                                               \
  (LC_CHECK_SYNTAX | LC_CHECK_DNS | LC_CHECK_SMTP | LC_CHECK_IDENTITY)

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
  OPT_MAX_SPILL,
  OPT_SPILL_DIR,
  OPT_DEDUP_MEMORY,
  OPT_MAX_RECORD,
  OPT_LOG_LEVEL,
  OPT_SUMMARY,
  OPT_DNS_SERVER,
  OPT_DNS_TIMEOUT,
  OPT_DNS_TRIES,
  OPT_DNS_CONCURRENCY,
  OPT_ALLOW_PRIVATE_MX,
  OPT_MAX_DOMAINS,
  OPT_SMTP_PORT,
  OPT_HELO,
  OPT_FROM,
  OPT_CONNECT_TIMEOUT,
  OPT_COMMAND_TIMEOUT,
  OPT_RCPT_PER_SESSION,
  OPT_MAX_CONNECTIONS,
  OPT_PER_MX_CONNECTIONS,
  OPT_CONNECT_RATE,
  OPT_RCPT_RATE,
  OPT_GREYLIST_RETRY,
  OPT_GREYLIST_MAX_WAIT,
  OPT_NO_STARTTLS,
  OPT_SEED,
  OPT_IDENTITY_URL,
  OPT_CA_FILE,
  OPT_IDENTITY_RATE,
  OPT_IDENTITY_RETRY,
  OPT_BACKOFF,
  OPT_PROGRESS,
  OPT_REPORT,
  OPT_STOP_DEADLINE,
  OPT_FINISH_ON_STOP,
  OPT_RESUME
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
    {"max-spill", required_argument, NULL, OPT_MAX_SPILL},
    {"spill-dir", required_argument, NULL, OPT_SPILL_DIR},
    {"dedup-memory", required_argument, NULL, OPT_DEDUP_MEMORY},
    {"max-record-size", required_argument, NULL, OPT_MAX_RECORD},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"summary", no_argument, NULL, OPT_SUMMARY},
    {"dns-server", required_argument, NULL, OPT_DNS_SERVER},
    {"dns-timeout", required_argument, NULL, OPT_DNS_TIMEOUT},
    {"dns-tries", required_argument, NULL, OPT_DNS_TRIES},
    {"dns-concurrency", required_argument, NULL, OPT_DNS_CONCURRENCY},
    {"allow-private-mx", no_argument, NULL, OPT_ALLOW_PRIVATE_MX},
    {"max-domains", required_argument, NULL, OPT_MAX_DOMAINS},
    {"smtp-port", required_argument, NULL, OPT_SMTP_PORT},
    {"helo", required_argument, NULL, OPT_HELO},
    {"from", required_argument, NULL, OPT_FROM},
    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
    {"command-timeout", required_argument, NULL, OPT_COMMAND_TIMEOUT},
    {"rcpt-per-session", required_argument, NULL, OPT_RCPT_PER_SESSION},
    {"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS},
    {"per-mx-connections", required_argument, NULL, OPT_PER_MX_CONNECTIONS},
    {"connect-rate", required_argument, NULL, OPT_CONNECT_RATE},
    {"rcpt-rate", required_argument, NULL, OPT_RCPT_RATE},
    {"greylist-retry", required_argument, NULL, OPT_GREYLIST_RETRY},
    {"greylist-max-wait", required_argument, NULL, OPT_GREYLIST_MAX_WAIT},
    {"no-starttls", no_argument, NULL, OPT_NO_STARTTLS},
    {"seed", required_argument, NULL, OPT_SEED},
    {"identity-url", required_argument, NULL, OPT_IDENTITY_URL},
    {"ca-file", required_argument, NULL, OPT_CA_FILE},
    {"identity-rate", required_argument, NULL, OPT_IDENTITY_RATE},
    {"identity-retry", required_argument, NULL, OPT_IDENTITY_RETRY},
    {"backoff", required_argument, NULL, OPT_BACKOFF},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"report", required_argument, NULL, OPT_REPORT},
    {"stop-deadline", required_argument, NULL, OPT_STOP_DEADLINE},
    {"finish-on-stop", no_argument, NULL, OPT_FINISH_ON_STOP},
    {"resume", no_argument, NULL, OPT_RESUME},
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
      "                           this build has all four); smtp implies "
      "dns,\n"
      "                           identity needs smtp\n"
      "\n"
      "DNS:\n"
      "      --dns-server HOST[:PORT]  DNS server to ask, an IP address; "
      "repeat\n"
      "                           for several, up to 8 (default: the "
      "servers\n"
      "                           of /etc/resolv.conf)\n"
      "      --dns-timeout SEC    wait for one DNS answer (default 5)\n"
      "      --dns-tries N        sends per query before giving up "
      "(default 3)\n"
      "      --dns-concurrency N  DNS queries in flight (default 256)\n"
      "      --allow-private-mx   treat loopback and private MX addresses "
      "as\n"
      "                           reachable (for test networks); without "
      "it\n"
      "                           such domains are risky/unreachable_mx\n"
      "      --max-domains N      domains kept in memory with their "
      "evidence\n"
      "                           (default 200000)\n"
      "\n"
      "SMTP (never sends DATA; set --helo and --from for real runs):\n"
      "      --smtp-port N        port of the mail servers (default 25)\n"
      "      --helo NAME          EHLO name; use a name whose A record "
      "and\n"
      "                           PTR match the address you connect from\n"
      "                           (default: this host's name)\n"
      "      --from ADDRESS       MAIL FROM address, on a domain whose SPF\n"
      "                           allows this host (default: verify@ the "
      "EHLO\n"
      "                           name)\n"
      "      --connect-timeout SEC  per address (default 30)\n"
      "      --command-timeout SEC  per reply (default 60)\n"
      "      --rcpt-per-session N RCPT commands per connection "
      "(default 20)\n"
      "      --max-connections N  open SMTP connections in all "
      "(default 2000)\n"
      "      --per-mx-connections N  open connections per mail host "
      "(default 4)\n"
      "      --connect-rate N     new connections per second per mail "
      "host\n"
      "                           (default 2)\n"
      "      --rcpt-rate N        RCPT commands per minute per mail host\n"
      "                           (default 300)\n"
      "      --backoff SEC        pause a mail host after 421 or \"too "
      "many\"\n"
      "                           replies or a failed connection, doubled\n"
      "                           on each repeat up to 10 minutes (default\n"
      "                           30)\n"
      "      --greylist-retry SEC wait before asking a greylisted or "
      "deferred\n"
      "                           address again (default 300)\n"
      "      --greylist-max-wait SEC  give up on deferrals after this long\n"
      "                           (default 1800): unknown/greylisted\n"
      "      --no-starttls        never upgrade SMTP connections to TLS\n"
      "      --seed N             seed for the random catch-all local "
      "parts\n"
      "                           (default: from the clock)\n"
      "\n"
      "Identity (Microsoft Entra ID realm and account discovery, used "
      "only\n"
      "where SMTP cannot decide):\n"
      "      --identity-url URL   base URL of the identity service "
      "(default\n"
      "                           https://login.microsoftonline.com)\n"
      "      --ca-file FILE       extra trusted CA certificates (PEM) for "
      "the\n"
      "                           identity service; certificates are "
      "always\n"
      "                           verified\n"
      "      --identity-rate N    requests per second to the identity "
      "service\n"
      "                           (default 5)\n"
      "      --identity-retry SEC wait before asking again after a "
      "throttled\n"
      "                           identity answer, doubled for each later\n"
      "                           resend, 0.001 to 3600 (default 2);\n"
      "                           a Retry-After header from the service "
      "sets\n"
      "                           the wait instead, up to 300 s or SEC if "
      "longer\n"
      "\n"
      "Lists:\n"
      "      --role-ok            keep accepted role accounts (info@, "
      "sales@)\n"
      "                           deliverable instead of risky\n"
      "      --data-dir DIR       read extra entries for the built-in lists\n"
      "                           from DIR/roles.txt, DIR/disposable.txt,\n"
      "                           DIR/free.txt and DIR/popular.txt\n"
      "\n"
      "Limits:\n"
      "      --max-rows-in-flight N  rows held in memory, read but not "
      "yet\n"
      "                           written (default 20000); bounds memory\n"
      "      --max-spill MIB      disk for finished rows that wait behind a\n"
      "                           slow one, so that reading goes on\n"
      "                           (default 4096; 0 keeps them in memory and\n"
      "                           reading waits)\n"
      "      --spill-dir DIR      directory of that file, checked at the\n"
      "                           start (default $TMPDIR, else /tmp)\n"
      "      --dedup-memory MIB   memory for duplicate detection (default "
      "32,\n"
      "                           about 8 million distinct addresses)\n"
      "      --max-record-size MIB  largest CSV record; a quoted field that\n"
      "                           stays open longer is treated as malformed\n"
      "                           (default 16)\n"
      "\n"
      "Stopping and resuming:\n"
      "      --stop-deadline SEC  after SIGINT or SIGTERM, wait this long "
      "for\n"
      "                           the rows in flight (default 10); a "
      "second\n"
      "                           signal exits at once\n"
      "      --finish-on-stop     write the rows still in flight at the\n"
      "                           deadline as unknown/not_checked (default:\n"
      "                           leave them out, so --resume can check "
      "them)\n"
      "      --resume             keep the complete rows of an output that "
      "a\n"
      "                           stopped or killed run left, and append "
      "the\n"
      "                           rest; without such an output, start from\n"
      "                           the first row\n"
      "\n"
      "Messages:\n"
      "      --progress           show the progress line even when stderr "
      "is\n"
      "                           not a terminal (default: only on a "
      "terminal)\n"
      "      --report FILE        write counts, timings and options as "
      "JSON to\n"
      "                           FILE when the run ends, however it ends\n"
      "      --log-level LEVEL    error, warn, info, debug or trace "
      "(default\n"
      "                           warn); info logs one line per row\n"
      "      --summary            print rows per status and reason to "
      "stderr\n"
      "                           at the end\n"
      "  -q, --quiet              print errors only, no progress line\n"
      "  -h, --help               print this help and exit\n"
      "  -V, --version            print the version and exit\n"
      "\n"
      "Exit status: 0 done, 1 usage error, 2 input or output error,\n"
      "3 stopped early (by SIGINT or SIGTERM).\n",
      stdout);
}

static enum lc_status options_number(const char *name, const char *value,
                                     unsigned long long min,
                                     unsigned long long max,
                                     unsigned long long *out)
{
  char *end;
  unsigned long long v;

  /* Digits only: strtoull alone takes blanks, signs and "-1". */
  errno = 0;
  v = strtoull(value, &end, 10);
  if (value[strspn(value, "0123456789")] != '\0' || errno != 0 ||
      end == value || *end != '\0' || v < min || v > max) {
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
  if (strlen(value) == 1 && ispunct((unsigned char)value[0]) &&
      value[0] != '"') {
    *out = value[0];
    return LC_OK;
  }
  fprintf(stderr,
          "listclean: invalid value '%s' for --delimiter: give one "
          "punctuation character other than the quote, such as , ; | or "
          "the word tab\n",
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

  if (strspn(value, ", ") == strlen(value)) {
    fprintf(stderr, "listclean: --checks needs at least one of syntax, dns, "
                    "smtp, identity and all\n");
    return LC_ERR_INVALID;
  }
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
            "have\n",
            value);
    return LC_ERR_INVALID;
  }
  *out = checks;
  return LC_OK;
}

/* Parse VALUE as seconds (decimals allowed) from MIN_MS to MAX_MS and
 * store milliseconds in *OUT. */
static enum lc_status options_seconds(const char *name, const char *value,
                                      unsigned min_ms, unsigned max_ms,
                                      unsigned *out)
{
  char *end;
  double v;

  /* Digits and a decimal point only: strtod alone takes blanks, signs,
   * exponents, hexadecimal and "nan". */
  errno = 0;
  v = strtod(value, &end);
  if (value[strspn(value, "0123456789.")] != '\0' || errno != 0 ||
      end == value || *end != '\0' ||
      !(v * 1000 >= min_ms && v * 1000 <= max_ms)) {
    fprintf(stderr,
            "listclean: invalid value '%s' for %s: expected seconds from "
            "%g to %g\n",
            value, name, min_ms / 1000.0, max_ms / 1000.0);
    return LC_ERR_INVALID;
  }
  *out = (unsigned)(v * 1000 + 0.5);
  return LC_OK;
}

/* Network options that take a number or a duration. */
static enum lc_status options_network_number(int c, const char *arg,
                                             struct lc_job_options *o)
{
  unsigned long long v = 0;
  enum lc_status s;

  switch (c) {
  case OPT_DNS_TIMEOUT:
    return options_seconds("--dns-timeout", arg, 1, 600000, &o->dns_timeout_ms);
  case OPT_DNS_TRIES:
    s = options_number("--dns-tries", arg, 1, 20, &v);
    o->dns_tries = (unsigned)v;
    return s;
  case OPT_DNS_CONCURRENCY:
    s = options_number("--dns-concurrency", arg, 1, 65536, &v);
    o->dns_concurrency = (unsigned)v;
    return s;
  case OPT_MAX_DOMAINS:
    s = options_number("--max-domains", arg, 1, 100000000, &v);
    o->max_domains = (size_t)v;
    return s;
  case OPT_SMTP_PORT:
    s = options_number("--smtp-port", arg, 1, 65535, &v);
    o->smtp_port = (unsigned)v;
    return s;
  case OPT_CONNECT_TIMEOUT:
    return options_seconds("--connect-timeout", arg, 1, 3600000,
                           &o->connect_timeout_ms);
  case OPT_COMMAND_TIMEOUT:
    return options_seconds("--command-timeout", arg, 1, 3600000,
                           &o->command_timeout_ms);
  case OPT_RCPT_PER_SESSION:
    s = options_number("--rcpt-per-session", arg, 1, 1000, &v);
    o->rcpt_per_session = (unsigned)v;
    return s;
  case OPT_MAX_CONNECTIONS:
    s = options_number("--max-connections", arg, 1, 1000000, &v);
    o->max_connections = (unsigned)v;
    return s;
  case OPT_PER_MX_CONNECTIONS:
    s = options_number("--per-mx-connections", arg, 1, 10000, &v);
    o->per_mx_connections = (unsigned)v;
    return s;
  case OPT_CONNECT_RATE:
    s = options_number("--connect-rate", arg, 1, 1000000, &v);
    o->connects_per_sec = (double)v;
    return s;
  case OPT_RCPT_RATE:
    s = options_number("--rcpt-rate", arg, 1, 100000000, &v);
    o->rcpts_per_min = (double)v;
    return s;
  case OPT_BACKOFF:
    return options_seconds("--backoff", arg, 1, 3600000, &o->backoff_ms);
  case OPT_GREYLIST_RETRY:
    return options_seconds("--greylist-retry", arg, 1, 86400000,
                           &o->greylist_retry_ms);
  case OPT_GREYLIST_MAX_WAIT:
    return options_seconds("--greylist-max-wait", arg, 1, 604800000,
                           &o->greylist_max_wait_ms);
  case OPT_SEED:
    s = options_number("--seed", arg, 1, UINT64_MAX, &v);
    o->seed = v;
    return s;
  case OPT_IDENTITY_RATE:
    s = options_number("--identity-rate", arg, 1, 10000, &v);
    o->identity_rate = (double)v;
    return s;
  case OPT_IDENTITY_RETRY:
    return options_seconds("--identity-retry", arg, 1, 3600000,
                           &o->identity_retry_ms);
  case OPT_STOP_DEADLINE:
    return options_seconds("--stop-deadline", arg, 0, 86400000,
                           &o->stop_deadline_ms);
  }
  return LC_ERR_NOTFOUND;
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
  case OPT_MAX_SPILL:
    s = options_number("--max-spill", arg, 0, 1048576, &v);
    o->max_spill_bytes = (uint64_t)v << 20;
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
  return options_network_number(c, arg, o);
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
  case OPT_SPILL_DIR:
    o->spill_dir = arg;
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
  case OPT_DNS_SERVER:
    if (o->ndns_servers == sizeof(o->dns_servers) / sizeof(*o->dns_servers)) {
      fprintf(stderr, "listclean: too many --dns-server options: at most "
                      "8\n");
      return LC_ERR_INVALID;
    }
    o->dns_servers[o->ndns_servers++] = arg;
    return LC_OK;
  case OPT_ALLOW_PRIVATE_MX:
    o->allow_private_mx = true;
    return LC_OK;
  case OPT_HELO:
    o->helo_name = arg;
    return LC_OK;
  case OPT_FROM:
    o->mail_from = arg;
    return LC_OK;
  case OPT_NO_STARTTLS:
    o->no_starttls = true;
    return LC_OK;
  case OPT_IDENTITY_URL:
    o->identity_url = arg;
    return LC_OK;
  case OPT_CA_FILE:
    o->ca_file = arg;
    return LC_OK;
  case OPT_PROGRESS:
    o->progress = 1;
    return LC_OK;
  case OPT_REPORT:
    o->report_path = arg;
    return LC_OK;
  case OPT_FINISH_ON_STOP:
    o->finish_on_stop = true;
    return LC_OK;
  case OPT_RESUME:
    o->resume = true;
    return LC_OK;
  case 'q':
    o->quiet = true;
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

enum lc_status lc_options_parse(int argc, char **argv, struct lc_job_options *o,
                                enum lc_options_action *action)
{
  int c;

  *action = LC_ACTION_RUN;
  o->checks = OPTIONS_CHECKS_AVAILABLE;
  optind = 1;
  while ((c = getopt_long(argc, argv, "o:c:d:qhV", options_long, NULL)) != -1) {
    if (options_one(c, optarg, o, action) != LC_OK)
      return LC_ERR_INVALID;
  }
  if (*action != LC_ACTION_RUN)
    return LC_OK;
  if (optind != argc - 1) {
    fprintf(stderr,
            "listclean: %s; usage: listclean [OPTIONS] INPUT "
            "(INPUT - reads standard input; see --help)\n",
            optind == argc ? "missing INPUT" : "more than one INPUT given");
    return LC_ERR_INVALID;
  }
  o->input = argv[optind];
  if (o->report_path != NULL && strcmp(o->report_path, "-") == 0) {
    fprintf(stderr, "listclean: --report needs a file name, not -\n");
    return LC_ERR_INVALID;
  }
  if ((o->checks & LC_CHECK_IDENTITY) && !(o->checks & LC_CHECK_SMTP)) {
    fprintf(stderr, "listclean: --checks identity needs smtp too: identity "
                    "lookups decide only what the SMTP probe leaves open; "
                    "use --checks syntax,dns,smtp,identity\n");
    return LC_ERR_INVALID;
  }
  return LC_OK;
}
