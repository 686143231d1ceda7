/* Stats file: totals, DNS and HTTPS counters, and one object per MX host
 * with connections, peak concurrent connections, sessions, RCPTs, DATA
 * commands, 421 replies of connection limits and greylisting deferrals
 * and passes. Hosts that saw no connection are listed too, so a script can
 * look up any address of the world. Keys are only ever added, so readers
 * of older files keep working. */
#include "bench/simworld/stats.h"
#include "bench/simworld/log.h"
#include "bench/simworld/profile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void write_totals(const struct sim_server *server, FILE *out)
{
  struct sim_host_stats total = {0};
  for (size_t i = 0; i < server->world->host_count; i++) {
    const struct sim_host_stats *s = &server->world->hosts[i].stats;
    total.connections += s->connections;
    total.sessions += s->sessions;
    total.rcpts += s->rcpts;
    total.data += s->data;
    total.busy_421 += s->busy_421;
    total.greylisted += s->greylisted;
    total.greylist_passed += s->greylist_passed;
  }
  fprintf(out,
          "  \"smtp\": {\"connections\": %llu, \"sessions\": %llu, "
          "\"rcpts\": %llu, \"data\": %llu, \"busy_421\": %llu, "
          "\"greylisted\": %llu, \"greylist_passed\": %llu},\n",
          (unsigned long long)total.connections,
          (unsigned long long)total.sessions, (unsigned long long)total.rcpts,
          (unsigned long long)total.data, (unsigned long long)total.busy_421,
          (unsigned long long)total.greylisted,
          (unsigned long long)total.greylist_passed);
  const struct sim_dns_stats *d = &server->dns_stats;
  fprintf(out,
          "  \"dns\": {\"udp_queries\": %llu, \"tcp_queries\": %llu, "
          "\"truncated\": %llu, \"dropped\": %llu},\n",
          (unsigned long long)d->udp_queries,
          (unsigned long long)d->tcp_queries, (unsigned long long)d->truncated,
          (unsigned long long)d->dropped);
  const struct sim_https_stats *h = &server->https_stats;
  fprintf(out,
          "  \"https\": {\"connections\": %llu, \"requests\": %llu, "
          "\"realm\": %llu, \"credential\": %llu, \"throttled\": %llu, "
          "\"errors\": %llu},\n",
          (unsigned long long)h->connections, (unsigned long long)h->requests,
          (unsigned long long)h->realm, (unsigned long long)h->credential,
          (unsigned long long)h->throttled, (unsigned long long)h->errors);
}

static void write_host(const struct sim_host *host, FILE *out, bool last)
{
  char profile[128];
  sim_host_profile_format((enum sim_base)host->base, host->mods, profile,
                          sizeof(profile));
  const struct sim_host_stats *s = &host->stats;
  fprintf(out,
          "    {\"addr\": \"%u.%u.%u.%u\", \"name\": \"%s\", "
          "\"profile\": \"%s\", \"connections\": %llu, "
          "\"peak_concurrent\": %u, \"sessions\": %llu, \"rcpts\": %llu, "
          "\"data\": %llu, \"busy_421\": %llu, \"greylisted\": %llu, "
          "\"greylist_passed\": %llu}%s\n",
          host->addr >> 24, (host->addr >> 16) & 255, (host->addr >> 8) & 255,
          host->addr & 255, host->name, profile,
          (unsigned long long)s->connections, s->peak_concurrent,
          (unsigned long long)s->sessions, (unsigned long long)s->rcpts,
          (unsigned long long)s->data, (unsigned long long)s->busy_421,
          (unsigned long long)s->greylisted,
          (unsigned long long)s->greylist_passed, last ? "" : ",");
}

enum lc_status sim_stats_write(const struct sim_server *server,
                               const char *path)
{
  char tmp[4096];
  snprintf(tmp, sizeof(tmp), "%s.tmp", path);
  FILE *out = fopen(tmp, "w");
  if (out == NULL) {
    sim_log_error("cannot write stats to %s: %s", tmp, strerror(errno));
    return LC_ERR_IO;
  }
  fputs("{\n", out);
  write_totals(server, out);
  fputs("  \"mx\": [\n", out);
  size_t count = server->world->host_count;
  for (size_t i = 0; i < count; i++)
    write_host(&server->world->hosts[i], out, i + 1 == count);
  fputs("  ]\n}\n", out);
  bool failed = ferror(out) != 0;
  if (fclose(out) != 0 || failed || rename(tmp, path) != 0) {
    sim_log_error("cannot write stats to %s", path);
    return LC_ERR_IO;
  }
  return LC_OK;
}
