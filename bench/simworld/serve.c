/* `simworld serve`: options, start-up, signals.
 *
 * Everything runs on one libuv loop. SIGTERM and SIGINT write the stats
 * file (when --stats is given) and stop the process with status 0; SIGUSR1
 * writes the stats file and keeps serving.
 */
#include "bench/simworld/serve.h"
#include "bench/simworld/cert.h"
#include "bench/simworld/dns.h"
#include "bench/simworld/https.h"
#include "bench/simworld/log.h"
#include "bench/simworld/server.h"
#include "bench/simworld/smtp.h"
#include "bench/simworld/stats.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PATH_LEN 4096

static const struct option serve_long_options[] = {
    {"world", required_argument, NULL, 'w'},
    {"dns", required_argument, NULL, 'd'},
    {"smtp-port", required_argument, NULL, 's'},
    {"https-port", required_argument, NULL, 'H'},
    {"latency-ms", required_argument, NULL, 'l'},
    {"stats", required_argument, NULL, 'S'},
    {"rcpt-log", required_argument, NULL, 'R'},
    {"greylist-s", required_argument, NULL, 'g'},
    {"conn-limit", required_argument, NULL, 'c'},
    {"rcpt-limit", required_argument, NULL, 'r'},
    {"tarpit-ms", required_argument, NULL, 't'},
    {"throttle-pct", required_argument, NULL, 'T'},
    {"https-cert", required_argument, NULL, 'C'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

static uv_signal_t signal_handles[3];

static void serve_usage(FILE *out)
{
  fprintf(out,
          "usage: simworld serve --world DIR [options]\n"
          "  --dns ADDR:PORT        DNS over UDP and TCP (default "
          "127.0.0.1:5300)\n"
          "  --smtp-port PORT       SMTP port on every MX address (default "
          "2525)\n"
          "  --https-port PORT      identity endpoints on 127.0.0.1 (default "
          "8443, 0 = off)\n"
          "  --latency-ms MEAN[,J]  delay before each SMTP reply, mean and "
          "jitter in ms\n"
          "  --stats FILE           JSON counters, on SIGUSR1 and at exit\n"
          "  --rcpt-log FILE        one line per RCPT: ms since ready, MX "
          "address,\n"
          "                         recipient, reply code\n"
          "  --greylist-s S         greylisting period (default 3 s)\n"
          "  --conn-limit K         concurrent connections before 421 "
          "(default 3)\n"
          "  --rcpt-limit K         RCPTs per session before 452 (default "
          "5)\n"
          "  --tarpit-ms D          tarpit delay per reply (default 1500)\n"
          "  --throttle-pct P       identity answers throttled once "
          "(default 10)\n"
          "  --https-cert KIND      good, expired or wrong-name (default "
          "good)\n"
          "  -v, --verbose          more logging; twice for protocol "
          "traces\n"
          "Every address is on loopback; nothing is sent elsewhere.\n");
}

static bool parse_uint(const char *arg, const char *option, unsigned max,
                       unsigned *out)
{
  char *end;
  errno = 0;
  unsigned long value = strtoul(arg, &end, 10);
  if (errno != 0 || end == arg || *end != '\0' || value > max) {
    fprintf(stderr, "simworld: invalid %s \"%s\"; expected 0 to %u\n", option,
            arg, max);
    return false;
  }
  *out = (unsigned)value;
  return true;
}

static bool parse_port(const char *arg, const char *option, int *out)
{
  unsigned port;
  if (!parse_uint(arg, option, 65535, &port))
    return false;
  *out = (int)port;
  return true;
}

/* Accept only IPv4 loopback addresses: the world must never be served on
 * an interface that other hosts can reach. */
static bool parse_dns(const char *arg, struct sim_serve_config *config)
{
  static char host[64];
  const char *colon = strrchr(arg, ':');
  struct in_addr in;
  size_t len = colon ? (size_t)(colon - arg) : 0;
  if (colon == NULL || len == 0 || len >= sizeof(host)) {
    fprintf(stderr, "simworld: invalid --dns \"%s\"; expected ADDR:PORT\n",
            arg);
    return false;
  }
  memcpy(host, arg, len);
  host[len] = '\0';
  if (inet_pton(AF_INET, host, &in) != 1 || (ntohl(in.s_addr) >> 24) != 127) {
    fprintf(stderr, "simworld: --dns address %s is not in 127.0.0.0/8\n", host);
    return false;
  }
  config->dns_host = host;
  return parse_port(colon + 1, "--dns port", &config->dns_port);
}

static bool parse_latency(const char *arg, struct sim_serve_config *config)
{
  char mean[32];
  const char *comma = strchr(arg, ',');
  size_t len = comma ? (size_t)(comma - arg) : strlen(arg);
  if (len >= sizeof(mean)) {
    fprintf(stderr, "simworld: invalid --latency-ms \"%s\"\n", arg);
    return false;
  }
  memcpy(mean, arg, len);
  mean[len] = '\0';
  config->jitter_ms = 0;
  return parse_uint(mean, "--latency-ms", 60000, &config->latency_ms) &&
         (comma == NULL || parse_uint(comma + 1, "--latency-ms jitter", 60000,
                                      &config->jitter_ms));
}

static bool parse_cert(const char *arg, struct sim_serve_config *config)
{
  if (strcmp(arg, "good") == 0)
    config->https_cert = SIM_CERT_GOOD;
  else if (strcmp(arg, "expired") == 0)
    config->https_cert = SIM_CERT_EXPIRED;
  else if (strcmp(arg, "wrong-name") == 0)
    config->https_cert = SIM_CERT_WRONG_NAME;
  else {
    fprintf(stderr,
            "simworld: invalid --https-cert \"%s\"; expected good, "
            "expired or wrong-name\n",
            arg);
    return false;
  }
  return true;
}

static bool parse_option(int opt, struct sim_serve_config *c, int *verbose)
{
  switch (opt) {
  case 'w':
    c->world_dir = optarg;
    return true;
  case 'd':
    return parse_dns(optarg, c);
  case 's':
    return parse_port(optarg, "--smtp-port", &c->smtp_port);
  case 'H':
    return parse_port(optarg, "--https-port", &c->https_port);
  case 'l':
    return parse_latency(optarg, c);
  case 'S':
    c->stats_path = optarg;
    return true;
  case 'R':
    c->rcpt_log_path = optarg;
    return true;
  case 'g':
    return parse_uint(optarg, "--greylist-s", 86400, &c->greylist_s);
  case 'c':
    return parse_uint(optarg, "--conn-limit", 100000, &c->conn_limit);
  case 'r':
    return parse_uint(optarg, "--rcpt-limit", 100000, &c->rcpt_limit);
  case 't':
    return parse_uint(optarg, "--tarpit-ms", 600000, &c->tarpit_ms);
  case 'T':
    return parse_uint(optarg, "--throttle-pct", 100, &c->throttle_pct);
  case 'C':
    return parse_cert(optarg, c);
  case 'v':
    (*verbose)++;
    return true;
  case 'h':
    serve_usage(stdout);
    exit(0);
  default:
    return false;
  }
}

static bool parse_serve_args(int argc, char **argv,
                             struct sim_serve_config *config)
{
  int opt, verbose = 0;
  *config = (struct sim_serve_config){.dns_host = "127.0.0.1",
                                      .dns_port = 5300,
                                      .smtp_port = 2525,
                                      .https_port = 8443,
                                      .greylist_s = 3,
                                      .conn_limit = 3,
                                      .rcpt_limit = 5,
                                      .tarpit_ms = 1500,
                                      .throttle_pct = 10};
  optind = 1;
  while ((opt = getopt_long(argc, argv, "v", serve_long_options, NULL)) != -1) {
    if (!parse_option(opt, config, &verbose))
      return false;
  }
  if (config->world_dir == NULL || optind != argc) {
    serve_usage(stderr);
    return false;
  }
  sim_log_set_level(verbose >= 2   ? SIM_LOG_TRACE
                    : verbose == 1 ? SIM_LOG_INFO
                                   : SIM_LOG_WARN);
  return true;
}

static void signal_cb(uv_signal_t *handle, int signum)
{
  struct sim_server *server = handle->data;
  if (server->config.stats_path != NULL)
    sim_stats_write(server, server->config.stats_path);
  if (server->rcpt_log != NULL)
    fflush(server->rcpt_log);
  if (signum == SIGUSR1)
    return;
  sim_log_info("signal %d: stopping", signum);
  uv_stop(server->loop);
}

static enum lc_status start_signals(struct sim_server *server)
{
  static const int signums[3] = {SIGTERM, SIGINT, SIGUSR1};
  signal(SIGPIPE, SIG_IGN);
  for (int i = 0; i < 3; i++) {
    uv_signal_init(server->loop, &signal_handles[i]);
    signal_handles[i].data = server;
    if (uv_signal_start(&signal_handles[i], signal_cb, signums[i]) != 0)
      return LC_ERR_IO;
  }
  return LC_OK;
}

static enum lc_status open_rcpt_log(struct sim_server *server)
{
  server->rcpt_log = fopen(server->config.rcpt_log_path, "w");
  if (server->rcpt_log == NULL) {
    sim_log_error("cannot open the RCPT log %s: %s",
                  server->config.rcpt_log_path, strerror(errno));
    return LC_ERR_IO;
  }
  return LC_OK;
}

static enum lc_status start_servers(struct sim_server *server)
{
  char path[PATH_LEN];
  snprintf(path, sizeof(path), "%s/world", server->config.world_dir);
  enum lc_status status = sim_world_load(path, &server->world);
  if (status == LC_OK)
    status = sim_cert_setup(server);
  if (status == LC_OK)
    status = start_signals(server);
  if (status == LC_OK)
    status = sim_dns_start(server);
  if (status == LC_OK)
    status = sim_smtp_start(server);
  if (status == LC_OK && server->config.https_port != 0)
    status = sim_https_start(server);
  if (status == LC_OK && server->config.rcpt_log_path != NULL)
    status = open_rcpt_log(server);
  return status;
}

int sim_serve_main(int argc, char **argv)
{
  static struct sim_server server;
  if (!parse_serve_args(argc, argv, &server.config))
    return 2;
  server.loop = uv_default_loop();
  sim_rng_seed(&server.rng, (uint64_t)time(NULL));
  if (start_servers(&server) != LC_OK)
    return 1;
  uv_update_time(server.loop);
  server.ready_ms = uv_now(server.loop);
  printf("simworld: ready dns=%s:%d smtp=%d https=%d mx=%llu\n",
         server.config.dns_host, server.config.dns_port,
         server.config.smtp_port, server.config.https_port,
         (unsigned long long)server.smtp_listeners);
  fflush(stdout);
  uv_run(server.loop, UV_RUN_DEFAULT);
  /* NOTE: handles stay open at exit; the process ends right after. */
  if (server.rcpt_log != NULL && fclose(server.rcpt_log) != 0) {
    sim_log_error("cannot write the RCPT log %s", server.config.rcpt_log_path);
    return 1;
  }
  return 0;
}
