/* Helpers for the DNS tests: a callback that records results, a loop
 * runner with a deadline, DNS wire-format encoding, and an NSD instance
 * on 127.0.0.1 with its own configuration, zone and state in a temporary
 * directory.
 *
 * NSD runs in the foreground as a child of the test (nsd -d) and gets
 * SIGTERM when the test process dies (PR_SET_PDEATHSIG), so it is stopped
 * also when a test crashes before its teardown.
 */
#ifndef LC_TEST_DNS_FIXTURE_H
#define LC_TEST_DNS_FIXTURE_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "engine/dns.h"
#include "engine/netaddr.h"

#define REC_HOSTS_MAX 72
#define REC_ADDRS_TEXT 512

/* Copy of one lc_dns_result, taken inside the callback. */
struct rec_result {
  int calls;
  char domain[LC_DNS_NAME_MAX + 1];
  enum lc_dns_outcome outcome;
  bool implicit;
  char error[256];
  size_t nhosts;
  char hosts[REC_HOSTS_MAX][LC_DNS_NAME_MAX + 1];
  unsigned prefs[REC_HOSTS_MAX];
  /* addresses of each host as "127.0.0.1,::1" */
  char addrs[REC_HOSTS_MAX][REC_ADDRS_TEXT];
  bool port_nonzero; /* some address had a port set */
};

/* Counter shared by all recorders of one test, so the loop runner can
 * wait for N callbacks. */
static int rec_total;

static inline void rec_copy(struct rec_result *rec,
                            const struct lc_dns_result *r)
{
  snprintf(rec->domain, sizeof(rec->domain), "%s", r->domain);
  rec->outcome = r->outcome;
  rec->implicit = r->implicit;
  snprintf(rec->error, sizeof(rec->error), "%s", r->error);
  rec->nhosts = r->nhosts;
  for (size_t i = 0; i < r->nhosts && i < REC_HOSTS_MAX; i++) {
    const struct lc_dns_host *host = &r->hosts[i];
    snprintf(rec->hosts[i], sizeof(rec->hosts[i]), "%s", host->name);
    rec->prefs[i] = host->preference;
    rec->addrs[i][0] = '\0';
    for (size_t j = 0; j < host->naddrs; j++) {
      const struct sockaddr *sa = (const struct sockaddr *)&host->addrs[j];
      char text[LC_NETADDR_TEXT_MAX];
      lc_netaddr_format(sa, false, text, sizeof(text));
      if (j > 0)
        strncat(rec->addrs[i], ",",
                sizeof(rec->addrs[i]) - strlen(rec->addrs[i]) - 1);
      strncat(rec->addrs[i], text,
              sizeof(rec->addrs[i]) - strlen(rec->addrs[i]) - 1);
      in_port_t port = sa->sa_family == AF_INET
                           ? ((const struct sockaddr_in *)sa)->sin_port
                           : ((const struct sockaddr_in6 *)sa)->sin6_port;
      if (port != 0)
        rec->port_nonzero = true;
    }
  }
}

/* lc_dns_cb that copies the result into the struct rec_result ARG. */
static inline void rec_cb(void *arg, const struct lc_dns_result *result)
{
  struct rec_result *rec = arg;

  rec->calls++;
  rec_total++;
  rec_copy(rec, result);
}

static bool run_deadline_hit;

static inline void run_deadline_cb(uv_timer_t *timer)
{
  (void)timer;
  run_deadline_hit = true;
}

/* Run LOOP until rec_total reaches EXPECTED or MS milliseconds pass.
 * Returns true when the count was reached. */
static inline bool run_until(uv_loop_t *loop, int expected, unsigned ms)
{
  uv_timer_t deadline;

  run_deadline_hit = false;
  uv_timer_init(loop, &deadline);
  uv_timer_start(&deadline, run_deadline_cb, ms, 0);
  while (rec_total < expected && !run_deadline_hit)
    uv_run(loop, UV_RUN_ONCE);
  uv_close((uv_handle_t *)&deadline, NULL);
  uv_run(loop, UV_RUN_NOWAIT);
  if (rec_total < expected)
    fprintf(stderr, "# run_until: %d of %d callbacks after %u ms\n", rec_total,
            expected, ms);
  return rec_total >= expected;
}

/* Run LOOP to its end and close it; fails when a handle is left. */
static inline int finish_loop(uv_loop_t *loop)
{
  int rc = uv_run(loop, UV_RUN_DEFAULT);

  if (rc != 0)
    return rc;
  return uv_loop_close(loop);
}

/* ---- DNS wire format ---- */

/* Append NAME ("a.b.c") as labels to BUF at *LEN. */
static inline void dns_put_name(unsigned char *buf, size_t *len,
                                const char *name)
{
  const char *p = name;

  while (*p != '\0') {
    const char *dot = strchr(p, '.');
    size_t label = dot ? (size_t)(dot - p) : strlen(p);
    buf[(*len)++] = (unsigned char)label;
    memcpy(buf + *len, p, label);
    *len += label;
    p += label;
    if (*p == '.')
      p++;
  }
  buf[(*len)++] = 0;
}

static inline void dns_put16(unsigned char *buf, size_t *len, unsigned value)
{
  buf[(*len)++] = (unsigned char)(value >> 8);
  buf[(*len)++] = (unsigned char)value;
}

/* Write a query for NAME and TYPE with ID into BUF; returns its length. */
static inline size_t dns_make_query(unsigned char *buf, uint16_t id,
                                    const char *name, unsigned type)
{
  size_t len = 0;

  dns_put16(buf, &len, id);
  dns_put16(buf, &len, 0x0000); /* standard query, no recursion */
  dns_put16(buf, &len, 1);
  dns_put16(buf, &len, 0);
  dns_put16(buf, &len, 0);
  dns_put16(buf, &len, 0);
  dns_put_name(buf, &len, name);
  dns_put16(buf, &len, type);
  dns_put16(buf, &len, 1);
  return len;
}

/* ---- free ports ---- */

/* Return a UDP port on 127.0.0.1 that is free for both UDP and TCP now
 * (another process may take it before the caller binds it). */
static inline uint16_t free_port(void)
{
  for (int attempt = 0; attempt < 20; attempt++) {
    struct sockaddr_in sin;
    socklen_t sl = sizeof(sin);
    int udp = socket(AF_INET, SOCK_DGRAM, 0);
    int tcp = socket(AF_INET, SOCK_STREAM, 0);
    uint16_t port = 0;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(udp, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
        getsockname(udp, (struct sockaddr *)&sin, &sl) == 0 &&
        bind(tcp, (struct sockaddr *)&sin, sizeof(sin)) == 0)
      port = ntohs(sin.sin_port);
    close(udp);
    close(tcp);
    if (port != 0)
      return port;
  }
  return 0;
}

/* ---- NSD ---- */

struct nsd_server {
  pid_t pid;
  uint16_t port;
  char dir[64];
};

static inline int nsd_write_file(const char *dir, const char *name,
                                 const char *text)
{
  char path[256];
  FILE *f;

  snprintf(path, sizeof(path), "%s/%s", dir, name);
  f = fopen(path, "w");
  if (f == NULL)
    return -1;
  fputs(text, f);
  return fclose(f);
}

static inline int nsd_write_config(const struct nsd_server *nsd,
                                   const char *zone)
{
  char conf[2048];

  snprintf(conf, sizeof(conf),
           "server:\n"
           "  ip-address: 127.0.0.1@%u\n"
           "  do-ip6: no\n"
           "  username: \"\"\n"
           "  chroot: \"\"\n"
           "  zonesdir: \"%s\"\n"
           "  database: \"\"\n"
           "  pidfile: \"%s/nsd.pid\"\n"
           "  xfrdfile: \"%s/xfrd.state\"\n"
           "  zonelistfile: \"%s/zone.list\"\n"
           "  logfile: \"%s/nsd.log\"\n"
           "  server-count: 1\n"
           "  verbosity: 1\n"
           /* response rate limiting (200 answers/s by default in
            * Debian's build) would drop answers in load tests */
           "  rrl-ratelimit: 0\n"
           "  rrl-whitelist-ratelimit: 0\n"
           "remote-control:\n"
           "  control-enable: no\n"
           "zone:\n"
           "  name: %s\n"
           "  zonefile: zone\n",
           nsd->port, nsd->dir, nsd->dir, nsd->dir, nsd->dir, nsd->dir, zone);
  return nsd_write_file(nsd->dir, "nsd.conf", conf);
}

/* Send one SOA query for ZONE to the server and wait up to 200 ms. */
static inline bool nsd_answers(const struct nsd_server *nsd, const char *zone)
{
  unsigned char query[512], reply[512];
  size_t len = dns_make_query(query, 0x4c43, zone, 6);
  struct sockaddr_in sin;
  struct pollfd pfd;
  bool ok = false;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);

  memset(&sin, 0, sizeof(sin));
  sin.sin_family = AF_INET;
  sin.sin_port = htons(nsd->port);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (sendto(fd, query, len, 0, (struct sockaddr *)&sin, sizeof(sin)) > 0) {
    pfd.fd = fd;
    pfd.events = POLLIN;
    if (poll(&pfd, 1, 200) == 1 && recv(fd, reply, sizeof(reply), 0) > 12)
      ok = (reply[3] & 0x0f) == 0; /* NOERROR */
  }
  close(fd);
  return ok;
}

static inline void nsd_print_log(const struct nsd_server *nsd)
{
  char path[256], line[512];
  FILE *f;

  snprintf(path, sizeof(path), "%s/nsd.out", nsd->dir);
  f = fopen(path, "r");
  if (f == NULL)
    return;
  while (fgets(line, sizeof(line), f) != NULL)
    fprintf(stderr, "# nsd: %s", line);
  fclose(f);
}

static inline void nsd_exec(const struct nsd_server *nsd)
{
  char conf[256], out[256];
  int fd;

  /* Stop NSD when the test process dies, whatever the cause. */
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  snprintf(conf, sizeof(conf), "%s/nsd.conf", nsd->dir);
  snprintf(out, sizeof(out), "%s/nsd.out", nsd->dir);
  fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    dup2(fd, 1);
    dup2(fd, 2);
  }
  execlp("nsd", "nsd", "-d", "-c", conf, (char *)NULL);
  execl("/usr/sbin/nsd", "nsd", "-d", "-c", conf, (char *)NULL);
  fprintf(stderr, "cannot run nsd: %s\n", strerror(errno));
  _exit(127);
}

static inline int nsd_remove_cb(const char *path, const struct stat *st,
                                int flag, struct FTW *ftw)
{
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

/* Stop NSD (SIGTERM, then SIGKILL after 5 s) and remove its directory. */
static inline void nsd_stop(struct nsd_server *nsd)
{
  if (nsd->pid > 0) {
    int status;
    kill(nsd->pid, SIGTERM);
    for (int i = 0; i < 500; i++) {
      if (waitpid(nsd->pid, &status, WNOHANG) == nsd->pid) {
        nsd->pid = 0;
        break;
      }
      usleep(10000);
    }
    if (nsd->pid > 0) {
      kill(nsd->pid, SIGKILL);
      waitpid(nsd->pid, &status, 0);
      nsd->pid = 0;
    }
  }
  if (nsd->dir[0] != '\0')
    nftw(nsd->dir, nsd_remove_cb, 8, FTW_DEPTH | FTW_PHYS);
  nsd->dir[0] = '\0';
}

/* Start NSD serving ZONE (origin, e.g. "lc.test") from ZONE_TEXT on a free
 * port of 127.0.0.1 and wait until it answers. Returns 0 or -1. */
static inline int nsd_start(struct nsd_server *nsd, const char *zone,
                            const char *zone_text)
{
  memset(nsd, 0, sizeof(*nsd));
  snprintf(nsd->dir, sizeof(nsd->dir), "/tmp/listclean-nsd.XXXXXX");
  if (mkdtemp(nsd->dir) == NULL)
    return -1;
  nsd->port = free_port();
  if (nsd->port == 0 || nsd_write_file(nsd->dir, "zone", zone_text) != 0 ||
      nsd_write_config(nsd, zone) != 0)
    goto fail;
  nsd->pid = fork();
  if (nsd->pid < 0)
    goto fail;
  if (nsd->pid == 0)
    nsd_exec(nsd);
  for (int i = 0; i < 100; i++) {
    int status;
    if (nsd_answers(nsd, zone))
      return 0;
    if (waitpid(nsd->pid, &status, WNOHANG) == nsd->pid) {
      nsd->pid = 0;
      break;
    }
    usleep(50000);
  }
fail:
  fprintf(stderr, "# nsd did not start on 127.0.0.1:%u\n", nsd->port);
  nsd_print_log(nsd);
  nsd_stop(nsd);
  return -1;
}

#endif
