/* Counters of the work in flight, read from the network side's parts.
 *
 * The identity client keeps its running requests in a field of its
 * internal struct that its public stats do not carry, so this file reads
 * the internal header. */
#include "engine/activity.h"

#include <string.h>

#include "engine/identity_int.h"
#include "engine/net_int.h"

void lc_activity_get(const struct lc_net *net, struct lc_activity *a)
{
  struct lc_dns_stats dns;
  struct lc_sched_stats sched;

  memset(a, 0, sizeof(*a));
  if (net == NULL)
    return;
  if (net->resolver != NULL) {
    lc_dns_get_stats(net->resolver, &dns);
    a->dns = dns.in_flight + dns.queued;
  }
  if (net->sched != NULL) {
    lc_sched_get_stats(net->sched, &sched);
    a->smtp = sched.submitted - sched.completed;
    a->connections = sched.connections_open;
  }
  if (net->identity != NULL)
    a->https = net->identity->inflight;
}
