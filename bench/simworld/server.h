/* State shared by the servers of `simworld serve`. */
#ifndef SIM_SERVER_H
#define SIM_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <openssl/ssl.h>
#include <uv.h>

#include "bench/simworld/rng.h"
#include "bench/simworld/world.h"

/* Which certificate the HTTPS server presents. */
enum sim_https_cert {
  SIM_CERT_GOOD,      /* localhost and 127.0.0.1, signed by the test CA */
  SIM_CERT_EXPIRED,   /* same names, validity ended yesterday */
  SIM_CERT_WRONG_NAME /* valid, but for wrong-name.invalid only */
};

struct sim_serve_config {
  const char *world_dir;
  const char *dns_host; /* loopback address of the DNS server */
  int dns_port;
  int smtp_port;
  int https_port;
  unsigned latency_ms, jitter_ms; /* added before every SMTP reply */
  const char *stats_path;
  unsigned greylist_s;   /* greylisting lasts this long per recipient */
  unsigned conn_limit;   /* connlimit hosts: max concurrent connections */
  unsigned rcpt_limit;   /* rcptlimit hosts: RCPTs per session */
  unsigned tarpit_ms;    /* tarpit hosts: delay of every reply */
  unsigned throttle_pct; /* identity answers throttled on first request */
  enum sim_https_cert https_cert;
  /* --rcpt-log FILE (one line per RCPT command), or NULL */
  const char *rcpt_log_path;
};

struct sim_dns_stats {
  uint64_t udp_queries, tcp_queries, truncated, dropped, malformed;
};

struct sim_https_stats {
  uint64_t connections, requests, realm, credential, throttled, errors;
};

struct sim_seen;

struct sim_server {
  uv_loop_t *loop;
  struct sim_world *world;
  struct sim_serve_config config;
  struct sim_rng rng; /* latency jitter only */
  SSL_CTX *smtp_tls;
  SSL_CTX *https_tls;
  struct sim_seen *greylist; /* first RCPT time per host, client, recipient */
  struct sim_seen *throttle; /* identity requests per account */
  struct sim_dns_stats dns_stats;
  struct sim_https_stats https_stats;
  uint64_t smtp_listeners;
  FILE *rcpt_log;    /* --rcpt-log, or NULL */
  uint64_t ready_ms; /* loop time when every listener was up */
};

#endif
